/**
 * Confirmation over one SQS batch from the confirmation queue: check each message (core.ts), verify its SNS
 * signature (signature.ts), then call SNS ConfirmSubscription(TopicArn, Token) in the TopicArn's region. Every
 * refused or failed message is logged with its reason and reported as a batch item failure, so it stays in the
 * queue and, after maxReceiveCount, in its DLQ. Tokens, signatures and subscribe URLs are never logged.
 */
import { ConfirmSubscriptionCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Logger } from '../../shared/log.js';
import { BatchFailures, describeError } from '../../shared/sqs-batch.js';
import { checkConfirmation, type Expectation } from './core.js';
import type { SnsSignatureVerifier } from './signature.js';

export interface ConfirmPorts {
  readonly expected: Expectation;
  readonly verifier: Pick<SnsSignatureVerifier, 'verify'>;
  /** SNS ConfirmSubscription in `region`; resolves with the subscription ARN. */
  confirmSubscription(region: string, topicArn: string, token: string): Promise<string | undefined>;
  readonly log: Logger;
}

/**
 * ConfirmSubscription through an SNS client for the topic's region (`clientFor` may cache one per region).
 * AuthenticateOnUnsubscribe is set, so only the topic owner (Amazon) or this account can unsubscribe; an
 * unauthenticated request to the UnsubscribeURL cannot.
 */
export function snsConfirmer(clientFor: (region: string) => SNSClient): ConfirmPorts['confirmSubscription'] {
  return async (region, topicArn, token) => {
    const out = await clientFor(region).send(
      new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: token, AuthenticateOnUnsubscribe: 'true' }),
    );
    return out.SubscriptionArn;
  };
}

export async function confirmBatch(records: readonly SQSRecord[], ports: ConfirmPorts): Promise<SQSBatchResponse> {
  const { log } = ports;
  const failures = new BatchFailures();
  for (const record of records) {
    const refuse = (reason: string, detail?: Readonly<Record<string, unknown>>) => {
      failures.add(record.messageId, reason);
      log.warn('refusing subscription confirmation; it stays in the queue and reaches the DLQ', { messageId: record.messageId, reason, ...detail });
    };
    const checked = checkConfirmation(record.body, ports.expected);
    if (!checked.ok) {
      refuse(checked.reason, checked.detail);
      continue;
    }
    const { message, topic } = checked;
    const context = { topicArn: message.TopicArn, snsMessageId: message.MessageId };
    const sig = await ports.verifier.verify(message as unknown as Record<string, unknown>, topic.region);
    if (!sig.ok) {
      refuse(sig.reason, context);
      continue;
    }
    try {
      const subscriptionArn = await ports.confirmSubscription(topic.region, message.TopicArn, message.Token);
      log.info('subscription confirmed', { messageId: record.messageId, ...context, subscriptionArn, datasetId: ports.expected.datasetId });
    } catch (err) {
      const reason = `ConfirmSubscription failed: ${describeError(err)}`;
      failures.add(record.messageId, reason);
      log.error('ConfirmSubscription failed; the message stays in the queue', { messageId: record.messageId, ...context, reason });
    }
  }
  return failures.response();
}
