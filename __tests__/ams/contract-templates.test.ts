/**
 * The AMS stacks against Amazon's own CloudFormation templates for Stream destinations.
 *
 * Contract source: amzn/ads-advanced-tools-docs, amazon_marketing_stream/Stream_Firehose_CF_Template.yaml and
 * "Stream_SQS _CF_Template.yaml", copied to __tests__/fixtures/ams/ (source note and commit in the README there).
 * The templates are parsed (helpers/cfn-template.ts) and their policy documents instantiated for each dataset and
 * advertising region with the template's own mappings; nothing here restates a statement from our code.
 *
 * - contracts/ams-datasets.json (datasets, region mapping, publisher accounts, Amazon's roles) agrees with the mappings.
 * - firehose delivery: every grant of the template's subscription and subscriber roles (trust and policy) is
 *   granted by ours, by a statement whose conditions cannot refuse a request lacking the condition key
 *   (`...IfExists` only); ours grant nothing the template does not, except the documented differences.
 * - sqs delivery: the ingress queue policy holds the template's two statements, conditions included, and no other
 *   Allow.
 */
import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import {
  ADVERTISING_REGIONS, AMAZON_REVIEWER_ROLE, AMAZON_SUBSCRIBER_ROLE, AMS_DATASET_IDS, AMS_DATASETS, awsRegionOf, type AdvertisingRegion,
} from '../../contracts/ams.js';
import { fromRoot } from '../../lib/paths.js';
import { evaluate, grantsOf, readCfnTemplate, type CfnTemplate, type Grant } from '../helpers/cfn-template.js';
import { ref, resources, synthConfig, type SynthStack } from '../helpers/synth.js';

const FIREHOSE_TEMPLATE = readCfnTemplate(fromRoot('__tests__', 'fixtures', 'ams', 'Stream_Firehose_CF_Template.yaml'));
const SQS_TEMPLATE = readCfnTemplate(fromRoot('__tests__', 'fixtures', 'ams', 'Stream_SQS_CF_Template.yaml'));

type Body = Record<string, unknown>;
const one = (stack: SynthStack, type: string, idPart: string): [string, Body] => {
  const hits = Object.entries(resources(stack, type)).filter(([id]) => id.includes(idPart));
  expect(hits, `${stack.name} ${type} *${idPart}*`).toHaveLength(1);
  return hits[0];
};
const regionOfStack = (name: string) => name.slice(-2).toUpperCase() as AdvertisingRegion;
const datasetOfStack = (name: string) => name.slice('ams-'.length, -3);

/** The template's policy document of `resource` (PolicyDocument or AssumeRolePolicyDocument), instantiated. */
function templatePolicy(t: CfnTemplate, resource: string, dataset: string, region: AdvertisingRegion, getAtt: (r: string, a: string) => string): Grant[] {
  const props = t.Resources[resource].Properties;
  const doc = props.AssumeRolePolicyDocument ?? props.PolicyDocument;
  return grantsOf(evaluate(t, doc, { params: { StreamRealm: region, StreamDatasetId: dataset, 'AWS::Region': awsRegionOf(region) }, getAtt }));
}

const key = (g: Grant) => `${g.principal ?? '-'} ${g.action} ${g.resource ?? '-'}`;
/** Condition operators that can refuse a request that lacks the key (every operator not ending in IfExists). */
const refusingOperators = (g: Grant) => Object.keys(g.condition ?? {}).filter((op) => !op.endsWith('IfExists'));

/** Our grant that allows `want`: same principal and action, same resource or "*", no condition that refuses a missing key. */
function covering(ours: Grant[], want: Grant): Grant | undefined {
  return ours.find((g) => g.principal === want.principal && g.action === want.action && (g.resource === want.resource || g.resource === '*') && refusingOperators(g).length === 0);
}

describe('contracts/ams-datasets.json agrees with the mappings of Amazon\'s templates', () => {
  it('the same 23 datasets as the Firehose template (the SQS template lists 19 of them)', () => {
    expect([...FIREHOSE_TEMPLATE.Parameters!.StreamDatasetId.AllowedValues!].sort()).toEqual([...AMS_DATASET_IDS].sort());
    const sqs = SQS_TEMPLATE.Parameters!.StreamDatasetId.AllowedValues!;
    expect(sqs.length).toBe(19);
    for (const d of sqs) expect(AMS_DATASET_IDS).toContain(d);
  });

  it('advertising region -> AWS region, and every publisher account (leading zeros kept), in both templates', () => {
    for (const t of [FIREHOSE_TEMPLATE, SQS_TEMPLATE]) {
      for (const region of ADVERTISING_REGIONS) {
        expect(t.Mappings!.Region[region].Region).toBe(awsRegionOf(region));
        for (const [dataset, { Account }] of Object.entries(t.Mappings![region])) {
          const ours = AMS_DATASETS.find((d) => d.dataSetId === dataset)!;
          expect({ dataset, region, account: ours.publisherAccounts[region] }).toEqual({ dataset, region, account: String(Account).trim() });
        }
      }
    }
    // 23 x 3 accounts are checked through the Firehose template; budget-usage NA starts with a zero.
    expect(Object.keys(FIREHOSE_TEMPLATE.Mappings!.NA)).toHaveLength(23);
    expect(FIREHOSE_TEMPLATE.Mappings!.NA['budget-usage'].Account).toBe('055588217351');
  });

  it('Amazon\'s ReviewerRole and SubscriberRole are the principals the templates trust', () => {
    const principals = ['FirehoseSubscriptionRole', 'FirehoseSubscriberRole'].flatMap((r) =>
      templatePolicy(FIREHOSE_TEMPLATE, r, 'sp-traffic', 'NA', () => 'x').map((g) => g.principal),
    );
    expect(principals).toContain(`AWS:${AMAZON_REVIEWER_ROLE}`);
    expect(principals).toContain(`AWS:${AMAZON_SUBSCRIBER_ROLE}`);
  });
});

describe('firehose delivery: the subscription and subscriber roles follow Amazon\'s Firehose template', () => {
  let synth: ReturnType<typeof synthConfig>;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { delivery: 'firehose', regions: ['NA', 'FE'], datasets: ['sp-traffic', 'budget-usage', 'adsp-traffic'] } }));
  });
  afterAll(() => synth?.cleanup());

  /** Template resource -> our resource, and the template's GetAtt targets -> our references. */
  function pairs(s: SynthStack) {
    const [streamId] = one(s, 'aws_kinesis_firehose_delivery_stream', 'firehose_stream');
    const [subscriptionRoleId, subscriptionRole] = one(s, 'aws_iam_role', 'subscription-role');
    const [, subscriberRole] = one(s, 'aws_iam_role', 'subscriber-role');
    const getAtt = (r: string, a: string) => {
      if (r === 'StreamDestinationFirehoseName' && a === 'Arn') return ref('aws_kinesis_firehose_delivery_stream', streamId, 'arn');
      if (r === 'FirehoseSubscriptionRole' && a === 'Arn') return ref('aws_iam_role', subscriptionRoleId, 'arn');
      throw new Error(`no counterpart for GetAtt ${r}.${a}`);
    };
    const dataset = datasetOfStack(s.name);
    const region = regionOfStack(s.name);
    const t = (r: string) => templatePolicy(FIREHOSE_TEMPLATE, r, dataset, region, getAtt);
    return {
      streamId,
      trust: [
        { template: t('FirehoseSubscriptionRole'), ours: grantsOf(subscriptionRole.assume_role_policy as string), what: 'subscription role trust' },
        { template: t('FirehoseSubscriberRole'), ours: grantsOf(subscriberRole.assume_role_policy as string), what: 'subscriber role trust' },
      ],
      policy: [
        { template: t('FirehoseSubscriptionRolePolicy'), ours: grantsOf(one(s, 'aws_iam_role_policy', 'subscription-policy')[1].policy as string), what: 'subscription role policy' },
        { template: t('FirehoseSubscriberRolePolicy'), ours: grantsOf(one(s, 'aws_iam_role_policy', 'subscriber-policy')[1].policy as string), what: 'subscriber role policy' },
      ],
    };
  }

  it('every grant of the template is ours too, without a condition that could refuse Amazon\'s call', () => {
    expect(synth.stacks).toHaveLength(6);
    for (const s of synth.stacks) {
      const { trust, policy } = pairs(s);
      for (const { template, ours, what } of [...trust, ...policy]) {
        expect(template.length, what).toBeGreaterThan(0);
        const missing = template.filter((g) => !covering(ours, g)).map(key);
        expect({ stack: s.name, what, missing }).toEqual({ stack: s.name, what, missing: [] });
      }
    }
  });

  it('ours grant nothing beyond the template, except ListDeliveryStreams on "*" (no resource-level permissions)', () => {
    for (const s of synth.stacks) {
      const { trust, policy } = pairs(s);
      for (const { template, ours, what } of [...trust, ...policy]) {
        const allowed = new Set(template.map(key));
        const extra = ours.filter((g) => !allowed.has(key(g))).map(key);
        const expected = what === 'subscription role policy' ? ['- firehose:ListDeliveryStreams *'] : [];
        expect({ stack: s.name, what, extra }).toEqual({ stack: s.name, what, extra: expected });
      }
      // The template's ListDeliveryStreams sits on the stream ARN, where it grants nothing; ours is allowed with a reason.
      const [, subscriptionPolicy] = one(s, 'aws_iam_role_policy', 'subscription-policy');
      expect(String((subscriptionPolicy['//'] as { tributary_suppressions: Record<string, string> }).tributary_suppressions['iam-no-wildcard'])).toMatch(/ListDeliveryStreams supports no resource-level permissions/);
    }
  });

  it('the deliberate conditions: SNS source account is the publisher or our own account when given; PassRole only to SNS', () => {
    for (const s of synth.stacks) {
      const { trust, policy } = pairs(s);
      const publisher = FIREHOSE_TEMPLATE.Mappings![regionOfStack(s.name)][datasetOfStack(s.name)].Account;
      const sns = trust[0].ours.find((g) => g.principal === 'Service:sns.amazonaws.com')!;
      expect(sns.condition).toEqual({ StringEqualsIfExists: { 'aws:SourceAccount': [publisher, '${local.account_id}'] } });
      // Our account: the account field of an ARN the stack owns, its alerts topic (modules/iam.ts
      // registerAccountSource; no aws_caller_identity, so plans stay offline).
      const topics = Object.keys((s.json.resource as Record<string, Record<string, unknown>>).aws_sns_topic ?? {});
      const alerts = topics.filter((id) => id.startsWith('alerts'));
      expect(alerts, s.name).toHaveLength(1);
      expect((s.json.locals as Record<string, string>).account_id).toBe(`\${element(split(":", aws_sns_topic.${alerts[0]}.arn), 4)}`);
      for (const g of [...trust[0].ours, ...trust[1].ours].filter((x) => x !== sns)) expect(g.condition, key(g)).toBeUndefined();
      const pass = policy[1].ours.find((g) => g.action === 'iam:PassRole')!;
      expect(pass.condition).toEqual({ StringEqualsIfExists: { 'iam:PassedToService': 'sns.amazonaws.com' } });
      for (const g of [...policy[0].ours, ...policy[1].ours].filter((x) => x !== pass)) expect(g.condition, key(g)).toBeUndefined();
    }
  });
});

describe('sqs delivery: the ingress queue policy follows Amazon\'s SQS template', () => {
  let synth: ReturnType<typeof synthConfig>;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { regions: ['NA', 'EU'], datasets: ['sp-traffic', 'budget-usage', 'adsp-traffic'] } }));
  });
  afterAll(() => synth?.cleanup());

  it('holds the template\'s statements with their conditions, and no other Allow', () => {
    for (const s of synth.stacks) {
      const dataset = datasetOfStack(s.name);
      const region = regionOfStack(s.name);
      const [queueId] = one(s, 'aws_sqs_queue', 'ingress_queue');
      const [, policy] = one(s, 'aws_sqs_queue_policy', 'ingress_policy');
      // adsp-traffic is not in the SQS template (it predates that dataset): its publisher account comes from the
      // Firehose template's mapping, with the SQS template's statements.
      const t = SQS_TEMPLATE.Mappings!.NA[dataset] ? SQS_TEMPLATE : { ...SQS_TEMPLATE, Mappings: FIREHOSE_TEMPLATE.Mappings };
      const template = templatePolicy(t, 'StreamDestinationQueuePolicy', dataset, region, (r, a) => {
        if (r === 'StreamDestinationQueue' && a === 'Arn') return ref('aws_sqs_queue', queueId, 'arn');
        throw new Error(`no counterpart for GetAtt ${r}.${a}`);
      });
      expect(template).toHaveLength(2);
      const ours = grantsOf(policy.policy as string);
      const strip = (g: Grant) => ({ principal: g.principal, action: g.action, resource: g.resource, condition: g.condition });
      expect({ stack: s.name, grants: ours.map(strip) }).toEqual({ stack: s.name, grants: template.map(strip) });
      // The only other statement is the TLS-only deny, which SNS deliveries (TLS) never meet.
      const denies = (JSON.parse(policy.policy as string) as { Statement: Body[] }).Statement.filter((x) => x.Effect === 'Deny');
      expect(denies.map((d) => d.Condition)).toEqual([{ Bool: { 'aws:SecureTransport': 'false' } }]);
    }
  });
});
