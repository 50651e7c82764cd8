/**
 * The clickstream ingest core (POST /report behind an HTTP API, payload format 2.0), free of AWS clients:
 *
 *   size check (413) -> strict UTF-8 decode (400) -> JSON parse (400) -> one record or an array of up to
 *   maxBatchRecords (413 beyond) -> schema validation of every record (400 with the field errors of each) ->
 *   PutRecords with a random partition key per record, in calls of at most 500 records and 5 MiB (data +
 *   partition keys), retrying only the entries Kinesis refused (FailedRecordCount), with backoff
 *   -> 200 / 207 (some records refused after retries) / 503 + Retry-After.
 *
 * Every refused body is kept in the rejects sink with its reason before the error is answered; when it cannot be
 * kept the answer is 503 + Retry-After (the client still holds the body and resends it), never a 4xx that would
 * lose it. A body whose records Kinesis refused with a non-retryable error is kept too (reason `put-failed`).
 * A batch with any invalid record is refused whole (nothing is written), so a client can fix it and resend it
 * without duplicates.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { formatErrors, validateRecord, type ClickstreamRecord, type FieldError } from '../lib/record.js';
import type { Reject, RejectReason, RejectsSink } from '../lib/rejects.js';
import { backoffMs, errorName, isRetryable, sleep as realSleep, THROTTLING_ERRORS, type Sleep } from '../lib/retry.js';
// The one count-and-bytes batch planner of the handlers (also AMS fan-out's PublishBatch planner): pure, no imports.
import { planBatches } from '../../shared/chunk.js';

export interface IngestSettings {
  readonly streamName: string;
  readonly maxBodyBytes: number;
  readonly maxBatchRecords: number;
  readonly unknownFields: 'reject' | 'ignore';
  readonly fillIpFromSource: boolean;
  /** PutRecords attempts (the first one included). */
  readonly putMaxAttempts: number;
}

/** The request as the handler sees it (normalized from the API Gateway event). */
export interface IngestRequest {
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** Header names in lower case. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly sourceIp?: string;
  readonly requestId?: string;
}

export interface IngestResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** One PutRecords call: the subset of the SDK input and output the core uses. */
export interface PutRecordsInput {
  readonly StreamName: string;
  readonly Records: { Data: Uint8Array; PartitionKey: string }[];
}
export interface PutRecordsResultEntry {
  readonly ShardId?: string;
  readonly SequenceNumber?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}
export interface PutRecordsOutput {
  readonly FailedRecordCount?: number;
  readonly Records?: readonly PutRecordsResultEntry[];
}
export type PutRecordsFn = (input: PutRecordsInput) => Promise<PutRecordsOutput>;

export interface IngestPorts {
  readonly putRecords: PutRecordsFn;
  readonly rejects: RejectsSink;
  readonly log: Logger;
  readonly sleep?: Sleep;
  /** Partition key per record; default a random UUID (spreads records evenly over shards). */
  readonly partitionKey?: (record: ClickstreamRecord) => string;
}

/**
 * PutRecords limits (API reference, https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html):
 * at most 500 records and 5 MiB per call, 1 MiB per record (the stream's default maximum record size), partition
 * keys included in both sizes. A call over 5 MiB is refused whole (400 InvalidArgumentException).
 */
export const PUT_RECORDS_MAX = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
export const PUT_RECORD_MAX_BYTES = 1024 * 1024;

/** What a PutRecords entry weighs against the limits: its data plus its partition key (UTF-8). */
export function entryBytes(entry: { readonly Data: Uint8Array; readonly PartitionKey: string }): number {
  return entry.Data.byteLength + Buffer.byteLength(entry.PartitionKey, 'utf8');
}
/** Seconds a client should wait after a 503 / 207. */
export const RETRY_AFTER_SECONDS = 1;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** Media types accepted: JSON, and text/plain (what navigator.sendBeacon sends for a string). */
const ACCEPTED_TYPES = /^(application\/json|application\/[a-z0-9.+-]+\+json|text\/plain)$/;

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): IngestResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Per-record outcome in a batch response. */
export type RecordResult =
  | { Index: number; ShardId: string; SequenceNumber: string }
  | { Index: number; ErrorCode: string; ErrorMessage: string };
type FailedResult = Extract<RecordResult, { ErrorCode: string }>;

/** What putAll did: one result per entry, in order, and which failures are not worth retrying. */
export interface PutOutcome {
  readonly results: RecordResult[];
  /** Indexes of entries refused with a non-retryable error (or over the per-record limit); never retried. */
  readonly notRetryable: number[];
  /** The first non-retryable error thrown, for the log. */
  readonly error?: unknown;
}

export async function ingest(req: IngestRequest, settings: IngestSettings, ports: IngestPorts): Promise<IngestResponse> {
  const headers = req.headers ?? {};
  const context = { requestId: req.requestId, sourceIp: req.sourceIp, contentType: headers['content-type'] };
  const retryAfter = { 'retry-after': String(RETRY_AFTER_SECONDS) };
  const unavailable = (message: string, extra: Record<string, unknown> = {}): IngestResponse =>
    respond(503, { Code: 'ServiceUnavailable', Message: message, ...extra }, retryAfter);
  const bytes = req.body === undefined || req.body === null ? Buffer.alloc(0) : Buffer.from(req.body, req.isBase64Encoded ? 'base64' : 'utf8');

  const refuse = async (
    statusCode: number,
    reason: RejectReason,
    message: string,
    errors?: unknown,
  ): Promise<IngestResponse> => {
    const reject: Reject = { source: 'ingest', reason, detail: message, errors, context, payload: bytes };
    let kept = true;
    try {
      kept = (await ports.rejects.put([reject])).failed.length === 0;
    } catch (err) {
      kept = false;
      ports.log.error('rejects sink failed', { reason, error: err });
    }
    const refusal = { Code: codeOf(reason), Message: message, ...(errors !== undefined ? { Errors: errors } : {}) };
    if (!kept) {
      // A 4xx would tell the client to drop a body nobody kept: ask it to resend later instead.
      ports.log.error('refused request could not be kept; answering 503', { statusCode, reason, bytes: bytes.length, requestId: req.requestId, detail: message });
      return unavailable(`the request was refused (${refusal.Code}) but could not be recorded; retry after ${RETRY_AFTER_SECONDS} s`, { Refused: refusal });
    }
    ports.log.warn('request refused', { statusCode, reason, bytes: bytes.length, requestId: req.requestId, kept, detail: message });
    return respond(statusCode, refusal);
  };

  const contentType = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType && !ACCEPTED_TYPES.test(contentType)) {
    return refuse(415, 'unsupported-media-type', `content-type ${JSON.stringify(contentType)} is not accepted; send application/json`);
  }
  if (bytes.length > settings.maxBodyBytes) {
    return refuse(413, 'too-large', `request body is ${bytes.length} bytes; the limit is ${settings.maxBodyBytes}`);
  }
  if (bytes.length === 0) return refuse(400, 'malformed-json', 'request body is empty; send a JSON record or an array of records');

  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return refuse(400, 'not-utf8', `request body is not valid UTF-8 (first bad byte near offset ${firstInvalidUtf8(bytes)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return refuse(400, 'malformed-json', `request body is not valid JSON: ${(err as Error).message}`);
  }

  const isBatch = Array.isArray(parsed);
  const items: unknown[] = isBatch ? (parsed as unknown[]) : [parsed];
  if (isBatch && items.length === 0) return refuse(400, 'empty-batch', 'the array holds no records');
  if (items.length > settings.maxBatchRecords) {
    return refuse(413, 'too-many-records', `the batch holds ${items.length} records; the limit is ${settings.maxBatchRecords}`);
  }

  const sourceIp = settings.fillIpFromSource ? req.sourceIp : undefined;
  const records: ClickstreamRecord[] = [];
  const invalid: { Index: number; Errors: FieldError[] }[] = [];
  items.forEach((item, i) => {
    const v = validateRecord(item, { unknownFields: settings.unknownFields, sourceIp });
    if (v.ok) records.push(v.record);
    else invalid.push({ Index: i, Errors: [...v.errors] });
  });
  if (invalid.length) {
    const message = isBatch
      ? `${invalid.length} of ${items.length} records are invalid; nothing was written: ${invalid
          .slice(0, 5)
          .map((r) => `[${r.Index}] ${formatErrors(r.Errors)}`)
          .join(' | ')}${invalid.length > 5 ? ' | ...' : ''}`
      : `invalid record: ${formatErrors(invalid[0].Errors)}`;
    return refuse(400, 'invalid-record', message, isBatch ? invalid : invalid[0].Errors);
  }

  const partitionKey = ports.partitionKey ?? (() => randomUUID());
  const entries = records.map((r) => ({ Data: Buffer.from(JSON.stringify(r), 'utf8'), PartitionKey: partitionKey(r) }));
  const outcome = await putAll(entries, settings, ports);
  let results = outcome.results;
  if (outcome.notRetryable.length) {
    // Valid records Kinesis will not take (permissions, a missing stream, ...): keep the body to redrive once fixed.
    const lost = outcome.notRetryable.map((i) => results[i] as FailedResult);
    const codes = [...new Set(lost.map((r) => r.ErrorCode))];
    const reject: Reject = {
      source: 'ingest',
      reason: 'put-failed',
      detail: `PutRecords failed with a non-retryable error (${codes.join(', ')}): ${lost.length} of ${results.length} records not written`,
      errors: lost,
      context,
      payload: bytes,
    };
    let kept = false;
    try {
      kept = (await ports.rejects.put([reject])).failed.length === 0;
    } catch (err) {
      ports.log.error('rejects sink failed', { reason: 'put-failed', error: err });
    }
    ports.log.error('PutRecords failed with a non-retryable error', {
      codes, failed: lost.length, total: results.length, kept, stream: settings.streamName, requestId: req.requestId, error: outcome.error,
    });
    if (lost.length === results.length) {
      if (!kept) return unavailable(`the records could not be written; retry after ${RETRY_AFTER_SECONDS} s`);
      return respond(500, { Code: 'InternalError', Message: 'the records could not be written; the request was kept for redrive and the error was logged' });
    }
    // Some were written: the 207 below lists the others. The service's message stays in the log and the rejects queue.
    const notRetryable = new Set(outcome.notRetryable);
    results = results.map((r) =>
      notRetryable.has(r.Index)
        ? { Index: r.Index, ErrorCode: 'InternalFailure', ErrorMessage: kept ? 'not written; the request was kept for redrive' : 'not written' }
        : r,
    );
  }
  const failed = results.filter((r): r is FailedResult => 'ErrorCode' in r);
  if (failed.length) {
    ports.log.warn('records refused by Kinesis after retries', {
      failed: failed.length,
      total: results.length,
      codes: [...new Set(failed.map((f) => f.ErrorCode))],
      requestId: req.requestId,
    });
  }

  if (!isBatch) {
    const r = results[0];
    if ('ErrorCode' in r) {
      return respond(
        503,
        { Code: 'ServiceUnavailable', Message: `the stream is busy (${r.ErrorCode}); retry after ${RETRY_AFTER_SECONDS} s`, Data: { ErrorCode: r.ErrorCode } },
        retryAfter,
      );
    }
    return respond(200, { Code: 'PutRecordSuccessful', Message: 'Record written to the stream', Data: { ShardId: r.ShardId, SequenceNumber: r.SequenceNumber } });
  }
  const body = { FailedRecordCount: failed.length, Records: results };
  if (failed.length === 0) return respond(200, { Code: 'PutRecordsSuccessful', Message: `${results.length} records written to the stream`, ...body });
  if (failed.length === results.length) {
    return respond(503, { Code: 'ServiceUnavailable', Message: `the stream is busy; no record was written; retry after ${RETRY_AFTER_SECONDS} s`, ...body }, retryAfter);
  }
  return respond(
    207,
    { Code: 'PutRecordsPartial', Message: `${failed.length} of ${results.length} records were not written; resend only those (see Records)`, ...body },
    retryAfter,
  );
}

function codeOf(reason: RejectReason): string {
  switch (reason) {
    case 'too-large':
    case 'too-many-records':
      return 'PayloadTooLarge';
    case 'not-utf8':
      return 'InvalidEncoding';
    case 'malformed-json':
    case 'empty-batch':
      return 'MalformedRequest';
    case 'unsupported-media-type':
      return 'UnsupportedMediaType';
    default:
      return 'InvalidRecord';
  }
}

/** Offset of the first byte that breaks UTF-8 (for the error message), or -1 when the bytes are valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let n: number;
    let min: number;
    if (b < 0x80) { i++; continue; }
    else if (b >= 0xc2 && b <= 0xdf) { n = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { n = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * Writes every entry in calls of at most PUT_RECORDS_MAX entries and PUT_RECORDS_MAX_BYTES (data + partition keys),
 * retrying only the entries that failed (per-entry ErrorCode, or every entry of a call that threw a retryable error)
 * up to `putMaxAttempts` attempts with full-jitter backoff. Entries over PUT_RECORD_MAX_BYTES, and entries of a call
 * that threw a non-retryable error, fail without retry and are listed in `notRetryable`. Never throws for an AWS
 * error: every entry gets a result.
 */
export async function putAll(
  entries: readonly { Data: Uint8Array; PartitionKey: string }[],
  settings: Pick<IngestSettings, 'streamName' | 'putMaxAttempts'>,
  ports: Pick<IngestPorts, 'putRecords' | 'sleep' | 'log'>,
): Promise<PutOutcome> {
  const sleep = ports.sleep ?? realSleep;
  const results: RecordResult[] = new Array(entries.length);
  const notRetryable: number[] = [];
  let firstError: unknown;
  const sizes = entries.map(entryBytes);
  let pending: number[] = [];
  sizes.forEach((size, i) => {
    if (size <= PUT_RECORD_MAX_BYTES) pending.push(i);
    else {
      results[i] = { Index: i, ErrorCode: 'InvalidArgumentException', ErrorMessage: `record is ${size} bytes with its partition key; Kinesis accepts at most ${PUT_RECORD_MAX_BYTES}` };
      notRetryable.push(i);
    }
  });
  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: number[] = [];
    let throttled = false;
    for (const positions of planBatches(pending.map((i) => sizes[i]), PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES)) {
      const idx = positions.map((p) => pending[p]);
      let out: PutRecordsOutput;
      try {
        out = await ports.putRecords({ StreamName: settings.streamName, Records: idx.map((i) => entries[i]) });
      } catch (err) {
        const code = errorName(err);
        for (const i of idx) results[i] = { Index: i, ErrorCode: code, ErrorMessage: (err as Error).message ?? code };
        if (!isRetryable(err)) {
          firstError ??= err;
          notRetryable.push(...idx);
          continue;
        }
        throttled ||= THROTTLING_ERRORS.has(code);
        retry.push(...idx);
        continue;
      }
      const recs = out.Records ?? [];
      if (recs.length !== idx.length) {
        // A response that does not match the request: nothing can be told about these entries; do not resend blindly.
        firstError ??= new Error(`PutRecords returned ${recs.length} results for ${idx.length} records`);
        for (const i of idx) results[i] = { Index: i, ErrorCode: 'InternalFailure', ErrorMessage: 'unexpected PutRecords response' };
        notRetryable.push(...idx);
        continue;
      }
      recs.forEach((r, k) => {
        const i = idx[k];
        if (r.ErrorCode || !r.SequenceNumber) {
          const code = r.ErrorCode ?? 'InternalFailure';
          throttled ||= THROTTLING_ERRORS.has(code);
          results[i] = { Index: i, ErrorCode: code, ErrorMessage: r.ErrorMessage ?? code };
          retry.push(i);
        } else {
          results[i] = { Index: i, ShardId: r.ShardId ?? '', SequenceNumber: r.SequenceNumber };
        }
      });
    }
    if (retry.length === 0 || attempt >= settings.putMaxAttempts) break;
    ports.log.info('retrying records refused by PutRecords', { attempt, retry: retry.length, throttled });
    await sleep(backoffMs(attempt, throttled ? 100 : 50));
    pending = retry.sort((a, b) => a - b);
  }
  notRetryable.sort((a, b) => a - b);
  return { results, notRetryable, ...(firstError !== undefined ? { error: firstError } : {}) };
}
