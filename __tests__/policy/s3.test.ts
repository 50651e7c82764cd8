/**
 * S3 rules. Fixture shapes: aws_s3_bucket (bucket_prefix, legacy inline versioning/logging blocks),
 * aws_s3_bucket_public_access_block, aws_s3_bucket_server_side_encryption_configuration (rule {
 * apply_server_side_encryption_by_default { sse_algorithm } }), aws_s3_bucket_policy (bucket, policy),
 * aws_s3_bucket_versioning (versioning_configuration { status }), aws_s3_bucket_logging (target_bucket,
 * target_prefix) from the hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { policy, ruleCases, stack, type Res } from './helpers.js';

const bucket: Res = { aws_s3_bucket: { b: { bucket_prefix: 'trib-use1-data-' } } };
const pab = (flags: Record<string, boolean>): Res => ({ aws_s3_bucket_public_access_block: { p: { bucket: '${aws_s3_bucket.b.id}', ...flags } } });
const allFlags = { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true };
const tlsDeny = { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['${aws_s3_bucket.b.arn}', '${aws_s3_bucket.b.arn}/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } };

ruleCases('s3-block-public-access', {
  compliant: [
    { title: 'public access block with the four flags, bucket by reference', stack: stack({ ...bucket, ...pab(allFlags) }) },
    { title: 'public access block naming a literal bucket', stack: stack({ aws_s3_bucket: { b: { bucket: 'trib-data' } }, aws_s3_bucket_public_access_block: { p: { bucket: 'trib-data', ...allFlags } } }) },
  ],
  nonCompliant: [
    { title: 'no public access block', stack: stack(bucket), findings: ['aws_s3_bucket.b'], message: /no aws_s3_bucket_public_access_block/ },
    { title: 'restrict_public_buckets missing', stack: stack({ ...bucket, ...pab({ ...allFlags, restrict_public_buckets: false }) }), findings: ['aws_s3_bucket.b'], message: /restrict_public_buckets/ },
  ],
});

ruleCases('s3-encryption', {
  compliant: [
    { title: 'SSE-KMS default encryption', stack: stack({ ...bucket, aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: '${aws_s3_bucket.b.id}', rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' } }] } } }) },
    { title: 'SSE-S3 (AES256), rule written as an object', stack: stack({ ...bucket, aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: '${aws_s3_bucket.b.bucket}', rule: { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } } } } }) },
  ],
  nonCompliant: [
    { title: 'no encryption configuration', stack: stack(bucket), findings: ['aws_s3_bucket.b'] },
    { title: 'a configuration with an unknown algorithm', stack: stack({ ...bucket, aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: '${aws_s3_bucket.b.id}', rule: { apply_server_side_encryption_by_default: { sse_algorithm: 'none' } } } } }), findings: ['aws_s3_bucket.b'] },
  ],
});

ruleCases('s3-tls-only', {
  compliant: [
    { title: 'bucket policy denying s3:* without TLS', stack: stack({ ...bucket, aws_s3_bucket_policy: { pol: { bucket: '${aws_s3_bucket.b.id}', policy: policy(tlsDeny) } } }) },
    { title: 'the deny with a BoolIfExists condition and a boolean false', stack: stack({ ...bucket, aws_s3_bucket_policy: { pol: { bucket: '${aws_s3_bucket.b.bucket}', policy: policy({ ...tlsDeny, Condition: { BoolIfExists: { 'aws:SecureTransport': false } } }) } } }) },
  ],
  nonCompliant: [
    { title: 'no bucket policy', stack: stack(bucket), findings: ['aws_s3_bucket.b'], message: /no bucket policy/ },
    { title: 'a bucket policy without the TLS deny', stack: stack({ ...bucket, aws_s3_bucket_policy: { pol: { bucket: '${aws_s3_bucket.b.id}', policy: policy({ Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: '${aws_s3_bucket.b.arn}' }) } } }), findings: ['aws_s3_bucket.b'], message: /does not deny/ },
  ],
});

ruleCases('s3-versioning', {
  compliant: [
    { title: 'aws_s3_bucket_versioning with status Enabled', stack: stack({ ...bucket, aws_s3_bucket_versioning: { v: { bucket: '${aws_s3_bucket.b.id}', versioning_configuration: { status: 'Enabled' } } } }) },
    { title: 'legacy inline versioning { enabled = true }', stack: stack({ aws_s3_bucket: { b: { bucket_prefix: 'x-', versioning: { enabled: true } } } }) },
  ],
  nonCompliant: [
    { title: 'no versioning resource', stack: stack(bucket), findings: ['aws_s3_bucket.b'] },
    { title: 'versioning Suspended', stack: stack({ ...bucket, aws_s3_bucket_versioning: { v: { bucket: '${aws_s3_bucket.b.id}', versioning_configuration: { status: 'Suspended' } } } }), findings: ['aws_s3_bucket.b'] },
  ],
});

ruleCases('s3-access-logging', {
  compliant: [
    { title: 'aws_s3_bucket_logging with a target bucket', stack: stack({ aws_s3_bucket: { b: {} }, aws_s3_bucket_logging: { l: { bucket: '${aws_s3_bucket.b.id}', target_bucket: 'trib-access-logs', target_prefix: 'b/' } } }) },
    { title: 'legacy inline logging block', stack: stack({ aws_s3_bucket: { b: { logging: { target_bucket: 'trib-access-logs' } } } }) },
  ],
  nonCompliant: [
    { title: 'no logging resource', stack: stack(bucket), findings: ['aws_s3_bucket.b'] },
    { title: 'logging configured for another bucket only', stack: stack({ aws_s3_bucket: { b: {}, c: {} }, aws_s3_bucket_logging: { l: { bucket: '${aws_s3_bucket.c.id}', target_bucket: 'trib-access-logs' } } }), findings: ['aws_s3_bucket.b'] },
  ],
});
