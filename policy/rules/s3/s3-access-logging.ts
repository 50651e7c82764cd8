import { bucketCompanions } from '../../buckets.js';
import { block, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every S3 bucket writes server access logs. */
export const s3AccessLogging: Rule = {
  id: 's3-access-logging',
  service: 's3',
  level: 'warning',
  pack: 'informational',
  checkov: ['CKV_AWS_18'],
  cdkNag: ['AwsSolutions-S1'],
  appliesTo: ['aws_s3_bucket'],
  description: 'Every S3 bucket has an aws_s3_bucket_logging with a target_bucket (or the inline logging block).',
  explanation:
    'Server access logs record each request to the bucket for audits and investigations (S3 user guide, "Logging ' +
    'requests with server access logging"); they need a second bucket and are billed as its storage.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, bucket] of resourcesOf(stack, 'aws_s3_bucket')) {
      const on =
        bucketCompanions(stack, 'aws_s3_bucket_logging', id).some((l) => typeof l.target_bucket === 'string' && l.target_bucket !== '') ||
        typeof block(bucket.logging)?.target_bucket === 'string';
      if (!on) findings.push({ type: 'aws_s3_bucket', id, message: 'bucket has no server access logging' });
    }
    return findings;
  },
};
