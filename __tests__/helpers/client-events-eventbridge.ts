/**
 * What EventBridge does with the client events, as AWS documents it, for the tests (no emulator implements these
 * semantics and no npm package for them is installed, so this is kept small and to the documented rules):
 *
 * - putEvents(): PutEvents' per-entry outcome. Entry size as "Calculating PutEvents event entry size" defines it
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: Time 14 bytes when given, then
 *   the UTF-8 bytes of Source, DetailType, Detail and every Resources item), a request whose entries total more
 *   than 256 KB (262,144 bytes) is refused as a whole (HTTP 400, `ValidationException`); a Detail that is not a JSON
 *   object fails its entry with `MalformedDetail` (PutEvents API reference). Accepted entries become events in the
 *   envelope of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html.
 * - matches(): event patterns (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
 *   eb-event-patterns-content-based-filtering.html): every key of the pattern must match (AND); a leaf is a list of
 *   alternatives (OR); an event field holding an array matches when any element does; exact values (strings,
 *   numbers, booleans, null: "null values and empty strings are not interchangeable"); `{"exists": true|false}`,
 *   which "only works on leaf nodes" (an object under the key satisfies neither); `$or` (eb-create-pattern-operators).
 *   Any other operator throws, so a test cannot pass on a pattern this matcher does not understand.
 * - inputTransform() / inputPath(): target input (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
 *   each InputPathsMap entry is a JSONPath into the event; an unquoted `<name>` in the template takes the JSON value.
 */
import { randomUUID } from 'node:crypto';
import { jsonPath } from './vtl.js';

export const MAX_PUT_EVENTS_BYTES = 262_144;

export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: number;
}

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** PutEvents' size of one entry. */
export function entrySize(e: PutEventsEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (e.Time !== undefined ? 14 : 0) + bytes(e.Source) + bytes(e.DetailType) + bytes(e.Detail) + (e.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
}

export type PutEventsOutcome =
  | { kind: 'request-error'; httpStatus: number; body: { __type: string; message: string } }
  | { kind: 'answer'; body: { FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] }; events: EventBridgeEvent[] };

/** PutEvents for `entries` (account 123456789012, region us-east-1, the time given). */
export function putEvents(entries: PutEventsEntry[], time = '2026-11-30T12:00:00Z'): PutEventsOutcome {
  const total = entries.reduce((n, e) => n + entrySize(e), 0);
  if (total > MAX_PUT_EVENTS_BYTES) {
    return { kind: 'request-error', httpStatus: 400, body: { __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' } };
  }
  const events: EventBridgeEvent[] = [];
  const results = entries.map((e) => {
    let detail: unknown;
    try {
      detail = JSON.parse(e.Detail ?? '{}');
    } catch {
      detail = undefined;
    }
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const id = randomUUID();
    events.push({
      version: '0', id, 'detail-type': e.DetailType, source: e.Source, account: '123456789012', time, region: 'us-east-1',
      resources: e.Resources ?? [], detail: detail as Record<string, unknown>,
    });
    return { EventId: id };
  });
  return { kind: 'answer', body: { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }, events };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLeaf = (v: unknown) => !isObject(v) && !(Array.isArray(v) && v.some(isObject));

function leafMatches(alternatives: unknown[], present: boolean, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return alternatives.some((alt) => {
    if (isObject(alt)) {
      const keys = Object.keys(alt);
      if (keys.length === 1 && keys[0] === 'exists') {
        if (present && !isLeaf(value)) return false;
        return alt.exists === present;
      }
      throw new Error(`event pattern operator not implemented by this matcher: ${JSON.stringify(alt)}`);
    }
    return present && values.some((v) => !isObject(v) && v === alt);
  });
}

/** True when `pattern` (an event pattern object) matches `event`. */
export function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') {
      if (!Array.isArray(sub)) throw new Error('$or takes an array of patterns');
      return sub.some((p) => matches(p as Record<string, unknown>, event));
    }
    const present = isObject(event) && Object.prototype.hasOwnProperty.call(event, key);
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(sub)) return leafMatches(sub, present, value);
    if (isObject(sub)) {
      // A nested pattern on a field the event lacks can still match through exists:false leaves below it.
      if (present && !isObject(value)) return false;
      return matches(sub, present ? value : {});
    }
    throw new Error(`invalid event pattern at ${key}: ${JSON.stringify(sub)}`);
  });
}

/** A rule target's input transformer applied to `event`. Throws when a path is missing (the rules guarantee them). */
export function inputTransform(t: { input_paths?: Record<string, string>; inputPaths?: Record<string, string>; input_template?: string; inputTemplate?: string }, event: unknown): string {
  let out = (t.input_template ?? t.inputTemplate)!;
  for (const [name, path] of Object.entries(t.input_paths ?? t.inputPaths ?? {})) {
    const v = jsonPath(event, path);
    if (v === undefined) throw new Error(`input path ${path} is missing from the event`);
    out = out.split(`<${name}>`).join(JSON.stringify(v));
  }
  return out;
}

/** A target's InputPath applied to `event`. */
export function inputPath(path: string, event: unknown): string {
  return JSON.stringify(jsonPath(event, path));
}
