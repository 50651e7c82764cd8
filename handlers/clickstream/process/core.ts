/**
 * The clickstream processor core (Kinesis event source with ReportBatchItemFailures), free of AWS clients:
 *
 *   each record: base64 -> bytes -> strict UTF-8 -> JSON -> record schema (eligibility)
 *   eligible   -> DynamoDB items, key (ip, `<UTC ISO timestamp>#<sequence number>`), written with
 *                 BatchWriteItem in chunks of 25, UnprocessedItems retried with backoff
 *   ineligible -> the rejects sink with the reason (never retried: a bad record cannot block its shard)
 *   returns batchItemFailures for the records that could not be written (or kept), so Lambda retries from the
 *   first of them; after the configured retries the batch goes to the on-failure destination.
 *
 * The sort key carries the record's sequence number, so two events from one IP in the same millisecond are two
 * items, while a redelivered record overwrites its own item (idempotent retries).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { CLICKSTREAM_TABLE_KEYS } from '../../../contracts/clickstream.js';
import type { Logger } from '../../shared/log.js';
import { formatErrors, utcTimestamp, validateRecord, type ClickstreamRecord } from '../lib/record.js';
import type { Reject, RejectReason, RejectsSink } from '../lib/rejects.js';
import { backoffMs, errorName, isRetryable, sleep as realSleep, type Sleep } from '../lib/retry.js';

export interface ProcessSettings {
  readonly tableName: string;
  readonly unknownFields: 'reject' | 'ignore';
  /** BatchWriteItem attempts per chunk (the first one included). */
  readonly writeMaxAttempts: number;
  /** Items expire this many days after processing (attribute `expiresAt`); 0 = never. */
  readonly ttlDays: number;
  /** BatchWriteItem calls in flight at once (default BATCH_WRITE_CONCURRENCY; 1 writes chunk after chunk). */
  readonly writeConcurrency?: number;
}

/** DynamoDB attribute values the items use. */
export type AttributeValue = { S: string } | { N: string };
export type Item = Record<string, AttributeValue>;
export interface WriteRequest {
  PutRequest: { Item: Item };
}

/** One BatchWriteItem call: the subset of the SDK input and output the core uses. */
export interface BatchWriteInput {
  RequestItems: Record<string, WriteRequest[]>;
}
export interface BatchWriteOutput {
  UnprocessedItems?: Record<string, WriteRequest[]>;
}
export type BatchWriteFn = (input: BatchWriteInput) => Promise<BatchWriteOutput>;

export interface ProcessPorts {
  readonly batchWrite: BatchWriteFn;
  readonly rejects: RejectsSink;
  readonly log: Logger;
  readonly sleep?: Sleep;
  readonly now?: () => Date;
}

export interface ProcessSummary {
  readonly records: number;
  readonly written: number;
  readonly rejected: number;
  readonly failed: number;
}

export interface ProcessResult {
  readonly batchItemFailures: { itemIdentifier: string }[];
  readonly summary: ProcessSummary;
}

/** Items per BatchWriteItem call (the DynamoDB limit). */
export const BATCH_WRITE_MAX = 25;
/**
 * BatchWriteItem calls in flight at once. Each call waits several milliseconds for DynamoDB while using little
 * CPU, so the chunks of one batch go out together instead of one after another: a batch of 100 records takes one
 * round trip instead of four (docs/performance.md). Throttling still ends in UnprocessedItems or a retryable
 * error, retried per chunk with backoff.
 */
export const BATCH_WRITE_CONCURRENCY = 8;
export const PARTITION_KEY = CLICKSTREAM_TABLE_KEYS.partition;
export const SORT_KEY = CLICKSTREAM_TABLE_KEYS.sort;
export const TTL_ATTRIBUTE = CLICKSTREAM_TABLE_KEYS.ttl;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type Decoded =
  | { ok: true; record: ClickstreamRecord }
  | { ok: false; reason: RejectReason; detail: string; errors?: unknown };

/**
 * Scratch space for base64 decoding: the bytes only live until they are decoded to text, which never refers to
 * them, so one buffer serves every record (no allocation per record). It grows to the largest record seen.
 */
let scratch = Buffer.allocUnsafe(16 * 1024);

/** Decodes and checks one stream record's data (base64 text as Lambda delivers it). */
export function decodeRecord(dataBase64: string, unknownFields: 'reject' | 'ignore'): Decoded {
  // 3 bytes per 4 base64 characters, at most.
  const most = Math.ceil(dataBase64.length / 4) * 3;
  if (most > scratch.length) scratch = Buffer.allocUnsafe(most);
  const n = scratch.write(dataBase64, 'base64');
  return decodeBytes(scratch.subarray(0, n), unknownFields);
}

export function decodeBytes(bytes: Uint8Array, unknownFields: 'reject' | 'ignore'): Decoded {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not-utf8', detail: 'record data is not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'malformed-json', detail: `record data is not valid JSON: ${(err as Error).message}` };
  }
  const v = validateRecord(value, { unknownFields });
  if (!v.ok) return { ok: false, reason: 'invalid-record', detail: `ineligible record: ${formatErrors(v.errors)}`, errors: v.errors };
  return { ok: true, record: v.record };
}

/** What every item of one batch shares: computed once per batch, not per record. */
export interface BatchConstants {
  readonly processedAt: string;
  /** The TTL attribute's value, or undefined for no TTL. */
  readonly expiresAt?: string;
}

export function batchConstants(now: Date, ttlDays: number): BatchConstants {
  return {
    processedAt: now.toISOString(),
    ...(ttlDays > 0 ? { expiresAt: String(Math.floor(now.getTime() / 1000) + ttlDays * 86_400) } : {}),
  };
}

/**
 * Epoch milliseconds as toISOString text. Records of one batch mostly arrive within the same second, so the
 * text up to the seconds is kept from the previous call and only the milliseconds are written.
 */
let lastSecond = Number.NaN;
let lastSecondText = '';
export function isoFromMs(ms: number): string {
  const second = Math.floor(ms / 1000);
  // Years 1970-9999 only (toISOString writes other years with a sign and six digits).
  if (second < 0 || second >= 253_402_300_800) return new Date(ms).toISOString();
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${lastSecondText}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The table item of a valid record. */
export function toItem(record: ClickstreamRecord, kinesis: KinesisStreamRecord['kinesis'], batch: BatchConstants): Item {
  const ts = utcTimestamp(record);
  const item: Item = {
    [PARTITION_KEY]: { S: record.ip },
    [SORT_KEY]: { S: `${ts}#${kinesis.sequenceNumber}` },
    timestamp: { S: record.timestamp },
    browser: { S: record.browser },
    url: { S: record.url },
    referrer: { S: record.referrer },
    os: { S: record.os },
    country: { S: record.country },
    language: { S: record.language },
    arrivedAt: { S: isoFromMs(Math.round(kinesis.approximateArrivalTimestamp * 1000)) },
    processedAt: { S: batch.processedAt },
  };
  if (batch.expiresAt !== undefined) item[TTL_ATTRIBUTE] = { N: batch.expiresAt };
  return item;
}

function keyOf(item: Item): string {
  return `${(item[PARTITION_KEY] as { S: string }).S}\u0000${(item[SORT_KEY] as { S: string }).S}`;
}

export async function processRecords(records: readonly KinesisStreamRecord[], settings: ProcessSettings, ports: ProcessPorts): Promise<ProcessResult> {
  const now = ports.now?.() ?? new Date();
  const batch = batchConstants(now, settings.ttlDays);
  const failed = new Set<string>();
  const rejects: { seq: string; reject: Reject }[] = [];
  // One entry per table key: a record delivered twice in one batch becomes one write (duplicate keys fail a
  // BatchWriteItem). The sort key ends in `#<sequence number>` after a timestamp without '#', so records with
  // different sequence numbers never share a key: a record with a new sequence number is a new entry, and table
  // keys are only compared (byKey, built on the first repeated sequence number) for records whose number repeats.
  const entries: { item: Item; seqs: string[] }[] = [];
  const seen = new Set<string>();
  let byKey: Map<string, { item: Item; seqs: string[] }> | undefined;
  const add = (item: Item, seq: string) => {
    const entry = { item, seqs: [seq] };
    entries.push(entry);
    byKey?.set(keyOf(item), entry);
  };

  for (const r of records) {
    const k = r.kinesis;
    const d = decodeRecord(k.data, settings.unknownFields);
    if (!d.ok) {
      rejects.push({
        seq: k.sequenceNumber,
        reject: {
          id: `${r.eventID}`,
          source: 'process',
          reason: d.reason,
          detail: d.detail,
          errors: d.errors,
          context: {
            eventId: r.eventID,
            sequenceNumber: k.sequenceNumber,
            partitionKey: k.partitionKey,
            eventSourceArn: r.eventSourceARN,
            approximateArrivalTimestamp: k.approximateArrivalTimestamp,
          },
          payload: Buffer.from(k.data, 'base64'),
        },
      });
      continue;
    }
    const item = toItem(d.record, k, batch);
    const seq = k.sequenceNumber;
    if (!seen.has(seq)) {
      seen.add(seq);
      add(item, seq);
      continue;
    }
    byKey ??= new Map(entries.map((e) => [keyOf(e.item), e]));
    const same = byKey.get(keyOf(item));
    if (same) same.seqs.push(seq);
    else add(item, seq);
  }

  if (rejects.length) {
    let notKept: number[];
    try {
      notKept = (await ports.rejects.put(rejects.map((x) => x.reject))).failed;
    } catch (err) {
      ports.log.error('rejects sink failed', { error: err });
      notKept = rejects.map((_, i) => i);
    }
    for (const i of notKept) failed.add(rejects[i].seq);
    ports.log.warn('ineligible records sent to the rejects sink', {
      rejected: rejects.length,
      notKept: notKept.length,
      reasons: countBy(rejects.map((x) => x.reject.reason)),
    });
  }

  const unwritten = await writeAll(entries, settings, ports);
  for (const entry of unwritten) for (const s of entry.seqs) failed.add(s);

  let written = 0;
  const notWritten = new Set(unwritten);
  for (const e of entries) if (!notWritten.has(e)) written += e.seqs.length;
  const summary: ProcessSummary = { records: records.length, written, rejected: rejects.length, failed: failed.size };
  if (failed.size === 0) return { batchItemFailures: [], summary };
  // Lambda restarts from the lowest failed sequence number; report them in stream order.
  const order = new Map(records.map((r, i) => [r.kinesis.sequenceNumber, i]));
  const batchItemFailures = [...failed].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0)).map((itemIdentifier) => ({ itemIdentifier }));
  return { batchItemFailures, summary };
}

/**
 * Writes entries with BatchWriteItem, 25 per call and up to `writeConcurrency` calls at a time (default
 * BATCH_WRITE_CONCURRENCY), retrying UnprocessedItems (and calls that threw a retryable error) per chunk with
 * full-jitter backoff up to writeMaxAttempts. Resolves with the entries that were not written, in entry order.
 */
export async function writeAll<T extends { item: Item }>(
  entries: readonly T[],
  settings: Pick<ProcessSettings, 'tableName' | 'writeMaxAttempts' | 'writeConcurrency'>,
  ports: Pick<ProcessPorts, 'batchWrite' | 'sleep' | 'log'>,
): Promise<T[]> {
  const chunks: T[][] = [];
  for (let start = 0; start < entries.length; start += BATCH_WRITE_MAX) chunks.push(entries.slice(start, start + BATCH_WRITE_MAX));
  const unwritten: T[][] = chunks.map(() => []);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < chunks.length; i = next++) unwritten[i] = await writeChunk(chunks[i], settings, ports);
  };
  const workers = Math.max(1, Math.min(settings.writeConcurrency ?? BATCH_WRITE_CONCURRENCY, chunks.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return unwritten.flat();
}

/** One chunk of at most 25 entries, with its own retries. Resolves with the entries that were not written. */
async function writeChunk<T extends { item: Item }>(
  chunk: T[],
  settings: Pick<ProcessSettings, 'tableName' | 'writeMaxAttempts'>,
  ports: Pick<ProcessPorts, 'batchWrite' | 'sleep' | 'log'>,
): Promise<T[]> {
  const sleep = ports.sleep ?? realSleep;
  let pending = chunk;
  for (let attempt = 1; ; attempt++) {
    let retry: T[];
    try {
      const out = await ports.batchWrite({
        RequestItems: { [settings.tableName]: pending.map((e) => ({ PutRequest: { Item: e.item } })) },
      });
      const unprocessed = out.UnprocessedItems?.[settings.tableName] ?? [];
      if (unprocessed.length === 0) retry = [];
      else {
        const left = new Set(unprocessed.map((w) => keyOf(w.PutRequest.Item)));
        retry = pending.filter((e) => left.has(keyOf(e.item)));
      }
    } catch (err) {
      if (!isRetryable(err)) {
        ports.log.error('BatchWriteItem failed with a non-retryable error', { error: err, items: pending.length });
        return pending;
      }
      ports.log.info('BatchWriteItem call failed; retrying', { attempt, error: errorName(err) });
      retry = pending;
    }
    if (retry.length === 0) return [];
    if (attempt >= settings.writeMaxAttempts) {
      ports.log.warn('items still unprocessed after retries', { attempts: attempt, items: retry.length });
      return retry;
    }
    await sleep(backoffMs(attempt, 50, 2000));
    pending = retry;
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
