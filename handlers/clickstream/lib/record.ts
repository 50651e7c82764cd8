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
 */
export function validateRecord(value: unknown, opts: ValidateOptions = {}): ValidationResult {
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

/** "field: message; field: message" for logs and reject reasons. */
export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
