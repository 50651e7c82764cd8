/**
 * The pure parts of the emulated-apply tier (scripts/emulate-lib.ts) and the checkov skips reader
 * (policy/checkov-skips.ts).
 *
 * Contracts (upstream):
 * - `terraform show -json <plan>`: Terraform's "JSON Output Format" (resource_changes[].change.actions/before/after/
 *   after_unknown). Fixture: __tests__/fixtures/emulate/second-plan-clickstream.json, four resource changes cut from
 *   a real second plan of clickstream-us-east-1 against moto (terraform 1.11, hashicorp/aws 5.100.0).
 * - terraform's diagnostics and progress lines (-no-color): apply-error.txt is real output of an apply against moto
 *   (AttachRolePolicy on a role that does not exist); apply-progress-cut.txt is a real apply log cut while three
 *   resources were still being created.
 * - hashicorp/aws 5.x provider `endpoints` keys and `s3_use_path_style` (provider docs; the override is checked
 *   by `terraform validate` in the tier itself).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMULATOR_DRIFT,
  EMULATOR_GAPS,
  emulatorOverride,
  ENDPOINT_SERVICES,
  planChanges,
  prepareConfig,
  refersTo,
  terraformErrors,
  unfinishedResources,
  withoutDeletionProtection,
  type TfConfig,
} from '../../scripts/emulate-lib.js';
import { loadCheckovSkips, matchCheckovSkip } from '../../policy/checkov-skips.js';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'emulate', name), 'utf8');

describe('prepareConfig: the one list of emulator gaps', () => {
  const config: TfConfig = {
    provider: { aws: [{ region: 'us-east-1' }] },
    resource: {
      aws_sqs_queue: { dlq: { name: 'q-dlq' }, queue: { name: 'q', redrive_policy: '${jsonencode({deadLetterTargetArn = aws_sqs_queue.dlq.arn})}' } },
      aws_sqs_queue_redrive_allow_policy: { allow: { queue_url: '${aws_sqs_queue.dlq.url}' } },
      aws_cloudwatch_event_bus: { partner: { name: 'aws.partner/x/y', event_source_name: 'aws.partner/x/y' }, own: { name: 'own-bus' } },
      aws_cloudwatch_event_rule: { rule: { event_bus_name: '${aws_cloudwatch_event_bus.partner.name}' }, rule2: { event_bus_name: '${aws_cloudwatch_event_bus.own.name}' } },
      aws_appautoscaling_target: { scaling: { resource_id: 'service/c/s' } },
      aws_appautoscaling_policy: { cpu: { resource_id: '${aws_appautoscaling_target.scaling.resource_id}' } },
      aws_cloudwatch_metric_alarm: { alarm: { depends_on: ['aws_appautoscaling_policy.cpu'] }, other: { alarm_name: 'x' } },
      aws_athena_named_query: { q: { query: 'SELECT 1' } },
      aws_api_gateway_account: { acct: { reset_on_delete: true } },
      aws_lb_listener: {
        https: { protocol: 'HTTPS', certificate_arn: 'arn:aws:acm:us-east-1:123456789012:certificate/user-brings-this' },
        http: { protocol: 'HTTP', port: 80 },
      },
    },
    output: { policy: { value: '${aws_appautoscaling_policy.cpu.arn}' }, bus: { value: '${aws_cloudwatch_event_bus.partner.name}' }, queue: { value: '${aws_sqs_queue.queue.url}' } },
  };
  const motoCert = 'arn:aws:acm:us-east-1:123456789012:certificate/issued-by-moto';
  const prepared = prepareConfig(config, { suffix: 'ab12cd34', certificateArn: motoCert });

  it('leaves out an omitted gap and everything that refers to it, transitively, and says why for each', () => {
    expect(prepared.omitted.map((o) => o.address).sort()).toEqual([
      'aws_appautoscaling_policy.cpu',
      'aws_appautoscaling_target.scaling',
      'aws_cloudwatch_metric_alarm.alarm',
      'aws_sqs_queue_redrive_allow_policy.allow',
    ]);
    expect(prepared.omitted.find((o) => o.address === 'aws_cloudwatch_metric_alarm.alarm')!.because).toBe('aws_appautoscaling_policy.cpu');
    for (const o of prepared.omitted) expect(o.reason.length).toBeGreaterThan(20);
    expect(prepared.omittedOutputs).toEqual(['policy']);
  });

  it('keeps what the emulator handles, including the resources a gap refers to', () => {
    const r = prepared.config.resource!;
    expect(Object.keys(r.aws_cloudwatch_metric_alarm)).toEqual(['other']);
    expect(Object.keys(r.aws_sqs_queue).sort()).toEqual(['dlq', 'queue']);
    expect(r.aws_sqs_queue_redrive_allow_policy).toBeUndefined();
    expect(Object.keys(prepared.config.output!)).toEqual(['bus', 'queue']);
    expect(config.resource!.aws_appautoscaling_target.scaling).toBeDefined(); // the input is not modified
  });

  it('applies a partner bus as a custom bus (reported), so its rules stay', () => {
    const r = prepared.config.resource!;
    expect(r.aws_cloudwatch_event_bus.partner).toEqual({ name: 'emulated-partner-ab12cd34' });
    expect(Object.keys(r.aws_cloudwatch_event_rule).sort()).toEqual(['rule', 'rule2']);
    expect(prepared.substituted.map((x) => x.address).sort()).toEqual(['aws_cloudwatch_event_bus.partner', 'aws_lb_listener.https']);
    expect(prepared.substituted[0].reason).toMatch(/partner event source/);
    expect(config.resource!.aws_cloudwatch_event_bus.partner.event_source_name).toBe('aws.partner/x/y');
  });

  it('applies an HTTPS listener with a certificate moto issued instead of the one the user brings (reported)', () => {
    expect(prepared.config.resource!.aws_lb_listener.https.certificate_arn).toBe(motoCert);
    expect(prepared.config.resource!.aws_lb_listener.http).toEqual({ protocol: 'HTTP', port: 80 });
    expect(prepared.substituted.find((x) => x.address === 'aws_lb_listener.https')!.reason).toMatch(/CertificateNotFound/);
  });

  it('applies the forget-before-destroy gaps and lists them for removal from the state', () => {
    expect(prepared.forget.map((f) => f.address).sort()).toEqual(['aws_api_gateway_account.acct', 'aws_athena_named_query.q']);
    expect(prepared.config.resource!.aws_athena_named_query.q).toBeDefined();
  });

  it('an API Gateway account without reset_on_delete is no gap', () => {
    expect(prepareConfig({ resource: { aws_api_gateway_account: { a: { cloudwatch_role_arn: 'x' } } } }).forget).toEqual([]);
  });

  it('matches whole addresses only (a logical id that extends another is not a reference)', () => {
    expect(refersTo({ x: '${aws_sqs_queue.dlq.arn}' }, 'aws_sqs_queue.dlq')).toBe(true);
    expect(refersTo({ depends_on: ['aws_sqs_queue.dlq'] }, 'aws_sqs_queue.dlq')).toBe(true);
    expect(refersTo({ x: '${aws_sqs_queue.dlq-2.arn}' }, 'aws_sqs_queue.dlq')).toBe(false);
    expect(refersTo({ x: '${aws_sqs_queue.dlq_policy.arn}' }, 'aws_sqs_queue.dlq')).toBe(false);
  });

  it('every gap and drift entry has a reason, and each type is listed once per condition', () => {
    for (const g of EMULATOR_GAPS) expect(g.reason.length).toBeGreaterThan(30);
    for (const d of EMULATOR_DRIFT) expect(d.reason.length).toBeGreaterThan(20);
    const keys = EMULATOR_GAPS.map((g) => `${g.type}/${g.condition ?? ''}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('withoutDeletionProtection (before destroy, as a user would)', () => {
  it('turns off the protection that is on, names those resources, and leaves the input alone', () => {
    const config: TfConfig = {
      resource: {
        aws_dynamodb_table: { tokens: { name: 't', deletion_protection_enabled: true }, events: { name: 'e' } },
        aws_cognito_user_pool: { pool: { name: 'p', deletion_protection: 'ACTIVE' } },
      },
    };
    const r = withoutDeletionProtection(config);
    expect(r.addresses.sort()).toEqual(['aws_cognito_user_pool.pool', 'aws_dynamodb_table.tokens']);
    expect(r.config.resource!.aws_dynamodb_table.tokens.deletion_protection_enabled).toBe(false);
    expect(r.config.resource!.aws_cognito_user_pool.pool.deletion_protection).toBe('INACTIVE');
    expect(r.config.resource!.aws_dynamodb_table.events).toEqual({ name: 'e' });
    expect(config.resource!.aws_dynamodb_table.tokens.deletion_protection_enabled).toBe(true);
  });
});

describe('emulatorOverride', () => {
  it('points every provider block (by alias) at the emulator with dummy credentials, path-style S3 and a local backend', () => {
    const o = emulatorOverride({ provider: { aws: [{ region: 'eu-west-1' }, { region: 'us-east-1', alias: 'use1' }] } }, 'http://127.0.0.1:5555') as {
      terraform: { backend: { local: { path: string } } };
      provider: { aws: Record<string, unknown>[] };
    };
    expect(o.terraform.backend.local.path).toBe('emulated.tfstate');
    expect(o.provider.aws).toHaveLength(2);
    expect(o.provider.aws[1].alias).toBe('use1');
    for (const p of o.provider.aws) {
      expect(p).toMatchObject({ s3_use_path_style: true, skip_metadata_api_check: true });
      const endpoints = (p.endpoints as Record<string, string>[])[0];
      expect(Object.keys(endpoints).sort()).toEqual([...ENDPOINT_SERVICES].sort());
      expect(new Set(Object.values(endpoints))).toEqual(new Set(['http://127.0.0.1:5555']));
    }
  });
});

describe('planChanges (terraform show -json of a second plan)', () => {
  const changes = planChanges(JSON.parse(fixture('second-plan-clickstream.json')));

  it('lists each changed resource with the attributes it changes, and no no-op', () => {
    expect(changes.map((c) => c.address)).toEqual(['aws_kinesis_stream.stream_AED765E9', 'aws_lambda_function.ingest_fn_C97B447E', 'aws_sns_topic.alerts_topic_3313844B']);
    expect(changes.find((c) => c.type === 'aws_sns_topic')!.attributes).toEqual(['tags', 'tags_all']);
    expect(changes.find((c) => c.type === 'aws_lambda_function')!.attributes).toEqual(['logging_config']);
  });

  it('marks moto-side drift as known and leaves a real change (the shared alerts topic) unexplained', () => {
    expect(changes.find((c) => c.type === 'aws_lambda_function')!.knownDrift).toMatch(/LoggingConfig/);
    expect(changes.find((c) => c.type === 'aws_kinesis_stream')!.knownDrift).toMatch(/tags/);
    expect(changes.find((c) => c.type === 'aws_sns_topic')!.knownDrift).toBeUndefined();
  });

  it('a replacement is never known drift', () => {
    const plan = { resource_changes: [{ address: 'aws_lambda_function.f', type: 'aws_lambda_function', change: { actions: ['delete', 'create'], before: { logging_config: [] }, after: { logging_config: [{}] } } }] };
    expect(planChanges(plan)[0].knownDrift).toBeUndefined();
  });
});

describe('terraform output readers', () => {
  it('terraformErrors: the message and the resource address of each diagnostic', () => {
    const errors = terraformErrors(fixture('apply-error.txt'));
    expect(errors).toHaveLength(1);
    expect(errors[0].address).toBe('aws_iam_role_policy_attachment.missing-role');
    expect(errors[0].message).toMatch(/^attaching IAM Policy .* NoSuchEntity: Role no-such-role-xyz not found$/);
  });

  it('unfinishedResources: what was still being created when the output stops (a hang)', () => {
    expect(unfinishedResources(fixture('apply-progress-cut.txt')).sort()).toEqual([
      'aws_s3_bucket_lifecycle_configuration.data_lifecycle_BB7F186C',
      'aws_sqs_queue.confirmations_dlq_08D259F4',
      'aws_sqs_queue.delivery-failures_dlq_926B0527',
    ]);
  });
});

describe('policy/checkov-skips.json', () => {
  const skips = loadCheckovSkips();

  it('every entry names a checkov id, a resource pattern and a reason', () => {
    expect(skips.length).toBeGreaterThan(0);
    for (const s of skips) {
      expect(s.check).toMatch(/^CKV2?_AWS_\d+$/);
      expect(s.reason.length).toBeGreaterThan(40);
    }
  });

  it('matches check id, resource pattern and stack pattern together', () => {
    expect(matchCheckovSkip(skips, 'CKV_AWS_18', 'ams-sp-traffic-na', 'aws_s3_bucket.data_bucket_F0368B94')).toBeDefined();
    expect(matchCheckovSkip(skips, 'CKV_AWS_18', 'ams-sp-traffic-na', 'aws_s3_bucket.other')).toBeUndefined();
    expect(matchCheckovSkip(skips, 'CKV_AWS_150', 'buy-with-prime-us-east-1', 'aws_lb.fargate_alb_87067498')).toBeDefined();
    expect(matchCheckovSkip(skips, 'CKV_AWS_150', 'clickstream-us-east-1', 'aws_lb.fargate_alb_87067498')).toBeUndefined();
    expect(matchCheckovSkip(skips, 'CKV_AWS_999', 'ams-sp-traffic-na', 'aws_s3_bucket.data_bucket_F0368B94')).toBeUndefined();
  });

  it('refuses an entry without a reason', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'skips-')), 'skips.json');
    writeFileSync(file, JSON.stringify({ skips: [{ check: 'CKV_AWS_18', resource: 'aws_s3_bucket.*', reason: 'no' }] }));
    expect(() => loadCheckovSkips(file)).toThrow(/skips\[0\]: "reason"/);
  });
});
