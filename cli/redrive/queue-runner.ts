/**
 * The receive loop every queue-backed replay shares. Messages are received with a visibility timeout and handled
 * batch by batch; a message is deleted only when its handler says it was re-delivered. Everything else (still
 * failing, skipped, or a dry run) stays invisible until the run ends and is then made visible again at once
 * (ChangeMessageVisibility 0), so one run sees each message once and the next run sees them all again.
 *
 * Receiving counts toward a queue's redrive policy (ApproximateReceiveCount): a message of a queue that has a DLQ
 * (the clickstream rejects and on-failure queues) moves to that DLQ after maxReceiveCount runs that could not
 * re-deliver it; it is then replayed from there (`<stack>/<place>_dlq` back to its queue).
 */
import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand,
  type Message, type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Progress } from './progress.js';
import type { ReplaySummary } from './summary.js';

export type Outcome =
  | { readonly kind: 'replayed' }
  | { readonly kind: 'would-replay' }
  | { readonly kind: 'failing'; readonly reason: string }
  | { readonly kind: 'skipped'; readonly reason: string }
  /** Handled later (e.g. a part of a reject whose other parts have not arrived yet): stays invisible. */
  | { readonly kind: 'held' };

export interface QueueHandler {
  /** One outcome per message, in order. */
  handle(messages: readonly Message[]): Promise<Outcome[]>;
  /** After the last receive: outcomes for the messages still held (by MessageId). */
  finish?(): Promise<Map<string, Outcome>>;
}

export interface RunQueueOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly limit?: number;
  readonly since?: Date;
  /** Seconds received messages stay invisible while the run handles them. Default 900. */
  readonly visibilityTimeoutSeconds?: number;
  readonly progress: Progress;
  readonly summary: ReplaySummary;
}

const idOf = (m: Message) => m.MessageId ?? '?';

export async function approximateCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export async function runQueue(handler: QueueHandler, o: RunQueueOptions): Promise<void> {
  const { sqs, queueUrl, summary } = o;
  const seen = new Set<string>();
  const release = new Map<string, string>(); // MessageId -> receipt handle, made visible at the end
  const held = new Map<string, Message>();
  let handled = 0;
  o.progress.start(await approximateCount(sqs, queueUrl).catch(() => undefined));

  const settle = async (pairs: readonly (readonly [Message, Outcome])[]): Promise<void> => {
    const remove: Message[] = [];
    for (const [m, out] of pairs) {
      if (out.kind === 'held') {
        held.set(idOf(m), m);
        continue;
      }
      held.delete(idOf(m));
      summary.record(idOf(m), out);
      if (out.kind === 'replayed') remove.push(m);
      else release.set(idOf(m), m.ReceiptHandle!);
      o.progress.tick();
    }
    for (let i = 0; i < remove.length; i += 10) {
      const batch = remove.slice(i, i + 10);
      const r = await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle! })),
      }));
      for (const f of r.Failed ?? []) {
        // Re-delivered but still in the queue: a re-run would send it again. Say so loudly.
        summary.warn(`${idOf(batch[Number(f.Id!.slice(1))])} was re-delivered but could not be deleted (${f.Code}): a re-run would deliver it again`);
      }
    }
  };

  try {
    while (o.limit === undefined || handled < o.limit) {
      const want = Math.min(10, o.limit === undefined ? 10 : o.limit - handled);
      const r = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: want,
        WaitTimeSeconds: 1,
        VisibilityTimeout: o.visibilityTimeoutSeconds ?? 900,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }));
      const got = (r.Messages ?? []).filter((m) => !seen.has(idOf(m)));
      if ((r.Messages ?? []).length === 0) break;
      if (got.length === 0) continue;
      got.forEach((m) => seen.add(idOf(m)));
      const fresh: Message[] = [];
      const pairs: (readonly [Message, Outcome])[] = [];
      for (const m of got) {
        const sent = Number(m.Attributes?.SentTimestamp ?? NaN);
        if (o.since && Number.isFinite(sent) && sent < o.since.getTime()) {
          pairs.push([m, { kind: 'skipped', reason: `parked before --since (${new Date(sent).toISOString()})` }]);
        } else fresh.push(m);
      }
      await settle(pairs);
      if (fresh.length) {
        handled += fresh.length;
        const outs = await handler.handle(fresh);
        await settle(fresh.map((m, i) => [m, outs[i]] as const));
      }
    }
    if (handler.finish) {
      const outs = await handler.finish();
      await settle([...held.values()].map((m) => [m, outs.get(idOf(m)) ?? { kind: 'skipped', reason: 'not handled' }] as const));
    }
    for (const m of held.values()) release.set(idOf(m), m.ReceiptHandle!);
  } finally {
    const handles = [...release.values()];
    for (let i = 0; i < handles.length; i += 10) {
      await sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: handles.slice(i, i + 10).map((h, k) => ({ Id: `v${k}`, ReceiptHandle: h, VisibilityTimeout: 0 })),
      })).catch(() => undefined);
    }
    o.progress.done();
  }
}
