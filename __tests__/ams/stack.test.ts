/**
 * AMS stacks synthesized for real (buildApp + app.synth) in both delivery variants: ingress queue policy,
 * fan-out and confirmation wiring, IAM scoping, outputs, alarms, Firehose roles and names, and the query layer
 * (Glue tables with partition projection, Athena named queries).
 */
import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { AMAZON_REVIEWER_ROLE, AMAZON_SUBSCRIBER_ROLE, publisherAccount } from '../../contracts/ams.js';
import { HIVE_TIME_PARTITIONS } from '../../modules/firehose-to-s3.js';
import { AMS_OUTPUTS } from '../../stacks/ams/stack.js';
import { AMS_CATALOG_OUTPUTS } from '../../stacks/ams/catalog.js';
import { ref, resources, statements, synthConfig, type SynthStack } from '../helpers/synth.js';

const LONGEST = 'sponsored-ads-campaign-diagnostics-recommendations';
const DATASETS = ['sp-traffic', 'sp-conversion', LONGEST];

type Body = Record<string, unknown>;
const byName = (stacks: SynthStack[], name: string): SynthStack => {
  const s = stacks.find((x) => x.name === name);
  if (!s) throw new Error(`no stack ${name} in ${stacks.map((x) => x.name).join(', ')}`);
  return s;
};
const one = (stack: SynthStack, type: string, idPart: string): [string, Body] => {
  const hits = Object.entries(resources(stack, type)).filter(([id]) => id.includes(idPart));
  expect(hits, `${stack.name} ${type} *${idPart}*`).toHaveLength(1);
  return hits[0];
};
const alarms = (stack: SynthStack) => Object.values(resources(stack, 'aws_cloudwatch_metric_alarm'));

describe('sqs delivery (default)', () => {
  let synth: ReturnType<typeof synthConfig>;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { regions: ['NA', 'EU'], datasets: DATASETS } }));
  });
  afterAll(() => synth?.cleanup());

  it('one stack per dataset and advertising region, each pinned to its AWS region', () => {
    expect(synth.stacks.map((s) => s.name).sort()).toEqual(
      DATASETS.flatMap((d) => [`ams-${d}-eu`, `ams-${d}-na`]).sort(),
    );
    for (const s of synth.stacks) {
      const providers = s.json.provider!.aws;
      expect(providers).toHaveLength(1);
      expect(providers[0].region).toBe(s.name.endsWith('-na') ? 'us-east-1' : 'eu-west-1');
    }
  });

  it('the ingress queue policy lets only Amazon\'s publisher topics send and the ReviewerRole read attributes', () => {
    for (const [dataset, region, awsRegion] of [['sp-traffic', 'NA', 'us-east-1'], ['sp-conversion', 'EU', 'eu-west-1']] as const) {
      const s = byName(synth.stacks, `ams-${dataset}-${region.toLowerCase()}`);
      const [queueId, queue] = one(s, 'aws_sqs_queue', 'ingress_queue');
      expect(queue.name).toBe(`trib-${awsRegion === 'us-east-1' ? 'use1' : 'euw1'}-${dataset}-ingress`);
      const [, policy] = one(s, 'aws_sqs_queue_policy', 'ingress_policy');
      expect(policy.queue_url).toBe(ref('aws_sqs_queue', queueId, 'url'));
      const st = statements(policy.policy);
      const publish = st.find((x) => x.Sid === 'AmazonMarketingStreamPublish')!;
      expect(publish).toEqual({
        Sid: 'AmazonMarketingStreamPublish', Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage',
        Resource: ref('aws_sqs_queue', queueId, 'arn'),
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:sns:${awsRegion}:${publisherAccount(dataset, region)}:*` } },
      });
      expect(st.find((x) => x.Sid === 'AmazonReviewerReadAttributes')).toEqual({
        Sid: 'AmazonReviewerReadAttributes', Effect: 'Allow', Principal: { AWS: AMAZON_REVIEWER_ROLE }, Action: 'sqs:GetQueueAttributes',
        Resource: ref('aws_sqs_queue', queueId, 'arn'),
      });
      expect(st.find((x) => x.Sid === 'DenyInsecureTransport')).toMatchObject({ Effect: 'Deny' });
      expect(st).toHaveLength(3);
    }
  });

  it('the fan-out consumes the ingress queue with partial batch responses and may publish only to the data topic', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    const [queueId, queue] = one(s, 'aws_sqs_queue', 'ingress_queue');
    const [fnId, fn] = one(s, 'aws_lambda_function', 'fan-out_fn');
    const [topicId] = one(s, 'aws_sns_topic', 'data-topic');
    const [confirmQueueId] = one(s, 'aws_sqs_queue', 'confirmations_queue');
    expect(fn).toMatchObject({ runtime: 'nodejs22.x', architectures: ['arm64'], timeout: 30, memory_size: 256 });
    expect((fn.environment as { variables: Body }).variables).toMatchObject({
      DATASET_ID: 'sp-traffic', ADVERTISING_REGION: 'NA', DATA_TOPIC_ARN: ref('aws_sns_topic', topicId, 'arn'),
      CONFIRMATION_QUEUE_URL: ref('aws_sqs_queue', confirmQueueId, 'url'),
    });
    expect(queue.visibility_timeout_seconds).toBe(180);
    const [, esm] = one(s, 'aws_lambda_event_source_mapping', 'ingress-source');
    expect(esm).toMatchObject({
      event_source_arn: ref('aws_sqs_queue', queueId, 'arn'), function_name: ref('aws_lambda_function', fnId, 'arn'),
      function_response_types: ['ReportBatchItemFailures'], batch_size: 100, maximum_batching_window_in_seconds: 5,
    });
    const st = statements(one(s, 'aws_iam_role_policy', 'fan-out_policy')[1].policy);
    expect(st.find((x) => x.Sid === 'PublishRecords')).toMatchObject({ Action: 'sns:Publish', Resource: ref('aws_sns_topic', topicId, 'arn') });
    expect(st.find((x) => x.Sid === 'ForwardConfirmations')).toMatchObject({ Action: 'sqs:SendMessage', Resource: ref('aws_sqs_queue', confirmQueueId, 'arn') });
  });

  it('the confirmation Lambda may confirm subscriptions of Amazon\'s publisher topics only', () => {
    const s = byName(synth.stacks, 'ams-sp-conversion-eu');
    const st = statements(one(s, 'aws_iam_role_policy', 'confirm_policy')[1].policy);
    expect(st.find((x) => x.Sid === 'ConfirmAmazonSubscriptions')).toMatchObject({
      Action: 'sns:ConfirmSubscription', Resource: `arn:aws:sns:eu-west-1:${publisherAccount('sp-conversion', 'EU')}:*`,
    });
    const [confirmQueueId] = one(s, 'aws_sqs_queue', 'confirmations_queue');
    expect(one(s, 'aws_lambda_event_source_mapping', 'confirm-source')[1]).toMatchObject({
      event_source_arn: ref('aws_sqs_queue', confirmQueueId, 'arn'), function_response_types: ['ReportBatchItemFailures'], batch_size: 1,
    });
  });

  it('the data topic is encrypted and feeds Firehose with raw delivery, keeping undeliverable records in a queue', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    const [topicId, topic] = one(s, 'aws_sns_topic', 'data-topic');
    expect(topic.kms_master_key_id).toBe('alias/aws/sns');
    const [streamId, stream] = one(s, 'aws_kinesis_firehose_delivery_stream', 'firehose_stream');
    const [undeliveredId] = one(s, 'aws_sqs_queue', 'delivery-failures_queue');
    const [, sub] = one(s, 'aws_sns_topic_subscription', 'firehose-subscription');
    expect(sub).toMatchObject({
      topic_arn: ref('aws_sns_topic', topicId, 'arn'), protocol: 'firehose', endpoint: ref('aws_kinesis_firehose_delivery_stream', streamId, 'arn'),
      raw_message_delivery: true,
    });
    expect(JSON.parse(String(sub.redrive_policy))).toEqual({ deadLetterTargetArn: ref('aws_sqs_queue', undeliveredId, 'arn') });
    expect((stream.extended_s3_configuration as Body).prefix).toBe(`sp-traffic/${HIVE_TIME_PARTITIONS}`);
  });

  it('outputs the subscription destination, bucket, topic and query layer', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    const out = s.json.output!;
    expect(out[AMS_OUTPUTS.queueArn].value).toBe(ref('aws_sqs_queue', one(s, 'aws_sqs_queue', 'ingress_queue')[0], 'arn'));
    expect(out[AMS_OUTPUTS.topicArn].value).toBe(ref('aws_sns_topic', 'data-topic', 'arn'));
    expect(out[AMS_OUTPUTS.bucketName].value).toBe(ref('aws_s3_bucket', one(s, 'aws_s3_bucket', 'data_bucket')[0], 'bucket'));
    expect(out[AMS_OUTPUTS.datasetId].value).toBe('sp-traffic');
    expect(out[AMS_OUTPUTS.advertisingRegion].value).toBe('NA');
    expect(out[AMS_OUTPUTS.delivery].value).toBe('sqs');
    expect(out.alerts_topic_arn).toBeDefined();
    expect(out[AMS_CATALOG_OUTPUTS.database].value).toBe(ref('aws_glue_catalog_database', one(s, 'aws_glue_catalog_database', 'catalog')[0], 'name'));
    expect(out[AMS_CATALOG_OUTPUTS.table].value).toBe('sp_traffic');
    expect(out[AMS_CATALOG_OUTPUTS.workgroup]).toBeDefined();
    expect(out[AMS_OUTPUTS.deliveryStreamArn]).toBeUndefined();
  });

  it('alarms: DLQ depth > 0, visible > 10000, oldest age > 3600 s, Lambda errors, Firehose freshness, not drained', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    const [, ingress] = one(s, 'aws_sqs_queue', 'ingress_queue');
    const [ingressDlqId] = one(s, 'aws_sqs_queue', 'ingress_dlq');
    const all = alarms(s);
    const find = (metric: string, dims: Body) => all.filter((a) => a.metric_name === metric && JSON.stringify(a.dimensions) === JSON.stringify(dims));
    expect(find('ApproximateNumberOfMessagesVisible', { QueueName: ref('aws_sqs_queue', ingressDlqId, 'name') })).toEqual([
      expect.objectContaining({ threshold: 0, comparison_operator: 'GreaterThanThreshold' }),
    ]);
    // Every DLQ (ingress, confirmations, undelivered) has a depth alarm.
    const dlqs = Object.entries(resources(s, 'aws_sqs_queue')).filter(([id]) => /_dlq_[0-9A-F]{8}$/.test(id));
    expect(dlqs).toHaveLength(3);
    for (const [id] of dlqs) expect(find('ApproximateNumberOfMessagesVisible', { QueueName: ref('aws_sqs_queue', id, 'name') }), id).toHaveLength(1);
    const ingressName = ref('aws_sqs_queue', one(s, 'aws_sqs_queue', 'ingress_queue')[0], 'name');
    expect(ingress.name).toBe('trib-use1-sp-traffic-ingress');
    expect(find('ApproximateNumberOfMessagesVisible', { QueueName: ingressName })).toEqual([expect.objectContaining({ threshold: 10000, comparison_operator: 'GreaterThanThreshold' })]);
    expect(find('ApproximateAgeOfOldestMessage', { QueueName: ingressName })).toEqual([expect.objectContaining({ threshold: 3600, comparison_operator: 'GreaterThanThreshold' })]);
    expect(find('Errors', { FunctionName: 'trib-use1-sp-traffic-fanout' })).toEqual([expect.objectContaining({ threshold: 0, namespace: 'AWS/Lambda' })]);
    expect(find('Errors', { FunctionName: 'trib-use1-sp-traffic-confirm' })).toHaveLength(1);
    expect(find('DeliveryToS3.DataFreshness', { DeliveryStreamName: 'trib-use1-sp-traffic' })).toEqual([expect.objectContaining({ namespace: 'AWS/Firehose', threshold: 1200 })]);
    const notDrained = all.find((a) => String(a.alarm_name).endsWith('ingress-not-drained'))!;
    expect(notDrained).toMatchObject({ threshold: 100 });
    expect((notDrained.metric_query as Body[]).find((m) => m.id === 'backlog')).toMatchObject({ expression: 'sent - deleted' });
    const [alertsId] = one(s, 'aws_sns_topic', 'alerts_topic');
    for (const a of all) expect(a.alarm_actions).toEqual([ref('aws_sns_topic', alertsId, 'arn')]);
  });

  it('names stay within limits for the 50-character dataset id and differ between datasets', () => {
    const s = byName(synth.stacks, `ams-${LONGEST}-na`);
    for (const [, f] of Object.entries(resources(s, 'aws_lambda_function'))) expect(String(f.function_name).length).toBeLessThanOrEqual(64);
    for (const [, r] of Object.entries(resources(s, 'aws_iam_role'))) expect(String(r.name).length).toBeLessThanOrEqual(64);
    for (const [, q] of Object.entries(resources(s, 'aws_sqs_queue'))) expect(String(q.name).length).toBeLessThanOrEqual(80);
    const bucketPrefix = String(one(s, 'aws_s3_bucket', 'data_bucket')[1].bucket_prefix);
    expect(bucketPrefix.length).toBeLessThanOrEqual(37);
    expect(bucketPrefix).toBe(bucketPrefix.toLowerCase());
    const roles = synth.stacks.filter((x) => x.name.endsWith('-na')).flatMap((x) => Object.values(resources(x, 'aws_iam_role')).map((r) => r.name));
    expect(new Set(roles).size).toBe(roles.length);
  });

  // The query layer (Glue tables, partition projection, named queries) is tested in ams-catalog.test.ts and ams-data.test.ts.
});

describe('firehose delivery', () => {
  let synth: ReturnType<typeof synthConfig>;
  let other: ReturnType<typeof synthConfig>;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { delivery: 'firehose', regions: ['NA', 'FE'], datasets: DATASETS } }));
    other = synthConfig(configWith({ prefix: 'trib2', ams: { delivery: 'firehose', regions: ['NA'], datasets: DATASETS } }));
  });
  afterAll(() => {
    synth?.cleanup();
    other?.cleanup();
  });

  it('has no queue, Lambda or data topic: Amazon delivers straight into the Firehose stream', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    expect(resources(s, 'aws_sqs_queue')).toEqual({});
    expect(resources(s, 'aws_lambda_function')).toEqual({});
    expect(Object.keys(resources(s, 'aws_sns_topic'))).toEqual([expect.stringContaining('alerts_topic')]);
    const [, stream] = one(s, 'aws_kinesis_firehose_delivery_stream', 'firehose_stream');
    expect((stream.extended_s3_configuration as Body).prefix).toBe(`sp-traffic/${HIVE_TIME_PARTITIONS}`);
  });

  // Statement-by-statement comparison with Amazon's Firehose template: ams-contract-templates.test.ts.
  it('the subscription role is trusted by sns.amazonaws.com (publisher or own source account, when given) and Amazon\'s ReviewerRole; it may put into the stream', () => {
    for (const [name, dataset, region] of [['ams-sp-traffic-na', 'sp-traffic', 'NA'], ['ams-sp-conversion-fe', 'sp-conversion', 'FE']] as const) {
      const s = byName(synth.stacks, name);
      const [roleId, role] = one(s, 'aws_iam_role', 'subscription-role');
      expect(statements(role.assume_role_policy)).toEqual([
        {
          Sid: 'AmazonSnsDelivers', Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sts:AssumeRole',
          Condition: { StringEqualsIfExists: { 'aws:SourceAccount': [publisherAccount(dataset, region), '${local.account_id}'] } },
        },
        { Sid: 'AmazonReviewerChecks', Effect: 'Allow', Principal: { AWS: AMAZON_REVIEWER_ROLE }, Action: 'sts:AssumeRole' },
      ]);
      const [streamId] = one(s, 'aws_kinesis_firehose_delivery_stream', 'firehose_stream');
      const [, policy] = one(s, 'aws_iam_role_policy', 'subscription-policy');
      expect(policy.role).toBe(ref('aws_iam_role', roleId, 'id'));
      expect(statements(policy.policy)).toEqual([
        {
          Sid: 'PutIntoFirehose', Effect: 'Allow',
          Action: ['firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream', 'firehose:PutRecord', 'firehose:PutRecordBatch'],
          Resource: ref('aws_kinesis_firehose_delivery_stream', streamId, 'arn'),
        },
        { Sid: 'ListDeliveryStreams', Effect: 'Allow', Action: 'firehose:ListDeliveryStreams', Resource: '*' },
      ]);
    }
  });

  it('the subscriber role is trusted by Amazon\'s SubscriberRole (AssumeRole, TagSession), passes only the subscription role to SNS and subscribes only to the publisher\'s topics', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    const [, role] = one(s, 'aws_iam_role', 'subscriber-role');
    expect(statements(role.assume_role_policy)).toEqual([
      { Sid: 'AmazonSubscriber', Effect: 'Allow', Principal: { AWS: AMAZON_SUBSCRIBER_ROLE }, Action: ['sts:AssumeRole', 'sts:TagSession'] },
    ]);
    const [subscriptionRoleId] = one(s, 'aws_iam_role', 'subscription-role');
    expect(statements(one(s, 'aws_iam_role_policy', 'subscriber-policy')[1].policy)).toEqual([
      {
        Sid: 'PassSubscriptionRoleToSns', Effect: 'Allow', Action: 'iam:PassRole', Resource: ref('aws_iam_role', subscriptionRoleId, 'arn'),
        Condition: { StringEqualsIfExists: { 'iam:PassedToService': 'sns.amazonaws.com' } },
      },
      {
        Sid: 'SubscribeToPublisherTopics', Effect: 'Allow', Action: ['sns:Subscribe', 'sns:Unsubscribe'],
        Resource: `arn:aws:sns:us-east-1:${publisherAccount('sp-traffic', 'NA')}:*`,
      },
    ]);
  });

  it('outputs the stream and both role ARNs (the firehoseDestination), not a queue', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    const out = s.json.output!;
    expect(out[AMS_OUTPUTS.deliveryStreamArn].value).toBe(ref('aws_kinesis_firehose_delivery_stream', one(s, 'aws_kinesis_firehose_delivery_stream', 'firehose_stream')[0], 'arn'));
    expect(out[AMS_OUTPUTS.subscriberRoleArn].value).toBe(ref('aws_iam_role', one(s, 'aws_iam_role', 'subscriber-role')[0], 'arn'));
    expect(out[AMS_OUTPUTS.subscriptionRoleArn].value).toBe(ref('aws_iam_role', one(s, 'aws_iam_role', 'subscription-role')[0], 'arn'));
    expect(out[AMS_OUTPUTS.delivery].value).toBe('firehose');
    expect(out[AMS_OUTPUTS.queueArn]).toBeUndefined();
    expect(out[AMS_OUTPUTS.bucketName]).toBeDefined();
  });

  it('keeps the Firehose freshness alarm', () => {
    const s = byName(synth.stacks, 'ams-sp-traffic-na');
    expect(alarms(s).filter((a) => a.metric_name === 'DeliveryToS3.DataFreshness')).toHaveLength(1);
  });

  it('role and stream names are unique across datasets, regions and prefixes, within 64 characters', () => {
    const names = [...synth.stacks, ...other.stacks].flatMap((s) => [
      ...Object.values(resources(s, 'aws_iam_role')).map((r) => `role:${String(r.name)}`),
      ...Object.values(resources(s, 'aws_kinesis_firehose_delivery_stream')).map((r) => `stream:${String(r.name)}`),
    ]);
    // Per stack: firehose role, subscription role, subscriber role, stream.
    expect(names).toHaveLength((synth.stacks.length + other.stacks.length) * 4);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n.split(':')[1].length).toBeLessThanOrEqual(64);
    const longest = byName(synth.stacks, `ams-${LONGEST}-fe`);
    const roleNames = Object.values(resources(longest, 'aws_iam_role')).map((r) => String(r.name));
    expect(roleNames.every((n) => n.startsWith('trib-usw2-sponsored-ads'))).toBe(true);
  });

  it('the query layer is the same as in the sqs variant', () => {
    const s = byName(synth.stacks, 'ams-sp-conversion-na');
    expect(Object.values(resources(s, 'aws_athena_named_query')).map((q) => q.name).sort()).toEqual([
      'trib-use1-ams-sp-conversion-hourly', 'trib-use1-ams-sp-traffic-conversion',
    ]);
    expect(one(s, 'aws_glue_catalog_table', 'catalog')[1].name).toBe('sp_conversion');
  });
});
