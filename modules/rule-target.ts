/**
 * EventBridge rule targets with a retry policy and a dead-letter queue: one target per rule, all sending to the same
 * destination with the same retry policy, dead-letter queue and (for destinations that need one) role; only each
 * rule's input transformer differs.
 *
 * The dead-letter queue is either one the caller owns (e.g. a QueueWithDlq's own DLQ, whose policy the caller
 * writes) or one built here: SQS-managed SSE, TLS only, writable by EventBridge for these rules only (with the
 * confused-deputy conditions of modules/iam.ts), alarmed as soon as it holds a message. Each rule may also get an
 * alarm on InvocationsFailedToBeSentToDlq (EventBridge could not even write to the dead-letter queue: events lost).
 *
 * A function over the caller's scope, not a construct: the ids are the caller's (`<role.id>-role`,
 * `<role.id>-role-policy`, `<deadLetter.id>-dlq`, `<deadLetter.id>-dlq-policy` and each rule's `targetId`), so
 * moving hand-written targets here keeps every Terraform address.
 *
 * @example
 * ruleTarget(this, {
 *   naming, alerts, eventBusName: bus.name, targetId: 'firehose', arn: firehose.arn,
 *   rules: [{ rule, constructId: 'rule-all-target', dlqFailureAlarmPurpose: 'to-s3' }],
 *   retry: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
 *   role: { id: 'rule-all', purpose: 'to-s3', statement: { Sid: 'Put', Action: 'firehose:PutRecordBatch', Resource: firehose.arn } },
 *   deadLetter: { id: 'firehose-target', purpose: 'to-s3', messageRetentionSeconds: 14 * 86_400, alarmDescription: '...' },
 * });
 */
import type { Construct } from 'constructs';
import type { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { Alerts } from './alarms.js';
import { inlinePolicy, policyJson, serviceRole, serviceStatement, type PolicyStatement } from './iam.js';
import type { Naming } from './naming.js';
import { denyInsecureTransport } from './tls-only.js';

/** EventBridge's limits on a target's retry policy (RetryPolicy in the EventBridge API reference). */
export const RETRY_POLICY_LIMITS = {
  maximumRetryAttempts: { min: 0, max: 185 },
  maximumEventAgeSeconds: { min: 60, max: 86_400 },
} as const;

export interface InputTransformer {
  readonly inputPaths: Record<string, string>;
  readonly inputTemplate: string;
}

export interface RuleTargetRule {
  readonly rule: CloudwatchEventRule;
  /** Construct id of this rule's target (its Terraform address). */
  readonly constructId: string;
  readonly inputTransformer?: InputTransformer;
  /** When given: an alarm `<this>-dlq-failures` on this rule's InvocationsFailedToBeSentToDlq. */
  readonly dlqFailureAlarmPurpose?: string;
}

/** A dead-letter queue built here (see the file comment). */
export interface OwnDeadLetterQueue {
  /** Construct id prefix: `<id>-dlq`, `<id>-dlq-policy`. */
  readonly id: string;
  /** Purpose segment of the queue name (`<purpose>-dlq`) and of its depth alarm (`<purpose>-dlq-depth`). */
  readonly purpose: string;
  readonly messageRetentionSeconds: number;
  /** What the depth alarm tells whoever reads it (what the messages are, how to replay them). */
  readonly alarmDescription: string;
}

export interface RuleTargetProps {
  readonly naming: Naming;
  readonly alerts: Alerts;
  /** The bus of every rule. */
  readonly eventBusName: string;
  /** At least one rule; the first one's ARN alone (or all of them) may send to the queue and assume the role. */
  readonly rules: readonly RuleTargetRule[];
  /** The target's id within each rule. */
  readonly targetId: string;
  /** The destination (Firehose stream, API destination, queue, ...). */
  readonly arn: string;
  /** How long and how often EventBridge retries a failed delivery before it gives up (to the dead-letter queue). */
  readonly retry: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
  /**
   * A role EventBridge assumes to deliver, allowed `statement` only, for destinations that need one (Firehose, API
   * destinations, ...); none for those whose resource policy lets EventBridge in (SQS, SNS, Lambda).
   */
  readonly role?: {
    /** Construct id prefix: `<id>-role`, `<id>-role-policy`. */
    readonly id: string;
    /** Role name: `<prefix>-<region>-<purpose>-events`. */
    readonly purpose: string;
    readonly statement: PolicyStatement & { readonly Sid: string };
  };
  /** The caller's dead-letter queue (its ARN; its policy must let these rules send), or one built here. */
  readonly deadLetter: { readonly arn: string } | OwnDeadLetterQueue;
}

export interface RuleTarget {
  readonly targets: CloudwatchEventTarget[];
  /** The dead-letter queue built here (none when the caller gave one). */
  readonly dlq?: SqsQueue;
  readonly deadLetterArn: string;
  readonly role?: IamRole;
}

/** Refuses a retry policy EventBridge would refuse (RETRY_POLICY_LIMITS), naming the field and its range. */
export function checkRetryPolicy(retry: RuleTargetProps['retry'], what: string): void {
  for (const key of ['maximumRetryAttempts', 'maximumEventAgeSeconds'] as const) {
    const { min, max } = RETRY_POLICY_LIMITS[key];
    const v = retry[key];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new Error(`${what}: retry ${key} must be a whole number from ${min} to ${max}, not ${v}`);
    }
  }
}

/** One target per rule with the retry policy and dead-letter queue (and role) described in the file comment. */
export function ruleTarget(scope: Construct, props: RuleTargetProps & { readonly deadLetter: OwnDeadLetterQueue }): RuleTarget & { readonly dlq: SqsQueue };
export function ruleTarget(scope: Construct, props: RuleTargetProps): RuleTarget;
export function ruleTarget(scope: Construct, props: RuleTargetProps): RuleTarget {
  const what = `rule target ${props.targetId}`;
  if (props.rules.length === 0) throw new Error(`${what}: needs at least one rule`);
  checkRetryPolicy(props.retry, what);
  const rules = props.rules.map((r) => r.rule);
  // One rule is named alone, several as a list (an ArnEquals condition takes either).
  const sourceArn = rules.length === 1 ? rules[0].arn : rules.map((r) => r.arn);
  const dlq = 'id' in props.deadLetter ? deadLetterQueue(scope, props, props.deadLetter, sourceArn) : undefined;
  const deadLetterArn = dlq ? dlq.arn : (props.deadLetter as { arn: string }).arn;
  let role: IamRole | undefined;
  if (props.role) {
    // Only these rules (in our account) may have EventBridge assume the role.
    role = serviceRole(scope, `${props.role.id}-role`, {
      name: props.naming.name('iamRole', props.role.purpose, 'events'),
      service: 'events.amazonaws.com',
      sourceArn,
    });
    inlinePolicy(scope, `${props.role.id}-role-policy`, role, 'least-privilege', [props.role.statement]);
  }
  const targets = props.rules.map((r) => {
    const target = new CloudwatchEventTarget(scope, r.constructId, {
      rule: r.rule.name,
      eventBusName: props.eventBusName,
      targetId: props.targetId,
      arn: props.arn,
      roleArn: role?.arn,
      inputTransformer: r.inputTransformer,
      retryPolicy: { maximumRetryAttempts: props.retry.maximumRetryAttempts, maximumEventAgeInSeconds: props.retry.maximumEventAgeSeconds },
      deadLetterConfig: { arn: deadLetterArn },
    });
    if (r.dlqFailureAlarmPurpose !== undefined) {
      props.alerts.eventRuleFailure(
        `${r.dlqFailureAlarmPurpose}-dlq-failures`,
        { eventBusName: props.eventBusName, ruleName: r.rule.name },
        'InvocationsFailedToBeSentToDlq',
        `EventBridge could not even write to the dead-letter queue of ${r.dlqFailureAlarmPurpose}: events were lost; check the queue policy.`,
      );
    }
    return target;
  });
  return { targets, dlq, deadLetterArn, role };
}

function deadLetterQueue(scope: Construct, props: RuleTargetProps, own: OwnDeadLetterQueue, sourceArn: string | string[]): SqsQueue {
  const queue = new SqsQueue(scope, `${own.id}-dlq`, {
    name: props.naming.name('sqs', own.purpose, 'dlq'),
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: own.messageRetentionSeconds,
    receiveWaitTimeSeconds: 20,
  });
  new SqsQueuePolicy(scope, `${own.id}-dlq-policy`, {
    queueUrl: queue.url,
    policy: policyJson([
      serviceStatement(scope, {
        sid: 'EventBridgeRuleDeadLetters',
        service: 'events.amazonaws.com',
        actions: 'sqs:SendMessage',
        resource: queue.arn,
        sourceArn,
      }),
      denyInsecureTransport('sqs:*', queue.arn),
    ]),
  });
  props.alerts.queueNotEmpty(`${own.purpose}-dlq-depth`, queue.name, own.alarmDescription);
  return queue;
}
