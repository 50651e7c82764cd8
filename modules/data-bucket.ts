import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { TerraformStack } from 'cdktf';
import type { Naming } from './naming.js';
import { denyInsecureTransport } from './tls-only.js';
import { controlsOf } from './controls.js';
import { ownPartition, policyJson, serviceStatement } from './iam.js';
import { suppress } from '../policy/suppress.js';

/** Days the stack's access-log bucket keeps server access logs. */
export const ACCESS_LOG_RETENTION_DAYS = 90;

export interface DataBucketProps {
  readonly naming: Naming;
  /** Purpose used in the bucket_prefix, e.g. "ams-sp-traffic". */
  readonly purpose: string;
  /** Expire objects after this many days; 0 (default) keeps them. */
  readonly expireAfterDays?: number;
  /** Move objects to S3 Intelligent-Tiering after this many days; 0 disables. Default 30. */
  readonly intelligentTieringAfterDays?: number;
  /** Abort incomplete multipart uploads after this many days. Default 7. */
  readonly abortIncompleteUploadDays?: number;
  /** Keep object versions (noncurrent versions expire after 30 days). Default: the stack's `controls.bucketVersioning`. */
  readonly versioned?: boolean;
  /** S3 server access logs into the stack's access-log bucket. Default: the stack's `controls.bucketAccessLogging`. */
  readonly accessLogging?: boolean;
  /** Allow `terraform destroy` to delete a non-empty bucket. Default false. */
  readonly forceDestroy?: boolean;
  /** Extra bucket policy statements (IAM JSON objects) merged with the TLS-only statement. */
  readonly extraPolicyStatements?: readonly Record<string, unknown>[];
  /** Extra bucket policy statements that name the bucket's own ARN. */
  readonly extraPolicyStatementsOf?: (bucketArn: string) => readonly Record<string, unknown>[];
}

/**
 * An S3 bucket for data: bucket_prefix naming, SSE-S3 encryption with bucket keys, all public access blocked,
 * ACLs disabled (bucket owner enforced), a bucket policy that denies any request not made over TLS, and
 * lifecycle rules (abort uploads, optional tiering and expiry).
 */
export class DataBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id);
    const controls = controlsOf(this);
    const versioned = props.versioned ?? controls.bucketVersioning;
    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: props.naming.name('s3BucketPrefix', props.purpose),
      forceDestroy: props.forceDestroy ?? false,
    });
    const bucket = this.bucket.id;

    new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'sse', {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    if (versioned) {
      new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    }

    const tiering = props.intelligentTieringAfterDays ?? 30;
    const expire = props.expireAfterDays ?? 0;
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
        {
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortIncompleteUploadDays ?? 7 }],
        },
        ...(tiering > 0 && (expire === 0 || tiering < expire)
          ? [{ id: 'intelligent-tiering', status: 'Enabled', filter: [{ prefix: '' }], transition: [{ days: tiering, storageClass: 'INTELLIGENT_TIERING' }] }]
          : []),
        ...(expire > 0 ? [{ id: 'expire', status: 'Enabled', filter: [{ prefix: '' }], expiration: [{ days: expire }] }] : []),
        ...(versioned
          ? [{ id: 'noncurrent-versions', status: 'Enabled', filter: [{ prefix: '' }], noncurrentVersionExpiration: [{ noncurrentDays: 30 }] }]
          : []),
      ],
    });

    new S3BucketPolicy(this, 'policy', {
      bucket,
      policy: policyJson([
        denyInsecureTransport('s3:*', [this.bucket.arn, `${this.bucket.arn}/*`]),
        ...(props.extraPolicyStatements ?? []),
        ...(props.extraPolicyStatementsOf?.(this.bucket.arn) ?? []),
      ]),
    });

    if (props.accessLogging ?? controls.bucketAccessLogging) {
      const target = accessLogBucket(this, props.naming);
      new S3BucketLoggingA(this, 'access-logging', { bucket, targetBucket: target.name, targetPrefix: `${props.purpose}/` });
    }
  }

  get arn(): string {
    return this.bucket.arn;
  }

  get name(): string {
    return this.bucket.bucket;
  }
}

/**
 * The stack's one bucket for S3 server access logs (created by the first data bucket that logs): SSE-S3 (the only
 * encryption log delivery supports), public access blocked, TLS only, logs expire after ACCESS_LOG_RETENTION_DAYS, and
 * log delivery allowed only for this deployment's buckets in our account (S3's confused-deputy conditions).
 */
function accessLogBucket(scope: Construct, naming: Naming): DataBucket {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild('access-logs');
  if (existing instanceof DataBucket) return existing;
  const purpose = 'access-logs';
  // DataBucket reads the policy statements when it builds its policy: the ARN of the log bucket is a reference to it.
  const logs: DataBucket = new DataBucket(stack, purpose, {
    naming,
    purpose,
    expireAfterDays: ACCESS_LOG_RETENTION_DAYS,
    intelligentTieringAfterDays: 0,
    versioned: false,
    accessLogging: false,
    extraPolicyStatementsOf: (arn) => [
      serviceStatement(stack, {
        sid: 'S3ServerAccessLogs',
        service: 'logging.s3.amazonaws.com',
        actions: 's3:PutObject',
        resource: `${arn}/*`,
        sourceArn: `arn:${ownPartition(stack)}:s3:::${naming.base}-*`,
      }),
    ],
  });
  suppress(logs.bucket, 's3-access-logging', 'The access-log bucket itself: logging it into itself would log every log delivery; its objects are the logs of the data buckets.');
  suppress(logs.bucket, 's3-versioning', 'Server access logs are written once and expire; versions would only keep deleted logs.');
  return logs;
}
