/**
 * The clickstream record: the seed's JSON (ip, timestamp, browser, url, referrer, os, country, language), its
 * schema and validator. Shared by the ingest handler (validates what clients post), the processor (checks each
 * stream record's eligibility again before writing) and the event generator (produces valid records).
 */
import { isIP } from 'node:net';

export interface ClickstreamRecord {
  /** Client address, IPv4 or IPv6. */
  ip: string;
  /** When the event happened: ISO-8601 date-time with a time zone ("Z" or an offset). */
  timestamp: string;
  browser: string;
  /** The page, an absolute http(s) URL. */
  url: string;
  /** The referring page: an absolute http(s) URL, or "" for none. */
  referrer: string;
  os: string;
  country: string;
  language: string;
}

export type ClickstreamField = keyof ClickstreamRecord;

/** Field length caps (characters). */
export const FIELD_MAX_LENGTH: Readonly<Record<ClickstreamField, number>> = {
  ip: 45,
  timestamp: 40,
  browser: 128,
  url: 2048,
  referrer: 2048,
  os: 128,
  country: 64,
  language: 35,
};

export const RECORD_FIELDS = Object.keys(FIELD_MAX_LENGTH) as ClickstreamField[];
const RECORD_FIELD_SET: ReadonlySet<string> = new Set(RECORD_FIELDS);

/** Whether `name` is one of the schema's fields (an own-name check: inherited names such as "constructor" are not). */
export function isRecordField(name: string): name is ClickstreamField {
  return RECORD_FIELD_SET.has(name);
}
/** Fields a record may omit: `ip` (filled from the source address when configured), `referrer` (""). */
export const OPTIONAL_FIELDS: ReadonlySet<ClickstreamField> = new Set(['ip', 'referrer']);

export interface FieldError {
  /** Field name, or "(record)" for the record as a whole. */
  readonly field: string;
  readonly message: string;
}

export type ValidationResult =
  | { readonly ok: true; readonly record: ClickstreamRecord }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

export interface ValidateOptions {
  /** Fields outside the schema: "reject" (an error each) or "ignore" (dropped). Default "reject". */
  readonly unknownFields?: 'reject' | 'ignore';
  /** Used for a missing `ip`; without it a missing `ip` is an error. */
  readonly sourceIp?: string;
}

/**
 * ISO-8601 calendar date-time with a zone: 2024-05-01T12:30:00Z, 2024-05-01T12:30:00.123+02:00,
 * 2024-05-01T12:30:00.123456Z (fractions are kept to milliseconds).
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch milliseconds of an ISO-8601 date-time with zone, or undefined when it is not one (or not a real date). */
export function parseIsoTimestamp(value: string): number | undefined {
  const m = ISO_8601.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  if (zone !== 'Z') {
    const [zh, zm] = zone.slice(1).split(':').map(Number);
    if (zh > 23 || zm > 59) return undefined;
  }
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The timestamp as sortable UTC text with milliseconds (2024-05-01T10:30:00.123Z). */
export function normalizeTimestamp(value: string): string | undefined {
  const ms = parseIsoTimestamp(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/** Rejects control characters (C0, DEL, C1) in free-text fields. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/**
 * Validates one parsed JSON value against the record schema. Every problem is reported (not just the first),
 * each naming its field. A valid record is returned with only the schema's fields, `referrer` defaulting to ""
 * and `ip` filled from `sourceIp` when absent.
 *
 * Records that are plainly valid (every field present and a string, canonical UTC timestamps, plain http(s) URLs)
 * are accepted by a compiled fast path; anything it does not plainly accept goes through the full validator
 * below, so errors and edge cases are the full validator's. The two agree on every input
 * (__tests__/clickstream/hot-path.test.ts checks generated and mutated records).
 */
export function validateRecord(value: unknown, opts: ValidateOptions = {}): ValidationResult {
  const record = acceptPlainRecord(value, (opts.unknownFields ?? 'reject') === 'reject');
  return record ? { ok: true, record } : validateRecordFull(value, opts);
}

/** The full validator: every rule, every error. */
export function validateRecordFull(value: unknown, opts: ValidateOptions = {}): ValidationResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ field: '(record)', message: `must be a JSON object, got ${describeType(value)}` }] };
  }
  const input = value as Record<string, unknown>;
  const errors: FieldError[] = [];
  if ((opts.unknownFields ?? 'reject') === 'reject') {
    // Own keys against the schema's own keys: `k in FIELD_MAX_LENGTH` would also match inherited names
    // (constructor, toString, __proto__, ...), which JSON.parse makes ordinary own keys of a record.
    for (const k of Object.keys(input)) {
      if (!isRecordField(k)) errors.push({ field: k, message: `unknown field; allowed fields are: ${RECORD_FIELDS.join(', ')}` });
    }
  }
  // Only the schema's fields are copied, by name, into a fresh object: no record key is ever used as a property
  // name on our side, so none can reach a prototype.
  const out: Partial<ClickstreamRecord> = {};
  for (const field of RECORD_FIELDS) {
    // Own properties only: a value inherited through a prototype is not part of the record.
    let v = Object.hasOwn(input, field) ? input[field] : undefined;
    if (v === undefined || v === null) {
      if (field === 'ip' && opts.sourceIp) v = opts.sourceIp;
      else if (field === 'referrer') v = '';
      else {
        errors.push({
          field,
          message: field === 'ip' ? 'is required (no source address to fill it from)' : 'is required',
        });
        continue;
      }
    }
    if (typeof v !== 'string') {
      errors.push({ field, message: `must be a string, got ${describeType(v)}` });
      continue;
    }
    const max = FIELD_MAX_LENGTH[field];
    if (v.length > max) {
      errors.push({ field, message: `must be at most ${max} characters, got ${v.length}` });
      continue;
    }
    if (!OPTIONAL_FIELDS.has(field) && v.trim() === '') {
      errors.push({ field, message: 'must not be empty' });
      continue;
    }
    if (CONTROL.test(v)) {
      errors.push({ field, message: 'must not contain control characters' });
      continue;
    }
    const problem = checkFormat(field, v);
    if (problem) {
      errors.push({ field, message: problem });
      continue;
    }
    out[field] = v;
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, record: out as ClickstreamRecord };
}

function checkFormat(field: ClickstreamField, v: string): string | undefined {
  switch (field) {
    case 'ip':
      return isIP(v) === 0 ? `${JSON.stringify(v.slice(0, 60))} is not an IPv4 or IPv6 address` : undefined;
    case 'timestamp':
      return parseIsoTimestamp(v) === undefined
        ? `${JSON.stringify(v)} is not an ISO-8601 date-time with a time zone (e.g. 2024-05-01T12:30:00.000Z)`
        : undefined;
    case 'url':
      return isHttpUrl(v) ? undefined : 'must be an absolute http(s) URL';
    case 'referrer':
      return v === '' || isHttpUrl(v) ? undefined : 'must be an absolute http(s) URL or ""';
    default:
      return undefined;
  }
}

// ---- The fast path ------------------------------------------------------------------------------------------
// Each test below accepts a subset of what the full validator accepts, never more; a string it does not match
// falls back to the full validator (which may still accept it).

/** A non-empty free-text value without control characters (the full rules: length cap checked separately). */
const PLAIN_TEXT = /^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$/;
/**
 * A canonical UTC timestamp as Date.prototype.toISOString writes it for years 1000-9999
 * (2024-05-01T12:30:00.123Z): its normalized form is itself.
 */
const CANONICAL_UTC = /^[1-9]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
/**
 * A plain absolute http(s) URL: a DNS host name whose last label starts with a letter (so the URL parser never
 * reads it as an IPv4 address), no userinfo, no port, no punycode label, then nothing or a path/query/fragment of
 * printable ASCII. The URL parser accepts all of these.
 */
const PLAIN_HTTP_URL = /^https?:\/\/(?:(?!xn--)[a-z0-9-]{1,63}\.)*(?!xn--)[a-z][a-z0-9-]{0,62}\.?(?:[/?#][\x21-\x7e]*)?$/i;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether a CANONICAL_UTC match names a real day (the regex allows Feb 30). */
function isRealDay(year: number, month: number, day: number): boolean {
  if (day <= 28) return true;
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  return day <= DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0);
}

/** The two ASCII digits of `v` at `at` as a number (the caller has checked they are digits). */
function twoDigits(v: string, at: number): number {
  return (v.charCodeAt(at) - 48) * 10 + (v.charCodeAt(at + 1) - 48);
}

function isCanonicalUtc(v: string): boolean {
  if (v.length !== 24 || !CANONICAL_UTC.test(v)) return false;
  const day = twoDigits(v, 8);
  return day <= 28 || isRealDay(twoDigits(v, 0) * 100 + twoDigits(v, 2), twoDigits(v, 5), day);
}

function isPlainText(v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length <= max && PLAIN_TEXT.test(v);
}

function isPlainUrl(v: unknown): v is string {
  return typeof v === 'string' && v.length <= FIELD_MAX_LENGTH.url && PLAIN_HTTP_URL.test(v);
}

/** The record, when `value` is plainly valid; undefined sends it to the full validator. */
function acceptPlainRecord(value: unknown, rejectUnknown: boolean): ClickstreamRecord | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const input = value as Record<string, unknown>;
  if (rejectUnknown) {
    // Exactly the eight fields as own keys (own-key count 8 and each field an own key: nothing else).
    if (Object.keys(input).length !== RECORD_FIELDS.length) return undefined;
    for (const f of RECORD_FIELDS) if (!Object.hasOwn(input, f)) return undefined;
  } else {
    for (const f of RECORD_FIELDS) if (!Object.hasOwn(input, f)) return undefined;
  }
  const { ip, timestamp, browser, url, referrer, os, country, language } = input;
  if (typeof ip !== 'string' || ip.length > FIELD_MAX_LENGTH.ip || isIP(ip) === 0) return undefined;
  if (typeof timestamp !== 'string' || !isCanonicalUtc(timestamp)) return undefined;
  if (!isPlainText(browser, FIELD_MAX_LENGTH.browser) || !isPlainText(os, FIELD_MAX_LENGTH.os)) return undefined;
  if (!isPlainText(country, FIELD_MAX_LENGTH.country) || !isPlainText(language, FIELD_MAX_LENGTH.language)) return undefined;
  if (!isPlainUrl(url) || !(referrer === '' || isPlainUrl(referrer))) return undefined;
  return { ip, timestamp, browser, url, referrer: referrer as string, os, country, language };
}

/**
 * The record's timestamp as sortable UTC text with milliseconds (what normalizeTimestamp gives), for a record
 * that passed validateRecord. A canonical UTC timestamp is returned as it is: no second parse.
 */
export function utcTimestamp(record: ClickstreamRecord): string {
  return isCanonicalUtc(record.timestamp) ? record.timestamp : normalizeTimestamp(record.timestamp)!;
}

/** "field: message; field: message" for logs and reject reasons. */
export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
