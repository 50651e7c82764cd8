/**
 * The fan-out over one SQS batch: classify every record (core.ts), publish the data records to the data topic in
 * PublishBatch calls of up to 10, forward subscription confirmations to the confirmation queue, and report every
 * record that was not fully handled as a batch item failure. The SDK calls come in through `FanOutPorts`, so tests
 * can pass fakes or clients pointed at an emulator; `snsPublisher`/`sqsForwarder` adapt the real clients.
 */
import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Logger } from '../../shared/log.js';
import { BatchFailures, describeError, mapWithConcurrency } from '../../shared/sqs-batch.js';
import { classify, planPublishBatches } from './core.js';

export interface PublishEntry {
  readonly Id: string;
  readonly Message: string;
}

export interface PublishBatchResult {
  readonly Successful?: readonly { Id?: string }[];
  readonly Failed?: readonly { Id?: string; Code?: string; Message?: string; SenderFault?: boolean }[];
}

export interface FanOutPorts {
  /** One SNS PublishBatch call to the data topic. */
  publishBatch(entries: PublishEntry[]): Promise<PublishBatchResult>;
  /** Sends a body unchanged to the confirmation queue. */
  forwardConfirmation(body: string): Promise<void>;
  readonly log: Logger;
  /** PublishBatch calls in flight at once (default 8). */
  readonly concurrency?: number;
}

export interface FanOutSummary {
  readonly records: number;
  readonly published: number;
  readonly confirmations: number;
  readonly unsubscribes: number;
  readonly failed: number;
}

export function snsPublisher(client: SNSClient, topicArn: string): FanOutPorts['publishBatch'] {
  return (entries) => client.send(new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }));
}

export function sqsForwarder(client: SQSClient, queueUrl: string): FanOutPorts['forwardConfirmation'] {
  return async (body) => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  };
}

/** Handles one SQS batch; resolves with the partial batch response (never rejects for a per-record problem). */
export async function fanOut(records: readonly SQSRecord[], ports: FanOutPorts): Promise<SQSBatchResponse & { summary: FanOutSummary }> {
  const { log } = ports;
  const failures = new BatchFailures();
  const toPublish: { messageId: string; message: string; bytes: number }[] = [];
  const confirmations: { messageId: string; body: string; topicArn?: string; snsMessageId?: string }[] = [];
  let unsubscribes = 0;

  for (const record of records) {
    const c = classify(record.body);
    switch (c.kind) {
      case 'record':
        toPublish.push({ messageId: record.messageId, message: c.message, bytes: c.bytes });
        break;
      case 'confirmation':
        confirmations.push({ messageId: record.messageId, body: record.body, topicArn: c.topicArn, snsMessageId: c.snsMessageId });
        break;
      case 'unsubscribe':
        unsubscribes++;
        log.info('UnsubscribeConfirmation received; not stored', { messageId: record.messageId, topicArn: c.topicArn, snsMessageId: c.snsMessageId });
        break;
      case 'invalid':
        failures.add(record.messageId, c.reason);
        log.warn('refusing ingress message; it stays in the queue and reaches the DLQ', { messageId: record.messageId, reason: c.reason, ...c.detail });
        break;
    }
  }

  const forwarding = Promise.all(
    confirmations.map(async (c) => {
      try {
        await ports.forwardConfirmation(c.body);
        log.info('SubscriptionConfirmation forwarded to the confirmation queue', { messageId: c.messageId, topicArn: c.topicArn, snsMessageId: c.snsMessageId });
      } catch (err) {
        const reason = `forwarding the SubscriptionConfirmation failed: ${describeError(err)}`;
        failures.add(c.messageId, reason);
        log.error('could not forward SubscriptionConfirmation', { messageId: c.messageId, reason });
      }
    }),
  );

  let published = 0;
  const batches = planPublishBatches(toPublish.map((p) => p.bytes));
  const publishing = mapWithConcurrency(batches, ports.concurrency ?? 8, async (batch) => {
    const entries = batch.map((i, n) => ({ Id: `r${n}`, Message: toPublish[i].message }));
    const messageIdOf = (id: string | undefined): string | undefined => {
      const n = id && /^r\d+$/.test(id) ? Number(id.slice(1)) : -1;
      return n >= 0 && n < batch.length ? toPublish[batch[n]].messageId : undefined;
    };
    let result: PublishBatchResult;
    try {
      result = await ports.publishBatch(entries);
    } catch (err) {
      const reason = `PublishBatch failed: ${describeError(err)}`;
      log.error('PublishBatch call failed; its records are reported failed', { reason, entries: entries.length });
      for (const i of batch) failures.add(toPublish[i].messageId, reason);
      return;
    }
    const ok = new Set<string>();
    for (const s of result.Successful ?? []) {
      const id = messageIdOf(s.Id);
      if (id) ok.add(id);
    }
    for (const f of result.Failed ?? []) {
      const id = messageIdOf(f.Id);
      if (!id) continue;
      ok.delete(id);
      const reason = `PublishBatch entry failed: ${f.Code ?? 'unknown code'}${f.Message ? `: ${f.Message.slice(0, 200)}` : ''}${f.SenderFault ? ' (sender fault)' : ''}`;
      failures.add(id, reason);
      log.error('record not published', { messageId: id, reason });
    }
    for (const i of batch) {
      const id = toPublish[i].messageId;
      if (ok.has(id)) published++;
      else if (!failures.has(id)) {
        // Neither in Successful nor in Failed: nothing proves it was published, so let SQS deliver it again.
        failures.add(id, 'PublishBatch returned no result for this entry');
        log.error('record not confirmed by PublishBatch', { messageId: id });
      }
    }
  });

  await Promise.all([forwarding, publishing]);

  const summary: FanOutSummary = {
    records: records.length,
    published,
    confirmations: confirmations.length,
    unsubscribes,
    failed: failures.size,
  };
  log.info('fan-out batch done', { ...summary, publishBatchCalls: batches.length });
  return { ...failures.response(), summary };
}
