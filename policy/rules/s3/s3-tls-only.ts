import { bucketCompanions } from '../../buckets.js';
import { deniesInsecureTransport, readPolicy, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every bucket has a bucket policy that denies requests made without TLS (aws:SecureTransport = false). */
export const s3TlsOnly: Rule = {
  id: 's3-tls-only',
  service: 's3',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_379'],
  cdkNag: ['AwsSolutions-S10'],
  appliesTo: ['aws_s3_bucket'],
  explanation:
    'A bucket policy Deny on aws:SecureTransport = false refuses every request not sent over TLS (S3 user guide, "Security best practices": enforce encryption of data in transit).',
  description: 'Every S3 bucket has a bucket policy with a Deny statement on aws:SecureTransport = false.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id] of resourcesOf(stack, 'aws_s3_bucket')) {
      const policies = bucketCompanions(stack, 'aws_s3_bucket_policy', id);
      const ok = policies.some((p) => {
        const doc = readPolicy(stack, p.policy);
        return doc.ok && doc.statements.some(deniesInsecureTransport);
      });
      if (!ok) {
        findings.push({
          type: 'aws_s3_bucket',
          id,
          message: policies.length
            ? 'bucket policy does not deny requests with aws:SecureTransport = false'
            : 'bucket has no bucket policy denying non-TLS requests',
        });
      }
    }
    return findings;
  },
};
