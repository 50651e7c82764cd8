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
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { PROCESSING_FAILED_LOG_MESSAGE } from '../../handlers/client-events/lib/event.js';
import { DataBucket } from '../../modules/data-bucket.js';
import { FirehoseToS3 } from '../../modules/firehose-to-s3.js';
import { CLIENT_EVENTS_TRANSFORM } from '../../contracts/client-events.js';
import { LambdaFunction, type PolicyStatement } from '../../modules/lambda-function.js';
import { denyInsecureTransport } from '../../modules/tls-only.js';
import type { TributaryStack } from '../base.js';
import { inlinePolicy, serviceRole, serviceStatement } from '../../modules/iam.js';
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
  const firehoseDlq = ruleTarget(stack, bus, allEvents, {
    id: 'rule-all',
    dlqId: 'firehose-target',
    purpose: 'client-events-to-s3',
    targetId: 'firehose',
    arn: firehose.arn,
    statement: { Sid: 'PutIntoFirehose', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: firehose.arn },
    dlqAlarmDescription:
      'Client events EventBridge could not deliver to Firehose are kept here: check the delivery stream, then replay them with PutEvents.',
  });
  return { bucket, transform, firehose, firehoseDlq, allEvents, processingFailed };
}

/** One rule sharing a ruleTarget's role and dead-letter queue. */
export interface ExtraRuleTarget {
  readonly rule: CloudwatchEventRule;
  /** Construct id prefix of its target ("rule-loyalty-sample" -> rule-loyalty-sample-target). */
  readonly id: string;
  /** Purpose segment of its DLQ-write-failure alarm. */
  readonly alarmPurpose: string;
  readonly inputTransformer: { inputPaths: Record<string, string>; inputTemplate: string };
}

/** A rule target built by ruleTarget. */
export interface RuleTargetProps {
  /** Construct id prefix of the role, its policy and the target ("rule-all" -> rule-all-role, ...). */
  readonly id: string;
  /** More rules with the same target, role, retry policy and dead-letter queue (each with its own input). */
  readonly extraRules?: readonly ExtraRuleTarget[];
  /** Construct id prefix of the dead-letter queue. */
  readonly dlqId: string;
  /** Purpose segment of the role and queue names and of the alarms. */
  readonly purpose: string;
  readonly targetId: string;
  readonly arn: string;
  /** The one permission the role grants EventBridge. */
  readonly statement: PolicyStatement & { readonly Sid: string };
  readonly inputTransformer?: { inputPaths: Record<string, string>; inputTemplate: string };
  readonly dlqAlarmDescription: string;
}

/**
 * One rule's target: a role EventBridge assumes with `statement` only, the target with the configured retry policy,
 * and its dead-letter queue (SSE, TLS only, writable by EventBridge for that rule only, retention from config,
 * alarmed as soon as it holds a message or EventBridge fails to write to it). Returns the dead-letter queue.
 */
export function ruleTarget(stack: TributaryStack, bus: CloudwatchEventBus, rule: CloudwatchEventRule, t: RuleTargetProps): SqsQueue {
  const ce = stack.config.clientEvents;
  const extra = t.extraRules ?? [];
  const dlq = targetDlq(stack, bus, t.dlqId, t.purpose, [rule, ...extra.map((x) => x.rule)], t.dlqAlarmDescription);
  // Only this target's rules (in our account) may have EventBridge assume the role.
  const rules = [rule, ...extra.map((x) => x.rule)];
  const role = serviceRole(stack, `${t.id}-role`, {
    name: stack.naming.name('iamRole', t.purpose, 'events'),
    service: 'events.amazonaws.com',
    sourceArn: rules.length === 1 ? rule.arn : rules.map((r) => r.arn),
  });
  inlinePolicy(stack, `${t.id}-role-policy`, role, 'least-privilege', [t.statement]);
  // Every rule of this target (the main one and any extra shapes) sends to the same place with the same role,
  // retry policy and dead-letter queue; only the input transformer differs.
  const target = (id: string, on: CloudwatchEventRule, inputTransformer: RuleTargetProps['inputTransformer']) =>
    new CloudwatchEventTarget(stack, `${id}-target`, {
      rule: on.name,
      eventBusName: bus.name,
      targetId: t.targetId,
      arn: t.arn,
      roleArn: role.arn,
      inputTransformer,
      retryPolicy: { maximumRetryAttempts: ce.maximumRetryAttempts, maximumEventAgeInSeconds: ce.maximumEventAgeSeconds },
      deadLetterConfig: { arn: dlq.arn },
    });
  target(t.id, rule, t.inputTransformer);
  for (const x of extra) {
    target(x.id, x.rule, x.inputTransformer);
    stack.alerts.eventRuleFailure(
      `${x.alarmPurpose}-dlq-failures`,
      { eventBusName: bus.name, ruleName: x.rule.name },
      'InvocationsFailedToBeSentToDlq',
      `EventBridge could not even write to the dead-letter queue of ${x.alarmPurpose}: events were lost; check the queue policy.`,
    );
  }
  return dlq;
}

/** The dead-letter queue of one rule target (see ruleTarget). */
function targetDlq(
  stack: TributaryStack,
  bus: CloudwatchEventBus,
  id: string,
  purpose: string,
  rules: CloudwatchEventRule[],
  alarmDescription: string,
): SqsQueue {
  const rule = rules[0];
  const ce = stack.config.clientEvents;
  const queue = new SqsQueue(stack, `${id}-dlq`, {
    name: stack.naming.name('sqs', purpose, 'dlq'),
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: ce.dlqRetentionDays * 86_400,
    receiveWaitTimeSeconds: 20,
  });
  new SqsQueuePolicy(stack, `${id}-dlq-policy`, {
    queueUrl: queue.url,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        serviceStatement(stack, {
          sid: 'EventBridgeRuleDeadLetters',
          service: 'events.amazonaws.com',
          actions: 'sqs:SendMessage',
          resource: queue.arn,
          sourceArn: rules.length === 1 ? rule.arn : rules.map((r) => r.arn),
        }),
        denyInsecureTransport('sqs:*', queue.arn),
      ],
    }),
  });
  stack.alerts.queueNotEmpty(`${purpose}-dlq-depth`, queue.name, alarmDescription);
  stack.alerts.eventRuleFailure(
    `${purpose}-dlq-failures`,
    { eventBusName: bus.name, ruleName: rule.name },
    'InvocationsFailedToBeSentToDlq',
    `EventBridge could not even write to the dead-letter queue of ${purpose}: events were lost; check the queue policy.`,
  );
  return queue;
}
