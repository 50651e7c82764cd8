/**
 * Policy checks: every synthesized stack of the default config (all 69 AMS stacks) and of the full example
 * config passes every rule (or carries a suppression with a written reason), and every rule fires on a small
 * hand-written bad stack (so no rule can silently pass) while accepting the legitimate patterns it lists.
 */
import '../lib/fast-synth.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../config/index.js';
import { checkAll, checkStack, failures, formatFindings, RULES, type Finding, type PolicyStack, type Rule } from '../policy/index.js';
import { readPolicy, refsIn, literal } from '../policy/model.js';
import { expectedRegion } from '../policy/rules/provider-region.js';
import { fromRoot } from '../lib/paths.js';
import { synthConfig, type SynthStack } from './helpers/synth.js';

type Res = Record<string, Record<string, Record<string, unknown>>>;

/** A stack JSON with one us-east-1 provider and the given resources. */
function stack(resource: Res, name = 'test-us-east-1', provider: unknown = { aws: [{ region: 'us-east-1' }] }): PolicyStack {
  return { name, json: { provider: provider as PolicyStack['json']['provider'], resource } };
}

function run(rule: Rule, s: PolicyStack): Finding[] {
  return checkStack(s, [rule]);
}

const rule = (id: string): Rule => {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};

const tlsDeny = (arn: string | string[]) => ({
  Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: arn,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/** A compliant SQS queue + DLQ pair. */
const queues = {
  q: { name: 'trib-use1-q', sqs_managed_sse_enabled: true, visibility_timeout_seconds: 180, redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.dlq.arn}","maxReceiveCount":5}' },
  dlq: { name: 'trib-use1-q-dlq', sqs_managed_sse_enabled: true },
};

/** A compliant Lambda function with its log group. */
function fn(id: string, extra: Record<string, unknown> = {}): Res {
  return {
    aws_lambda_function: {
      [id]: {
        function_name: `trib-use1-${id}`, timeout: 30, role: '${aws_iam_role.r.arn}',
        logging_config: { log_format: 'JSON', log_group: `\${aws_cloudwatch_log_group.${id}_logs.name}` }, ...extra,
      },
    },
    aws_cloudwatch_log_group: { [`${id}_logs`]: { name: `/aws/lambda/trib-use1-${id}`, retention_in_days: 30 } },
  };
}

function merge(...parts: Res[]): Res {
  const out: Res = {};
  for (const p of parts) for (const [t, byId] of Object.entries(p)) out[t] = { ...(out[t] ?? {}), ...byId };
  return out;
}

describe('policy model', () => {
  it('resolves Terraform references to logical ids, also inside JSON strings', () => {
    const refs = refsIn({ a: '{"deadLetterTargetArn":"${aws_sqs_queue.ingress_dlq_3D6D34FF.arn}"}', b: ['${data.aws_iam_policy_document.doc.json}'] });
    expect(refs).toEqual([
      { data: false, type: 'aws_sqs_queue', id: 'ingress_dlq_3D6D34FF', attr: 'arn' },
      { data: true, type: 'aws_iam_policy_document', id: 'doc', attr: 'json' },
    ]);
    expect(refsIn('${filebase64sha256("assets/fn_code_1/abc/ams-fan-out.zip")}')).toEqual([]);
    expect(refsIn('${aws_lambda_function.fan-out_fn_40AC4C85.arn}:$LATEST')[0].id).toBe('fan-out_fn_40AC4C85');
  });

  it('substitutes literal attributes of referenced resources', () => {
    const s = stack({ aws_lambda_function: { f: { function_name: 'trib-use1-f' } }, aws_sqs_queue: { q: {} } });
    expect(literal(s, '/aws/lambda/${aws_lambda_function.f.function_name}')).toBe('/aws/lambda/trib-use1-f');
    expect(literal(s, '${aws_sqs_queue.q.arn}')).toBeUndefined();
  });

  it('reads aws_iam_policy_document data sources and refuses unreadable policies', () => {
    const s: PolicyStack = {
      name: 'x-us-east-1',
      json: { data: { aws_iam_policy_document: { d: { statement: [{ effect: 'Allow', actions: ['s3:*'], resources: ['*'] }] } } } },
    };
    const doc = readPolicy(s, '${data.aws_iam_policy_document.d.json}');
    expect(doc.ok && doc.statements[0].Action).toEqual(['s3:*']);
    expect(readPolicy(s, '${jsonencode({Statement = []})}').ok).toBe(false);
  });

  it('derives the expected region from the stack name', () => {
    expect(expectedRegion('ams-sp-traffic-na')).toBe('us-east-1');
    expect(expectedRegion('ams-sp-conversion-eu')).toBe('eu-west-1');
    expect(expectedRegion('ams-adsp-traffic-fe')).toBe('us-west-2');
    expect(expectedRegion('clickstream-ap-southeast-2')).toBe('ap-southeast-2');
    expect(expectedRegion('mystery')).toBeUndefined();
  });
});

describe('rules fire on bad stacks and accept the legitimate patterns', () => {
  it('sqs-sse', () => {
    const r = rule('sqs-sse');
    expect(run(r, stack({ aws_sqs_queue: { plain: { name: 'a' } } })).map((f) => f.id)).toEqual(['plain']);
    expect(run(r, stack({ aws_sqs_queue: { kms: { name: 'a', kms_master_key_id: 'alias/aws/sqs' }, managed: { sqs_managed_sse_enabled: true } } }))).toEqual([]);
  });

  it('sqs-dlq', () => {
    const r = rule('sqs-dlq');
    expect(run(r, stack({ aws_sqs_queue: { lonely: { sqs_managed_sse_enabled: true } } })).map((f) => f.id)).toEqual(['lonely']);
    expect(run(r, stack({ aws_sqs_queue: queues }))).toEqual([]);
    // DLQ targets of an SNS subscription, a Lambda, an on-failure destination, an EventBridge target, a separate redrive policy.
    const targets = stack({
      aws_sqs_queue: { sub: {}, fdlq: {}, onfail: {}, evt: {}, src: {}, srcdlq: {} },
      aws_sns_topic_subscription: { s: { redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.sub.arn}"}' } },
      aws_lambda_function: { f: { dead_letter_config: { target_arn: '${aws_sqs_queue.fdlq.arn}' } } },
      aws_lambda_function_event_invoke_config: { c: { destination_config: { on_failure: { destination: '${aws_sqs_queue.onfail.arn}' } } } },
      aws_cloudwatch_event_target: { t: { dead_letter_config: { arn: '${aws_sqs_queue.evt.arn}' } } },
      aws_sqs_queue_redrive_policy: { rp: { queue_url: '${aws_sqs_queue.src.url}', redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.srcdlq.arn}","maxReceiveCount":3}' } },
    });
    expect(run(r, targets)).toEqual([]);
  });

  it('s3-block-public-access, s3-encryption, s3-tls-only', () => {
    const bucket = { aws_s3_bucket: { b: { bucket_prefix: 'trib-use1-data-' } } };
    const bare = stack(bucket);
    for (const id of ['s3-block-public-access', 's3-encryption', 's3-tls-only']) {
      expect(run(rule(id), bare).map((f) => f.id), id).toEqual(['b']);
    }
    const partial = stack({
      ...bucket,
      aws_s3_bucket_public_access_block: { p: { bucket: '${aws_s3_bucket.b.id}', block_public_acls: true, block_public_policy: true, ignore_public_acls: true } },
      aws_s3_bucket_policy: { pol: { bucket: '${aws_s3_bucket.b.id}', policy: JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: '${aws_s3_bucket.b.arn}' }] }) } },
    });
    expect(run(rule('s3-block-public-access'), partial)[0].message).toMatch(/restrict_public_buckets/);
    expect(run(rule('s3-tls-only'), partial)[0].message).toMatch(/does not deny/);
    const good = stack({
      ...bucket,
      aws_s3_bucket_public_access_block: { p: { bucket: '${aws_s3_bucket.b.id}', block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true } },
      aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: '${aws_s3_bucket.b.id}', rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms' } }] } },
      aws_s3_bucket_policy: { pol: { bucket: '${aws_s3_bucket.b.bucket}', policy: JSON.stringify({ Statement: [tlsDeny(['${aws_s3_bucket.b.arn}', '${aws_s3_bucket.b.arn}/*'])] }) } },
    });
    for (const id of ['s3-block-public-access', 's3-encryption', 's3-tls-only']) expect(run(rule(id), good), id).toEqual([]);
  });

  it('lambda-log-retention', () => {
    const r = rule('lambda-log-retention');
    expect(run(r, stack({ aws_lambda_function: { f: { function_name: 'trib-use1-f' } } }))[0].message).toMatch(/not managed/);
    const noRetention = merge(fn('f'));
    delete noRetention.aws_cloudwatch_log_group.f_logs.retention_in_days;
    expect(run(r, stack(noRetention))[0].message).toMatch(/no retention_in_days/);
    expect(run(r, stack(fn('f')))).toEqual([]);
    // The default log group /aws/lambda/<name>, name resolved through a reference.
    const byName = stack({
      aws_lambda_function: { g: { function_name: 'trib-use1-g' } },
      aws_cloudwatch_log_group: { lg: { name: '/aws/lambda/${aws_lambda_function.g.function_name}', retention_in_days: 14 } },
    });
    expect(run(r, byName)).toEqual([]);
  });

  it('lambda-failure-path', () => {
    const r = rule('lambda-failure-path');
    expect(run(r, stack(fn('f'))).map((f) => f.id)).toEqual(['f']);
    const esm = (extra: Record<string, unknown>) => ({ aws_lambda_event_source_mapping: { m: { function_name: '${aws_lambda_function.f.arn}', ...extra } } });
    // SQS mapping without partial batch responses, or on a queue without DLQ: no failure path.
    expect(run(r, stack(merge(fn('f'), { aws_sqs_queue: queues }, esm({ event_source_arn: '${aws_sqs_queue.q.arn}' }))))).toHaveLength(1);
    expect(run(r, stack(merge(fn('f'), { aws_sqs_queue: queues }, esm({ event_source_arn: '${aws_sqs_queue.dlq.arn}', function_response_types: ['ReportBatchItemFailures'] }))))).toHaveLength(1);
    // Stream mapping without on-failure destination: none.
    expect(run(r, stack(merge(fn('f'), { aws_kinesis_stream: { k: {} } }, esm({ event_source_arn: '${aws_kinesis_stream.k.arn}' }))))).toHaveLength(1);
    // A permission for an asynchronous service (S3) is not a failure path.
    expect(run(r, stack(merge(fn('f'), { aws_lambda_permission: { p: { function_name: '${aws_lambda_function.f.function_name}', principal: 's3.amazonaws.com' } } })))).toHaveLength(1);

    const good: Res[] = [
      merge({ aws_sqs_queue: queues }, esm({ event_source_arn: '${aws_sqs_queue.q.arn}', function_response_types: ['ReportBatchItemFailures'] })),
      merge({ aws_kinesis_stream: { k: {} } }, esm({ event_source_arn: '${aws_kinesis_stream.k.arn}', destination_config: { on_failure: { destination_arn: '${aws_sqs_queue.dlq.arn}' } } })),
      merge({ aws_dynamodb_table: { t: {} } }, esm({ event_source_arn: '${aws_dynamodb_table.t.stream_arn}', destination_config: [{ on_failure: [{ destination_arn: 'arn:aws:sqs:us-east-1:1:x' }] }] })),
      { aws_lambda_function_event_invoke_config: { c: { function_name: '${aws_lambda_function.f.function_name}', destination_config: { on_failure: { destination: '${aws_sqs_queue.dlq.arn}' } } } } },
      { aws_lambda_permission: { p: { function_name: '${aws_lambda_function.f.function_name}', principal: 'apigateway.amazonaws.com' } } },
      { aws_lambda_permission: { p: { function_name: 'trib-use1-f', principal: 'cognito-idp.amazonaws.com' } } },
      { aws_lambda_permission: { p: { function_name: '${aws_lambda_function.f.arn}', principal: 'elasticloadbalancing.amazonaws.com' } } },
      { aws_kinesis_firehose_delivery_stream: { s: { extended_s3_configuration: { processing_configuration: { enabled: true, processors: [{ type: 'Lambda', parameters: [{ parameter_name: 'LambdaArn', parameter_value: '${aws_lambda_function.f.arn}:$LATEST' }] }] } } } } },
      { aws_api_gateway_authorizer: { a: { authorizer_uri: '${aws_lambda_function.f.invoke_arn}' } } },
      { aws_apigatewayv2_authorizer: { a: { authorizer_uri: '${aws_lambda_function.f.invoke_arn}' } } },
    ];
    for (const g of good) expect(run(r, stack(merge(fn('f'), g))), JSON.stringify(g)).toEqual([]);
    expect(run(r, stack(fn('f', { dead_letter_config: { target_arn: '${aws_sqs_queue.dlq.arn}' } })))).toEqual([]);
  });

  it('iam-no-wildcard (and its suppression)', () => {
    const r = rule('iam-no-wildcard');
    const policy = (Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
    const bad = stack({
      aws_iam_role_policy: {
        star: { name: 'p', role: 'r', policy: policy([{ Effect: 'Allow', Action: '*', Resource: '${aws_sqs_queue.q.arn}' }]) },
        svc: { name: 'p', role: 'r', policy: policy([{ Effect: 'Allow', Action: ['sqs:*'], Resource: '${aws_sqs_queue.q.arn}' }]) },
        res: { name: 'p', role: 'r', policy: policy([{ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }]) },
      },
      aws_iam_policy: { managed: { name: 'm', policy: policy([{ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' }]) } },
      aws_sqs_queue_policy: { qp: { policy: policy([{ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-1:1:q' }]) } },
      aws_s3_bucket_policy: { bp: { policy: policy([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: '*' }]) } },
      aws_sns_topic_policy: { tp: { policy: policy([{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:*', Resource: 'arn:aws:sns:us-east-1:1:t' }]) } },
      aws_iam_role: { inline: { name: 'r', assume_role_policy: policy([]), inline_policy: [{ name: 'i', policy: policy([{ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::b/*' }]) }] } },
      aws_kms_key: { k: { policy: policy([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'kms:*', Resource: '*' }]) } },
      aws_sns_topic: { unreadable: { policy: '${jsonencode({})}' } },
    });
    const found = run(r, bad);
    expect(found.map((f) => `${f.type}.${f.id}`).sort()).toEqual([
      'aws_iam_policy.managed', 'aws_iam_role.inline', 'aws_iam_role_policy.res', 'aws_iam_role_policy.star', 'aws_iam_role_policy.svc',
      'aws_kms_key.k', 'aws_s3_bucket_policy.bp', 'aws_sns_topic.unreadable', 'aws_sns_topic_policy.tp', 'aws_sqs_queue_policy.qp',
    ]);
    expect(found.every((f) => f.suppressed === undefined)).toBe(true);
    // A KMS key policy's Resource "*" means the key itself: only its action is reported.
    expect(found.find((f) => f.id === 'k')!.message).toMatch(/wildcard actions kms:\*/);
    expect(found.filter((f) => f.id === 'k')).toHaveLength(1);

    // Deny statements (the TLS-only deny with sqs:*) and scoped Allow statements pass.
    const good = stack({
      aws_sqs_queue_policy: {
        qp: { policy: policy([{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '${aws_sqs_queue.q.arn}' }, { ...tlsDeny('${aws_sqs_queue.q.arn}'), Action: 'sqs:*' }]) },
      },
    });
    expect(run(r, good)).toEqual([]);

    // Suppressed with a reason: reported as suppressed, not as a failure.
    const suppressed = stack({
      aws_iam_role_policy: {
        res: {
          '//': { tributary_suppressions: { 'iam-no-wildcard': 'X-Ray PutTraceSegments has no resource-level permissions' } },
          name: 'p', role: 'r', policy: policy([{ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }]),
        },
      },
    });
    const f = run(r, suppressed);
    expect(f).toHaveLength(1);
    expect(f[0].suppressed).toMatch(/X-Ray/);
    expect(failures(f)).toEqual([]);
    // A suppression of another rule does not hide this one.
    const other = structuredClone(suppressed);
    (other.json.resource!.aws_iam_role_policy.res['//'] as { tributary_suppressions: Record<string, string> }).tributary_suppressions = { 'sns-encrypted': 'unrelated reason of some length' };
    expect(failures(run(r, other))).toHaveLength(1);
  });

  it('sqs-visibility-timeout', () => {
    const r = rule('sqs-visibility-timeout');
    const mk = (visibility: number, timeout: number) =>
      stack(merge(fn('f', { timeout }), {
        aws_sqs_queue: { q: { ...queues.q, visibility_timeout_seconds: visibility }, dlq: queues.dlq },
        aws_lambda_event_source_mapping: { m: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: '${aws_lambda_function.f.arn}' } },
      }));
    const bad = run(r, mk(179, 30));
    expect(bad.map((f) => f.id)).toEqual(['q']);
    expect(bad[0].message).toMatch(/needs >= 180s/);
    expect(run(r, mk(180, 30))).toEqual([]);
    // Unset values use AWS defaults: visibility 30 s against a 3 s default timeout is fine, against 10 s is not.
    const defaults = stack({
      aws_sqs_queue: { q: {} },
      aws_lambda_function: { f: { function_name: 'f' }, g: { function_name: 'g', timeout: 10 } },
      aws_lambda_event_source_mapping: { m: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: 'f' }, n: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: 'g' } },
    });
    expect(run(r, defaults).map((f) => f.message)).toEqual([expect.stringMatching(/consumer g/)]);
  });

  it('name-limits', () => {
    const r = rule('name-limits');
    const bad = stack({
      aws_lambda_function: { f: { function_name: 'x'.repeat(65) } },
      aws_iam_role: { r: { name: 'r'.repeat(65) } },
      aws_kinesis_firehose_delivery_stream: { s: { name: 's'.repeat(65) } },
      aws_sqs_queue: { q: { name: 'q'.repeat(81) } },
      aws_sns_topic: { t: { name: 't'.repeat(257) } },
      aws_s3_bucket: { b: { bucket_prefix: 'Upper-Case-' }, c: { bucket_prefix: 'b'.repeat(38) } },
      aws_cloudwatch_log_group: { l: { name: `/aws/lambda/${'l'.repeat(501)}` } },
      aws_cloudwatch_metric_alarm: { a: { alarm_name: 'a'.repeat(256) } },
      aws_glue_catalog_database: { g: { name: 'Has-Dashes' } },
      aws_kinesis_stream: { k: { name: 'k'.repeat(129) } },
      aws_dynamodb_table: { d: { name: 'd'.repeat(256) } },
      aws_cloudwatch_event_bus: { e: { name: 'e'.repeat(257) } },
      aws_cloudwatch_event_rule: { er: { name: 'e'.repeat(65) } },
    });
    expect(run(r, bad).map((f) => `${f.type}.${f.id}`).sort()).toEqual([
      'aws_cloudwatch_event_bus.e', 'aws_cloudwatch_event_rule.er', 'aws_cloudwatch_log_group.l', 'aws_cloudwatch_metric_alarm.a',
      'aws_dynamodb_table.d', 'aws_glue_catalog_database.g', 'aws_iam_role.r', 'aws_kinesis_firehose_delivery_stream.s',
      'aws_kinesis_stream.k', 'aws_lambda_function.f', 'aws_s3_bucket.b', 'aws_s3_bucket.c', 'aws_sns_topic.t', 'aws_sqs_queue.q',
    ]);
    // Names resolved through references count in full; unresolved ones count their literal part.
    const refs = stack({
      aws_lambda_function: { f: { function_name: 'x'.repeat(60) } },
      aws_cloudwatch_metric_alarm: { a: { alarm_name: `${'y'.repeat(250)}-\${aws_lambda_function.f.function_name}` }, b: { alarm_name: `\${aws_sqs_queue.q.name}-${'z'.repeat(256)}` } },
    });
    expect(run(r, refs).map((f) => f.id).sort()).toEqual(['a', 'b']);
    expect(run(r, stack({ aws_lambda_function: { f: { function_name: 'x'.repeat(64) } }, aws_s3_bucket: { b: { bucket_prefix: 'b'.repeat(37) } } }))).toEqual([]);
  });

  it('provider-region', () => {
    const r = rule('provider-region');
    expect(run(r, stack({}, 'ams-sp-traffic-eu'))[0].message).toMatch(/must be in eu-west-1/);
    expect(run(r, stack({}, 'clickstream-us-west-2'))[0].message).toMatch(/must be in us-west-2/);
    expect(run(r, stack({}, 'x-us-east-1', { aws: [{ region: 'us-east-1' }, { region: 'us-west-2', alias: 'west' }] }))[0].message).toMatch(/2 aws providers/);
    expect(run(r, stack({}, 'x-us-east-1', {}))[0].message).toMatch(/0 aws providers/);
    expect(run(r, stack({}, 'unnamed'))[0].message).toMatch(/cannot tell the region/);
    expect(run(r, stack({}, 'ams-sp-traffic-na'))).toEqual([]);
    expect(run(r, stack({}, 'clickstream-eu-west-1', { aws: [{ region: 'eu-west-1' }] }))).toEqual([]);
  });

  it('sns-encrypted, dynamodb-pitr-sse, kinesis-encrypted, log-group-retention', () => {
    const bad = stack({
      aws_sns_topic: { t: { name: 't' } },
      aws_dynamodb_table: { nopitr: { server_side_encryption: { enabled: true } }, nosse: { point_in_time_recovery: { enabled: true } } },
      aws_kinesis_stream: { k: { name: 'k' }, half: { encryption_type: 'KMS' } },
      aws_cloudwatch_log_group: { l: { name: 'l' }, zero: { name: 'z', retention_in_days: 0 } },
    });
    expect(run(rule('sns-encrypted'), bad).map((f) => f.id)).toEqual(['t']);
    expect(run(rule('dynamodb-pitr-sse'), bad).map((f) => f.id)).toEqual(['nopitr', 'nosse']);
    expect(run(rule('kinesis-encrypted'), bad).map((f) => f.id)).toEqual(['k', 'half']);
    expect(run(rule('log-group-retention'), bad).map((f) => f.id)).toEqual(['l', 'zero']);
    const good = stack({
      aws_sns_topic: { t: { name: 't', kms_master_key_id: 'alias/aws/sns' } },
      aws_dynamodb_table: { d: { point_in_time_recovery: [{ enabled: true }], server_side_encryption: { enabled: true } } },
      aws_kinesis_stream: { k: { encryption_type: 'KMS', kms_key_id: 'alias/aws/kinesis' } },
      aws_cloudwatch_log_group: { l: { name: 'l', retention_in_days: 30 } },
    });
    for (const id of ['sns-encrypted', 'dynamodb-pitr-sse', 'kinesis-encrypted', 'log-group-retention']) expect(run(rule(id), good), id).toEqual([]);
  });

  it('every rule has a kebab-case id, a description and a test above', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.description.length).toBeGreaterThan(20);
    }
    const source = readFileSync(fromRoot('__tests__', 'policy.test.ts'), 'utf8');
    for (const id of ids) expect(source, `focused test for ${id}`).toContain(`'${id}'`);
  });
});

function assertClean(stacks: SynthStack[]): Finding[] {
  const findings = checkAll(stacks);
  const failed = failures(findings);
  expect(failed, formatFindings(failed)).toEqual([]);
  for (const f of findings) expect(f.suppressed!.length, `${f.ruleId} suppression reason`).toBeGreaterThanOrEqual(20);
  return findings;
}

describe('every synthesized stack of the default config passes', () => {
  let synth: ReturnType<typeof synthConfig>;
  beforeAll(() => {
    synth = synthConfig(loadConfig(fromRoot('config', 'default.json')));
  });
  afterAll(() => synth?.cleanup());

  it('synthesizes 69 AMS stacks with zero unsuppressed findings', () => {
    expect(synth.stacks).toHaveLength(69);
    const findings = assertClean(synth.stacks);
    // The one known suppression: each stack's alerts topic (CloudWatch alarms cannot use the AWS managed SNS key).
    expect(new Set(findings.map((f) => f.ruleId))).toEqual(new Set(['sns-encrypted']));
  });
});

describe('every synthesized stack of the full example config passes', () => {
  let synth: ReturnType<typeof synthConfig>;
  beforeAll(() => {
    const raw = JSON.parse(readFileSync(fromRoot('config', 'examples', 'full.json'), 'utf8'));
    synth = synthConfig(parseConfig(raw));
  });
  afterAll(() => synth?.cleanup());

  it('has zero unsuppressed findings', () => {
    expect(synth.stacks.length).toBeGreaterThan(0);
    assertClean(synth.stacks);
  });
});
