import { bucketCompanions } from '../../buckets.js';
import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const;

/** Every bucket has an aws_s3_bucket_public_access_block with all four flags on. */
export const s3BlockPublicAccess: Rule = {
  id: 's3-block-public-access',
  service: 's3',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56', 'CKV2_AWS_6'],
  cdkNag: ['AwsSolutions-S2'],
  appliesTo: ['aws_s3_bucket'],
  explanation:
    'The four Block Public Access settings stop public ACLs and public bucket policies on data buckets (S3 user guide, "Blocking public access to your Amazon S3 storage").',
  description: 'Every S3 bucket has a public access block with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id] of resourcesOf(stack, 'aws_s3_bucket')) {
      const blocks = bucketCompanions(stack, 'aws_s3_bucket_public_access_block', id);
      if (blocks.length === 0) {
        findings.push({ type: 'aws_s3_bucket', id, message: 'bucket has no aws_s3_bucket_public_access_block' });
        continue;
      }
      const missing = FLAGS.filter((f) => !blocks.some((b) => b[f] === true));
      if (missing.length) findings.push({ type: 'aws_s3_bucket', id, message: `public access block does not set ${missing.join(', ')} to true` });
    }
    return findings;
  },
};
