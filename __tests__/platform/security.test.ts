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
