import type { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { TributaryConfig } from '../../config/index.js';
import {
  AMAZON_REVIEWER_ROLE, AMAZON_SUBSCRIBER_ROLE, AMS_CONFIRM_SUBSCRIPTION, AMS_FAN_OUT, AMS_OUTPUTS, amsStackName, awsRegionOf, publisherAccount, publisherTopicArnPattern,
  type AdvertisingRegion,
} from '../../contracts/ams.js';
import { POWERTOOLS_SERVICE_NAME } from '../../contracts/env.js';
import { DataBucket } from '../../modules/data-bucket.js';
import { FirehoseToS3 } from '../../modules/firehose-to-s3.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import { QueueWithDlq } from '../../modules/queue-with-dlq.js';
import type { MetricRef } from '../../modules/alarms.js';
import { firehoseFreshnessGraph, firehoseRecords, lambdaGraphs, queueDepthGraph, type DashboardGraph, type DashboardLine } from '../../modules/dashboard.js';
import { amsMonitoring } from '../../config/monitoring.js';
import { AmsCatalog } from './catalog.js';
import { AmsOverviewDashboard, type AmsOverviewDataset } from './overview.js';
import { PARKING_PLACES } from '../../contracts/operations.js';
import { TributaryStack } from '../base.js';
import { denyInsecureTransport } from '../../modules/tls-only.js';
import { suppress } from '../../policy/suppress.js';
import { inlinePolicy, ownAccount, policyDocument, policyJson, serviceRole, serviceStatement } from '../../modules/iam.js';

export interface AmsStackProps {
  readonly config: TributaryConfig;
  readonly datasetId: string;
  readonly region: AdvertisingRegion;
}

export { AMS_OUTPUTS, amsStackName } from '../../contracts/ams.js';

/**
 * One Amazon Marketing Stream dataset in one advertising region.
 *
 * `sqs` delivery: Amazon's SNS topic -> ingress SQS queue (+DLQ) -> fan-out Lambda -> our SNS data topic ->
 * Firehose (raw delivery) -> S3 `<dataset>/year=/month=/day=/hour=/`; subscription confirmations go from the
 * fan-out to a confirmation queue (+DLQ) consumed by the confirmation Lambda.
 *
 * `firehose` delivery: Amazon's SNS topic -> our Firehose stream -> S3, through a subscription role trusted by
 * sns.amazonaws.com and a subscriber role trusted by Amazon's SubscriberRole.
 */
export class AmsStack extends TributaryStack {
  readonly bucket: DataBucket;
  readonly firehose: FirehoseToS3;
  readonly datasetId: string;
  readonly advertisingRegion: AdvertisingRegion;
  /** What the region overview dashboard shows of this dataset, but its alarms (read when the overview is built). */
  private overviewParts!: Omit<AmsOverviewDataset, 'alarmNames'>;

  constructor(scope: Construct, props: AmsStackProps) {
    const name = amsStackName(props.datasetId, props.region);
    super(scope, name, {
      config: props.config,
      region: awsRegionOf(props.region),
      pipeline: 'ams',
      tags: { 'tributary:ams-dataset': props.datasetId, 'tributary:advertising-region': props.region },
    });
    const { config, datasetId, region } = props;
    this.datasetId = datasetId;
    this.advertisingRegion = region;
    const ams = config.ams;
    const naming = this.naming;
    const alerts = this.alerts;

    this.bucket = new DataBucket(this, 'data', {
      naming,
      purpose: `ams-${datasetId}`,
      expireAfterDays: ams.dataRetentionDays,
    });
    this.firehose = new FirehoseToS3(this, 'firehose', {
      naming,
      purpose: datasetId,
      bucket: this.bucket,
      dataPrefix: `${datasetId}/`,
      bufferingSizeMiB: ams.bufferingSizeMiB,
      bufferingIntervalSeconds: ams.bufferingIntervalSeconds,
      logRetentionDays: config.logRetentionDays,
      alerts,
    });

    this.output(AMS_OUTPUTS.datasetId, datasetId, 'Amazon Marketing Stream dataset id');
    this.output(AMS_OUTPUTS.advertisingRegion, region, 'Advertising region (NA, EU or FE)');
    this.output(AMS_OUTPUTS.delivery, ams.delivery, 'Delivery variant (sqs or firehose)');
    this.output(AMS_OUTPUTS.bucketName, this.bucket.name, 'S3 bucket holding the raw records');
    if (ams.glue) {
      new AmsCatalog(this, 'catalog', { naming, datasetId, region, bucket: this.bucket, configuredDatasets: ams.datasets, partitionStartDate: ams.partitionStartDate });
    }

    const watch = ams.delivery === 'sqs' ? this.sqsDelivery(props) : this.firehoseDelivery(props);
    this.parkingOutput(
      PARKING_PLACES.ams.firehoseErrors,
      { bucket: this.bucket.name, prefix: this.firehose.errorPrefixRoot, delivery_stream_name: this.firehose.streamName },
      this.firehose.freshnessAlarm,
    );
    this.watch(props, watch);
    this.overviewParts = {
      datasetId, stackName: name, delivery: ams.delivery, streamName: this.firehose.streamName, ...watch.overview,
    };
  }

  /** What the region overview shows of this dataset: plain names of its resources and of every alarm of the stack. */
  overviewDataset(): AmsOverviewDataset {
    return { ...this.overviewParts, alarmNames: [...this.alerts.alarmNames] };
  }

  /**
   * The advertising region's overview dashboard `<prefix>-<short region>-ams-overview` (output
   * `ams_overview_dashboard`), kept by this stack and listing `datasets` (every AMS stack of the region, this one
   * included). Call it once every stack of the region is built.
   */
  addRegionOverview(datasets: readonly AmsStack[]): AmsOverviewDashboard {
    for (const d of datasets) {
      if (d.advertisingRegion !== this.advertisingRegion) throw new Error(`${d.stackName} is not in advertising region ${this.advertisingRegion}`);
    }
    const overview = new AmsOverviewDashboard(this, 'region-overview', {
      naming: this.naming, advertisingRegion: this.advertisingRegion, datasets: datasets.map((d) => d.overviewDataset()),
    });
    this.output(
      AMS_OUTPUTS.overviewDashboard, overview.dashboardName,
      `CloudWatch overview dashboard of every AMS dataset in ${this.advertisingRegion} (kept by this stack: the region's first dataset in config order)`,
    );
    return overview;
  }

  /**
   * Loss detection and the dashboard (issue 18): records accepted versus delivered to S3, hours without a delivered
   * record, a drop of the incoming volume; then every alarm of the stack and its traffic on one dashboard.
   */
  private watch({ config, datasetId }: AmsStackProps, w: DeliveryWatch): void {
    const settings = amsMonitoring(config, datasetId);
    const stream = this.firehose.streamName;
    const records = firehoseRecords(stream);
    const delivered: MetricRef = { namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.Records', dimensions: { DeliveryStreamName: stream } };
    this.addLossAlarms(datasetId, settings, {
      accepted: w.accepted,
      stored: [delivered],
      incoming: w.incoming,
      acceptedText: w.acceptedText,
      storedText: `delivered to S3 by ${stream}`,
    });
    if (settings.noDeliveryHours > 0) {
      this.alerts.noDelivery(`${datasetId}-no-delivery`, {
        description:
          `${stream} delivered no ${datasetId} record to S3 for ${settings.noDeliveryHours} hours while the dataset is deployed: ` +
          'check the subscription (npm run ams -- status), then the ingress path (docs/operations.md).',
        metric: delivered,
        hours: settings.noDeliveryHours,
      });
    }
    this.addDashboard([
      { title: 'Records in and delivered', lines: [...w.incomingLines, records.incoming, records.delivered] },
      { title: 'Failed', lines: w.failedLines },
      ...(w.parked.length ? [queueDepthGraph('Parked: messages waiting in dead-letter and undelivered queues', w.parked)] : []),
      ...w.extraGraphs,
      ...(w.functionNames.length ? lambdaGraphs(w.functionNames) : []),
      firehoseFreshnessGraph([stream]),
    ], settings.dashboard);
  }

  private sqsDelivery({ config, datasetId, region }: AmsStackProps): DeliveryWatch {
    const ams = config.ams;
    const naming = this.naming;
    const alerts = this.alerts;
    const visibility = 6 * ams.fanOutTimeoutSeconds;

    // Our data topic, with Firehose subscribed (raw delivery: the record itself, not an SNS envelope).
    const topicName = naming.name('sns', datasetId, 'data');
    const topic = new SnsTopic(this, 'data-topic', {
      name: topicName,
      kmsMasterKeyId: 'alias/aws/sns',
    });
    new SnsTopicPolicy(this, 'data-topic-policy', {
      arn: topic.arn,
      policy: policyJson([
        denyInsecureTransport('sns:Publish', topic.arn),
      ]),
    });

    // Records SNS could not deliver to Firehose after its retries are kept here.
    const subscriptionDlq = new QueueWithDlq(this, 'delivery-failures', {
      naming,
      purpose: `${datasetId}-undelivered`,
      visibilityTimeoutSeconds: 30,
      messageRetentionSeconds: 1_209_600,
      policyStatements: [
        serviceStatement(this, {
          sid: 'SnsSubscriptionRedrive',
          service: 'sns.amazonaws.com',
          actions: 'sqs:SendMessage',
          forResourcePolicy: true,
          sourceArn: topic.arn,
        }),
      ],
      alerts,
    });
    const undeliveredAlarm = alerts.queueNotEmpty(
      `${datasetId}-undelivered-depth`,
      subscriptionDlq.queue.name,
      'SNS could not deliver records to Firehose; they are kept in the undelivered queue.',
    );

    // Only SNS delivering for our data topic may assume it.
    const subscriptionRole = serviceRole(this, 'sns-firehose-role', {
      name: naming.name('iamRole', datasetId, 'sns-to-firehose'),
      service: 'sns.amazonaws.com',
      sourceArn: topic.arn,
    });
    const subscriptionPolicy = inlinePolicy(this, 'sns-firehose-policy', subscriptionRole, 'least-privilege', [this.firehose.putRecordStatement()]);
    new SnsTopicSubscription(this, 'firehose-subscription', {
      topicArn: topic.arn,
      protocol: 'firehose',
      endpoint: this.firehose.arn,
      subscriptionRoleArn: subscriptionRole.arn,
      rawMessageDelivery: true,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: subscriptionDlq.arn }),
      dependsOn: [subscriptionPolicy],
    });

    // Ingress: Amazon's topics for this dataset and region publish here (policy as Amazon documents it).
    const ingress = new QueueWithDlq(this, 'ingress', {
      naming,
      purpose: `${datasetId}-ingress`,
      visibilityTimeoutSeconds: visibility,
      maxReceiveCount: ams.maxReceiveCount,
      policyStatements: [
        {
          Sid: 'AmazonMarketingStreamPublish',
          Effect: 'Allow',
          // Amazon's documented ingress statement, kept as Amazon writes it: aws:SourceArn pins Amazon's publisher
          // account and topics; AMS documents no aws:SourceAccount for its deliveries, and refusing one would lose data.
          Principal: { Service: 'sns.amazonaws.com' }, // AMS-INGRESS-AS-AMAZON-DOCUMENTS
          Action: 'sqs:SendMessage',
          Condition: { ArnLike: { 'aws:SourceArn': publisherTopicArnPattern(datasetId, region) } },
        },
        {
          Sid: 'AmazonReviewerReadAttributes',
          Effect: 'Allow',
          Principal: { AWS: AMAZON_REVIEWER_ROLE },
          Action: 'sqs:GetQueueAttributes',
        },
      ],
      alerts,
    });
    const confirmations = new QueueWithDlq(this, 'confirmations', {
      naming,
      purpose: `${datasetId}-confirm`,
      visibilityTimeoutSeconds: 6 * 30,
      maxReceiveCount: 3,
      alerts,
    });

    const fanOut = new LambdaFunction(this, 'fan-out', {
      naming,
      purpose: `${datasetId}-fanout`,
      handler: AMS_FAN_OUT.zip,
      description: `Amazon Marketing Stream ${datasetId} (${region}): ingress queue -> data topic`,
      memoryMb: ams.fanOutMemoryMb,
      timeoutSeconds: ams.fanOutTimeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      environment: {
        [AMS_FAN_OUT.env.datasetId]: datasetId,
        [AMS_FAN_OUT.env.advertisingRegion]: region,
        [AMS_FAN_OUT.env.dataTopicArn]: topic.arn,
        [AMS_FAN_OUT.env.confirmationQueueUrl]: confirmations.url,
        [POWERTOOLS_SERVICE_NAME]: AMS_FAN_OUT.service,
      },
      statements: [
        { Sid: 'PublishRecords', Action: 'sns:Publish', Resource: topic.arn },
        { Sid: 'ForwardConfirmations', Action: 'sqs:SendMessage', Resource: confirmations.arn },
      ],
      alerts,
    });
    fanOut.addSqsEventSource('ingress-source', ingress, {
      batchSize: ams.batchSize,
      maxBatchingWindowSeconds: ams.maxBatchingWindowSeconds,
    });

    const confirm = new LambdaFunction(this, 'confirm', {
      naming,
      purpose: `${datasetId}-confirm`,
      handler: AMS_CONFIRM_SUBSCRIPTION.zip,
      description: `Confirms Amazon Marketing Stream ${datasetId} (${region}) subscriptions from Amazon's publisher account only`,
      memoryMb: 256,
      timeoutSeconds: 30,
      logRetentionDays: config.logRetentionDays,
      environment: {
        [AMS_CONFIRM_SUBSCRIPTION.env.datasetId]: datasetId,
        [AMS_CONFIRM_SUBSCRIPTION.env.advertisingRegion]: region,
        [POWERTOOLS_SERVICE_NAME]: AMS_CONFIRM_SUBSCRIPTION.service,
      },
      statements: [
        {
          Sid: 'ConfirmAmazonSubscriptions',
          Action: 'sns:ConfirmSubscription',
          Resource: publisherTopicArnPattern(datasetId, region),
        },
      ],
      alerts,
    });
    confirm.addSqsEventSource('confirm-source', confirmations, { batchSize: 1 });

    // Amazon's CloudWatch template for the SQS variant.
    alerts.alarm(`${datasetId}-ingress-backlog`, {
      alarmDescription: `More than ${ams.visibleMessagesAlarmThreshold} messages wait in the ingress queue: the fan-out is not keeping up.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: ingress.queue.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: ams.visibleMessagesAlarmThreshold,
      comparisonOperator: 'GreaterThanThreshold',
    });
    alerts.alarm(`${datasetId}-ingress-age`, {
      alarmDescription: `The oldest ingress message is older than ${ams.oldestMessageAgeAlarmSeconds} s.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: ingress.queue.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: ams.oldestMessageAgeAlarmSeconds,
      comparisonOperator: 'GreaterThanThreshold',
    });
    alerts.alarm(`${datasetId}-ingress-not-drained`, {
      alarmDescription: 'Over an hour, 100 more messages arrived in the ingress queue than were deleted from it.',
      evaluationPeriods: 1,
      threshold: 100,
      comparisonOperator: 'GreaterThanThreshold',
      metricQuery: [
        {
          id: 'sent',
          metric: { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesSent', dimensions: { QueueName: ingress.queue.name }, period: 3600, stat: 'Sum' },
        },
        {
          id: 'deleted',
          metric: { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesDeleted', dimensions: { QueueName: ingress.queue.name }, period: 3600, stat: 'Sum' },
        },
        { id: 'backlog', expression: 'sent - deleted', label: 'Messages not drained in the hour', returnData: true },
      ],
    });

    this.output(AMS_OUTPUTS.queueArn, ingress.arn, 'Subscribe with this SQS queue ARN (sqsDestination.queueArn)');
    this.output(AMS_OUTPUTS.topicArn, topic.arn, 'Our SNS data topic that feeds Firehose');
    const dlqOf = (q: QueueWithDlq) => ({
      queue_url: q.dlq.url, queue_arn: q.dlq.arn, source_queue_url: q.queue.url, source_queue_arn: q.queue.arn,
    });
    this.parkingOutput(PARKING_PLACES.ams.ingressDlq, dlqOf(ingress), ingress.dlqAlarm);
    this.parkingOutput(PARKING_PLACES.ams.confirmDlq, dlqOf(confirmations), confirmations.dlqAlarm);
    this.parkingOutput(
      PARKING_PLACES.ams.undelivered,
      { queue_url: subscriptionDlq.queue.url, queue_arn: subscriptionDlq.queue.arn, delivery_stream_name: this.firehose.streamName },
      undeliveredAlarm,
    );

    const ingressSent: MetricRef = { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesSent', dimensions: { QueueName: ingress.queue.name } };
    const published: MetricRef = { namespace: 'AWS/SNS', metricName: 'NumberOfMessagesPublished', dimensions: { TopicName: topic.name } };
    const snsLine = (metricName: string, label: string): DashboardLine => ({ namespace: 'AWS/SNS', metricName, dimensions: { TopicName: topic.name }, label });
    return {
      incoming: ingressSent,
      accepted: published,
      acceptedText: `the records the fan-out published to ${topicName}`,
      incomingLines: [{ ...ingressSent, label: 'Messages into the ingress queue' }, { ...published, label: 'Records published by the fan-out' }],
      failedLines: [
        snsLine('NumberOfNotificationsFailed', 'SNS deliveries to Firehose failed'),
        snsLine('NumberOfNotificationsRedrivenToDlq', 'Records moved to the undelivered queue'),
        { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: fanOut.functionName }, label: 'Fan-out errors' },
      ],
      parked: [
        { label: 'ingress DLQ', queueName: ingress.dlq.name },
        { label: 'undelivered', queueName: subscriptionDlq.queue.name },
        { label: 'undelivered DLQ', queueName: subscriptionDlq.dlq.name },
        { label: 'confirmations DLQ', queueName: confirmations.dlq.name },
      ],
      extraGraphs: [
        {
          title: 'Ingress queue: oldest message age (s) and backlog',
          stat: 'Maximum',
          lines: [
            { namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: ingress.queue.name }, stat: 'Maximum', label: 'Oldest message age (s)' },
            { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: ingress.queue.name }, stat: 'Maximum', label: 'Messages waiting' },
          ],
        },
      ],
      functionNames: [fanOut.functionName, confirm.functionName],
      overview: {
        accepted: { namespace: 'AWS/SNS', metricName: 'NumberOfMessagesPublished', dimensions: { TopicName: topicName } },
        dlqs: [
          { label: 'ingress DLQ', queueName: ingress.dlqName },
          { label: 'undelivered', queueName: subscriptionDlq.queueName },
          { label: 'undelivered DLQ', queueName: subscriptionDlq.dlqName },
          { label: 'confirmations DLQ', queueName: confirmations.dlqName },
        ],
        fanOutFunctionName: fanOut.functionName,
      },
    };
  }

  /**
   * The two roles of Amazon's Firehose template (`Stream_Firehose_CF_Template.yaml` in amzn/ads-advanced-tools-docs,
   * FirehoseSubscriptionRole and FirehoseSubscriberRole; a copy is __tests__/fixtures/ams/), statement by statement.
   * Deliberate differences, each unable to refuse a call Amazon's template allows:
   * - subscription role trust, sns.amazonaws.com: `StringEqualsIfExists aws:SourceAccount` in [publisher account of
   *   this dataset and region, our account]. SNS assumes the role for deliveries from Amazon's topic (whose owner is
   *   the publisher account) and, when the subscription is created, on behalf of the subscriber role in our account;
   *   AWS documents no source-account value for either, so both accounts are allowed and a request without the key
   *   is not refused. It refuses only SNS acting for a topic of a third account.
   * - `firehose:ListDeliveryStreams` has no resource-level permissions (Service Authorization Reference, Amazon Kinesis
   *   Firehose: no resource type), so on the stream ARN, as the template writes it, it grants nothing. It gets its own
   *   statement on "*" so Amazon's check works; it lists stream names of this account and region, no data.
   * - subscriber policy, iam:PassRole: `StringEqualsIfExists iam:PassedToService = sns.amazonaws.com` (only SNS
   *   may receive the role; a request without the key is not refused).
   */
  private firehoseDelivery({ datasetId, region }: AmsStackProps): DeliveryWatch {
    const naming = this.naming;
    const subscriptionRole = serviceRole(this, 'subscription-role', {
      name: naming.name('iamRole', datasetId, 'ams-subscription'),
      description: "Assumed by Amazon's SNS topic (and Amazon's ReviewerRole) to put records into our Firehose stream",
      sid: 'AmazonSnsDelivers',
      service: 'sns.amazonaws.com',
      sourceAccount: [publisherAccount(datasetId, region), ownAccount(this)],
      extraTrust: [{ Sid: 'AmazonReviewerChecks', Effect: 'Allow', Principal: { AWS: AMAZON_REVIEWER_ROLE }, Action: 'sts:AssumeRole' }],
    });
    const subscriptionPolicy = inlinePolicy(this, 'subscription-policy', subscriptionRole, 'least-privilege', [
      {
        Sid: 'PutIntoFirehose',
        Action: ['firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream', 'firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: this.firehose.arn,
      },
      { Sid: 'ListDeliveryStreams', Action: 'firehose:ListDeliveryStreams', Resource: '*' },
    ]);
    suppress(
      subscriptionPolicy,
      'iam-no-wildcard',
      'firehose:ListDeliveryStreams supports no resource-level permissions: AWS requires Resource "*" for it (Amazon\'s template grants it; every other action is scoped to the stream).',
    );
    // A partner's role (Amazon's SubscriberRole), not a service principal: trusted as Amazon's template writes it.
    const subscriberRole = new IamRole(this, 'subscriber-role', {
      name: naming.name('iamRole', datasetId, 'ams-subscriber'),
      description: "Assumed by Amazon Marketing Stream's SubscriberRole to subscribe our Firehose stream",
      assumeRolePolicy: policyDocument([{ Sid: 'AmazonSubscriber', Principal: { AWS: AMAZON_SUBSCRIBER_ROLE }, Action: ['sts:AssumeRole', 'sts:TagSession'] }]),
    });
    inlinePolicy(this, 'subscriber-policy', subscriberRole, 'least-privilege', [
      {
        Sid: 'PassSubscriptionRoleToSns',
        Action: 'iam:PassRole',
        Resource: subscriptionRole.arn,
        Condition: { StringEqualsIfExists: { 'iam:PassedToService': 'sns.amazonaws.com' } },
      },
      { Sid: 'SubscribeToPublisherTopics', Action: ['sns:Subscribe', 'sns:Unsubscribe'], Resource: publisherTopicArnPattern(datasetId, region) },
    ]);
    this.output(AMS_OUTPUTS.deliveryStreamArn, this.firehose.arn, 'Subscribe with this Firehose stream ARN');
    this.output(AMS_OUTPUTS.subscriberRoleArn, subscriberRole.arn, 'firehoseDestination.subscriberRoleArn');
    this.output(AMS_OUTPUTS.subscriptionRoleArn, subscriptionRole.arn, 'firehoseDestination.subscriptionRoleArn');

    const stream = this.firehose.streamName;
    const incoming: MetricRef = { namespace: 'AWS/Firehose', metricName: 'IncomingRecords', dimensions: { DeliveryStreamName: stream } };
    return {
      incoming,
      accepted: incoming,
      acceptedText: `the records Amazon put into ${stream}`,
      incomingLines: [],
      failedLines: [
        { namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.Success', dimensions: { DeliveryStreamName: stream }, stat: 'Average', label: 'S3 delivery success (1 = all)' },
        { namespace: 'AWS/Firehose', metricName: 'ThrottledRecords', dimensions: { DeliveryStreamName: stream }, label: 'Records throttled' },
      ],
      parked: [],
      extraGraphs: [],
      functionNames: [],
      overview: { accepted: incoming, dlqs: [] },
    };
  }
}

/** What each delivery variant contributes to the stack's loss alarms and dashboard. */
interface DeliveryWatch {
  /** Incoming volume (the volume-drop alarm). */
  readonly incoming: MetricRef;
  /** Records accepted for delivery (the accepted-versus-stored alarm), and its wording. */
  readonly accepted: MetricRef;
  readonly acceptedText: string;
  readonly incomingLines: readonly DashboardLine[];
  readonly failedLines: readonly DashboardLine[];
  readonly parked: readonly { label: string; queueName: string }[];
  readonly extraGraphs: readonly DashboardGraph[];
  readonly functionNames: readonly string[];
  /** The region overview's part of the dataset, plain names only. */
  readonly overview: Pick<AmsOverviewDataset, 'accepted' | 'dlqs' | 'fanOutFunctionName'>;
}
