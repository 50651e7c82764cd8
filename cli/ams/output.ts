/**
 * Output of the AMS subscription CLI: aligned text tables for people, JSON for scripts, and a scrubber that
 * replaces every known secret (refresh token, client secret, access tokens) before anything is written.
 */
import type { Subscription } from './api.js';
import { destinationArnOf } from './api.js';

export interface Column<T> {
  readonly header: string;
  readonly get: (row: T) => string | undefined;
}

/** A plain table: header, dashes, rows; columns padded to their widest cell; the last column is not padded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => (c.get(r) ?? '-').replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  // The last column is not padded, so its underline is as long as its header.
  const rule = widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? columns[i].header.length : w));
  return [line(columns.map((c) => c.header)), line(rule), ...cells.map(line)].join('\n') + '\n';
}

export function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

export const SUBSCRIPTION_COLUMNS: readonly Column<Subscription & { region?: string }>[] = [
  { header: 'SUBSCRIPTION', get: (s) => s.subscriptionId },
  { header: 'DATASET', get: (s) => s.dataSetId },
  { header: 'REGION', get: (s) => s.region },
  { header: 'STATUS', get: (s) => s.status },
  { header: 'DESTINATION', get: (s) => destinationArnOf(s) },
  { header: 'UPDATED', get: (s) => s.updatedDate ?? s.createdDate },
  { header: 'NOTES', get: (s) => s.notes },
];

/** Detail view of one subscription: "key  value" lines. */
export function details(s: Subscription & { region?: string }): string {
  const d = s.destination;
  const pairs: [string, string | undefined][] = [
    ['subscriptionId', s.subscriptionId],
    ['dataSetId', s.dataSetId],
    ['region', s.region],
    ['status', s.status],
    ['statusDetails', s.statusDetails],
    ['queueArn', d?.sqsDestination?.queueArn],
    ['deliveryStreamArn', d?.firehoseDestination?.deliveryStreamArn],
    ['subscriberRoleArn', d?.firehoseDestination?.subscriberRoleArn],
    ['subscriptionRoleArn', d?.firehoseDestination?.subscriptionRoleArn],
    ['destinationArn', d ? undefined : s.destinationArn],
    ['notes', s.notes],
    ['clientRequestToken', s.clientRequestToken],
    ['createdDate', s.createdDate],
    ['updatedDate', s.updatedDate],
  ];
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '');
  const w = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

/** Replaces every registered secret in text. Secrets shorter than 8 characters are ignored (too likely to collide). */
export class Scrubber {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }

  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}
