import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every CloudWatch log group has a retention period. */
export const logGroupRetention: Rule = {
  id: 'log-group-retention',
  service: 'logs',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_66'],
  cdkNag: ['Serverless-CloudWatchLogGroupRetentionPeriod', 'HIPAA.Security-CloudWatchLogGroupRetentionPeriod'],
  appliesTo: ['aws_cloudwatch_log_group'],
  explanation:
    'A log group without retention keeps (and bills) its logs forever.',
  description: 'Every CloudWatch log group sets retention_in_days (logs are not kept forever).',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, g] of resourcesOf(stack, 'aws_cloudwatch_log_group')) {
      if (typeof g.retention_in_days === 'number' && g.retention_in_days > 0) continue;
      findings.push({ type: 'aws_cloudwatch_log_group', id, message: 'log group has no retention_in_days' });
    }
    return findings;
  },
};
