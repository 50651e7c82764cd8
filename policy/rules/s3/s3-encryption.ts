import { bucketCompanions } from '../../buckets.js';
import { block, blocks, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every bucket declares default server-side encryption (SSE-S3 or SSE-KMS). */
export const s3Encryption: Rule = {
  id: 's3-encryption',
  service: 's3',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_19'],
  cdkNag: [],
  appliesTo: ['aws_s3_bucket'],
  explanation:
    'Objects are encrypted at rest with SSE-S3 or SSE-KMS by default. cdk-nag only has the stricter KMS-only S3DefaultEncryptionKMS, which does not correspond.',
  description: 'Every S3 bucket has a server-side encryption configuration (AES256 or aws:kms).',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, bucket] of resourcesOf(stack, 'aws_s3_bucket')) {
      const configs = [
        ...bucketCompanions(stack, 'aws_s3_bucket_server_side_encryption_configuration', id),
        ...blocks(bucket.server_side_encryption_configuration),
      ];
      const ok = configs.some((c) =>
        blocks(c.rule).some((r) => {
          const algo = block(r.apply_server_side_encryption_by_default)?.sse_algorithm;
          return typeof algo === 'string' && ['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algo);
        }),
      );
      if (!ok) findings.push({ type: 'aws_s3_bucket', id, message: 'bucket has no server-side encryption configuration' });
    }
    return findings;
  },
};
