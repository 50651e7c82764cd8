/**
 * modules/rule-target.ts synthesized in a stack of its own, against EventBridge's documented contract: a target's
 * RetryPolicy takes 0-185 attempts and 60-86400 seconds of event age; its DeadLetterConfig names an SQS queue whose
 * policy lets events.amazonaws.com SendMessage for that rule (aws:SourceArn = the rule ARN, "Using dead-letter queues
 * to process undelivered events" in the EventBridge user guide); Firehose and API destination targets need a role
 * EventBridge assumes. And the ids stay in the caller's scope (no nested construct), so addresses do not move.
 */
import { describe, expect, it } from 'vitest';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { checkRetryPolicy, RETRY_POLICY_LIMITS, ruleTarget } from '../../modules/rule-target.js';
import { of, policyClean, ref, statementsOf, synthModules } from '../helpers/module-synth.js';

const RETRY = { maximumRetryAttempts: 24, maximumEventAgeSeconds: 7200 };
const rule = (stack: Parameters<Parameters<typeof synthModules>[0]>[0]['stack'], id: string) =>
  new CloudwatchEventRule(stack, id, { name: `trib-use1-${id}`, eventBusName: 'bus', eventPattern: JSON.stringify({ source: ['x'] }) });

describe('rule-target: own dead-letter queue, a role, two rules', () => {
  const json = synthModules(({ stack, naming, alerts }) => {
    const a = rule(stack, 'rule-a');
    const b = rule(stack, 'rule-b');
    const built = ruleTarget(stack, {
      naming, alerts, eventBusName: 'bus', targetId: 'sink', arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s',
      rules: [
        { rule: a, constructId: 'rule-a-target', dlqFailureAlarmPurpose: 'sink' },
        { rule: b, constructId: 'rule-b-target', inputTransformer: { inputPaths: { t: '$.detail.t' }, inputTemplate: '{"t": <t>}' }, dlqFailureAlarmPurpose: 'sink-b' },
      ],
      retry: RETRY,
      role: { id: 'rule-a', purpose: 'sink', statement: { Sid: 'Put', Action: 'firehose:PutRecordBatch', Resource: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s' } },
      deadLetter: { id: 'sink-target', purpose: 'sink', messageRetentionSeconds: 1_209_600, alarmDescription: 'sink dead letters' },
    });
    expect(built.dlq).toBeDefined();
    expect(built.targets).toHaveLength(2);
  });
  const targets = of(json, 'aws_cloudwatch_event_target');

  it('one target per rule, under the given ids, same destination, retry policy, DLQ and role; its own input', () => {
    expect(Object.keys(targets).sort()).toEqual(['rule-a-target', 'rule-b-target']);
    for (const [id, t] of Object.entries(targets)) {
      expect(t, id).toMatchObject({
        target_id: 'sink', event_bus_name: 'bus', arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s',
        retry_policy: { maximum_retry_attempts: 24, maximum_event_age_in_seconds: 7200 },
        dead_letter_config: { arn: '${aws_sqs_queue.sink-target-dlq.arn}' },
        role_arn: '${aws_iam_role.rule-a-role.arn}',
      });
    }
    expect(targets['rule-a-target'].rule).toBe('${aws_cloudwatch_event_rule.rule-a.name}');
    expect(targets['rule-a-target']).not.toHaveProperty('input_transformer');
    expect(targets['rule-b-target'].input_transformer).toEqual({ input_paths: { t: '$.detail.t' }, input_template: '{"t": <t>}' });
  });

  it('the role: assumed by EventBridge for these rules only, allowed the one statement', () => {
    const role = of(json, 'aws_iam_role')['rule-a-role'];
    expect(role.name).toBe('trib-use1-sink-events');
    const trust = statementsOf(role.assume_role_policy)[0];
    expect(trust).toMatchObject({ Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' });
    expect((trust.Condition as Record<string, unknown>).ArnEquals).toEqual({
      'aws:SourceArn': ['${aws_cloudwatch_event_rule.rule-a.arn}', '${aws_cloudwatch_event_rule.rule-b.arn}'],
    });
    const policy = of(json, 'aws_iam_role_policy')['rule-a-role-policy'];
    expect(statementsOf(policy.policy)).toEqual([{ Effect: 'Allow', Sid: 'Put', Action: 'firehose:PutRecordBatch', Resource: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s' }]);
  });

  it('the dead-letter queue: SSE, retention, SendMessage for these rules only, TLS only', () => {
    expect(of(json, 'aws_sqs_queue')['sink-target-dlq']).toMatchObject({ name: 'trib-use1-sink-dlq', sqs_managed_sse_enabled: true, message_retention_seconds: 1_209_600 });
    const [allow, deny] = statementsOf(of(json, 'aws_sqs_queue_policy')['sink-target-dlq-policy'].policy);
    expect(allow).toMatchObject({
      Sid: 'EventBridgeRuleDeadLetters', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage',
      Resource: '${aws_sqs_queue.sink-target-dlq.arn}',
      Condition: { ArnEquals: { 'aws:SourceArn': ['${aws_cloudwatch_event_rule.rule-a.arn}', '${aws_cloudwatch_event_rule.rule-b.arn}'] } },
    });
    expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  it('alarms: the queue holds a message; EventBridge could not write a rule\'s events to it', () => {
    const alarms = Object.values(of(json, 'aws_cloudwatch_metric_alarm'));
    expect(alarms.find((a) => a.alarm_name === 'trib-use1-sink-dlq-depth')).toMatchObject({
      metric_name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: '${aws_sqs_queue.sink-target-dlq.name}' }, alarm_description: 'sink dead letters',
    });
    expect(alarms.find((a) => a.alarm_name === 'trib-use1-sink-dlq-failures')).toMatchObject({
      metric_name: 'InvocationsFailedToBeSentToDlq', dimensions: { EventBusName: 'bus', RuleName: '${aws_cloudwatch_event_rule.rule-a.name}' },
    });
    expect(alarms.find((a) => a.alarm_name === 'trib-use1-sink-b-dlq-failures')).toMatchObject({
      metric_name: 'InvocationsFailedToBeSentToDlq', dimensions: { RuleName: '${aws_cloudwatch_event_rule.rule-b.name}' },
    });
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('rule-target: the caller\'s dead-letter queue, no role, one rule', () => {
  const json = synthModules(({ stack, naming, alerts }) => {
    const built = ruleTarget(stack, {
      naming, alerts, eventBusName: 'bus', targetId: 'queue', arn: 'arn:aws:sqs:us-east-1:123456789012:work',
      rules: [{ rule: rule(stack, 'rule-only'), constructId: 'target-only' }],
      retry: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
      deadLetter: { arn: 'arn:aws:sqs:us-east-1:123456789012:work-dlq' },
    });
    expect(built.dlq).toBeUndefined();
    expect(built.role).toBeUndefined();
    expect(built.deadLetterArn).toBe('arn:aws:sqs:us-east-1:123456789012:work-dlq');
  });

  it('targets the queue with the given DLQ and no role; builds no queue, role or alarm of its own', () => {
    expect(of(json, 'aws_cloudwatch_event_target')['target-only']).toMatchObject({
      arn: 'arn:aws:sqs:us-east-1:123456789012:work', dead_letter_config: { arn: 'arn:aws:sqs:us-east-1:123456789012:work-dlq' },
      retry_policy: { maximum_retry_attempts: 0, maximum_event_age_in_seconds: 60 },
    });
    expect(of(json, 'aws_cloudwatch_event_target')['target-only']).not.toHaveProperty('role_arn');
    expect(of(json, 'aws_sqs_queue')).toEqual({});
    expect(of(json, 'aws_iam_role')).toEqual({});
    expect(of(json, 'aws_cloudwatch_metric_alarm')).toEqual({});
  });
});

describe('rule-target: one rule with its own DLQ names the rule alone', () => {
  it('aws:SourceArn is the one rule ARN (not a list)', () => {
    const json = synthModules(({ stack, naming, alerts }) => {
      ruleTarget(stack, {
        naming, alerts, eventBusName: 'bus', targetId: 't', arn: 'arn:aws:sqs:us-east-1:123456789012:q',
        rules: [{ rule: rule(stack, 'solo'), constructId: 'solo-target' }], retry: RETRY,
        deadLetter: { id: 'solo', purpose: 'solo', messageRetentionSeconds: 86_400, alarmDescription: 'd' },
      });
    });
    const [allow] = statementsOf(of(json, 'aws_sqs_queue_policy')['solo-dlq-policy'].policy);
    expect((allow.Condition as Record<string, unknown>).ArnEquals).toEqual({ 'aws:SourceArn': ref('aws_cloudwatch_event_rule', json, 'solo', 'arn') });
  });
});

describe('checkRetryPolicy and refusals', () => {
  it('accepts the bounds EventBridge documents', () => {
    expect(RETRY_POLICY_LIMITS).toEqual({ maximumRetryAttempts: { min: 0, max: 185 }, maximumEventAgeSeconds: { min: 60, max: 86_400 } });
    expect(() => checkRetryPolicy({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 }, 't')).not.toThrow();
    expect(() => checkRetryPolicy({ maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 }, 't')).not.toThrow();
  });

  it('refuses anything outside them, or not whole, naming the target, the field and the range', () => {
    expect(() => checkRetryPolicy({ maximumRetryAttempts: 186, maximumEventAgeSeconds: 60 }, 'rule target x')).toThrow(
      'rule target x: retry maximumRetryAttempts must be a whole number from 0 to 185, not 186',
    );
    expect(() => checkRetryPolicy({ maximumRetryAttempts: 1, maximumEventAgeSeconds: 59 }, 't')).toThrow(/maximumEventAgeSeconds must be a whole number from 60 to 86400, not 59/);
    expect(() => checkRetryPolicy({ maximumRetryAttempts: 1, maximumEventAgeSeconds: 86_401 }, 't')).toThrow(/not 86401/);
    expect(() => checkRetryPolicy({ maximumRetryAttempts: 1.5, maximumEventAgeSeconds: 60 }, 't')).toThrow(/not 1\.5/);
  });

  it('refuses a target without rules, and a bad retry policy before building anything', () => {
    expect(() =>
      synthModules(({ stack, naming, alerts }) => {
        ruleTarget(stack, { naming, alerts, eventBusName: 'b', targetId: 'none', arn: 'a', rules: [], retry: RETRY, deadLetter: { arn: 'd' } });
      }),
    ).toThrow('rule target none: needs at least one rule');
    expect(() =>
      synthModules(({ stack, naming, alerts }) => {
        ruleTarget(stack, {
          naming, alerts, eventBusName: 'b', targetId: 'bad', arn: 'a', rules: [{ rule: rule(stack, 'r'), constructId: 'r-target' }],
          retry: { maximumRetryAttempts: 200, maximumEventAgeSeconds: 60 }, deadLetter: { arn: 'd' },
        });
      }),
    ).toThrow(/rule target bad: retry maximumRetryAttempts/);
  });
});
