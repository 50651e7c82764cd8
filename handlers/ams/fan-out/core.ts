/**
 * Pure core of the Amazon Marketing Stream fan-out: classify each ingress SQS body and plan SNS PublishBatch
 * calls. No SDK, no I/O.
 *
 * Ingress bodies are one of:
 * - an SNS `Notification` envelope whose `Message` is one record as a JSON string -> publish that record;
 * - a bare record (a JSON object with no SNS `Type`) -> publish it as is;
 * - `SubscriptionConfirmation` -> forward the body unchanged to the confirmation queue;
 * - `UnsubscribeConfirmation` -> log, store nothing;
 * - anything else (invalid JSON, a non-object, an unknown `Type`, an envelope without a `Message` string, a record
 *   above MAX_RECORD_BYTES) -> invalid, with a reason; the caller reports it as a batch item failure so the body
 *   reaches the DLQ intact.
 *
 * Published messages carry no delimiter: SNS raw delivery hands each one to Firehose as is, and the stream's
 * AppendDelimiterToRecord processor (modules/firehose-to-s3.ts) appends exactly one "\n", so S3 holds one line per
 * record (a "\n" of our own as well gave an empty line per record, read by Athena as an all-NULL row; issue 11). A
 * record that is already one line is published byte for byte; one that spans lines (pretty-printed, or with
 * surrounding whitespace or a trailing newline) is re-serialized compactly so each S3 line stays one record.
 */
import { planBatches } from '../../shared/chunk.js';

/** SNS's message size limit, which is also the PublishBatch aggregate payload limit (256 KiB). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/**
 * The largest record accepted: SNS's 256 KiB message limit. Amazon documents every record as
 * below 6 KB, so anything near this cap is not a Marketing Stream record and is refused (kept in the DLQ).
 */
export const MAX_RECORD_BYTES = SNS_MAX_MESSAGE_BYTES;
/** PublishBatch accepts at most 10 entries per call. */
export const PUBLISH_BATCH_MAX_ENTRIES = 10;

export type Classified =
  | { readonly kind: 'record'; readonly source: 'notification' | 'bare'; readonly message: string; readonly bytes: number }
  | { readonly kind: 'confirmation'; readonly topicArn?: string; readonly snsMessageId?: string }
  | { readonly kind: 'unsubscribe'; readonly topicArn?: string; readonly snsMessageId?: string }
  | { readonly kind: 'invalid'; readonly reason: string; readonly detail: Readonly<Record<string, unknown>> };

const SNS_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

/** UTF-8 byte length. */
function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function short(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/**
 * A short prefix of untrusted text for the logs, with SNS confirmation tokens masked (`"Token":"..."` and
 * `Token=...` in subscribe URLs): a damaged SubscriptionConfirmation must not leak its token.
 */
export function preview(text: string, max = 120): string {
  const masked = text.slice(0, max + 200).replace(/("Token"\s*:\s*")[^"]*/g, '$1[redacted]').replace(/([?&]Token=)[^&"\s]*/g, '$1[redacted]');
  return short(masked, max);
}

/** Safe-to-log facts about a body that could not be used: its size and a short prefix (never the whole body). */
function bodyFacts(body: string): Record<string, unknown> {
  return { bodyChars: body.length, bodyPrefix: preview(body) };
}

function objectFacts(obj: Record<string, unknown>, body: string): Record<string, unknown> {
  return { bodyChars: body.length, keys: Object.keys(obj).slice(0, 20) };
}

function invalid(reason: string, detail: Record<string, unknown>): Classified {
  return { kind: 'invalid', reason, detail };
}

/**
 * Turns a record's JSON text (known to parse to `parsed`) into the published message: the text itself when it is a
 * single line, else its compact form; no delimiter (Firehose appends it). Refuses records above MAX_RECORD_BYTES.
 */
function recordMessage(text: string, parsed: Record<string, unknown>, source: 'notification' | 'bare', body: string): Classified {
  const message = text.includes('\n') || text.includes('\r') ? JSON.stringify(parsed) : text;
  // A JS string's UTF-8 size is at most 3 bytes per UTF-16 unit: skip the exact count when it cannot reach the cap.
  const bytes = message.length * 3 <= MAX_RECORD_BYTES ? -1 : utf8Bytes(message);
  if (bytes > MAX_RECORD_BYTES) {
    return invalid(`record is ${bytes} bytes, above the ${MAX_RECORD_BYTES}-byte cap (Amazon Marketing Stream records are < 6 KB)`, {
      recordBytes: bytes,
      source,
      bodyChars: body.length,
    });
  }
  return { kind: 'record', source, message, bytes: bytes === -1 ? utf8Bytes(message) : bytes };
}

/** Classifies one ingress SQS message body. */
export function classify(body: string): Classified {
  if (typeof body !== 'string' || body.length === 0) return invalid('empty body', { bodyChars: 0 });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return invalid('body is not valid JSON', { ...bodyFacts(body), error: preview((err as Error).message, 160) });
  }
  if (!isPlainObject(parsed)) {
    return invalid(`body is JSON ${Array.isArray(parsed) ? 'array' : parsed === null ? 'null' : typeof parsed}, not an object`, bodyFacts(body));
  }

  if (!Object.hasOwn(parsed, 'Type')) {
    // An SNS envelope always carries Type; one without it is damaged, not a record.
    if (Object.hasOwn(parsed, 'TopicArn') && Object.hasOwn(parsed, 'Message')) {
      return invalid('SNS envelope without a Type', objectFacts(parsed, body));
    }
    return recordMessage(body, parsed, 'bare', body);
  }

  const type = parsed.Type;
  if (typeof type !== 'string' || !SNS_TYPES.has(type)) {
    return invalid(`unknown SNS message Type ${JSON.stringify(typeof type === 'string' ? short(type) : type ?? null)}`, objectFacts(parsed, body));
  }
  const topicArn = typeof parsed.TopicArn === 'string' ? short(parsed.TopicArn, 256) : undefined;
  const snsMessageId = typeof parsed.MessageId === 'string' ? short(parsed.MessageId, 100) : undefined;
  if (type === 'SubscriptionConfirmation') return { kind: 'confirmation', topicArn, snsMessageId };
  if (type === 'UnsubscribeConfirmation') return { kind: 'unsubscribe', topicArn, snsMessageId };

  // Notification
  const inner = parsed.Message;
  if (typeof inner !== 'string') {
    return invalid(inner === undefined ? 'Notification envelope without a Message' : 'Notification Message is not a string', {
      ...objectFacts(parsed, body),
      topicArn,
      snsMessageId,
    });
  }
  let record: unknown;
  try {
    record = JSON.parse(inner);
  } catch (err) {
    return invalid('Notification Message is not valid JSON', {
      bodyChars: body.length,
      messageChars: inner.length,
      messagePrefix: preview(inner),
      error: preview((err as Error).message, 160),
      topicArn,
      snsMessageId,
    });
  }
  if (!isPlainObject(record)) {
    return invalid(`Notification Message is JSON ${Array.isArray(record) ? 'array' : record === null ? 'null' : typeof record}, not a record object`, {
      bodyChars: body.length,
      messagePrefix: preview(inner),
      topicArn,
      snsMessageId,
    });
  }
  return recordMessage(inner, record, 'notification', body);
}

/**
 * Groups messages (given by their byte sizes, in order) into PublishBatch calls: at most 10 entries and at most
 * 256 KiB in total per call (handlers/shared/chunk.ts). Returns the indices of each batch. Every size must be
 * <= SNS_MAX_MESSAGE_BYTES.
 */
export function planPublishBatches(sizes: readonly number[]): number[][] {
  return planBatches(sizes, PUBLISH_BATCH_MAX_ENTRIES, SNS_MAX_MESSAGE_BYTES);
}
