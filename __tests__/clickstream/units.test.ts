/**
 * Unit tests of the clickstream pure cores: record schema, rejects message splitting, ingest request handling
 * against fake ports (response codes, retry of failed entries only, partition keys), processor item keys,
 * chunking and failure reporting, env parsing and the sampler.
 */
import { describe, expect, it } from 'vitest';
import type { KinesisStreamRecord } from 'aws-lambda';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { normalizeTimestamp, parseIsoTimestamp, validateRecord, type ClickstreamRecord } from '../../handlers/clickstream/lib/record.js';
import { MAX_MESSAGE_BYTES, reassemble, rejectMessages, sqsRejectsSink, type Reject, type RejectMessage, type RejectsSink } from '../../handlers/clickstream/lib/rejects.js';
import { backoffMs, isRetryable } from '../../handlers/clickstream/lib/retry.js';
import { sampleRecords } from '../../samples/clickstream.js';
import { entryBytes, firstInvalidUtf8, ingest, putAll, PUT_RECORD_MAX_BYTES, PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES, type IngestSettings, type PutRecordsFn, type PutRecordsInput } from '../../handlers/clickstream/ingest/core.js';
import { ingestSettingsFromEnv } from '../../handlers/clickstream/ingest/handler.js';
import { BATCH_WRITE_CONCURRENCY, batchConstants, decodeRecord, processRecords, toItem, writeAll, type BatchWriteFn, type BatchWriteInput } from '../../handlers/clickstream/process/core.js';
import { processSettingsFromEnv } from '../../handlers/clickstream/process/handler.js';

const good: ClickstreamRecord = {
  ip: '198.51.100.23',
  timestamp: '2025-06-01T12:30:45.123Z',
  browser: 'Firefox',
  url: 'https://shop.example.com/product/B0C1234567',
  referrer: 'https://www.google.com/',
  os: 'Linux',
  country: 'DE',
  language: 'de-DE',
};

describe('record schema', () => {
  it('accepts the seed record, IPv6, offsets and fractions; referrer may be empty or absent', () => {
    expect(validateRecord(good)).toEqual({ ok: true, record: good });
    expect(validateRecord({ ...good, ip: '2001:db8::1' }).ok).toBe(true);
    expect(validateRecord({ ...good, ip: '::ffff:192.0.2.1' }).ok).toBe(true);
    expect(validateRecord({ ...good, timestamp: '2025-06-01T14:30:45+02:00' }).ok).toBe(true);
    expect(validateRecord({ ...good, timestamp: '2025-06-01T12:30:45.123456789Z' }).ok).toBe(true);
    const { referrer: _r, ...noRef } = good;
    expect(validateRecord(noRef)).toEqual({ ok: true, record: { ...good, referrer: '' } });
  });

  it('reports every bad field by name', () => {
    const r = validateRecord({ ...good, ip: '256.1.1.1', timestamp: '2025-02-30T00:00:00Z', url: 'ftp://x', referrer: 'nope', os: '', browser: 42, country: 'a\u0000b' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.fromEntries(r.errors.map((e) => [e.field, e.message]))).toEqual({
      ip: expect.stringContaining('not an IPv4 or IPv6'),
      timestamp: expect.stringContaining('ISO-8601'),
      url: 'must be an absolute http(s) URL',
      referrer: 'must be an absolute http(s) URL or ""',
      os: 'must not be empty',
      browser: 'must be a string, got a number',
      country: 'must not contain control characters',
    });
  });

  it('caps lengths, requires fields, and rejects or ignores unknown fields', () => {
    const long = validateRecord({ ...good, url: `https://x.example/${'a'.repeat(2100)}` });
    expect(!long.ok && long.errors[0].message).toMatch(/at most 2048 characters/);
    const missing = validateRecord({ timestamp: good.timestamp });
    expect(!missing.ok && missing.errors.map((e) => e.field)).toEqual(['ip', 'browser', 'url', 'os', 'country', 'language']);
    expect(validateRecord({ ...good, session: 'abc' }).ok).toBe(false);
    expect(validateRecord({ ...good, session: 'abc' }, { unknownFields: 'ignore' })).toEqual({ ok: true, record: good });
    expect(validateRecord([good]).ok).toBe(false);
    expect(validateRecord(null).ok).toBe(false);
  });

  // Issue 12 item 9: field names are checked as the record's OWN keys against the schema's OWN keys. JSON
  // (RFC 8259) makes "constructor", "toString", "hasOwnProperty" and "__proto__" ordinary member names, and
  // JSON.parse (ECMA-262 InternalizeJSONProperty / CreateDataProperty) makes each an own property of the result,
  // so each is an unknown field here.
  it('inherited names are unknown fields too: constructor, toString, hasOwnProperty, __proto__ are refused', () => {
    const base = JSON.stringify(good).slice(0, -1);
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', '__defineGetter__']) {
      const parsed = JSON.parse(`${base},${JSON.stringify(name)}:"x"}`);
      expect(Object.keys(parsed)).toContain(name);
      const r = validateRecord(parsed);
      expect(r.ok, name).toBe(false);
      expect(!r.ok && r.errors).toEqual([{ field: name, message: expect.stringContaining('unknown field') }]);
    }
    // An object-valued __proto__ member too (the classic pollution payload).
    const r = validateRecord(JSON.parse(`${base},"__proto__":{"polluted":"yes"}}`));
    expect(!r.ok && r.errors.map((e) => e.field)).toEqual(['__proto__']);
  });

  it('record keys cannot pollute prototypes or hide schema fields; "ignore" drops them and returns a plain record', () => {
    const base = JSON.stringify(good).slice(0, -1);
    const parsed = JSON.parse(`${base},"__proto__":{"polluted":"yes","ip":"203.0.113.66"},"constructor":{"prototype":{"polluted":"yes"}}}`);
    const r = validateRecord(parsed, { unknownFields: 'ignore' });
    expect(r).toEqual({ ok: true, record: good });
    if (!r.ok) return;
    expect(Object.getPrototypeOf(r.record)).toBe(Object.prototype);
    expect(Object.keys(r.record).sort()).toEqual(Object.keys(good).sort());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((r.record as unknown as Record<string, unknown>).polluted).toBeUndefined();
    // A field the schema requires is read only as an own property: one inherited through a prototype does not count.
    const { ip: _ip, ...noIp } = good;
    const inherits = Object.assign(Object.create({ ip: '203.0.113.66' }), noIp);
    const v = validateRecord(inherits);
    expect(!v.ok && v.errors.map((e) => e.field)).toEqual(['ip']);
  });

  it('fills ip from the source address only when missing', () => {
    const { ip: _ip, ...rest } = good;
    expect(validateRecord(rest, { sourceIp: '203.0.113.1' })).toEqual({ ok: true, record: { ...good, ip: '203.0.113.1' } });
    expect(validateRecord(good, { sourceIp: '203.0.113.1' })).toEqual({ ok: true, record: good });
    expect(validateRecord(rest).ok).toBe(false);
  });

  it('timestamps: real dates only, normalized to sortable UTC', () => {
    expect(parseIsoTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTimestamp('2023-02-29T00:00:00Z')).toBeUndefined();
    expect(parseIsoTimestamp('2024-01-01T24:00:00Z')).toBeUndefined();
    expect(parseIsoTimestamp('2024-01-01 10:00:00Z')).toBeUndefined();
    expect(parseIsoTimestamp('2024-01-01T10:00:00')).toBeUndefined();
    expect(normalizeTimestamp('2025-06-01T14:30:45.5+02:00')).toBe('2025-06-01T12:30:45.500Z');
  });
});

describe('rejects messages', () => {
  const reject = (payload: Buffer): Reject => ({ source: 'ingest', reason: 'malformed-json', detail: 'bad', context: { requestId: 'r1' }, payload });

  it('a small UTF-8 payload is one message carrying the text; binary is base64', () => {
    const [m] = rejectMessages(reject(Buffer.from('{"a":'))).map((x) => JSON.parse(x) as RejectMessage);
    expect(m).toMatchObject({ part: 1, parts: 1, encoding: 'utf8', payload: '{"a":', reason: 'malformed-json', payloadBytes: 5 });
    const bin = Buffer.from([0xff, 0x00, 0xc3]);
    const [b] = rejectMessages(reject(bin)).map((x) => JSON.parse(x) as RejectMessage);
    expect(b.encoding).toBe('base64');
    expect(reassemble([b]).equals(bin)).toBe(true);
  });

  it('a large payload is split into parts under the SQS limit that reassemble exactly', () => {
    const big = Buffer.alloc(1_000_003, 'é');
    const msgs = rejectMessages(reject(big), new Date(0), 'fixed');
    expect(msgs.length).toBe(Math.ceil(big.length / 150_000));
    for (const m of msgs) expect(Buffer.byteLength(m)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const parsed = msgs.map((x) => JSON.parse(x) as RejectMessage).reverse();
    expect(reassemble(parsed).equals(big)).toBe(true);
    expect(() => reassemble(parsed.slice(1))).toThrow(/missing/);
  });

  it('the SQS sink batches by 10 and retries only refused entries; reports what it could not keep', async () => {
    const sent: string[][] = [];
    let call = 0;
    const sqs = {
      send: async (cmd: { input: { Entries: { Id: string }[] } }) => {
        call++;
        sent.push(cmd.input.Entries.map((e) => e.Id));
        // The first call refuses its first entry; every later call refuses entry m0 forever.
        return { Failed: cmd.input.Entries.filter((e, i) => (call === 1 && i === 1) || e.Id === 'm0').map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })) };
      },
    };
    const sink = sqsRejectsSink(sqs as never, 'https://q', { sleep: async () => {} });
    const rejects = Array.from({ length: 12 }, (_, i) => reject(Buffer.from(`r${i}`)));
    const out = await sink.put(rejects);
    expect(sent[0]).toHaveLength(10);
    expect(sent[1]).toHaveLength(2);
    expect(sent[2].sort()).toEqual(['m0', 'm1']);
    expect(sent[3]).toEqual(['m0']);
    expect(out.failed).toEqual([0]);
  });
});

describe('ingest core', () => {
  const settings: IngestSettings = { streamName: 's', maxBodyBytes: 10_000, maxBatchRecords: 3, unknownFields: 'reject', fillIpFromSource: true, putMaxAttempts: 3 };
  const okPut: PutRecordsFn = async (input) => ({ FailedRecordCount: 0, Records: input.Records.map((_, i) => ({ ShardId: 'shardId-000000000000', SequenceNumber: String(100 + i) })) });
  const kept: Reject[] = [];
  const sink: RejectsSink = { put: async (r) => (kept.push(...r), { failed: [] }) };
  const run = (body: string | undefined, put: PutRecordsFn = okPut, extra: Partial<Parameters<typeof ingest>[0]> = {}) =>
    ingest({ body, headers: { 'content-type': 'application/json' }, sourceIp: '192.0.2.1', requestId: 'r', ...extra }, settings, {
      putRecords: put, rejects: sink, log: new MemoryLogger(), sleep: async () => {},
    });

  it('single record -> 200 seed shape; one PutRecords entry per record, JSON encoded once', async () => {
    const inputs: PutRecordsInput[] = [];
    const res = await run(JSON.stringify(good), async (i) => (inputs.push(i), okPut(i)));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ Code: 'PutRecordSuccessful', Message: 'Record written to the stream', Data: { ShardId: 'shardId-000000000000', SequenceNumber: '100' } });
    expect(inputs[0].Records).toHaveLength(1);
    expect(JSON.parse(Buffer.from(inputs[0].Records[0].Data).toString())).toEqual(good);
  });

  it('partition keys differ per record, even for one IP', async () => {
    const inputs: PutRecordsInput[] = [];
    await run(JSON.stringify([good, good, good]), async (i) => (inputs.push(i), okPut(i)));
    expect(new Set(inputs[0].Records.map((r) => r.PartitionKey)).size).toBe(3);
  });

  it('status codes: 413 body/records, 400 JSON/UTF-8/schema/empty, 415 media type; every refusal kept', async () => {
    kept.length = 0;
    expect((await run('x'.repeat(10_001))).statusCode).toBe(413);
    expect((await run(JSON.stringify([good, good, good, good]))).statusCode).toBe(413);
    expect((await run('{')).statusCode).toBe(400);
    expect((await run(undefined)).statusCode).toBe(400);
    expect((await run('[]')).statusCode).toBe(400);
    expect((await run(Buffer.from([0x22, 0xc0, 0x22]).toString('base64'), okPut, { isBase64Encoded: true })).statusCode).toBe(400);
    expect((await run(JSON.stringify({ ...good, ip: 'x' }))).statusCode).toBe(400);
    expect((await run(JSON.stringify(good), okPut, { headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode).toBe(415);
    expect(kept.map((r) => r.reason)).toEqual([
      'too-large', 'too-many-records', 'malformed-json', 'malformed-json', 'empty-batch', 'not-utf8', 'invalid-record', 'unsupported-media-type',
    ]);
  });

  it('accepts text/plain (sendBeacon) and base64 bodies', async () => {
    expect((await run(JSON.stringify(good), okPut, { headers: { 'content-type': 'text/plain;charset=UTF-8' } })).statusCode).toBe(200);
    expect((await run(Buffer.from(JSON.stringify(good)).toString('base64'), okPut, { isBase64Encoded: true })).statusCode).toBe(200);
  });

  it('retries only failed entries; a thrown throttling error retries the whole call; non-retryable errors give 500', async () => {
    const calls: number[] = [];
    let n = 0;
    const put: PutRecordsFn = async (input) => {
      calls.push(input.Records.length);
      n++;
      if (n === 1) throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
      if (n === 2) return { FailedRecordCount: 1, Records: input.Records.map((_, i) => (i === 2 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'x' } : { ShardId: 'a', SequenceNumber: `${i}` })) };
      return okPut(input);
    };
    const res = await run(JSON.stringify([good, good, good]), put);
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([3, 3, 1]);
    const fatal = await run(JSON.stringify(good), async () => { throw Object.assign(new Error('no stream'), { name: 'ResourceNotFoundException' }); });
    expect(fatal.statusCode).toBe(500);
    expect(fatal.body).not.toContain('no stream');
  });

  // Issue 12 items 4 and 5. Limits: PutRecords API reference (500 records and 5 MiB per call, 1 MiB per record,
  // partition keys included); a 4xx tells a client the body is refused for good, so it is only answered once kept.
  it('putAll plans calls by count and by bytes (data + partition key); a record over 1 MiB is not sent and not retried', async () => {
    const sizes: { n: number; bytes: number }[] = [];
    const put: PutRecordsFn = async (input) => {
      sizes.push({ n: input.Records.length, bytes: input.Records.reduce((b, r) => b + entryBytes(r), 0) });
      return okPut(input);
    };
    const key = 'k'.repeat(36);
    // 12 entries of 1 MiB - 36 bytes of data: 1 MiB each with the key, so at most 5 per call.
    const big = Array.from({ length: 12 }, () => ({ Data: Buffer.alloc(PUT_RECORD_MAX_BYTES - 36), PartitionKey: key }));
    const small = Array.from({ length: 700 }, () => ({ Data: Buffer.from('{}'), PartitionKey: key }));
    const tooBig = { Data: Buffer.alloc(PUT_RECORD_MAX_BYTES - 35), PartitionKey: key };
    const out = await putAll([...big, tooBig, ...small], { streamName: 's', putMaxAttempts: 3 }, { putRecords: put, log: new MemoryLogger(), sleep: async () => {} });
    for (const c of sizes) {
      expect(c.n).toBeLessThanOrEqual(PUT_RECORDS_MAX);
      expect(c.bytes).toBeLessThanOrEqual(PUT_RECORDS_MAX_BYTES);
    }
    expect(sizes.reduce((n, c) => n + c.n, 0)).toBe(712);
    expect(sizes.map((c) => c.n)).toEqual([5, 5, 2 + 498, 202]);
    expect(out.notRetryable).toEqual([12]);
    expect(out.results[12]).toMatchObject({ Index: 12, ErrorCode: 'InvalidArgumentException' });
    expect(out.results.filter((r) => 'SequenceNumber' in r)).toHaveLength(712);
  });

  it('a refusal that cannot be kept is answered 503 + Retry-After with the refusal inside, never the 4xx', async () => {
    const broken: RejectsSink = { put: async (r) => ({ failed: r.map((_, i) => i) }) };
    const throwing: RejectsSink = { put: async () => { throw new Error('sqs down'); } };
    for (const rejects of [broken, throwing]) {
      const res = await ingest({ body: '{', headers: {}, requestId: 'r' }, settings, { putRecords: okPut, rejects, log: new MemoryLogger() });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.parse(res.body)).toMatchObject({ Code: 'ServiceUnavailable', Refused: { Code: 'MalformedRequest' } });
    }
  });

  it('some records written, the rest refused with a non-retryable error: 207, the body kept (put-failed), no service message to the client', async () => {
    kept.length = 0;
    let call = 0;
    // Call 1: the first entry is written, the others are throttled; their retry is refused for good (the stream's
    // KMS key was disabled meanwhile: KMSDisabledException, a 400 in the PutRecords API reference).
    const put: PutRecordsFn = async (input) => {
      if (++call === 1) return { FailedRecordCount: 2, Records: input.Records.map((_, i) => (i === 0 ? { ShardId: 'shardId-0', SequenceNumber: '1' } : { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' })) };
      throw Object.assign(new Error('arn:aws:kms:us-east-1:123456789012:key/abc is disabled'), { name: 'KMSDisabledException', $metadata: { httpStatusCode: 400 } });
    };
    const body = JSON.stringify([good, good, good]);
    const res = await run(body, put);
    expect(res.statusCode).toBe(207);
    expect(call).toBe(2);
    const out = JSON.parse(res.body);
    expect(out.FailedRecordCount).toBe(2);
    expect(out.Records[0]).toMatchObject({ Index: 0, SequenceNumber: '1' });
    expect(out.Records.slice(1)).toEqual([
      { Index: 1, ErrorCode: 'InternalFailure', ErrorMessage: 'not written; the request was kept for redrive' },
      { Index: 2, ErrorCode: 'InternalFailure', ErrorMessage: 'not written; the request was kept for redrive' },
    ]);
    expect(res.body).not.toContain('123456789012');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ reason: 'put-failed', detail: expect.stringContaining('KMSDisabledException') });
    expect(kept[0].errors).toEqual([expect.objectContaining({ Index: 1, ErrorCode: 'KMSDisabledException' }), expect.objectContaining({ Index: 2, ErrorCode: 'KMSDisabledException' })]);
    expect(Buffer.from(kept[0].payload).toString()).toBe(body);
  });

  it('UTF-8 error offsets', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe9, 0x63]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0xf0, 0x9f, 0x98]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // a UTF-16 surrogate
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0); // overlong
  });

  it('settings from the environment', () => {
    expect(ingestSettingsFromEnv({ STREAM_NAME: 's' })).toEqual({ streamName: 's', maxBodyBytes: 5242880, maxBatchRecords: 500, unknownFields: 'reject', fillIpFromSource: true, putMaxAttempts: 4 });
    expect(() => ingestSettingsFromEnv({})).toThrow(/STREAM_NAME/);
    expect(() => ingestSettingsFromEnv({ STREAM_NAME: 's', MAX_BATCH_RECORDS: '600' })).toThrow(/MAX_BATCH_RECORDS/);
    expect(() => ingestSettingsFromEnv({ STREAM_NAME: 's', FILL_IP_FROM_SOURCE: 'yes' })).toThrow(/FILL_IP_FROM_SOURCE/);
  });
});

describe('processor core', () => {
  const rec = (seq: string, data: unknown, raw?: Buffer): KinesisStreamRecord => ({
    kinesis: {
      kinesisSchemaVersion: '1.0', partitionKey: 'k', sequenceNumber: seq, approximateArrivalTimestamp: 1_750_000_000.5,
      data: (raw ?? Buffer.from(JSON.stringify(data))).toString('base64'),
    },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${seq}`, eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn', awsRegion: 'us-east-1', eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/s',
  });
  const settings = { tableName: 't', unknownFields: 'reject' as const, writeMaxAttempts: 3, ttlDays: 0 };

  it('items: ip + `<UTC timestamp>#<sequence>`; TTL from processing time when configured', () => {
    const now = new Date('2025-06-02T00:00:00Z');
    const item = toItem({ ...good, timestamp: '2025-06-01T14:30:45.123+02:00' }, rec('49', good).kinesis, batchConstants(now, 7));
    expect(item.ip).toEqual({ S: good.ip });
    expect(item.sk).toEqual({ S: '2025-06-01T12:30:45.123Z#49' });
    expect(item.timestamp).toEqual({ S: '2025-06-01T14:30:45.123+02:00' });
    expect(item.expiresAt).toEqual({ N: String(now.getTime() / 1000 + 7 * 86400) });
    expect(toItem(good, rec('49', good).kinesis, batchConstants(now, 0)).expiresAt).toBeUndefined();
  });

  it('chunks of 25; a chunk that keeps failing becomes batch item failures in stream order; the others are written', async () => {
    const records = Array.from({ length: 60 }, (_, i) => rec(String(1000 + i), { ...good, url: `https://shop.example.com/p/${i}` }));
    const writes: BatchWriteInput[] = [];
    const bw: BatchWriteFn = async (input) => {
      writes.push(input);
      const reqs = input.RequestItems.t;
      // Items for pages 30..34 are never processed.
      const left = reqs.filter((r) => /\/p\/3[0-4]$/.test((r.PutRequest.Item.url as { S: string }).S));
      return left.length ? { UnprocessedItems: { t: left } } : {};
    };
    const out = await processRecords(records, settings, { batchWrite: bw, rejects: { put: async () => ({ failed: [] }) }, log: new MemoryLogger(), sleep: async () => {} });
    // The three chunks go out together (25, 25, 10); then the five stuck items are resent alone until the attempts
    // run out (settings: 3 attempts).
    expect(writes.map((w) => w.RequestItems.t.length)).toEqual([25, 25, 10, 5, 5]);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['1030', '1031', '1032', '1033', '1034']);
    expect(out.summary).toEqual({ records: 60, written: 55, rejected: 0, failed: 5 });
  });

  it('chunks are written up to BATCH_WRITE_CONCURRENCY at a time (concurrency 1: one after another); every item once', async () => {
    const records = Array.from({ length: 260 }, (_, i) => rec(String(5000 + i), { ...good, url: `https://shop.example.com/p/${i}` }));
    for (const [concurrency, expected] of [[undefined, BATCH_WRITE_CONCURRENCY], [1, 1], [3, 3]] as const) {
      let inFlight = 0;
      let most = 0;
      const written: string[] = [];
      const unwritten = await writeAll(
        records.map((r) => ({ item: toItem(good, r.kinesis, batchConstants(new Date(0), 0)) })),
        { tableName: 't', writeMaxAttempts: 1, writeConcurrency: concurrency },
        {
          batchWrite: async (input) => {
            most = Math.max(most, ++inFlight);
            await new Promise((r) => setTimeout(r, 2));
            inFlight--;
            written.push(...input.RequestItems.t.map((w) => (w.PutRequest.Item.sk as { S: string }).S));
            return {};
          },
          log: new MemoryLogger(),
        },
      );
      expect(most, `concurrency ${concurrency}`).toBe(expected);
      expect(unwritten).toEqual([]);
      expect(new Set(written).size).toBe(260);
      expect(written).toHaveLength(260);
    }
  });

  it('a record delivered twice in one batch is written once (no duplicate keys in a request)', async () => {
    const writes: BatchWriteInput[] = [];
    const out = await processRecords([rec('1', good), rec('1', good), rec('2', good)], settings, {
      batchWrite: async (i) => (writes.push(i), {}), rejects: { put: async () => ({ failed: [] }) }, log: new MemoryLogger(),
    });
    expect(writes[0].RequestItems.t).toHaveLength(2);
    expect(out.batchItemFailures).toEqual([]);
  });

  it('decodes records of any size one after another (the base64 scratch buffer grows and is reused)', () => {
    const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64');
    const big = { ...good, browser: 'x'.repeat(40_000) };
    const d1 = decodeRecord(b64(big), 'reject');
    expect(d1.ok === false && d1.detail).toMatch(/browser: must be at most/);
    expect(decodeRecord(b64(good), 'reject')).toEqual({ ok: true, record: good });
    expect(decodeRecord(Buffer.from([0x7b, 0xff]).toString('base64'), 'reject')).toMatchObject({ ok: false, reason: 'not-utf8' });
    expect(decodeRecord(b64(`\ufeff${JSON.stringify(good)}`), 'reject')).toEqual({ ok: true, record: good });
    expect(decodeRecord(b64({ ...good, os: 'é'.repeat(3) }), 'reject')).toEqual({ ok: true, record: { ...good, os: 'ééé' } });
  });

  it('repeated sequence numbers: one write per table key, whatever the order, and a forged repeat with other data is its own item', async () => {
    const writes: BatchWriteInput[] = [];
    const other = { ...good, ip: '198.51.100.7' };
    // 1 and 2 repeat after entries exist (the key index is built on the first repeat and must see 3 and 4, added
    // after it); '3' also comes back with another IP: a different table key, so a second item.
    const out = await processRecords(
      [rec('1', good), rec('2', good), rec('1', good), rec('3', good), rec('4', good), rec('3', other), rec('4', good), rec('2', good)],
      settings,
      { batchWrite: async (i) => (writes.push(i), {}), rejects: { put: async () => ({ failed: [] }) }, log: new MemoryLogger() },
    );
    const keys = writes.flatMap((w) => w.RequestItems.t.map((r) => `${(r.PutRequest.Item.ip as { S: string }).S} ${(r.PutRequest.Item.sk as { S: string }).S}`));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.map((k) => k.split('#')[1])).toEqual(['1', '2', '3', '4', '3']);
    expect(keys[4].startsWith('198.51.100.7 ')).toBe(true);
    expect(out.summary).toEqual({ records: 8, written: 8, rejected: 0, failed: 0 });
  });

  it('ineligible records are rejected with their reason and not retried; a non-retryable write error fails the chunk', async () => {
    const kept: Reject[] = [];
    const out = await processRecords(
      [rec('1', good), rec('2', null, Buffer.from([0xff])), rec('3', { ...good, extra: true }), rec('4', null, Buffer.from('{'))],
      settings,
      {
        batchWrite: async () => { throw Object.assign(new Error('bad'), { name: 'ValidationException' }); },
        rejects: { put: async (r) => (kept.push(...r), { failed: [] }) },
        log: new MemoryLogger(),
      },
    );
    expect(kept.map((r) => r.reason)).toEqual(['not-utf8', 'invalid-record', 'malformed-json']);
    expect(kept[1].detail).toContain('extra: unknown field');
    expect(kept.every((r) => r.source === 'process' && r.id!.startsWith('shardId-'))).toBe(true);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '1' }]);
  });

  it('settings from the environment', () => {
    expect(processSettingsFromEnv({ TABLE_NAME: 't', TTL_DAYS: '30' })).toEqual({ tableName: 't', unknownFields: 'reject', writeMaxAttempts: 5, ttlDays: 30 });
    expect(() => processSettingsFromEnv({})).toThrow(/TABLE_NAME/);
    expect(() => processSettingsFromEnv({ TABLE_NAME: 't', UNKNOWN_FIELDS: 'keep' })).toThrow(/UNKNOWN_FIELDS/);
  });
});

describe('helpers', () => {
  it('backoff grows and is capped; retryable classification', () => {
    expect(backoffMs(1, 50, 2000, () => 0.999)).toBe(49);
    expect(backoffMs(4, 50, 2000, () => 0.999)).toBe(399);
    expect(backoffMs(20, 50, 2000, () => 0.999)).toBe(1998);
    expect(isRetryable(Object.assign(new Error(), { name: 'ThrottlingException' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error(), { name: 'X', $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryable(Object.assign(new Error(), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });

  it('the sampler makes valid, varied, deterministic records', () => {
    const a = sampleRecords({ seed: 42, now: () => 0 });
    const b = sampleRecords({ seed: 42, now: () => 0 });
    const recs = Array.from({ length: 500 }, () => a.next());
    expect(Array.from({ length: 500 }, () => b.next())).toEqual(recs);
    for (const r of recs) expect(validateRecord(r)).toEqual({ ok: true, record: r });
    expect(new Set(recs.map((r) => r.ip)).size).toBeGreaterThan(100);
    expect(recs.some((r) => r.ip.includes(':'))).toBe(true);
    expect(new Set(recs.map((r) => r.country)).size).toBeGreaterThan(5);
    expect(recs.some((r) => r.referrer === '')).toBe(true);
  });
});
