import { bucketCompanions } from '../../buckets.js';
import { block, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every S3 bucket has versioning enabled. */
export const s3Versioning: Rule = {
  id: 's3-versioning',
  service: 's3',
  level: 'warning',
  pack: 'informational',
  checkov: ['CKV_AWS_21'],
  cdkNag: ['HIPAA.Security-S3BucketVersioningEnabled', 'NIST.800.53.R5-S3BucketVersioningEnabled'],
  appliesTo: ['aws_s3_bucket'],
  description: 'Every S3 bucket has an aws_s3_bucket_versioning with versioning_configuration.status = "Enabled" (or the inline versioning.enabled).',
  explanation:
    'Versioning keeps every overwritten or deleted object version, so a bad write or delete can be undone (S3 user ' +
    'guide, "Retaining multiple versions of objects with S3 Versioning"); each version is billed as storage until a ' +
    'lifecycle rule expires it.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, bucket] of resourcesOf(stack, 'aws_s3_bucket')) {
      const on =
        bucketCompanions(stack, 'aws_s3_bucket_versioning', id).some((v) => block(v.versioning_configuration)?.status === 'Enabled') ||
        block(bucket.versioning)?.enabled === true;
      if (!on) findings.push({ type: 'aws_s3_bucket', id, message: 'bucket has no versioning' });
    }
    return findings;
  },
};
