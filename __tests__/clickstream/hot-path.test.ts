/**
 * The clickstream hot path (issue 17) must not change a single answer. The compiled fast path of validateRecord
 * accepts only records it can plainly accept and hands everything else to the full validator; per-batch
 * constants and the cached ISO text of arrival times must write the items the straightforward code wrote.
 *
 * The references are the platform's own: `new URL` (WHATWG URL, the full validator's URL check),
 * Date.prototype.toISOString (ECMA-262) and the full validator. Records come from the seeded generator
 * (samples/clickstream.ts) and from mutations of them aimed at every rule's edge: hosts the URL parser reads as
 * IPv4 or rejects, punycode labels, ports, userinfo, leap days, non-canonical timestamps, Unicode whitespace,
 * control characters, non-string values, extra and prototype-named keys.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { normalizeTimestamp, RECORD_FIELDS, utcTimestamp, validateRecord, validateRecordFull, type ValidateOptions } from '../../handlers/clickstream/lib/record.js';
import { isoFromMs, processRecords, type BatchWriteInput, type Item } from '../../handlers/clickstream/process/core.js';
import { silentLogger } from '../../handlers/shared/log.js';
import { sampleRecords } from '../../samples/clickstream.js';
import { seededRandom } from '../../samples/seeded-random.js';

const URLS = [
  'http://a', 'https://example.com', 'HTTP://EXAMPLE.COM/X', 'https://shop.example.com/p?id=1#top', 'https://1.2.3.4/',
  'https://999.1.1.1/', 'https://a.0x1f/', 'https://a.09/', 'https://xn--a.com/', 'https://xn--bcher-kva.example/',
  'https://user@host.example/', 'https://host.example:8080/', 'https://host.example:99999/', 'https://host.example/ a b',
  'https://-a-.com', 'https://a..b/', 'https://a.b./', 'https:/a.b', 'https://', 'ftp://a.b', 'https://例え.jp/',
  'https://a.b\\c', 'https://[::1]/', 'https://a.b/%zz', 'javascript:alert(1)', 'https://a_b.com/', 'https://a.b/\u00e9',
  `https://${'a'.repeat(64)}.com/`, `https://${'a'.repeat(63)}.com/`, `https://a.b/${'x'.repeat(2040)}`, 'https://a.b?x', 'https://a.b#',
  'https://a.b.c.d.e.f.g/', 'https://0.example/', 'https://x.example/<script>', 'https://x.example:/', '',
];
const TIMESTAMPS = [
  '2024-02-29T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z', '2000-02-29T12:00:00.000Z',
  '1999-12-31T23:59:59.999Z', '0999-01-01T00:00:00.000Z', '0050-06-01T00:00:00.000Z', '2024-04-31T00:00:00.000Z',
  '2024-04-30T00:00:00.000Z', '2024-13-01T00:00:00.000Z', '2024-01-01T24:00:00.000Z', '2024-01-01T00:00:60.000Z',
  '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.1Z', '2024-01-01T00:00:00.123456Z', '2024-01-01T00:00:00.000+02:00',
  '2024-01-01T00:00:00.000-00:00', '2024-01-01T00:00:00.000z', '2024-01-01 00:00:00.000Z', ' 2024-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z', '2024-1-01T00:00:00.000Z', '2024-01-31T23:59:59.999Z', '2024-12-31T00:00:00.000Z', '',
];
const TEXTS = ['', ' ', '\t', 'a\u0000', 'a\u0085', 'Chrome', '\u00a0', '\ufeff', '\u2028', 'x'.repeat(129), 'x'.repeat(35), '🙂', ' a ', 'a\u007f'];
const IPS = ['', '1.2.3.4', '256.1.1.1', '::1', '::ffff:1.2.3.4', 'fe80::1%eth0', ' 1.2.3.4', '1.2.3.04', 'x'.repeat(46), '2001:db8::'];
const OTHERS: unknown[] = [null, 1, true, {}, [], ['a'], 0, false];

const candidates: Record<string, readonly unknown[]> = {
  ip: [...IPS, ...OTHERS],
  timestamp: [...TIMESTAMPS, ...OTHERS],
  browser: [...TEXTS, ...OTHERS],
  os: [...TEXTS, ...OTHERS],
  country: [...TEXTS, ...OTHERS],
  language: [...TEXTS, ...OTHERS],
  url: [...URLS, ...OTHERS],
  referrer: [...URLS, ...OTHERS],
};

function baseRecords(n: number): Record<string, unknown>[] {
  const gen = sampleRecords({ seed: 11, visitors: 200, now: () => 1_750_000_000_000 });
  return Array.from({ length: n }, () => JSON.parse(JSON.stringify(gen.next())) as Record<string, unknown>);
}

/** Every single-field mutation, deletions, extra keys (JSON.parse makes "__proto__" an own key) and random mixes. */
function mutants(base: Record<string, unknown>[]): unknown[] {
  const out: unknown[] = [...base, null, [], 'a', 1];
  const rand = seededRandom(5);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  for (const [i, b] of base.entries()) {
    if (i < 40) {
      for (const f of RECORD_FIELDS) {
        for (const v of candidates[f]) out.push({ ...b, [f]: v });
        const { [f]: _drop, ...rest } = b;
        out.push(rest);
      }
      for (const extra of ['"session":"x"', '"__proto__":{"ip":"1.1.1.1"}', '"constructor":"x"', '"toString":1']) {
        out.push(JSON.parse(`{${extra},${JSON.stringify(b).slice(1)}`));
      }
    }
    for (let k = 0; k < 6; k++) {
      const m: Record<string, unknown> = { ...b };
      for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) {
        const f = pick(RECORD_FIELDS);
        m[f] = pick(candidates[f]);
      }
      out.push(m);
    }
  }
  return out;
}

describe('validateRecord (fast path with fallback) answers exactly as the full validator', () => {
  const inputs = mutants(baseRecords(400));
  const options: ValidateOptions[] = [{}, { unknownFields: 'ignore' }, { sourceIp: '192.0.2.7' }, { unknownFields: 'ignore', sourceIp: '2001:db8::9' }];

  it(`over ${inputs.length} generated and mutated records and 4 option sets`, () => {
    let valid = 0;
    for (const opts of options) {
      for (const input of inputs) {
        const fast = validateRecord(input, opts);
        const full = validateRecordFull(input, opts);
        // Same JSON, key order included (the record's JSON is what ingest puts on the stream); the matcher only
        // runs to print the difference.
        if (JSON.stringify(fast) !== JSON.stringify(full)) expect(fast).toStrictEqual(full);
        if (full.ok) {
          valid++;
          expect(utcTimestamp(full.record)).toBe(normalizeTimestamp(full.record.timestamp));
        }
      }
    }
    // The mutations reach both sides of every rule: thousands valid, thousands refused.
    expect(valid).toBeGreaterThan(2000);
    expect(inputs.length * options.length - valid).toBeGreaterThan(2000);
  });
});

describe('isoFromMs writes what toISOString writes', () => {
  it('for consecutive, random and edge instants', () => {
    const rand = seededRandom(9);
    const instants = [0, 1, 999, 1000, 1001, -1, -1000, 8.64e15, 253_402_300_799_999, 253_402_300_800_000, 1_750_000_000_000];
    for (let i = 0; i < 3000; i++) instants.push(1_750_000_000_000 + i * 7);
    for (let i = 0; i < 3000; i++) instants.push(Math.floor(rand() * 253_402_300_800_000));
    for (const ms of instants) expect(isoFromMs(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('processRecords writes the items the straightforward formulas give', () => {
  it('for generated and mutated records', async () => {
    const inputs = mutants(baseRecords(60));
    const records: KinesisStreamRecord[] = inputs.map((v, i) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0', partitionKey: `pk${i}`, sequenceNumber: String(49_600_000_000_000_000_000n + BigInt(i)),
        data: Buffer.from(JSON.stringify(v) ?? 'null').toString('base64'), approximateArrivalTimestamp: 1_750_000_000 + i * 0.0137,
      },
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${i}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/t', awsRegion: 'us-east-1', eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/t',
    }));
    const now = new Date('2025-06-01T00:00:00.123Z');
    const written: Item[] = [];
    const batchWrite = async (input: BatchWriteInput) => {
      for (const w of input.RequestItems.t) written.push(w.PutRequest.Item);
      return {};
    };
    for (let i = 0; i < records.length; i += 100) {
      await processRecords(records.slice(i, i + 100), { tableName: 't', unknownFields: 'reject', writeMaxAttempts: 1, ttlDays: 7 }, {
        batchWrite, rejects: { put: async () => ({ failed: [] }) }, log: silentLogger, now: () => now,
      });
    }
    const expected: Item[] = [];
    for (const r of records) {
      const v = validateRecordFull(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')));
      if (!v.ok) continue;
      const rec = v.record;
      expected.push({
        ip: { S: rec.ip }, sk: { S: `${normalizeTimestamp(rec.timestamp)}#${r.kinesis.sequenceNumber}` }, timestamp: { S: rec.timestamp },
        browser: { S: rec.browser }, url: { S: rec.url }, referrer: { S: rec.referrer }, os: { S: rec.os }, country: { S: rec.country },
        language: { S: rec.language }, arrivedAt: { S: new Date(Math.round(r.kinesis.approximateArrivalTimestamp * 1000)).toISOString() },
        processedAt: { S: now.toISOString() }, expiresAt: { N: String(Math.floor(now.getTime() / 1000) + 7 * 86_400) },
      });
    }
    expect(expected.length).toBeGreaterThan(200);
    expect(written).toStrictEqual(expected);
  });
});
