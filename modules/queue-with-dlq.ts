import { Construct } from 'constructs';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { Alerts } from './alarms.js';
import type { Naming } from './naming.js';
import { denyInsecureTransport } from './tls-only.js';

export interface QueueWithDlqProps {
  readonly naming: Naming;
  /** Purpose segment of the queue name; the DLQ adds "-dlq". */
  readonly purpose: string;
  /** Visibility timeout in seconds. Default 30; keep it >= 6x the consumer Lambda's timeout. */
  readonly visibilityTimeoutSeconds?: number;
  /** Retention of the main queue in seconds. Default 4 days (345600). The DLQ always keeps 14 days. */
  readonly messageRetentionSeconds?: number;
  /** Receives before a message moves to the DLQ. Default 5. */
  readonly maxReceiveCount?: number;
  /** Long-polling wait. Default 20 s. */
  readonly receiveWaitTimeSeconds?: number;
  /**
   * Extra queue policy statements for the main queue (IAM JSON objects; "Resource" may be omitted and is
   * then the queue ARN). A TLS-only deny statement is always added.
   */
  readonly policyStatements?: readonly Record<string, unknown>[];
  /** Extra policy statements for the DLQ (e.g. SNS subscription redrive). */
  readonly dlqPolicyStatements?: readonly Record<string, unknown>[];
  /** Alerts topic; when given, an alarm fires as soon as the DLQ holds a message. */
  readonly alerts?: Alerts;
}

/** The 14-day maximum SQS retention, used for every DLQ. */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/**
 * An SQS queue with its dead-letter queue. Both use SQS-managed SSE, the DLQ inherits the main queue's
 * settings but keeps messages for 14 days and allows redrive back to its own queue only, and both queues deny
 * requests not made over TLS.
 */
export class QueueWithDlq extends Construct {
  readonly queue: SqsQueue;
  readonly dlq: SqsQueue;
  /** The queues' names as plain strings (known at synth, usable outside this stack, e.g. on a region overview dashboard). */
  readonly queueName: string;
  readonly dlqName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  /** The DLQ-depth alarm (when `alerts` was given). */
  readonly dlqAlarm?: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    this.visibilityTimeoutSeconds = props.visibilityTimeoutSeconds ?? 30;
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    this.queueName = props.naming.name('sqs', props.purpose);
    this.dlqName = props.naming.name('sqs', props.purpose, 'dlq');
    const common = {
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: this.visibilityTimeoutSeconds,
      receiveWaitTimeSeconds: props.receiveWaitTimeSeconds ?? 20,
    };
    this.dlq = new SqsQueue(this, 'dlq', {
      ...common,
      name: this.dlqName,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });
    this.queue = new SqsQueue(this, 'queue', {
      ...common,
      name: this.queueName,
      messageRetentionSeconds: props.messageRetentionSeconds ?? 345_600,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.dlq.arn, maxReceiveCount: this.maxReceiveCount }),
    });
    new SqsQueueRedriveAllowPolicy(this, 'dlq-redrive-allow', {
      queueUrl: this.dlq.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });
    new SqsQueuePolicy(this, 'policy', { queueUrl: this.queue.url, policy: queuePolicy(this.queue.arn, props.policyStatements) });
    new SqsQueuePolicy(this, 'dlq-policy', { queueUrl: this.dlq.url, policy: queuePolicy(this.dlq.arn, props.dlqPolicyStatements) });

    this.dlqAlarm = props.alerts?.queueNotEmpty(
      `${props.purpose}-dlq-depth`,
      this.dlq.name,
      `Messages are waiting in ${props.purpose}'s dead-letter queue: inspect them, fix the cause, then redrive.`,
    );
  }

  get arn(): string {
    return this.queue.arn;
  }

  get url(): string {
    return this.queue.url;
  }
}

function queuePolicy(arn: string, statements: readonly Record<string, unknown>[] = []): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      ...statements.map((s) => ({ Resource: arn, ...s })),
      denyInsecureTransport('sqs:*', arn),
    ],
  });
}
