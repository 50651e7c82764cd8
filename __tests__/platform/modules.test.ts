/**
 * The shared modules, synthesized in a small stack each: queue-with-dlq, data-bucket, firehose-to-s3,
 * lambda-function and alarms. Each module stack also passes the policy rules on its own.
 */
import { describe, expect, it } from 'vitest';
import { Alerts, ALERTS_TOPIC_UNENCRYPTED_REASON } from '../../modules/alarms.js';
import { DataBucket } from '../../modules/data-bucket.js';
import { FirehoseToS3, HIVE_TIME_PARTITIONS } from '../../modules/firehose-to-s3.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import { DLQ_RETENTION_SECONDS, QueueWithDlq } from '../../modules/queue-with-dlq.js';
import { of, only, policyClean, ref, statementsOf, synthModules as synth } from '../helpers/module-synth.js';

describe('queue-with-dlq', () => {
  const json = synth(({ stack, naming, alerts }) => {
    new QueueWithDlq(stack, 'work', {
      naming, purpose: 'work', visibilityTimeoutSeconds: 120, maxReceiveCount: 3, alerts,
      policyStatements: [{ Sid: 'Publisher', Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage' }],
    });
  });
  const queue = only(json, 'aws_sqs_queue', 'work_queue');
  const dlq = only(json, 'aws_sqs_queue', 'work_dlq');

  it('names the queue and its DLQ, both with SSE and the same visibility', () => {
    expect(queue.name).toBe('trib-use1-work');
    expect(dlq.name).toBe('trib-use1-work-dlq');
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(dlq.sqs_managed_sse_enabled).toBe(true);
    expect(dlq.visibility_timeout_seconds).toBe(120);
  });

  it('keeps DLQ messages 14 days and redrives after maxReceiveCount', () => {
    expect(DLQ_RETENTION_SECONDS).toBe(14 * 24 * 3600);
    expect(dlq.message_retention_seconds).toBe(1_209_600);
    expect(JSON.parse(String(queue.redrive_policy))).toEqual({ deadLetterTargetArn: ref('aws_sqs_queue', json, 'work_dlq', 'arn'), maxReceiveCount: 3 });
  });

  it('allows redrive from the DLQ back to its own queue only', () => {
    const allow = only(json, 'aws_sqs_queue_redrive_allow_policy', 'work');
    expect(allow.queue_url).toBe(ref('aws_sqs_queue', json, 'work_dlq', 'url'));
    expect(JSON.parse(String(allow.redrive_allow_policy))).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [ref('aws_sqs_queue', json, 'work_queue', 'arn')] });
  });

  it('adds the extra statements (Resource defaulting to the queue) and a TLS-only deny to each queue policy', () => {
    const policy = only(json, 'aws_sqs_queue_policy', 'work_policy');
    const st = statementsOf(policy.policy);
    expect(st[0]).toMatchObject({ Sid: 'Publisher', Resource: ref('aws_sqs_queue', json, 'work_queue', 'arn'), Action: 'sqs:SendMessage' });
    expect(st[1]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    const dlqPolicy = only(json, 'aws_sqs_queue_policy', 'work_dlq-policy');
    expect(statementsOf(dlqPolicy.policy)).toEqual([expect.objectContaining({ Sid: 'DenyInsecureTransport', Resource: ref('aws_sqs_queue', json, 'work_dlq', 'arn') })]);
  });

  it('alarms as soon as the DLQ holds a message', () => {
    const alarm = only(json, 'aws_cloudwatch_metric_alarm', 'work-dlq-depth');
    expect(alarm).toMatchObject({
      alarm_name: 'trib-use1-work-dlq-depth', namespace: 'AWS/SQS', metric_name: 'ApproximateNumberOfMessagesVisible',
      threshold: 0, comparison_operator: 'GreaterThanThreshold', dimensions: { QueueName: ref('aws_sqs_queue', json, 'work_dlq', 'name') },
      alarm_actions: [ref('aws_sns_topic', json, 'alerts_topic', 'arn')],
    });
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('data-bucket', () => {
  const json = synth(({ stack, naming }) => {
    new DataBucket(stack, 'data', { naming, purpose: 'ams-sp-traffic', expireAfterDays: 730 });
    new DataBucket(stack, 'short', { naming, purpose: 'short', expireAfterDays: 10 });
  });
  const bucketRef = ref('aws_s3_bucket', json, 'data_bucket', 'id');
  const forData = (type: string) => Object.values(of(json, type)).find((r) => r.bucket === bucketRef)!;

  it('uses a lowercase bucket_prefix, never a fixed name', () => {
    const b = only(json, 'aws_s3_bucket', 'data_bucket');
    expect(b.bucket_prefix).toBe('trib-use1-ams-sp-traffic-');
    expect(b.bucket).toBeUndefined();
    expect(b.force_destroy).toBe(false);
  });

  it('blocks all public access, disables ACLs and encrypts', () => {
    expect(forData('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
    });
    expect(forData('aws_s3_bucket_ownership_controls')).toMatchObject({ rule: { object_ownership: 'BucketOwnerEnforced' } });
    expect(forData('aws_s3_bucket_server_side_encryption_configuration')).toMatchObject({
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, bucket_key_enabled: true }],
    });
  });

  it('denies every request not made over TLS, on the bucket and its objects', () => {
    const arn = ref('aws_s3_bucket', json, 'data_bucket', 'arn');
    expect(statementsOf(forData('aws_s3_bucket_policy').policy)).toEqual([
      { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [arn, `${arn}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  it('has lifecycle rules: abort uploads after 7 days, tiering at 30 days, expiry when configured', () => {
    const rules = forData('aws_s3_bucket_lifecycle_configuration').rule as Record<string, unknown>[];
    expect(rules.map((r) => r.id)).toEqual(['abort-incomplete-uploads', 'intelligent-tiering', 'expire']);
    expect(rules[0].abort_incomplete_multipart_upload).toEqual([{ days_after_initiation: 7 }]);
    expect(rules[1].transition).toEqual([{ days: 30, storage_class: 'INTELLIGENT_TIERING' }]);
    expect(rules[2].expiration).toEqual([{ days: 730 }]);
    // Tiering is skipped when objects expire before it would start.
    const shortRef = ref('aws_s3_bucket', json, 'short_bucket', 'id');
    const short = Object.values(of(json, 'aws_s3_bucket_lifecycle_configuration')).find((r) => r.bucket === shortRef)!;
    expect((short.rule as Record<string, unknown>[]).map((r) => r.id)).toEqual(['abort-incomplete-uploads', 'expire']);
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('firehose-to-s3', () => {
  const json = synth(({ stack, naming, alerts }) => {
    const bucket = new DataBucket(stack, 'data', { naming, purpose: 'ams-sp-traffic' });
    new FirehoseToS3(stack, 'firehose', { naming, purpose: 'sp-traffic', bucket, dataPrefix: 'sp-traffic/', logRetentionDays: 14, alerts, bufferingIntervalSeconds: 120 });
  });
  const stream = only(json, 'aws_kinesis_firehose_delivery_stream', 'firehose');
  const s3 = stream.extended_s3_configuration as Record<string, unknown>;
  const bucketArn = ref('aws_s3_bucket', json, 'data_bucket', 'arn');

  it('delivers GZIP into Hive-style hourly partitions under the data prefix, with an error-type error prefix', () => {
    expect(stream.name).toBe('trib-use1-sp-traffic');
    expect(stream.destination).toBe('extended_s3');
    expect(s3.compression_format).toBe('GZIP');
    expect(HIVE_TIME_PARTITIONS).toBe('year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(s3.prefix).toBe(`sp-traffic/${HIVE_TIME_PARTITIONS}`);
    expect(s3.error_output_prefix).toBe(`errors/sp-traffic/!{firehose:error-output-type}/${HIVE_TIME_PARTITIONS}`);
    expect(s3.bucket_arn).toBe(bucketArn);
    expect(s3.buffering_interval).toBe(120);
    expect(s3.buffering_size).toBe(64);
    expect(s3.custom_time_zone).toBe('UTC');
    expect(stream.server_side_encryption).toMatchObject({ enabled: true });
  });

  it('appends a newline after every record', () => {
    expect(s3.processing_configuration).toEqual({
      enabled: true,
      processors: [{ type: 'AppendDelimiterToRecord', parameters: [{ parameter_name: 'Delimiter', parameter_value: '\\n' }] }],
    });
  });

  it('has its own role, trusted by Firehose and scoped to the bucket and its log stream', () => {
    const role = only(json, 'aws_iam_role', 'firehose_role');
    // Firehose's documented trust (sts:ExternalId = account) and the confused-deputy keys for this stream (modules/iam.ts).
    expect(statementsOf(role.assume_role_policy)).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'firehose.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'sts:ExternalId': '${local.account_id}' },
          StringEqualsIfExists: { 'aws:SourceAccount': '${local.account_id}' },
          ArnEqualsIfExists: { 'aws:SourceArn': 'arn:${local.partition}:firehose:us-east-1:${local.account_id}:deliverystream/trib-use1-sp-traffic' },
        },
      },
    ]);
    expect(s3.role_arn).toBe(ref('aws_iam_role', json, 'firehose_role', 'arn'));
    const st = statementsOf(only(json, 'aws_iam_role_policy', 'firehose_policy').policy);
    expect(st.find((s) => s.Sid === 'WriteBucket')!.Resource).toEqual([bucketArn, `${bucketArn}/*`]);
    expect(st.find((s) => s.Sid === 'WriteDeliveryLogs')!.Resource).toBe(
      `${ref('aws_cloudwatch_log_group', json, 'firehose_logs', 'arn')}:log-stream:${ref('aws_cloudwatch_log_stream', json, 'firehose_log-stream', 'name')}`,
    );
    for (const s of st) expect(JSON.stringify(s.Action)).not.toContain('*');
  });

  it('logs delivery errors to a log group with retention and alarms on data freshness', () => {
    expect(only(json, 'aws_cloudwatch_log_group', 'firehose_logs')).toMatchObject({ name: '/aws/kinesisfirehose/trib-use1-sp-traffic', retention_in_days: 14 });
    expect(only(json, 'aws_cloudwatch_metric_alarm', 'freshness')).toMatchObject({
      namespace: 'AWS/Firehose', metric_name: 'DeliveryToS3.DataFreshness', threshold: 120 + 900, dimensions: { DeliveryStreamName: 'trib-use1-sp-traffic' },
    });
  });

  it('refuses a data prefix without a trailing slash', () => {
    expect(() =>
      synth(({ stack, naming }) => {
        const bucket = new DataBucket(stack, 'data', { naming, purpose: 'x' });
        new FirehoseToS3(stack, 'f', { naming, purpose: 'x', bucket, dataPrefix: 'x', logRetentionDays: 1 });
      }),
    ).toThrow(/must end with "\/"/);
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('lambda-function', () => {
  const json = synth(({ stack, naming, alerts }) => {
    const fn = new LambdaFunction(stack, 'fan-out', {
      naming, purpose: 'sp-traffic-fanout', handler: 'ams-fan-out', memoryMb: 256, timeoutSeconds: 30, logRetentionDays: 30,
      environment: { DATASET_ID: 'sp-traffic' }, alerts,
    });
    const q = new QueueWithDlq(stack, 'ingress', { naming, purpose: 'ingress', visibilityTimeoutSeconds: 180 });
    fn.addSqsEventSource('ingress-source', q, { batchSize: 100, maxBatchingWindowSeconds: 5 });
  });
  const fn = only(json, 'aws_lambda_function', 'fan-out_fn');

  it('runs nodejs22.x on arm64 from the prebuilt zip, with source_code_hash = filebase64sha256(zip)', () => {
    expect(fn).toMatchObject({ function_name: 'trib-use1-sp-traffic-fanout', runtime: 'nodejs22.x', architectures: ['arm64'], handler: 'index.handler', memory_size: 256, timeout: 30 });
    expect(String(fn.filename)).toMatch(/^assets\/.+\/ams-fan-out\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
    expect(fn.environment).toEqual({ variables: { DATASET_ID: 'sp-traffic' } });
  });

  it('has its own role and its own log group with retention, used through logging_config', () => {
    expect(only(json, 'aws_cloudwatch_log_group', 'fan-out_logs')).toMatchObject({ name: '/aws/lambda/trib-use1-sp-traffic-fanout', retention_in_days: 30 });
    expect(fn.logging_config).toMatchObject({ log_format: 'JSON', log_group: ref('aws_cloudwatch_log_group', json, 'fan-out_logs', 'name') });
    const role = only(json, 'aws_iam_role', 'fan-out_role');
    expect(statementsOf(role.assume_role_policy)[0].Principal).toEqual({ Service: 'lambda.amazonaws.com' });
    const st = statementsOf(only(json, 'aws_iam_role_policy', 'fan-out_policy').policy);
    expect(st[0]).toMatchObject({ Sid: 'WriteOwnLogs', Resource: `${ref('aws_cloudwatch_log_group', json, 'fan-out_logs', 'arn')}:*` });
    expect(st[1]).toMatchObject({ Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']), Resource: ref('aws_sqs_queue', json, 'ingress_queue', 'arn') });
  });

  it('consumes SQS with partial batch responses', () => {
    expect(only(json, 'aws_lambda_event_source_mapping', 'ingress-source')).toMatchObject({
      event_source_arn: ref('aws_sqs_queue', json, 'ingress_queue', 'arn'), function_response_types: ['ReportBatchItemFailures'],
      batch_size: 100, maximum_batching_window_in_seconds: 5,
    });
    expect(only(json, 'aws_cloudwatch_metric_alarm', 'fanout-errors')).toMatchObject({ namespace: 'AWS/Lambda', metric_name: 'Errors', threshold: 0 });
  });

  it('throws when the queue visibility is less than 6x the timeout, or the batch window is missing', () => {
    const build = (visibility: number, opts = {}) => () =>
      synth(({ stack, naming }) => {
        const f = new LambdaFunction(stack, 'f', { naming, purpose: 'f', handler: 'ams-fan-out', memoryMb: 128, timeoutSeconds: 30, logRetentionDays: 1 });
        f.addSqsEventSource('src', new QueueWithDlq(stack, 'q', { naming, purpose: 'q', visibilityTimeoutSeconds: visibility }), opts);
      });
    expect(build(179)).toThrow(/visibility timeout 179s must be at least 6x the function timeout \(180s\)/);
    expect(build(180)).not.toThrow();
    expect(build(180, { batchSize: 11 })).toThrow(/batching window of at least 1 second/);
  });

  it('refuses a handler whose zip was not built', () => {
    expect(() =>
      synth(({ stack, naming }) => {
        new LambdaFunction(stack, 'f', { naming, purpose: 'f', handler: 'no-such-handler', memoryMb: 128, timeoutSeconds: 3, logRetentionDays: 1 });
      }),
    ).toThrow(/no-such-handler\.zip is missing: run "make build"/);
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('alarms', () => {
  it('one alerts topic per stack, with its encryption suppression reason and an optional e-mail subscription', () => {
    const json = synth(({ stack, naming }) => {
      new Alerts(stack, 'ops', { naming, purpose: 'ops', email: 'ops@example.com' });
    });
    const topic = only(json, 'aws_sns_topic', 'ops_topic');
    expect(topic.name).toBe('trib-use1-ops');
    expect((topic['//'] as { tributary_suppressions: Record<string, string> }).tributary_suppressions['sns-encrypted']).toBe(ALERTS_TOPIC_UNENCRYPTED_REASON);
    expect(only(json, 'aws_sns_topic_subscription', 'ops_email')).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
    const st = statementsOf(only(json, 'aws_sns_topic_policy', 'ops_policy').policy);
    expect(st[0]).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' });
    policyClean(json);
  });
});
