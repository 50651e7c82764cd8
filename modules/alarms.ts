import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import {
  CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig, type CloudwatchMetricAlarmMetricQuery,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { Naming } from './naming.js';
import { suppress } from '../policy/suppress.js';
import { denyInsecureTransport } from './tls-only.js';
import { ownArn, policyJson, registerAccountSource, serviceStatement } from './iam.js';

export interface AlertsProps {
  readonly naming: Naming;
  /** Purpose segment of the topic name. Default "alerts". */
  readonly purpose?: string;
  /** E-mail address subscribed to the topic; none by default. */
  readonly email?: string;
}

/** Reason kept beside the suppression of the SNS encryption rule for alert topics. */
export const ALERTS_TOPIC_UNENCRYPTED_REASON =
  'CloudWatch alarm actions cannot publish to a topic encrypted with the AWS managed SNS key, and a customer ' +
  'managed key per stack costs more than the alarm metadata it would protect; alerts carry no payload data.';

/**
 * The API whose server errors an `api5xx` alarm counts. API Gateway publishes them under AWS/ApiGateway as `5xx` with
 * the ApiId and Stage dimensions for an HTTP API, and as `5XXError` with ApiName and Stage for a REST API.
 */
export type ApiMetricTarget =
  | { readonly kind: 'http'; readonly apiId: string; readonly stage: string }
  | { readonly kind: 'rest'; readonly apiName: string; readonly stage: string };

export interface Api5xxAlarmProps {
  readonly api: ApiMetricTarget;
  /**
   * Server errors (the Sum over 5 minutes) the alarm compares with. Today: clickstream and client events take it
   * from config (api5xxAlarmThreshold, default 5, "this many or more"); the Buy with Prime install API uses 0 with
   * GreaterThanThreshold (the first error).
   */
  readonly threshold: number;
  /** Default GreaterThanOrEqualToThreshold (fires at `threshold` errors or more); GreaterThanThreshold fires above it. */
  readonly comparisonOperator?: 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold';
  /** What happened and where to look (the alarm's description). */
  readonly alarmDescription: string;
}

/**
 * The stack's alerts topic (one per stack), with an optional e-mail subscription. Every alarm created
 * through `alarm()` notifies it on ALARM and OK.
 */
export class Alerts extends Construct {
  readonly topic: SnsTopic;
  /** Every alarm created through this topic, in creation order (the stack's dashboard shows them all). */
  readonly alarms: CloudwatchMetricAlarm[] = [];
  /** Their names as plain strings, in the same order (known at synth: a region overview dashboard builds their ARNs). */
  readonly alarmNames: string[] = [];
  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.naming = props.naming;
    this.topic = new SnsTopic(this, 'topic', {
      name: props.naming.name('sns', props.purpose ?? 'alerts'),
    });
    suppress(this.topic, 'sns-encrypted', ALERTS_TOPIC_UNENCRYPTED_REASON);
    // The stack's account id and partition come from this topic's ARN (every stack has one; see modules/iam.ts).
    registerAccountSource(this, this.topic.arn);
    new SnsTopicPolicy(this, 'policy', {
      arn: this.topic.arn,
      policy: policyJson([
        // Only alarms of this account and region may publish (CloudWatch's confused-deputy guidance).
        serviceStatement(this, {
          sid: 'CloudWatchAlarmsPublish',
          service: 'cloudwatch.amazonaws.com',
          actions: 'sns:Publish',
          resource: this.topic.arn,
          sourceArn: ownArn(this, 'cloudwatch', props.naming.region, 'alarm:*'),
        }),
        denyInsecureTransport('sns:Publish', this.topic.arn),
      ]),
    });
    if (props.email) {
      new SnsTopicSubscription(this, 'email', { topicArn: this.topic.arn, protocol: 'email', endpoint: props.email });
    }
  }

  /** A metric alarm named `<prefix>-<region>-<purpose>` that notifies this topic. */
  alarm(purpose: string, props: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'>): CloudwatchMetricAlarm {
    const alarmName = this.naming.name('alarm', purpose);
    const alarm = new CloudwatchMetricAlarm(this, purpose, {
      treatMissingData: 'notBreaching',
      ...props,
      alarmName,
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    });
    this.alarms.push(alarm);
    this.alarmNames.push(alarmName);
    return alarm;
  }

  /** Fires when `queueName` holds any visible message (a dead-letter queue that should stay empty). */
  queueNotEmpty(purpose: string, queueName: string, alarmDescription: string): CloudwatchMetricAlarm {
    return this.alarm(purpose, {
      alarmDescription,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: queueName },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }

  /** Fires when an EventBridge rule counts any `metricName` (e.g. FailedInvocations) within 5 minutes. */
  eventRuleFailure(purpose: string, rule: { eventBusName: string; ruleName: string }, metricName: string, alarmDescription: string): CloudwatchMetricAlarm {
    return this.alarm(purpose, {
      alarmDescription,
      namespace: 'AWS/Events',
      metricName,
      dimensions: { EventBusName: rule.eventBusName, RuleName: rule.ruleName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }

  /** Fires when an API answers with server errors (5xx) within 5 minutes, per `props.threshold`. */
  api5xx(purpose: string, props: Api5xxAlarmProps): CloudwatchMetricAlarm {
    const api = props.api;
    return this.alarm(purpose, {
      alarmDescription: props.alarmDescription,
      namespace: 'AWS/ApiGateway',
      ...(api.kind === 'http'
        ? { metricName: '5xx', dimensions: { ApiId: api.apiId, Stage: api.stage } }
        : { metricName: '5XXError', dimensions: { ApiName: api.apiName, Stage: api.stage } }),
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator ?? 'GreaterThanOrEqualToThreshold',
    });
  }

  /**
   * Loss kind "records refused by a transform": fires when `metric` (a count of records a transform returned as
   * ProcessingFailed, or any other count of records set aside) sums above `threshold` within `periodSeconds`.
   */
  processingFailed(purpose: string, props: ProcessingFailedAlarmProps): CloudwatchMetricAlarm {
    return this.alarm(purpose, {
      alarmDescription: props.description,
      ...metricSum(props.metric, props.periodSeconds ?? 300),
      evaluationPeriods: 1,
      threshold: props.threshold ?? 0,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }

  /**
   * Loss kind "reject rate": fires when rejected / (accepted + rejected) exceeds `thresholdPercent` in
   * `datapointsToAlarm` of `evaluationPeriods` periods with at least `minimumRecords` records in all (metric math;
   * missing data points count as 0).
   */
  rejectRate(purpose: string, props: RejectRateAlarmProps): CloudwatchMetricAlarm {
    const period = props.periodSeconds ?? 300;
    const min = props.minimumRecords ?? 10;
    const total = '(FILL(accepted, 0) + FILL(rejected, 0))';
    return this.percentAlarm(purpose, props, period, [metricQuery('accepted', props.accepted, period), metricQuery('rejected', props.rejected, period)], {
      id: 'rate',
      expression: `IF(${total} >= ${min}, 100 * FILL(rejected, 0) / ${total}, 0)`,
      label: 'Rejected records (% of all records)',
    });
  }

  /**
   * Loss kind "accepted versus stored": fires when the share of accepted records that was not stored,
   * (accepted - sum(stored)) / accepted, exceeds `thresholdPercent` in `datapointsToAlarm` of `evaluationPeriods`
   * periods in which at least `minimumAccepted` records were accepted (metric math; missing points count as 0).
   * Records still buffered at a period's end count as missing in that period and as extra in the next, so a
   * single-period dip is not a loss: the defaults ask for three periods in a row.
   */
  acceptedVsStored(purpose: string, props: AcceptedVsStoredAlarmProps): CloudwatchMetricAlarm {
    if (props.stored.length === 0) throw new Error(`alarm ${purpose}: at least one stored metric is needed`);
    const period = props.periodSeconds ?? 3600;
    const storedIds = props.stored.map((_, i) => `stored${i}`);
    const storedSum = storedIds.map((id) => `FILL(${id}, 0)`).join(' + ');
    const min = props.minimumAccepted ?? 10;
    const inputs = [metricQuery('accepted', props.accepted, period), ...props.stored.map((m, i) => metricQuery(storedIds[i], m, period))];
    return this.percentAlarm(purpose, props, period, inputs, {
      id: 'lost',
      expression: `IF(FILL(accepted, 0) >= ${min}, 100 * (FILL(accepted, 0) - (${storedSum})) / FILL(accepted, 0), 0)`,
      label: 'Accepted records not stored (%)',
    });
  }

  /**
   * The two percentage loss alarms: `percent` (metric math over `inputs`) above `thresholdPercent` (default 5) in
   * `datapointsToAlarm` of `evaluationPeriods` (default 3) periods.
   */
  private percentAlarm(
    purpose: string,
    props: { readonly description: string; readonly thresholdPercent?: number; readonly evaluationPeriods?: number; readonly datapointsToAlarm?: number },
    period: number,
    inputs: readonly CloudwatchMetricAlarmMetricQuery[],
    percent: { readonly id: string; readonly expression: string; readonly label: string },
  ): CloudwatchMetricAlarm {
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    checkEvaluationRange(purpose, period, evaluationPeriods);
    return this.alarm(purpose, {
      alarmDescription: props.description,
      evaluationPeriods,
      datapointsToAlarm: props.datapointsToAlarm ?? evaluationPeriods,
      threshold: props.thresholdPercent ?? 5,
      comparisonOperator: 'GreaterThanThreshold',
      metricQuery: [...inputs, { ...percent, returnData: true }],
    });
  }

  /**
   * Loss kind "nothing delivered": fires when `metric` (a count of delivered records) sums to less than 1 in every
   * hour of the last `hours` hours. Missing data is breaching: a stream that publishes nothing is exactly the case.
   */
  noDelivery(purpose: string, props: NoDeliveryAlarmProps): CloudwatchMetricAlarm {
    checkEvaluationRange(purpose, 3600, props.hours);
    return this.alarm(purpose, {
      alarmDescription: props.description,
      ...metricSum(props.metric, 3600),
      evaluationPeriods: props.hours,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
  }

  /**
   * Loss kind "volume drop": fires when the incoming count falls below CloudWatch's anomaly detection band
   * (`mode: "anomaly"`, band `bandWidth` standard deviations wide) or below a fixed `floor` per period
   * (`mode: "floor"`) in `datapointsToAlarm` of `evaluationPeriods` periods. Missing data is breaching (silence is
   * the deepest drop) unless `silenceIsDrop` is false.
   */
  volumeDrop(purpose: string, props: VolumeDropAlarmProps): CloudwatchMetricAlarm {
    const period = props.periodSeconds ?? 3600;
    const evaluationPeriods = props.evaluationPeriods ?? 3;
    checkEvaluationRange(purpose, period, evaluationPeriods);
    const common = {
      alarmDescription: props.description,
      evaluationPeriods,
      datapointsToAlarm: props.datapointsToAlarm ?? evaluationPeriods,
      treatMissingData: props.silenceIsDrop === false ? 'notBreaching' : 'breaching',
    };
    if (props.mode === 'anomaly') {
      return this.alarm(purpose, {
        ...common,
        comparisonOperator: 'LessThanLowerThreshold',
        thresholdMetricId: 'band',
        metricQuery: [
          { ...metricQuery('incoming', props.metric, period), returnData: true },
          { id: 'band', expression: `ANOMALY_DETECTION_BAND(incoming, ${props.bandWidth ?? 2})`, label: 'Expected incoming records', returnData: true },
        ],
      });
    }
    return this.alarm(purpose, {
      ...common,
      comparisonOperator: 'LessThanThreshold',
      threshold: props.floor,
      metricQuery: [
        metricQuery('incoming', props.metric, period),
        { id: 'volume', expression: 'FILL(incoming, 0)', label: 'Incoming records', returnData: true },
      ],
    });
  }
}

/** One CloudWatch metric (namespace, name, dimensions) and the statistic read from it (default Sum). */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Statistic. Default "Sum". */
  readonly stat?: string;
}

export interface ProcessingFailedAlarmProps {
  readonly description: string;
  /** Count of records set aside (e.g. a log metric filter counting the transform's ProcessingFailed lines). */
  readonly metric: MetricRef;
  /** Records per period above which the alarm fires. Default 0 (the first one). */
  readonly threshold?: number;
  /** Period in seconds. Default 300. */
  readonly periodSeconds?: number;
}

export interface RejectRateAlarmProps {
  readonly description: string;
  /** Records taken in. */
  readonly accepted: MetricRef;
  /** Records refused (kept in a rejects sink). */
  readonly rejected: MetricRef;
  /** Rejected share, in percent, above which a period breaches. Default 5. */
  readonly thresholdPercent?: number;
  /** Fewest records (accepted + rejected) in a period for its rate to count; fewer give 0. Default 10. */
  readonly minimumRecords?: number;
  /** Period in seconds. Default 300. */
  readonly periodSeconds?: number;
  /** Periods evaluated (default 3) and breaching periods needed (default: all of them). */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

export interface AcceptedVsStoredAlarmProps {
  readonly description: string;
  /** Records the pipeline accepted. */
  readonly accepted: MetricRef;
  /** Records it stored (or kept on purpose); summed. */
  readonly stored: readonly MetricRef[];
  /** Share of accepted records not stored, in percent, above which a period breaches. Default 5. */
  readonly thresholdPercent?: number;
  /** Fewest accepted records in a period for it to count; fewer give 0. Default 10. */
  readonly minimumAccepted?: number;
  /** Period in seconds. Default 3600. */
  readonly periodSeconds?: number;
  /** Periods evaluated (default 3) and breaching periods needed (default: all of them). */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

export interface NoDeliveryAlarmProps {
  readonly description: string;
  /** Count of delivered records (Sum per hour). */
  readonly metric: MetricRef;
  /** Hours without a delivered record before the alarm fires (1-168). */
  readonly hours: number;
}

export type VolumeDropAlarmProps = {
  readonly description: string;
  /** Count of incoming records or messages (Sum per period). */
  readonly metric: MetricRef;
  /** Period in seconds. Default 3600. */
  readonly periodSeconds?: number;
  /** Periods evaluated (default 3) and breaching periods needed (default: all of them). */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  /** A period without any data point counts as a drop. Default true. */
  readonly silenceIsDrop?: boolean;
} & (
  | {
      readonly mode: 'anomaly';
      /** Width of the anomaly detection band in standard deviations. Default 2. */
      readonly bandWidth?: number;
    }
  | {
      readonly mode: 'floor';
      /** Fewest incoming records per period. */
      readonly floor: number;
    }
);

/** An alarm on the sum of one metric over `period` seconds (the metric fields of PutMetricAlarm). */
function metricSum(m: MetricRef, period: number) {
  return { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, statistic: 'Sum', period };
}

function metricQuery(id: string, m: MetricRef, period: number): CloudwatchMetricAlarmMetricQuery {
  return {
    id,
    returnData: false,
    metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions ? { ...m.dimensions } : undefined, period, stat: m.stat ?? 'Sum' },
  };
}

/**
 * PutMetricAlarm's limit on an alarm's evaluation range: period x evaluation periods at most 7 days, and at most
 * one day when the period is shorter than an hour.
 */
export function checkEvaluationRange(purpose: string, periodSeconds: number, evaluationPeriods: number): void {
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) {
    throw new Error(`alarm ${purpose}: evaluation periods must be a whole number of at least 1, got ${evaluationPeriods}`);
  }
  const limit = periodSeconds < 3600 ? 86_400 : 604_800;
  if (periodSeconds * evaluationPeriods > limit) {
    throw new Error(
      `alarm ${purpose}: ${evaluationPeriods} periods of ${periodSeconds} s exceed CloudWatch's evaluation range of ${limit} s`,
    );
  }
}
