/**
 * Clickstream config section and stacks synthesized for real (buildApp + app.synth): one stack per region, the
 * HTTP API (route, stage throttling, access logs, CORS), Kinesis (mode, SSE), the event source mapping (partial
 * batch responses, bisect, bounded retries and age, on-failure queue), DynamoDB keys/PITR/SSE/TTL, IAM scoped to
 * the stack's own resources, alarms, names, outputs, and the policy rules.
 */
import { PARKING_PLACES, parkingOutputName } from '../../contracts/operations.js';
import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, parseConfig, TOP_LEVEL_KEYS } from '../../config/index.js';
import { parseClickstreamConfig } from '../../config/clickstream.js';
import { checkAll, failures } from '../../policy/index.js';
import { ACCESS_LOG_FORMAT } from '../../modules/access-log.js';
import { CLICKSTREAM_OUTPUTS } from '../../stacks/clickstream/stack.js';
import { expectPolicyClean } from '../helpers/policy.js';
import { only, ref, resources, statements, synthConfig, type SynthStack } from '../helpers/synth.js';

type Body = Record<string, unknown>;
const byIdPart = (stack: SynthStack, type: string, part: string): [string, Body] => {
  const hits = Object.entries(resources(stack, type)).filter(([id]) => id.includes(part));
  expect(hits, `${stack.name} ${type} *${part}*`).toHaveLength(1);
  return hits[0];
};

describe('config', () => {
  it('is off by default with documented defaults, and the default config has no clickstream stack', () => {
    const c = parseClickstreamConfig(undefined);
    expect(c).toMatchObject({
      enabled: false, regions: ['us-east-1'], corsAllowOrigins: [], throttlingRateLimit: 100, throttlingBurstLimit: 200,
      maxBodyBytes: 5 * 1024 * 1024, maxBatchRecords: 500, unknownFields: 'reject', fillIpFromSource: true,
      streamMode: 'on-demand', shardCount: 1, streamRetentionHours: 24, batchSize: 100, maxBatchingWindowSeconds: 1,
      maximumRetryAttempts: 3, maximumRecordAgeSeconds: 3600, ttlDays: 0, rejectsRetentionDays: 14,
    });
    expect(TOP_LEVEL_KEYS).toContain('clickstream');
    expect(configWith({}).clickstream.enabled).toBe(false);
  });

  it('errors name the key and the allowed values', () => {
    expect(() => parseClickstreamConfig({ streamMode: 'fast' })).toThrow(/clickstream\.streamMode.*on-demand, provisioned/);
    expect(() => parseClickstreamConfig({ unknownFields: 'drop' })).toThrow(/clickstream\.unknownFields.*reject, ignore/);
    expect(() => parseClickstreamConfig({ regions: ['mars-1'] })).toThrow(/clickstream\.regions\[0\]/);
    expect(() => parseClickstreamConfig({ shardCount: 4 })).toThrow(/clickstream\.shardCount.*provisioned/);
    expect(() => parseClickstreamConfig({ maxBatchRecords: 501 })).toThrow(/clickstream\.maxBatchRecords.*between 1 and 500/);
    expect(() => parseClickstreamConfig({ maxBodyBytes: 7_000_000 })).toThrow(/clickstream\.maxBodyBytes/);
    expect(() => parseClickstreamConfig({ corsAllowOrigins: ['https://shop.example.com/path'] })).toThrow(/corsAllowOrigins\[0\].*origin/);
    expect(() => parseClickstreamConfig({ throttlingRateLimit: 500 })).toThrow(/throttlingBurstLimit/);
    expect(() => parseClickstreamConfig({ maximumRecordAgeSeconds: 90_000 })).toThrow(/maximumRecordAgeSeconds.*retention/);
    expect(() => parseClickstreamConfig({ bogus: 1 })).toThrow(/clickstream\.bogus.*allowed keys/);
    expect(() => parseConfig({ clickstream: { enabled: 'yes' } })).toThrow(/clickstream\.enabled/);
  });
});

describe('stacks (defaults: on-demand, no CORS, no TTL)', () => {
  let synth: ReturnType<typeof synthConfig>;
  let s: SynthStack;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { enabled: false }, clickstream: { enabled: true, regions: ['us-east-1', 'eu-west-1'] } }));
    s = synth.stacks.find((x) => x.name === 'clickstream-us-east-1')!;
  });
  afterAll(() => synth?.cleanup());

  it('one stack per region, each pinned to its region', () => {
    expect(synth.stacks.map((x) => x.name)).toEqual(['clickstream-eu-west-1', 'clickstream-us-east-1']);
    for (const x of synth.stacks) expect(x.json.provider!.aws[0].region).toBe(x.name.replace('clickstream-', ''));
  });

  it('Kinesis: on-demand, KMS SSE with the AWS managed key, 24 h retention', () => {
    const [, stream] = only(s, 'aws_kinesis_stream');
    expect(stream).toMatchObject({
      name: 'trib-use1-clickstream', encryption_type: 'KMS', kms_key_id: 'alias/aws/kinesis', retention_period: 24,
      stream_mode_details: { stream_mode: 'ON_DEMAND' },
    });
    expect(stream.shard_count).toBeUndefined();
  });

  it('DynamoDB: ip + sk keys, on-demand, PITR, SSE, no TTL by default', () => {
    const [, table] = only(s, 'aws_dynamodb_table');
    expect(table).toMatchObject({
      name: 'trib-use1-clickstream', billing_mode: 'PAY_PER_REQUEST', hash_key: 'ip', range_key: 'sk',
      point_in_time_recovery: { enabled: true }, server_side_encryption: { enabled: true },
    });
    expect(table.attribute).toEqual([{ name: 'ip', type: 'S' }, { name: 'sk', type: 'S' }]);
    expect(table.ttl).toBeUndefined();
  });

  it('the processor mapping: partial batch responses, bisect, bounded retries and age, SQS on-failure destination', () => {
    const [, m] = only(s, 'aws_lambda_event_source_mapping');
    const [streamId] = only(s, 'aws_kinesis_stream');
    const [failId] = byIdPart(s, 'aws_sqs_queue', 'process-failures_queue');
    const [fnId] = byIdPart(s, 'aws_lambda_function', 'process');
    expect(m).toMatchObject({
      event_source_arn: ref('aws_kinesis_stream', streamId, 'arn'),
      function_name: ref('aws_lambda_function', fnId, 'arn'),
      function_response_types: ['ReportBatchItemFailures'],
      bisect_batch_on_function_error: true,
      maximum_retry_attempts: 3,
      maximum_record_age_in_seconds: 3600,
      batch_size: 100,
      maximum_batching_window_in_seconds: 1,
      // Issue 12 item 6: records written before the mapping exists (first deploy, a re-created mapping) are read too;
      // the processor's writes are idempotent (sort key <timestamp>#<sequence number>), so re-reading is safe.
      starting_position: 'TRIM_HORIZON',
      destination_config: { on_failure: { destination_arn: ref('aws_sqs_queue', failId, 'arn') } },
    });
  });

  it('the on-failure and rejects queues each have a DLQ and SSE', () => {
    const queues = resources(s, 'aws_sqs_queue');
    expect(Object.values(queues).map((q) => q.name).sort()).toEqual([
      'trib-use1-clickstream-process-failures', 'trib-use1-clickstream-process-failures-dlq',
      'trib-use1-clickstream-rejects', 'trib-use1-clickstream-rejects-dlq',
    ]);
    for (const q of Object.values(queues)) expect(q.sqs_managed_sse_enabled).toBe(true);
  });

  it('IAM: each function may touch only its own stream, table and queues', () => {
    const policies = resources(s, 'aws_iam_role_policy');
    const [ingestPolicy] = Object.entries(policies).filter(([id]) => id.includes('ingest')).map(([, p]) => statements(p.policy));
    const [processPolicy] = Object.entries(policies).filter(([id]) => id.includes('process')).map(([, p]) => statements(p.policy));
    const [streamId] = only(s, 'aws_kinesis_stream');
    const [tableId] = only(s, 'aws_dynamodb_table');
    const [rejectsId] = byIdPart(s, 'aws_sqs_queue', 'rejects_queue');
    const [failId] = byIdPart(s, 'aws_sqs_queue', 'process-failures_queue');
    const find = (sts: Body[], sid: string) => sts.find((x) => x.Sid === sid)!;
    expect(find(ingestPolicy, 'PutRecords')).toMatchObject({ Action: ['kinesis:PutRecords', 'kinesis:PutRecord'], Resource: ref('aws_kinesis_stream', streamId, 'arn') });
    expect(find(ingestPolicy, 'KeepRejects')).toMatchObject({ Action: ['sqs:SendMessage'], Resource: ref('aws_sqs_queue', rejectsId, 'arn') });
    expect(ingestPolicy.map((x) => x.Sid)).toEqual(['WriteOwnLogs', 'PutRecords', 'KeepRejects']);
    expect(find(processPolicy, 'WriteItems')).toMatchObject({ Resource: ref('aws_dynamodb_table', tableId, 'arn') });
    expect(find(processPolicy, 'Readstreamsource')).toMatchObject({ Resource: ref('aws_kinesis_stream', streamId, 'arn') });
    expect(find(processPolicy, 'OnFailurestreamsource')).toMatchObject({ Action: ['sqs:SendMessage'], Resource: ref('aws_sqs_queue', failId, 'arn') });
    for (const st of [...ingestPolicy, ...processPolicy]) {
      expect(JSON.stringify(st.Action)).not.toContain('*');
      expect(st.Resource).not.toBe('*');
    }
  });

  it('HTTP API: POST /report -> ingest (payload 2.0), throttled $default stage with JSON access logs, no CORS unless configured', () => {
    const [apiId, api] = only(s, 'aws_apigatewayv2_api');
    expect(api).toMatchObject({ name: 'trib-use1-clickstream', protocol_type: 'HTTP' });
    expect(api.cors_configuration).toBeUndefined();
    const [integrationId, integration] = only(s, 'aws_apigatewayv2_integration');
    const [fnId] = byIdPart(s, 'aws_lambda_function', 'ingest');
    expect(integration).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0', integration_uri: ref('aws_lambda_function', fnId, 'arn') });
    const [, route] = only(s, 'aws_apigatewayv2_route');
    expect(route).toMatchObject({ route_key: 'POST /report', target: `integrations/${ref('aws_apigatewayv2_integration', integrationId, 'id')}` });
    const [, stage] = only(s, 'aws_apigatewayv2_stage');
    const [logsId, logs] = byIdPart(s, 'aws_cloudwatch_log_group', 'api-access-logs');
    expect(logs).toMatchObject({ name: '/aws/apigateway/trib-use1-clickstream', retention_in_days: 30 });
    expect(stage).toMatchObject({
      name: '$default', auto_deploy: true,
      default_route_settings: { throttling_rate_limit: 100, throttling_burst_limit: 200 },
      access_log_settings: { destination_arn: ref('aws_cloudwatch_log_group', logsId, 'arn'), format: ACCESS_LOG_FORMAT.httpApi },
    });
    const [, perm] = only(s, 'aws_lambda_permission');
    expect(perm).toMatchObject({ principal: 'apigateway.amazonaws.com', source_arn: `${ref('aws_apigatewayv2_api', apiId, 'execution_arn')}/*/POST/report` });
  });

  it('the ingest function gets its limits from config', () => {
    const [, fn] = byIdPart(s, 'aws_lambda_function', 'ingest');
    expect(fn).toMatchObject({ function_name: 'trib-use1-clickstream-ingest', memory_size: 256, timeout: 10, runtime: 'nodejs22.x' });
    const env = (fn.environment as { variables: Record<string, string> }).variables;
    expect(env).toMatchObject({ MAX_BODY_BYTES: '5242880', MAX_BATCH_RECORDS: '500', UNKNOWN_FIELDS: 'reject', FILL_IP_FROM_SOURCE: 'true', PUT_MAX_ATTEMPTS: '4' });
    expect(env.STREAM_NAME).toMatch(/aws_kinesis_stream\..*\.name/);
  });

  it('alarms: iterator age, both functions\' errors, on-failure queue depth, both DLQs, API 5xx, and the loss alarms (issue 18)', () => {
    const alarms = Object.values(resources(s, 'aws_cloudwatch_metric_alarm'));
    const names = alarms.map((a) => a.alarm_name).sort();
    expect(names).toEqual([
      'trib-use1-clickstream-api-5xx', 'trib-use1-clickstream-ingest-errors', 'trib-use1-clickstream-iterator-age',
      'trib-use1-clickstream-not-stored', 'trib-use1-clickstream-process-errors', 'trib-use1-clickstream-process-failures-depth',
      'trib-use1-clickstream-process-failures-dlq-depth', 'trib-use1-clickstream-reject-rate', 'trib-use1-clickstream-rejects-dlq-depth',
      'trib-use1-clickstream-volume-drop',
    ]);
    const age = alarms.find((a) => a.alarm_name === 'trib-use1-clickstream-iterator-age')!;
    expect(age).toMatchObject({ namespace: 'AWS/Lambda', metric_name: 'IteratorAge', threshold: 300_000 });
    const api = alarms.find((a) => a.alarm_name === 'trib-use1-clickstream-api-5xx')!;
    expect(api).toMatchObject({ namespace: 'AWS/ApiGateway', metric_name: '5xx', dimensions: { Stage: '$default' } });
  });

  it('outputs', () => {
    expect(Object.keys(s.json.output!).sort()).toEqual(
      [...Object.values(CLICKSTREAM_OUTPUTS), 'alerts_topic_arn', 'dashboard_name', ...Object.values(PARKING_PLACES.clickstream).map((p) => parkingOutputName(p.place))].sort(),
    );
    expect(s.json.output![CLICKSTREAM_OUTPUTS.reportUrl].value).toMatch(/api_endpoint}\/report$/);
  });

  it('passes every policy rule with no suppression of its own', () => {
    expectPolicyClean(synth.stacks, ['sns-encrypted']);
  });
});

describe('stacks (provisioned, CORS, TTL, tuned processor)', () => {
  let synth: ReturnType<typeof synthConfig>;
  let s: SynthStack;
  beforeAll(() => {
    synth = synthConfig(
      configWith({
        prefix: 'shopclicks',
        ams: { enabled: false },
        clickstream: {
          enabled: true, regions: ['ap-southeast-2'], streamMode: 'provisioned', shardCount: 4, streamRetentionHours: 72,
          corsAllowOrigins: ['https://shop.example.com'], ttlDays: 30, batchSize: 500, maxBatchingWindowSeconds: 5,
          maximumRetryAttempts: 10, maximumRecordAgeSeconds: 7200, parallelizationFactor: 2, unknownFields: 'ignore',
        },
      }),
    );
    s = synth.stacks[0];
  });
  afterAll(() => synth?.cleanup());

  it('applies every setting', () => {
    expect(s.name).toBe('clickstream-ap-southeast-2');
    expect(only(s, 'aws_kinesis_stream')[1]).toMatchObject({
      name: 'shopclicks-apse2-clickstream', shard_count: 4, retention_period: 72, stream_mode_details: { stream_mode: 'PROVISIONED' },
    });
    expect(only(s, 'aws_dynamodb_table')[1].ttl).toEqual({ enabled: true, attribute_name: 'expiresAt' });
    expect(only(s, 'aws_apigatewayv2_api')[1].cors_configuration).toEqual({
      allow_origins: ['https://shop.example.com'], allow_methods: ['POST', 'OPTIONS'], allow_headers: ['content-type'], max_age: 600,
    });
    expect(only(s, 'aws_lambda_event_source_mapping')[1]).toMatchObject({
      batch_size: 500, maximum_batching_window_in_seconds: 5, maximum_retry_attempts: 10, maximum_record_age_in_seconds: 7200, parallelization_factor: 2,
    });
    const [, proc] = byIdPart(s, 'aws_lambda_function', 'process');
    expect((proc.environment as { variables: Record<string, string> }).variables).toMatchObject({ TTL_DAYS: '30', UNKNOWN_FIELDS: 'ignore' });
    expect(failures(checkAll(synth.stacks))).toEqual([]);
  });
});
