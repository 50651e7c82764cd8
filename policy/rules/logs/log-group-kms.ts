import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every CloudWatch log group is encrypted with a customer managed KMS key. */
export const logGroupKms: Rule = {
  id: 'log-group-kms',
  service: 'logs',
  level: 'warning',
  pack: 'informational',
  checkov: ['CKV_AWS_158'],
  cdkNag: ['HIPAA.Security-CloudWatchLogGroupEncrypted', 'NIST.800.53.R5-CloudWatchLogGroupEncrypted'],
  appliesTo: ['aws_cloudwatch_log_group'],
  description: 'Every CloudWatch log group sets kms_key_id.',
  explanation:
    'CloudWatch Logs always encrypts log data; a KMS key of our own adds access control and audit through the key ' +
    'policy (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS"), at the price of the ' +
    'key and its requests.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, g] of resourcesOf(stack, 'aws_cloudwatch_log_group')) {
      if (typeof g.kms_key_id === 'string' && g.kms_key_id !== '') continue;
      findings.push({ type: 'aws_cloudwatch_log_group', id, message: 'log group has no kms_key_id' });
    }
    return findings;
  },
};
