/**
 * The clickstream ingest core (POST /report behind an HTTP API, payload format 2.0), free of AWS clients:
 *
 *   size check (413) -> strict UTF-8 decode (400) -> JSON parse (400) -> one record or an array of up to
 *   maxBatchRecords (413 beyond) -> schema validation of every record (400 with the field errors of each) ->
 *   PutRecords with a random partition key per record, retrying only the entries Kinesis refused
 *   (FailedRecordCount), with backoff -> 200 / 207 (some records refused after retries) / 503 + Retry-After.
 *
 * Every refused body is kept in the rejects sink with its reason before the error is answered. A batch with any
 * invalid record is refused whole (nothing is written), so a client can fix it and resend it without duplicates.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/log.js';
import { formatErrors, validateRecord, type ClickstreamRecord, type FieldError } from '../lib/clickstream-record.js';
import type { Reject, RejectReason, RejectsSink } from '../lib/clickstream-rejects.js';
import { backoffMs, errorName, isRetryable, sleep as realSleep, THROTTLING_ERRORS, type Sleep } from '../lib/clickstream-retry.js';

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

/** Most records in one PutRecords call. */
export const PUT_RECORDS_MAX = 500;
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

export async function ingest(req: IngestRequest, settings: IngestSettings, ports: IngestPorts): Promise<IngestResponse> {
  const headers = req.headers ?? {};
  const context = { requestId: req.requestId, sourceIp: req.sourceIp, contentType: headers['content-type'] };
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
    ports.log.warn('request refused', { statusCode, reason, bytes: bytes.length, requestId: req.requestId, kept, detail: message });
    return respond(statusCode, { Code: codeOf(reason), Message: message, ...(errors !== undefined ? { Errors: errors } : {}) });
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
  let results: RecordResult[];
  try {
    results = await putAll(entries, settings, ports);
  } catch (err) {
    ports.log.error('PutRecords failed with a non-retryable error', { error: err, stream: settings.streamName });
    return respond(500, { Code: 'InternalError', Message: 'the record could not be written; the error was logged' });
  }
  const failed = results.filter((r): r is Extract<RecordResult, { ErrorCode: string }> => 'ErrorCode' in r);
  if (failed.length) {
    ports.log.warn('records refused by Kinesis after retries', {
      failed: failed.length,
      total: results.length,
      codes: [...new Set(failed.map((f) => f.ErrorCode))],
      requestId: req.requestId,
    });
  }
  const retryAfter = { 'retry-after': String(RETRY_AFTER_SECONDS) };

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
 * Writes every entry, PUT_RECORDS_MAX per call, retrying only the entries that failed (per-entry ErrorCode, or
 * every entry of a call that threw a retryable error) up to `putMaxAttempts` attempts with full-jitter backoff.
 * Throws on a non-retryable error. Resolves with one result per entry, in order.
 */
export async function putAll(
  entries: readonly { Data: Uint8Array; PartitionKey: string }[],
  settings: Pick<IngestSettings, 'streamName' | 'putMaxAttempts'>,
  ports: Pick<IngestPorts, 'putRecords' | 'sleep' | 'log'>,
): Promise<RecordResult[]> {
  const sleep = ports.sleep ?? realSleep;
  const results: RecordResult[] = new Array(entries.length);
  let pending = entries.map((_, i) => i);
  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: number[] = [];
    let throttled = false;
    for (let start = 0; start < pending.length; start += PUT_RECORDS_MAX) {
      const idx = pending.slice(start, start + PUT_RECORDS_MAX);
      let out: PutRecordsOutput;
      try {
        out = await ports.putRecords({ StreamName: settings.streamName, Records: idx.map((i) => entries[i]) });
      } catch (err) {
        if (!isRetryable(err)) throw err;
        const code = errorName(err);
        throttled ||= THROTTLING_ERRORS.has(code);
        for (const i of idx) results[i] = { Index: i, ErrorCode: code, ErrorMessage: (err as Error).message ?? code };
        retry.push(...idx);
        continue;
      }
      const recs = out.Records ?? [];
      if (recs.length !== idx.length) throw new Error(`PutRecords returned ${recs.length} results for ${idx.length} records`);
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
    pending = retry;
  }
  return results;
}
