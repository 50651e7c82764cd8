/**
 * The clickstream rejects sink: an SQS queue (with its own DLQ) that keeps every refused request body and every
 * ineligible stream record together with the reason it was refused. Nothing is dropped: a payload too large for
 * one SQS message (256 KiB) is split into numbered parts that share a rejectId, each carrying the payload's
 * total size and SHA-256 so the parts can be put back together and checked.
 *
 * Message body (JSON):
 *   { rejectId, part, parts, source: "ingest"|"process", reason, detail, errors?, context, rejectedAt,
 *     payloadBytes, payloadSha256, encoding: "utf8"|"base64", payload }
 * Message attributes: reason and source (for filtering when inspecting or redriving).
 */
import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
// The one count-and-bytes batch planner of the handlers (pure, no imports).
import { planBatches } from '../../shared/chunk.js';

/** Why a payload was refused. */
export type RejectReason =
  | 'invalid-record'
  | 'malformed-json'
  | 'not-utf8'
  | 'too-large'
  | 'too-many-records'
  | 'empty-batch'
  | 'unsupported-media-type'
  /** Valid records Kinesis refused with a non-retryable error (e.g. permissions, a missing stream): kept to redrive. */
  | 'put-failed';

export interface Reject {
  /** Stable id (e.g. `<shard>:<sequence number>`) so a re-delivered record's reject can be recognized; random when absent. */
  readonly id?: string;
  readonly source: 'ingest' | 'process';
  readonly reason: RejectReason;
  /** A human-readable explanation, e.g. the field errors. */
  readonly detail: string;
  /** Structured errors (field errors, per record index). */
  readonly errors?: unknown;
  /** Where it came from: request id and source address, or shard, sequence number and partition key. */
  readonly context: Readonly<Record<string, string | number | undefined>>;
  /** The refused bytes exactly as received. */
  readonly payload: Uint8Array;
}

/** Kept well under the 256 KiB SQS message limit (attributes and envelope included). */
export const MAX_MESSAGE_BYTES = 250_000;
/** Raw bytes per part when a payload must be split (base64 makes 200,000 characters of it). */
export const PART_BYTES = 150_000;
/** Structured errors beyond this many are summarized (the detail text still counts them). */
const MAX_ERRORS = 50;

export interface RejectMessage {
  readonly rejectId: string;
  readonly part: number;
  readonly parts: number;
  readonly source: Reject['source'];
  readonly reason: RejectReason;
  readonly detail: string;
  readonly errors?: unknown;
  readonly context: Reject['context'];
  readonly rejectedAt: string;
  readonly payloadBytes: number;
  readonly payloadSha256: string;
  readonly encoding: 'utf8' | 'base64';
  readonly payload: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function cap(errors: unknown): unknown {
  if (Array.isArray(errors) && errors.length > MAX_ERRORS) {
    return [...errors.slice(0, MAX_ERRORS), { more: errors.length - MAX_ERRORS }];
  }
  return errors;
}

/** The SQS message bodies that keep `reject`: one when it fits, else numbered base64 parts. */
export function rejectMessages(reject: Reject, now = new Date(), rejectId: string = reject.id ?? randomUUID()): string[] {
  const payload = Buffer.from(reject.payload.buffer, reject.payload.byteOffset, reject.payload.byteLength);
  const detail = reject.detail.length > 2000 ? `${reject.detail.slice(0, 2000)}... (${reject.detail.length} chars)` : reject.detail;
  const base = {
    rejectId,
    source: reject.source,
    reason: reject.reason,
    detail,
    ...(reject.errors !== undefined ? { errors: cap(reject.errors) } : {}),
    context: reject.context,
    rejectedAt: now.toISOString(),
    payloadBytes: payload.length,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
  };
  const text = utf8OrUndefined(payload);
  if (text !== undefined) {
    const single = JSON.stringify({ ...base, part: 1, parts: 1, encoding: 'utf8', payload: text } satisfies RejectMessage);
    if (Buffer.byteLength(single) <= MAX_MESSAGE_BYTES) return [single];
  }
  const parts = Math.max(1, Math.ceil(payload.length / PART_BYTES));
  const out: string[] = [];
  for (let i = 0; i < parts; i++) {
    const chunk = payload.subarray(i * PART_BYTES, (i + 1) * PART_BYTES);
    // The structured errors ride on the first part only, so every part stays within the limit.
    const { errors, ...rest } = base as typeof base & { errors?: unknown };
    const msg: RejectMessage = {
      ...rest,
      ...(i === 0 && errors !== undefined ? { errors } : {}),
      part: i + 1,
      parts,
      encoding: 'base64',
      payload: chunk.toString('base64'),
    };
    let body = JSON.stringify(msg);
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) body = JSON.stringify({ ...msg, errors: { omitted: 'too large; see detail' } });
    out.push(body);
  }
  return out;
}

/** Reassembles the payload bytes of one reject from all its messages (any order). */
export function reassemble(messages: readonly RejectMessage[]): Buffer {
  const sorted = [...messages].sort((a, b) => a.part - b.part);
  if (sorted.length === 0 || sorted.length !== sorted[0].parts) throw new Error('incomplete reject: parts are missing');
  const bytes = Buffer.concat(sorted.map((m) => (m.encoding === 'utf8' ? Buffer.from(m.payload, 'utf8') : Buffer.from(m.payload, 'base64'))));
  if (createHash('sha256').update(bytes).digest('hex') !== sorted[0].payloadSha256) throw new Error('reassembled payload does not match its SHA-256');
  return bytes;
}

/** Keeps rejects; resolves with the indexes (into `rejects`) that could not be kept. */
export interface RejectsSink {
  put(rejects: readonly Reject[]): Promise<{ failed: number[] }>;
}

export interface SqsRejectsSinkOptions {
  /** Attempts for entries SQS refuses (throttling, internal errors). Default 3. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A RejectsSink over SQS SendMessageBatch (at most 10 entries and 256 KiB per call; refused entries retried). */
export function sqsRejectsSink(sqs: Pick<SQSClient, 'send'>, queueUrl: string, opts: SqsRejectsSinkOptions = {}): RejectsSink {
  const maxAttempts = opts.maxAttempts ?? 3;
  const sleep = opts.sleep ?? sleepMs;
  return {
    async put(rejects) {
      const now = opts.now?.() ?? new Date();
      const entries: { id: string; owner: number; body: string; reason: string; source: string }[] = [];
      rejects.forEach((r, owner) => {
        for (const body of rejectMessages(r, now)) entries.push({ id: `m${entries.length}`, owner, body, reason: r.reason, source: r.source });
      });
      let pending = entries;
      const failedOwners = new Set<number>();
      for (let attempt = 1; pending.length > 0; attempt++) {
        const refused: typeof entries = [];
        for (const batch of batches(pending)) {
          try {
            const out = await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: batch.map((e) => ({
                  Id: e.id,
                  MessageBody: e.body,
                  MessageAttributes: {
                    reason: { DataType: 'String', StringValue: e.reason },
                    source: { DataType: 'String', StringValue: e.source },
                  },
                })),
              }),
            );
            const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
            refused.push(...batch.filter((e) => failedIds.has(e.id)));
          } catch {
            refused.push(...batch);
          }
        }
        if (refused.length === 0) break;
        if (attempt >= maxAttempts) {
          for (const e of refused) failedOwners.add(e.owner);
          break;
        }
        await sleep(100 * 2 ** (attempt - 1));
        pending = refused;
      }
      return { failed: [...failedOwners].sort((a, b) => a - b) };
    },
  };
}

/**
 * SendMessageBatch limits (SQS API reference): at most 10 entries, and 256 KiB for the sum of the messages
 * (bodies and attributes). Each body here is at most MAX_MESSAGE_BYTES; 100 bytes more per entry cover its two
 * attributes.
 */
const SEND_BATCH_MAX_ENTRIES = 10;
const SEND_BATCH_MAX_BYTES = 262_144;

/** Groups entries into SendMessageBatch calls with the shared count-and-bytes planner. */
function batches<T extends { body: string }>(entries: readonly T[]): T[][] {
  return planBatches(entries.map((e) => Buffer.byteLength(e.body) + 100), SEND_BATCH_MAX_ENTRIES, SEND_BATCH_MAX_BYTES).map((b) => b.map((i) => entries[i]));
}
