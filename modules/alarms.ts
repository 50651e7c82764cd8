import { Construct } from 'constructs';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { Naming } from './naming.js';
import { suppress } from '../policy/suppress.js';
import { denyInsecureTransport } from './tls-only.js';
import { ownArn, registerAccountSource, serviceStatement } from './iam.js';

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
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          // Only alarms of this account and region may publish (CloudWatch's confused-deputy guidance).
          serviceStatement(this, {
            sid: 'CloudWatchAlarmsPublish',
            service: 'cloudwatch.amazonaws.com',
            actions: 'sns:Publish',
            resource: this.topic.arn,
            sourceArn: ownArn(this, 'cloudwatch', props.naming.region, 'alarm:*'),
          }),
          denyInsecureTransport('sns:Publish', this.topic.arn),
        ],
      }),
    });
    if (props.email) {
      new SnsTopicSubscription(this, 'email', { topicArn: this.topic.arn, protocol: 'email', endpoint: props.email });
    }
  }

  /** A metric alarm named `<prefix>-<region>-<purpose>` that notifies this topic. */
  alarm(purpose: string, props: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'>): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, purpose, {
      treatMissingData: 'notBreaching',
      ...props,
      alarmName: this.naming.name('alarm', purpose),
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    });
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
}
