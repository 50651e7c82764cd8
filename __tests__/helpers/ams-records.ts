/**
 * Realistic Amazon Marketing Stream test data: sp-traffic records (the keys and types Amazon documents), records
 * of any dataset generated from its documented schema, and the SNS Notification envelopes they arrive in. Shared
 * by the AMS handler and data tests and bench/ams-fan-out.ts.
 */
import { randomUUID } from 'node:crypto';
import type { AmsField } from '../../contracts/ams-schemas.js';

const MATCH_TYPES = ['BROAD', 'PHRASE', 'EXACT', 'TARGETING_EXPRESSION', 'TARGETING_EXPRESSION_PREDEFINED'];
const PLACEMENTS = ['Top of Search on-Amazon', 'Detail Page on-Amazon', 'Other on-Amazon', 'Off Amazon'];

/** One sp-traffic record; `i` varies the ids deterministically. */
export function spTrafficRecord(i = 0): Record<string, unknown> {
  const hour = new Date(Date.UTC(2026, 10, 20, i % 24));
  return {
    idempotency_id: randomUUID(),
    dataset_id: 'sp-traffic',
    marketplace_id: 'ATVPDKIKX0DER',
    currency: 'USD',
    advertiser_id: `ENTITY${(1_000_000 + (i % 97)).toString(36).toUpperCase()}`,
    campaign_id: String(100_000_000_000 + (i % 1009)),
    ad_group_id: String(200_000_000_000 + (i % 4999)),
    ad_id: String(300_000_000_000 + i),
    keyword_id: String(400_000_000_000 + (i % 7919)),
    keyword_text: `stainless steel water bottle ${i % 50}`,
    match_type: MATCH_TYPES[i % MATCH_TYPES.length],
    placement: PLACEMENTS[i % PLACEMENTS.length],
    time_window_start: hour.toISOString().replace('.000Z', '-08:00'),
    clicks: i % 7 === 0 ? -1 : i % 5,
    impressions: 100 + (i % 900),
    cost: Math.round(((i % 13) * 0.37 + 0.05) * 100) / 100,
  };
}

/** The SNS Notification envelope Amazon's topic delivers into the ingress queue for one record. */
export function notificationEnvelope(record: Record<string, unknown>, topicArn = 'arn:aws:sns:us-east-1:906013806264:sp-traffic'): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: JSON.stringify(record),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'c2lnbmF0dXJl'.repeat(28),
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem',
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${randomUUID()}`,
  };
}

/**
 * A record of any Amazon Marketing Stream dataset, built by walking its documented schema (contracts/ams-schemas.json:
 * the field names and types of Amazon's dataset pages) with a seeded PRNG: strings, ISO 8601 times, integers,
 * two-decimal doubles, booleans, nested objects, arrays of one or two elements and small maps. Keys keep Amazon's
 * spelling (camelCase or snake_case). `overrides` set top-level keys afterwards (null is kept as JSON null;
 * undefined removes the key).
 */
export function schemaRecord(
  fields: readonly AmsField[],
  random: () => number,
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  const record = objectOf(fields, random, '');
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete record[k];
    else record[k] = v;
  }
  return record;
}

function objectOf(fields: readonly AmsField[], random: () => number, path: string): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.name, valueOf(f, random, path ? `${path}.${f.name}` : f.name)]));
}

function valueOf(field: Pick<AmsField, 'type' | 'format' | 'fields' | 'items'>, random: () => number, path: string): unknown {
  const n = Math.floor(random() * 1000);
  switch (field.type) {
    case 'string':
      return field.format === 'iso8601' ? new Date(Date.UTC(2026, 0, 1) + n * 3_600_000).toISOString() : `${path.split('.').pop()}-${n}`;
    case 'bigint':
      return n;
    case 'double':
      return Math.round(random() * 100_000) / 100;
    case 'boolean':
      return random() < 0.5;
    case 'struct':
      return objectOf(field.fields!, random, path);
    case 'array':
      return Array.from({ length: 1 + Math.floor(random() * 2) }, () => valueOf(field.items!, random, path));
    case 'map':
      return { [`k${n}`]: `v${n}` };
  }
}
