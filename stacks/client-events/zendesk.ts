/**
 * Client events, Zendesk part (with `clientEvents.zendesk.enabled`): loyalty purchases with a ticket -> API
 * destination (BASIC connection whose credentials `npm run client-events:connect` sets from Secrets Manager), in
 * either accepted ticket shape, and a parking queue for the loyalty purchases neither ticket rule matched.
 *
 * No credential reaches Terraform: the connection is created with a placeholder password and Terraform ignores its
 * auth parameters afterwards (provider 5.100 has no write-only argument for them, and a data source reading the
 * secret would copy it into the state).
 *
 * Functions over the stack's own scope, not constructs: every resource keeps its id and Terraform address.
 */
import type { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventApiDestination } from '@cdktf/provider-aws/lib/cloudwatch-event-api-destination';
import { CloudwatchEventConnection } from '@cdktf/provider-aws/lib/cloudwatch-event-connection';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { denyInsecureTransport } from '../../modules/tls-only.js';
import { policyJson, serviceStatement } from '../../modules/iam.js';
import { suppress } from '../../policy/suppress.js';
import type { TributaryStack } from '../base.js';
import { ruleTarget } from '../../modules/rule-target.js';
import { clientEventsRetry } from './delivery.js';
import {
  RULE_PATTERNS, ZENDESK_CONNECTION_PURPOSE, ZENDESK_INPUT_TRANSFORMER, ZENDESK_PLACEHOLDER_PASSWORD, ZENDESK_SAMPLE_INPUT_TRANSFORMER,
} from './templates.js';

export interface Zendesk {
  readonly connection: CloudwatchEventConnection;
  readonly apiDestination: CloudwatchEventApiDestination;
  /** Dead-letter queue of both ticket rules. */
  readonly zendeskDlq: SqsQueue;
  /** Loyalty purchases that opened no ticket. */
  readonly loyaltyUnroutedQueue: SqsQueue;
}

/** The Zendesk connection, destination, ticket rules and their targets on `bus`, built on `stack`'s own scope. */
export function zendesk(stack: TributaryStack, bus: CloudwatchEventBus): Zendesk {
  const ce = stack.config.clientEvents;
  const naming = stack.naming;
  const connection = new CloudwatchEventConnection(stack, 'zendesk-connection', {
    name: naming.name('connection', ZENDESK_CONNECTION_PURPOSE),
    description: 'Zendesk API token (basic auth); credentials are set by npm run client-events:connect, not Terraform',
    authorizationType: 'BASIC',
    authParameters: { basic: { username: 'set-by-client-events-connect', password: ZENDESK_PLACEHOLDER_PASSWORD } },
    lifecycle: { ignoreChanges: ['auth_parameters'] },
  });
  const apiDestination = new CloudwatchEventApiDestination(stack, 'zendesk-destination', {
    name: naming.name('apiDestination', 'client-events-zendesk-tickets'),
    description: 'Zendesk: create ticket',
    connectionArn: connection.arn,
    invocationEndpoint: ce.zendesk.ticketsEndpoint,
    httpMethod: 'POST',
    invocationRateLimitPerSecond: ce.zendesk.rateLimitPerSecond,
  });
  const loyalty = new CloudwatchEventRule(stack, 'rule-loyalty', {
    name: naming.name('eventRule', 'client-events-loyalty-zendesk'),
    description: 'Loyalty purchases with a ticket to Zendesk',
    eventBusName: bus.name,
    eventPattern: JSON.stringify(RULE_PATTERNS.loyalty),
  });
  const loyaltySample = new CloudwatchEventRule(stack, 'rule-loyalty-sample', {
    name: naming.name('eventRule', 'client-events-loyalty-sample-zendesk'),
    description: 'Loyalty purchases with the original sample ticket shape (ticket.ticket.subject, ticket.ticket.comment.body) to Zendesk',
    eventBusName: bus.name,
    eventPattern: JSON.stringify(RULE_PATTERNS.loyaltySample),
  });
  const { dlq: zendeskDlq } = ruleTarget(stack, {
    naming,
    alerts: stack.alerts,
    eventBusName: bus.name,
    // Both accepted ticket shapes go to Zendesk with the same role, retry policy and dead-letter queue.
    rules: [
      {
        rule: loyalty,
        constructId: 'rule-loyalty-target',
        inputTransformer: { inputPaths: { ...ZENDESK_INPUT_TRANSFORMER.inputPaths }, inputTemplate: ZENDESK_INPUT_TRANSFORMER.inputTemplate },
        dlqFailureAlarmPurpose: 'client-events-zendesk',
      },
      {
        rule: loyaltySample,
        constructId: 'rule-loyalty-sample-target',
        inputTransformer: { inputPaths: { ...ZENDESK_SAMPLE_INPUT_TRANSFORMER.inputPaths }, inputTemplate: ZENDESK_SAMPLE_INPUT_TRANSFORMER.inputTemplate },
        dlqFailureAlarmPurpose: 'client-events-zendesk-sample',
      },
    ],
    targetId: 'zendesk',
    arn: apiDestination.arn,
    retry: clientEventsRetry(stack),
    role: {
      id: 'rule-loyalty',
      purpose: 'client-events-zendesk',
      statement: { Sid: 'InvokeZendesk', Action: ['events:InvokeApiDestination'], Resource: apiDestination.arn },
    },
    deadLetter: {
      id: 'zendesk-target',
      purpose: 'client-events-zendesk',
      messageRetentionSeconds: ce.dlqRetentionDays * 86_400,
      alarmDescription:
        'Loyalty-purchase tickets EventBridge could not deliver to Zendesk are kept here. A 401 means the connection has no ' +
        'credentials yet: run "npm run client-events:connect -- --region <region>" (docs/client-events.md), then replay.',
    },
  });
  const loyaltyUnroutedQueue = loyaltyUnrouted(stack, bus);
  return { connection, apiDestination, zendeskDlq, loyaltyUnroutedQueue };
}

/**
 * Loyalty purchases that match neither ticket rule (RULE_PATTERNS.loyaltyUnrouted) are kept in a queue (SSE, TLS
 * only, writable by EventBridge for that rule only) and alarmed: with Zendesk on a ticket was expected, and
 * without this rule nothing would say it never came. A failed delivery to the queue is alarmed too.
 */
function loyaltyUnrouted(stack: TributaryStack, bus: CloudwatchEventBus): SqsQueue {
  const ce = stack.config.clientEvents;
  const purpose = 'client-events-loyalty-unrouted';
  const rule = new CloudwatchEventRule(stack, 'rule-loyalty-unrouted', {
    name: stack.naming.name('eventRule', purpose),
    description: 'Loyalty purchases no Zendesk rule matched (no ticket, or one without subject or body): kept and alarmed',
    eventBusName: bus.name,
    eventPattern: JSON.stringify(RULE_PATTERNS.loyaltyUnrouted),
  });
  const queue = new SqsQueue(stack, 'loyalty-unrouted-queue', {
    name: stack.naming.name('sqs', purpose),
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: ce.dlqRetentionDays * 86_400,
    receiveWaitTimeSeconds: 20,
  });
  suppress(
    queue,
    'sqs-dlq',
    'A parking queue like a dead-letter queue: people read and replay its messages, no consumer retries them, so a ' +
      'redrive queue would only move the same messages; it is alarmed when not empty, and failed writes to it are alarmed.',
  );
  new SqsQueuePolicy(stack, 'loyalty-unrouted-queue-policy', {
    queueUrl: queue.url,
    policy: policyJson([
      serviceStatement(stack, { sid: 'EventBridgeRule', service: 'events.amazonaws.com', actions: 'sqs:SendMessage', resource: queue.arn, sourceArn: rule.arn }),
      denyInsecureTransport('sqs:*', queue.arn),
    ]),
  });
  new CloudwatchEventTarget(stack, 'rule-loyalty-unrouted-target', {
    rule: rule.name,
    eventBusName: bus.name,
    targetId: 'unrouted-queue',
    arn: queue.arn,
    retryPolicy: { maximumRetryAttempts: ce.maximumRetryAttempts, maximumEventAgeInSeconds: ce.maximumEventAgeSeconds },
  });
  stack.alerts.queueNotEmpty(
    `${purpose}-depth`,
    queue.name,
    'Loyalty purchases that opened no Zendesk ticket (no ticket, or no subject/body in either accepted shape) are kept here; ' +
      'the events are in S3 too. Fix the client, then replay the messages with PutEvents or open the tickets by hand.',
  );
  stack.alerts.eventRuleFailure(
    `${purpose}-failures`,
    { eventBusName: bus.name, ruleName: rule.name },
    'FailedInvocations',
    'EventBridge could not write unrouted loyalty purchases to their queue (they are still in S3): check the queue policy.',
  );
  return queue;
}
