/**
 * Firehose data transformation for client events (pure core). Each input record is a whole EventBridge event
 * (JSON, base64). For every record exactly one output record comes back with the same recordId:
 *
 * - `Ok`: the event with `detail.accountNumber` set to `resources[0]` (the clientId the authorizer put there; a
 *   client-sent accountNumber is overwritten, so it cannot be spoofed), `detail.schemaVersion` defaulted to
 *   "unversioned" (a number, as the original sample sends it, becomes its string form: 2 -> "2"), `detail.eventType`
 *   taken from `detail.analyticType` (the sample's name) when absent, serialized as one JSON line ending in "\n"
 *   (newline-delimited objects in S3). The S3 partitions read both fields.
 * - `ProcessingFailed`: the record is malformed; the original data is echoed unchanged and Firehose writes it
 *   under the error prefix, so nothing is silently dropped. Reasons: not base64, not UTF-8, not JSON, not an
 *   object, larger than MAX_RECORD_BYTES, no detail object, no clientId in resources[0], eventType missing or
 *   outside EVENT_TYPE_PATTERN, schemaVersion present but outside SCHEMA_VERSION_PATTERN.
 *
 * `Dropped` is part of the contract but never produced: every record is either delivered or kept as an error.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from 'aws-lambda';
import type { Logger } from '../../shared/log.js';
import {
  EVENT_TYPE_ALIAS, EVENT_TYPE_PATTERN, PROCESSING_FAILED_LOG_MESSAGE, SCHEMA_VERSION_PATTERN, UNVERSIONED, isPlainObject,
} from '../lib/event.js';

/** Firehose's largest record (1,000 KiB); a bigger decoded record is refused rather than grown further. */
export const MAX_RECORD_BYTES = 1_024_000;
/** Longest clientId accepted from resources[0]. */
export const MAX_CLIENT_ID_LENGTH = 256;

export type TransformOutcome =
  | { ok: true; line: string; eventType: string; schemaVersion: string }
  | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Transforms one decoded record (bytes of an EventBridge event). */
export function transformEvent(bytes: Uint8Array): TransformOutcome {
  if (bytes.length === 0) return { ok: false, reason: 'empty record' };
  if (bytes.length > MAX_RECORD_BYTES) return { ok: false, reason: `record is ${bytes.length} bytes, more than ${MAX_RECORD_BYTES}` };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'record is not valid UTF-8' };
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'record is not JSON' };
  }
  if (!isPlainObject(event)) return { ok: false, reason: 'record is not a JSON object' };
  const detail = event.detail;
  if (!isPlainObject(detail)) return { ok: false, reason: 'event has no detail object' };
  const resources = event.resources;
  const clientId = Array.isArray(resources) ? resources[0] : undefined;
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > MAX_CLIENT_ID_LENGTH) {
    return { ok: false, reason: 'event has no clientId in resources[0]' };
  }
  // The alias applies only when eventType is absent, as in the rules' patterns (an explicit null is not absent).
  const eventType = detail.eventType !== undefined ? detail.eventType : detail[EVENT_TYPE_ALIAS];
  if (eventType === undefined) return { ok: false, reason: `detail.eventType (or ${EVENT_TYPE_ALIAS}) is missing` };
  if (typeof eventType !== 'string' || !EVENT_TYPE_PATTERN.test(eventType)) {
    return { ok: false, reason: `detail.eventType must match ${EVENT_TYPE_PATTERN.source}` };
  }
  let schemaVersion = detail.schemaVersion;
  if (schemaVersion === undefined || schemaVersion === null) schemaVersion = UNVERSIONED;
  // A finite number is partitioned (and stored) as its string form: 2 -> "2", 1.5 -> "1.5".
  else if (typeof schemaVersion === 'number' && Number.isFinite(schemaVersion)) schemaVersion = String(schemaVersion);
  if (typeof schemaVersion !== 'string' || !SCHEMA_VERSION_PATTERN.test(schemaVersion)) {
    return { ok: false, reason: `detail.schemaVersion must be a number or match ${SCHEMA_VERSION_PATTERN.source}` };
  }
  const out = { ...event, detail: { ...detail, eventType, schemaVersion, accountNumber: clientId } };
  return { ok: true, line: `${JSON.stringify(out)}\n`, eventType, schemaVersion };
}

/**
 * Decodes Firehose's base64 strictly. Buffer.from skips characters outside the alphabet, which would hide
 * corruption, so the decoded length must be exactly what the input length and padding promise (any skipped
 * character makes it shorter). Cheaper than a regular expression over the whole string.
 */
export function decodeBase64(data: unknown): Buffer | undefined {
  if (typeof data !== 'string' || data.length % 4 !== 0) return undefined;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const buf = Buffer.from(data, 'base64');
  return buf.length === (data.length / 4) * 3 - padding ? buf : undefined;
}

export interface TransformStats {
  ok: number;
  failed: number;
  /** Count per failure reason. */
  reasons: Record<string, number>;
}

/** Transforms a Firehose batch: one output record per input record, in order, with the same recordId. */
export function transformRecords(
  records: FirehoseTransformationEvent['records'],
  log?: Logger,
): FirehoseTransformationResult & { stats: TransformStats } {
  const stats: TransformStats = { ok: 0, failed: 0, reasons: {} };
  const out: FirehoseTransformationResultRecord[] = records.map((record) => {
    const bytes = decodeBase64(record.data);
    const outcome: TransformOutcome = bytes ? transformEvent(bytes) : { ok: false, reason: 'data is not base64' };
    if (outcome.ok) {
      stats.ok++;
      return { recordId: record.recordId, result: 'Ok', data: Buffer.from(outcome.line, 'utf8').toString('base64') };
    }
    stats.failed++;
    stats.reasons[outcome.reason] = (stats.reasons[outcome.reason] ?? 0) + 1;
    log?.warn(PROCESSING_FAILED_LOG_MESSAGE, { recordId: record.recordId, reason: outcome.reason });
    return { recordId: record.recordId, result: 'ProcessingFailed', data: typeof record.data === 'string' ? record.data : '' };
  });
  return { records: out, stats };
}

/** The Lambda response: only `records` (the stats are for logs and tests). */
export function handleTransformation(event: FirehoseTransformationEvent, log?: Logger): FirehoseTransformationResult {
  const { records, stats } = transformRecords(event.records ?? [], log);
  log?.info('transformed', { records: records.length, ok: stats.ok, failed: stats.failed, reasons: stats.reasons });
  return { records };
}
