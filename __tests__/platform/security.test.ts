/**
 * Security controls of issue 16 over synthesized stacks (the full and Fargate example configs, and one AMS stack per
 * delivery variant). The contracts come from AWS's confused-deputy guidance (IAM User Guide, "The confused deputy
 * problem", and each service's page named in modules/iam.ts SERVICE_GUIDANCE): a role a service assumes, and a
 * resource policy that lets a service act on our resource, carry aws:SourceAccount (and aws:SourceArn where the
 * source is known), without data.aws_caller_identity (the offline plan must keep working).
 */
import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, loadConfig } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';

type Statement = Record<string, any>;
const statementsOf = (doc: unknown): Statement[] => {
  const s = (JSON.parse(String(doc)) as { Statement: Statement | Statement[] }).Statement;
  return Array.isArray(s) ? s : [s];
};
const servicesOf = (s: Statement): string[] => {
  const svc = s.Principal?.Service;
  return svc === undefined ? [] : Array.isArray(svc) ? svc : [svc];
};
/** The value of `key` under any operator of a statement's Condition (StringEquals, ...IfExists, ArnLike, ...). */
const conditionValue = (s: Statement, key: string): unknown => {
  for (const block of Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
    if (key in block) return block[key];
  }
  return undefined;
};

const RESOURCE_POLICIES: Record<string, string> = {
  aws_sqs_queue_policy: 'policy',
  aws_sns_topic_policy: 'policy',
  aws_s3_bucket_policy: 'policy',
  aws_kms_key_policy: 'policy',
};

let stacks: SynthStack[] = [];
const cleanups: (() => void)[] = [];

beforeAll(() => {
  for (const config of [
    loadConfig(fromRoot('config', 'examples', 'full.json')),
    loadConfig(fromRoot('config', 'examples', 'fargate.json')),
    configWith({ ams: { delivery: 'sqs', regions: ['NA'], datasets: ['sp-traffic'] } }),
  ]) {
    const s = synthConfig(config);
    cleanups.push(s.cleanup);
    stacks.push(...s.stacks.map((st) => ({ ...st, name: `${config.prefix}/${st.name}` })));
  }
});
afterAll(() => cleanups.forEach((c) => c()));

const byName = (part: string) => {
  const st = stacks.find((s) => s.name.includes(part));
  if (!st) throw new Error(`no stack ${part} among ${stacks.map((s) => s.name).join(', ')}`);
  return st;
};
/** The trust statement for `service` of the role whose logical id contains `idPart`. */
const trustOf = (stack: SynthStack, idPart: string, service: string): Statement => {
  const roles = Object.entries(resources(stack, 'aws_iam_role')).filter(([id]) => id.includes(idPart));
  expect(roles, `${stack.name}: role *${idPart}*`).toHaveLength(1);
  const st = statementsOf(roles[0][1].assume_role_policy).find((s) => servicesOf(s).includes(service));
  expect(st, `${stack.name}: trust of ${service}`).toBeDefined();
  return st!;
};

describe('confused deputy (issue 16 item 1)', () => {
  it('every role a service other than Lambda assumes conditions aws:SourceAccount on our account', () => {
    let checked = 0;
    for (const stack of stacks) {
      for (const [id, role] of Object.entries(resources(stack, 'aws_iam_role'))) {
        for (const s of statementsOf(role.assume_role_policy)) {
          const services = servicesOf(s);
          if (!services.length || services.includes('lambda.amazonaws.com')) continue;
          checked++;
          const account = conditionValue(s, 'aws:SourceAccount');
          expect(account, `${stack.name} ${id} trusts ${services.join(',')} without aws:SourceAccount`).toBeDefined();
          expect(JSON.stringify(account), `${stack.name} ${id}`).toContain('${local.account_id}');
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('Lambda execution roles stay unconditioned (Lambda documents no key for assuming them)', () => {
    const st = trustOf(byName('clickstream-us-east-1'), 'ingest_role', 'lambda.amazonaws.com');
    expect(st.Condition).toBeUndefined();
  });

  it('every resource-policy statement for a service principal conditions the source account or a source in a fixed account', () => {
    let checked = 0;
    for (const stack of stacks) {
      for (const [type, attr] of Object.entries(RESOURCE_POLICIES)) {
        for (const [id, body] of Object.entries(resources(stack, type))) {
          for (const s of statementsOf(body[attr])) {
            if (s.Effect !== 'Allow' || !servicesOf(s).length) continue;
            checked++;
            const account = conditionValue(s, 'aws:SourceAccount');
            if (account !== undefined) continue;
            // Amazon's publisher topics (AMS ingress): the source ARN pattern names Amazon's account.
            const arn = conditionValue(s, 'aws:SourceArn');
            expect(String(arn), `${stack.name} ${type}.${id} ${s.Sid}: no aws:SourceAccount`).toMatch(/^arn:aws:sns:[a-z0-9-]+:\d{12}:/);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('the alerts topic accepts CloudWatch alarms of this account and region only', () => {
    for (const stack of stacks) {
      const policies = Object.entries(resources(stack, 'aws_sns_topic_policy')).filter(([id]) => id.startsWith('alerts_'));
      expect(policies, stack.name).toHaveLength(1);
      const st = statementsOf(policies[0][1].policy).find((s) => s.Sid === 'CloudWatchAlarmsPublish')!;
      expect(st.Condition, stack.name).toEqual({
        StringEquals: { 'aws:SourceAccount': '${local.account_id}' },
        ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:\$\{local\.partition\}:cloudwatch:[a-z0-9-]+:\$\{local\.account_id\}:alarm:\*$/) },
      });
    }
  });

  it('takes the account id from the alerts topic ARN, never from data.aws_caller_identity', () => {
    for (const stack of stacks) {
      expect(stack.json.data?.aws_caller_identity, stack.name).toBeUndefined();
      const locals = stack.json.locals as Record<string, string>;
      expect(locals.account_id, stack.name).toMatch(/^\$\{element\(split\(":", aws_sns_topic\.alerts_topic_[A-Za-z0-9]+\.arn\), 4\)\}$/);
    }
  });

  it('Firehose roles: sts:ExternalId = account (Firehose docs), source account and the delivery stream ARN', () => {
    const st = trustOf(byName('ams-sp-traffic-na'), 'firehose_role', 'firehose.amazonaws.com');
    expect(st.Condition).toEqual({
      StringEquals: { 'sts:ExternalId': '${local.account_id}' },
      StringEqualsIfExists: { 'aws:SourceAccount': '${local.account_id}' },
      ArnEqualsIfExists: { 'aws:SourceArn': expect.stringMatching(/:firehose:us-east-1:\$\{local\.account_id\}:deliverystream\/[a-z0-9-]+sp-traffic$/) },
    });
  });

  it('the SNS -> Firehose subscription role (AMS sqs variant) is conditioned on our data topic', () => {
    const stack = byName('trib/ams-sp-traffic-na');
    const st = trustOf(stack, 'sns-firehose-role', 'sns.amazonaws.com');
    expect(conditionValue(st, 'aws:SourceArn')).toBe('${aws_sns_topic.data-topic.arn}');
    expect(conditionValue(st, 'aws:SourceAccount')).toBe('${local.account_id}');
  });

  it('the AMS firehose variant keeps the publisher and our account as SNS sources', () => {
    const st = trustOf(byName('tribx/ams-sp-traffic-na'), 'subscription-role', 'sns.amazonaws.com');
    expect(st.Condition).toEqual({ StringEqualsIfExists: { 'aws:SourceAccount': [expect.stringMatching(/^\d{12}$/), '${local.account_id}'] } });
  });

  it('VPC flow logs and ECS task roles carry the documented source ARNs', () => {
    const stack = byName('tribf/buy-with-prime');
    const flow = trustOf(stack, 'flow-logs-role', 'vpc-flow-logs.amazonaws.com');
    expect(flow.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '${local.account_id}' },
      ArnLike: { 'aws:SourceArn': 'arn:${local.partition}:ec2:us-east-1:${local.account_id}:vpc-flow-log/*' },
    });
    const task = trustOf(stack, 'task-role', 'ecs-tasks.amazonaws.com');
    expect(task.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '${local.account_id}' },
      ArnLike: { 'aws:SourceArn': 'arn:${local.partition}:ecs:us-east-1:${local.account_id}:*' },
    });
    const exec = trustOf(stack, 'execution-role', 'ecs-tasks.amazonaws.com');
    expect(exec.Condition).toEqual({
      StringEqualsIfExists: { 'aws:SourceAccount': '${local.account_id}' },
      ArnLikeIfExists: { 'aws:SourceArn': 'arn:${local.partition}:ecs:us-east-1:${local.account_id}:*' },
    });
  });

  it('EventBridge may write to the Buy with Prime queues for its own rules in our account only', () => {
    const stack = byName('tribx/buy-with-prime');
    const policies = Object.values(resources(stack, 'aws_sqs_queue_policy'));
    const st = policies.flatMap((p) => statementsOf(p.policy)).filter((s) => servicesOf(s).includes('events.amazonaws.com'));
    expect(st).toHaveLength(2);
    for (const s of st) {
      expect(conditionValue(s, 'aws:SourceAccount')).toBe('${local.account_id}');
      expect(s.Condition.ArnEquals['aws:SourceArn']).toHaveLength(8);
    }
  });
});

describe('one place for service-principal IAM documents (issue 16 item 1)', () => {
  it('no stack or module writes a service-principal statement or trust policy by hand (modules/iam.ts builds them)', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const files = (dir: string): string[] =>
      readdirSync(fromRoot(dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const found: string[] = [];
    for (const file of [...files('stacks'), ...files('modules')]) {
      if (file === join('modules', 'iam.ts')) continue;
      readFileSync(fromRoot(file), 'utf8').split('\n').forEach((line, i) => {
        if (/Principal: \{ Service:|assumeRolePolicy: (JSON\.stringify|assumeRole)/.test(line) && !line.includes('AMS-INGRESS-AS-AMAZON-DOCUMENTS')) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});

describe('controls with their defaults (issue 16 item 5)', () => {
  it('every Lambda function traces actively, with the X-Ray write actions in a separate suppressed policy', () => {
    let fns = 0;
    for (const stack of stacks) {
      const policies = resources(stack, 'aws_iam_role_policy');
      for (const [id, fn] of Object.entries(resources(stack, 'aws_lambda_function'))) {
        fns++;
        expect(fn.tracing_config, `${stack.name} ${id}`).toEqual({ mode: 'Active' });
        const tracing = Object.entries(policies).find(([pid]) => pid.startsWith(id.replace(/_fn_[A-Z0-9]+$/, '_tracing-policy')));
        expect(tracing, `${stack.name} ${id} tracing policy`).toBeDefined();
        expect(statementsOf(tracing![1].policy)).toEqual([{ Effect: 'Allow', Sid: 'WriteTraces', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }]);
        expect((tracing![1]['//'] as any).tributary_suppressions['iam-no-wildcard']).toMatch(/no resource-level permissions/);
        expect(fn.depends_on).toContain(`aws_iam_role_policy.${tracing![0]}`);
      }
    }
    expect(fns).toBeGreaterThan(10);
  });

  it('the public entry points have reserved concurrency: clickstream ingest 100, client events authorizer 50, install app 20', () => {
    const fn = (stackPart: string, idPart: string) => {
      const hits = Object.entries(resources(byName(stackPart), 'aws_lambda_function')).filter(([id]) => id.startsWith(idPart));
      expect(hits, `${stackPart} ${idPart}`).toHaveLength(1);
      return hits[0][1];
    };
    expect(fn('clickstream-us-east-1', 'ingest_fn').reserved_concurrent_executions).toBe(100);
    expect(fn('client-events-us-east-1', 'authorizer_fn').reserved_concurrent_executions).toBe(50);
    expect(fn('tribx/buy-with-prime', 'oauth_fn').reserved_concurrent_executions).toBe(20);
    // Internal consumers keep the account pool.
    expect(fn('clickstream-us-east-1', 'process_fn').reserved_concurrent_executions).toBeUndefined();
  });

  it('stateful tables are deletion protected (the token table keeps its own key)', () => {
    expect(Object.values(resources(byName('clickstream-us-east-1'), 'aws_dynamodb_table')).map((t) => t.deletion_protection_enabled)).toEqual([true]);
    const bwp = resources(byName('tribx/buy-with-prime'), 'aws_dynamodb_table');
    expect(Object.values(bwp).find((t) => String(t.name).endsWith('bwp-events'))!.deletion_protection_enabled).toBe(true);
    // full.json sets buyWithPrime.tokensTableDeletionProtection false.
    expect(Object.values(bwp).find((t) => String(t.name).endsWith('bwp-tokens'))!.deletion_protection_enabled).toBe(false);
  });

  it('bucket versioning, access logging and log-group KMS are off by default (they cost per stack)', () => {
    for (const stack of stacks) {
      expect(resources(stack, 'aws_s3_bucket_versioning'), stack.name).toEqual({});
      expect(resources(stack, 'aws_s3_bucket_logging'), stack.name).toEqual({});
      for (const lg of Object.values(resources(stack, 'aws_cloudwatch_log_group'))) expect(lg.kms_key_id, stack.name).toBeUndefined();
    }
  });
});

describe('controls switched (issue 16 items 3 and 5)', () => {
  let on: SynthStack[] = [];
  let off: SynthStack[] = [];
  beforeAll(() => {
    const controls = { lambdaTracing: false, tableDeletionProtection: false, bucketVersioning: true, bucketAccessLogging: true, logGroupKms: true };
    const a = synthConfig(configWith({ ams: { enabled: false }, clickstream: { enabled: true, ingestReservedConcurrency: 0 }, clientEvents: { enabled: true }, controls }));
    const b = synthConfig(configWith({ ams: { enabled: false }, clickstream: { enabled: true } }));
    cleanups.push(a.cleanup, b.cleanup);
    on = a.stacks;
    off = b.stacks;
  });

  it('turn tracing, reserved concurrency and table deletion protection off', () => {
    const stack = on.find((s) => s.name.startsWith('clickstream'))!;
    for (const fn of Object.values(resources(stack, 'aws_lambda_function'))) {
      expect(fn.tracing_config).toBeUndefined();
      expect(fn.reserved_concurrent_executions).toBeUndefined();
    }
    expect(Object.keys(resources(stack, 'aws_iam_role_policy')).filter((id) => id.includes('tracing'))).toEqual([]);
    expect(Object.values(resources(stack, 'aws_dynamodb_table')).map((t) => t.deletion_protection_enabled)).toEqual([false]);
  });

  it('versioning and access logs on every data bucket, into one log bucket per stack that only our buckets may write', () => {
    const stack = on.find((s) => s.name.startsWith('client-events'))!;
    const buckets = resources(stack, 'aws_s3_bucket');
    const logBucketId = Object.keys(buckets).find((id) => id.startsWith('access-logs_'))!;
    expect(logBucketId).toBeDefined();
    const dataIds = Object.keys(buckets).filter((id) => id !== logBucketId);
    expect(dataIds.length).toBeGreaterThan(0);
    const logging = Object.values(resources(stack, 'aws_s3_bucket_logging'));
    expect(logging).toHaveLength(dataIds.length);
    for (const l of logging) expect(l.target_bucket).toBe(`\${aws_s3_bucket.${logBucketId}.bucket}`);
    expect(Object.values(resources(stack, 'aws_s3_bucket_versioning'))).toHaveLength(dataIds.length);
    const policy = Object.entries(resources(stack, 'aws_s3_bucket_policy')).find(([id]) => id.startsWith('access-logs_'))![1];
    const allow = statementsOf(policy.policy).find((s) => s.Sid === 'S3ServerAccessLogs')!;
    expect(allow).toMatchObject({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: `\${aws_s3_bucket.${logBucketId}.arn}/*` });
    expect(allow.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '${local.account_id}' },
      ArnLike: { 'aws:SourceArn': 'arn:${local.partition}:s3:::trib-use1-*' },
    });
    const lifecycle = Object.entries(resources(stack, 'aws_s3_bucket_lifecycle_configuration')).find(([id]) => id.startsWith('access-logs_'))![1];
    expect(JSON.stringify(lifecycle.rule)).toContain('"days":90');
  });

  it('log-group KMS: one key per stack, rotation on, an explicit key policy, set on every log group', () => {
    const stack = on.find((s) => s.name.startsWith('clickstream'))!;
    const [keyId, key] = Object.entries(resources(stack, 'aws_kms_key'))[0];
    expect(key.enable_key_rotation).toBe(true);
    const [policy] = Object.values(resources(stack, 'aws_kms_key_policy'));
    expect(policy.key_id).toBe(`\${aws_kms_key.${keyId}.key_id}`);
    const [admin, logs] = statementsOf(policy.policy);
    expect(admin.Principal.AWS).toBe('arn:${local.partition}:iam::${local.account_id}:root');
    expect(admin.Action.some((a: string) => /Decrypt|Encrypt|GenerateDataKey/.test(a))).toBe(false);
    expect(logs.Principal).toEqual({ Service: 'logs.us-east-1.amazonaws.com' });
    expect(logs.Condition).toEqual({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:${local.partition}:logs:us-east-1:${local.account_id}:log-group:*' },
      StringEqualsIfExists: { 'aws:SourceAccount': '${local.account_id}' },
    });
    const groups = Object.values(resources(stack, 'aws_cloudwatch_log_group'));
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const g of groups) {
      expect(g.kms_key_id).toBe(`\${aws_kms_key.${keyId}.arn}`);
      expect(g.depends_on).toContain('aws_kms_key_policy.logs-key-policy');
    }
  });

  it('the same stack with the defaults adds none of it (additions only when switched on)', () => {
    const [stack] = off;
    expect(resources(stack, 'aws_kms_key')).toEqual({});
    expect(Object.keys(resources(stack, 'aws_s3_bucket')).filter((id) => id.startsWith('access-logs_'))).toEqual([]);
    const onIds = new Set(Object.entries(on.find((s) => s.name.startsWith('clickstream'))!.json.resource!).flatMap(([t, r]) => Object.keys(r).map((id) => `${t}.${id}`)));
    const offIds = Object.entries(stack.json.resource!).flatMap(([t, r]) => Object.keys(r).map((id) => `${t}.${id}`));
    // Every resource of the default stack is still there (same address) with the controls switched, except the
    // tracing policies tracing off removes.
    expect(offIds.filter((a) => !onIds.has(a) && !a.includes('tracing-policy'))).toEqual([]);
  });
});

describe('client events sign-up, MFA, threat protection and WAF (issue 16 item 2)', () => {
  const pool = (stack: SynthStack) => Object.values(resources(stack, 'aws_cognito_user_pool'))[0];
  const ZENDESK = { enabled: true, ticketsEndpoint: 'https://example.zendesk.com/api/v2/tickets.json', secretName: 'tributary/zendesk' };

  it('with Zendesk on (full example), self sign-up is off by default; MFA optional (TOTP); threat protection off', () => {
    const p = pool(byName('client-events-us-east-1'));
    expect(p.admin_create_user_config).toEqual({ allow_admin_create_user_only: true });
    expect(p.mfa_configuration).toBe('OPTIONAL');
    expect(p.software_token_mfa_configuration).toEqual({ enabled: true });
    expect(p.user_pool_add_ons).toEqual({ advanced_security_mode: 'OFF' });
  });

  it('refuses self sign-up with Zendesk unless explicitly allowed, and threat protection below the Plus tier', () => {
    expect(() => configWith({ ams: { enabled: false }, clientEvents: { enabled: true, selfSignUp: true, zendesk: ZENDESK } })).toThrow(
      /clientEvents\.selfSignUp.*zendesk\.allowSelfSignUp/s,
    );
    expect(() => configWith({ ams: { enabled: false }, clientEvents: { enabled: true, selfSignUp: true, zendesk: { ...ZENDESK, allowSelfSignUp: true } } })).not.toThrow();
    expect(() => configWith({ ams: { enabled: false }, clientEvents: { enabled: true, threatProtection: 'enforced' } })).toThrow(/clientEvents\.threatProtection.*PLUS/s);
  });

  it('without Zendesk, sign-up stays open by default; mfa "on" and threat protection "enforced" map to Cognito', () => {
    const s = synthConfig(configWith({ ams: { enabled: false }, clientEvents: { enabled: true, mfa: 'on', threatProtection: 'enforced', userPoolTier: 'PLUS' } }));
    cleanups.push(s.cleanup);
    const p = pool(s.stacks[0]);
    expect(p.admin_create_user_config).toEqual({ allow_admin_create_user_only: false });
    expect(p.mfa_configuration).toBe('ON');
    expect(p.user_pool_add_ons).toEqual({ advanced_security_mode: 'ENFORCED' });
    // None of it replaces the pool: the arguments that force a new pool are unchanged.
    const full = pool(byName('client-events-us-east-1'));
    for (const forceNew of ['username_attributes', 'schema', 'alias_attributes']) expect(p[forceNew], forceNew).toEqual(full[forceNew]);
    expect(resources(s.stacks[0], 'aws_wafv2_web_acl')).toEqual({});
  });

  it('waf.enabled: a web ACL on the stage with a rate rule keyed on the access token and one per IP', () => {
    const s = synthConfig(configWith({ ams: { enabled: false }, clientEvents: { enabled: true, waf: { enabled: true, perClientRateLimit: 300 } } }));
    cleanups.push(s.cleanup);
    const [stack] = s.stacks;
    const [[aclId, acl]] = Object.entries(resources(stack, 'aws_wafv2_web_acl'));
    expect(acl.scope).toBe('REGIONAL');
    const rules = acl.rule as Record<string, any>[];
    const perClient = rules.find((r) => r.name === 'per-client-rate-limit')!;
    expect(perClient.action).toEqual({ block: {} });
    expect(perClient.statement.rate_based_statement).toEqual({
      limit: 300,
      evaluation_window_sec: 300,
      aggregate_key_type: 'CUSTOM_KEYS',
      custom_key: [{ header: { name: 'authorization', text_transformation: [{ priority: 0, type: 'NONE' }] } }],
    });
    expect(rules.find((r) => r.name === 'per-ip-rate-limit')!.statement.rate_based_statement).toMatchObject({ limit: 3000, aggregate_key_type: 'IP' });
    const [assoc] = Object.values(resources(stack, 'aws_wafv2_web_acl_association'));
    expect(assoc).toMatchObject({ resource_arn: '${aws_api_gateway_stage.api-stage.arn}', web_acl_arn: `\${aws_wafv2_web_acl.${aclId}.arn}` });
  });
});
