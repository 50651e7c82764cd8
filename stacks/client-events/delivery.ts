/**
 * Client events, delivery part: the bucket, the Firehose transform and delivery stream (with its ProcessingFailed
 * metric and alarm), the rule sending every client event to Firehose, and the rule-target builder (role, retry
 * policy, dead-letter queue and alarms) the Zendesk part uses too.
 *
 * Functions over the stack's own scope, not constructs: every resource keeps the id, and so the Terraform address,
 * it had when the stack built it inline.
 */
import type { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { DataBucket } from '../../modules/data-bucket.js';
import { FirehoseToS3 } from '../../modules/firehose-to-s3.js';
import { CLIENT_EVENTS_TRANSFORM, PROCESSING_FAILED_LOG_MESSAGE } from '../../contracts/client-events.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import { ruleTarget } from '../../modules/rule-target.js';
import type { TributaryStack } from '../base.js';
import { RULE_PATTERNS } from './templates.js';
import type { MetricRef } from '../../modules/alarms.js';

/** S3 key layout: Hive-style partitions on the event type and schema version, then the date (appended by the module). */
export const CLIENT_EVENTS_DATA_PREFIX =
  'events/eventType=!{partitionKeyFromQuery:eventType}/schemaVersion=!{partitionKeyFromQuery:schemaVersion}/';
export const CLIENT_EVENTS_ERROR_PREFIX = 'errors/events/';
/** JQ 1.6 query extracting the partition keys (the transform sets a missing schemaVersion to "unversioned"). */
export const CLIENT_EVENTS_JQ = '{eventType: .detail.eventType, schemaVersion: .detail.schemaVersion}';

/**
 * Custom metric counting the records the transform returned as ProcessingFailed (they land under
 * errors/events/processing-failed/). Firehose publishes no metric for them (its transformation metrics count
 * invocations and successfully processed records only), so a metric filter counts the transform's log line for
 * each one. The metric name carries the function name: several deployments may share an account and region.
 */
export const PROCESSING_FAILED_METRIC_NAMESPACE = 'Tributary/ClientEvents';
/** CloudWatch Logs JSON filter pattern matching the transform's per-record ProcessingFailed line. */
export const PROCESSING_FAILED_FILTER_PATTERN = `{ $.message = "${PROCESSING_FAILED_LOG_MESSAGE}" }`;

export interface Delivery {
  readonly bucket: DataBucket;
  readonly transform: LambdaFunction;
  readonly firehose: FirehoseToS3;
  /** Dead-letter queue of the rule sending every event to Firehose. */
  readonly firehoseDlq: SqsQueue;
  /** The rule every accepted event matches (its MatchedEvents count the accepted events). */
  readonly allEvents: CloudwatchEventRule;
  /** Count of the records the transform returned as ProcessingFailed (a log metric filter). */
  readonly processingFailed: MetricRef;
}

/** Bucket, transform, Firehose and the every-event rule on `bus`, built on `stack`'s own scope. */
export function delivery(stack: TributaryStack, bus: CloudwatchEventBus): Delivery {
  const ce = stack.config.clientEvents;
  const naming = stack.naming;
  const alerts = stack.alerts;
  const logRetentionDays = stack.config.logRetentionDays;

  const bucket = new DataBucket(stack, 'data', { naming, purpose: 'client-events', expireAfterDays: ce.dataRetentionDays });
  const transform = new LambdaFunction(stack, 'transform', {
    naming,
    purpose: 'client-events-transform',
    handler: CLIENT_EVENTS_TRANSFORM.zip,
    description: 'Firehose transform: clientId into detail.accountNumber, newline-delimited, malformed records marked ProcessingFailed',
    memoryMb: ce.transformMemoryMb,
    timeoutSeconds: ce.transformTimeoutSeconds,
    logRetentionDays,
    alerts,
  });
  const firehose = new FirehoseToS3(stack, 'firehose', {
    naming,
    purpose: 'client-events',
    bucket,
    dataPrefix: CLIENT_EVENTS_DATA_PREFIX,
    errorOutputPrefix: CLIENT_EVENTS_ERROR_PREFIX,
    bufferingSizeMiB: ce.firehoseBufferingSizeMiB,
    bufferingIntervalSeconds: ce.firehoseBufferingIntervalSeconds,
    compression: 'GZIP',
    // The transform ends every record with "\n" itself.
    appendNewline: false,
    transform: { lambdaArn: transform.arn },
    dynamicPartitioning: { jqQuery: CLIENT_EVENTS_JQ },
    logRetentionDays,
    alerts,
  });

  // Records the transform refuses are kept under the error prefix; count them and alarm on the first one.
  const processingFailedMetric = `${transform.functionName}-processing-failed`;
  new CloudwatchLogMetricFilter(stack, 'transform-processing-failed', {
    name: 'processing-failed-records',
    logGroupName: transform.logGroup.name,
    pattern: PROCESSING_FAILED_FILTER_PATTERN,
    metricTransformation: { namespace: PROCESSING_FAILED_METRIC_NAMESPACE, name: processingFailedMetric, value: '1', unit: 'Count' },
  });
  const processingFailed: MetricRef = { namespace: PROCESSING_FAILED_METRIC_NAMESPACE, metricName: processingFailedMetric };
  alerts.processingFailed('client-events-processing-failed', {
    description:
      'The Firehose transform returned records as ProcessingFailed: they are under errors/events/processing-failed/ in the ' +
      'bucket (rawData = the original event, base64); the transform log says why for each recordId.',
    metric: processingFailed,
  });

  // --- Rule: every client event -> Firehose ---
  const allEvents = new CloudwatchEventRule(stack, 'rule-all', {
    name: naming.name('eventRule', 'client-events-to-s3'),
    description: 'Every client event to Firehose (S3)',
    eventBusName: bus.name,
    eventPattern: JSON.stringify(RULE_PATTERNS.all),
  });
  const { dlq: firehoseDlq } = ruleTarget(stack, {
    naming,
    alerts,
    eventBusName: bus.name,
    rules: [{ rule: allEvents, constructId: 'rule-all-target', dlqFailureAlarmPurpose: 'client-events-to-s3' }],
    targetId: 'firehose',
    arn: firehose.arn,
    retry: clientEventsRetry(stack),
    role: {
      id: 'rule-all',
      purpose: 'client-events-to-s3',
      statement: { Sid: 'PutIntoFirehose', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: firehose.arn },
    },
    deadLetter: {
      id: 'firehose-target',
      purpose: 'client-events-to-s3',
      messageRetentionSeconds: ce.dlqRetentionDays * 86_400,
      alarmDescription:
        'Client events EventBridge could not deliver to Firehose are kept here: check the delivery stream, then replay them with PutEvents.',
    },
  });
  return { bucket, transform, firehose, firehoseDlq, allEvents, processingFailed };
}

/** The retry policy of every client-events rule target (config: maximumRetryAttempts, maximumEventAgeSeconds). */
export function clientEventsRetry(stack: TributaryStack): { maximumRetryAttempts: number; maximumEventAgeSeconds: number } {
  const ce = stack.config.clientEvents;
  return { maximumRetryAttempts: ce.maximumRetryAttempts, maximumEventAgeSeconds: ce.maximumEventAgeSeconds };
}
