/**
 * Clickstream end to end on the embedded emulators (kinesalite, dynalite, fauxqs SQS for the rejects sink):
 * requests go through the real ingest core into the stream, the stream is read back with GetRecords and handed
 * to the real processor core in the Kinesis event shape Lambda delivers, and the items land in the table.
 * Partial PutRecords / BatchWriteItem failures are simulated by wrapping the real clients.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { reassemble, sqsRejectsSink, type RejectMessage, type RejectsSink } from '../../handlers/clickstream/lib/rejects.js';
import { sampleRecords } from '../../samples/clickstream.js';
import type { ClickstreamRecord } from '../../handlers/clickstream/lib/record.js';
import { ingest, type IngestSettings, type PutRecordsFn } from '../../handlers/clickstream/ingest/core.js';
import { kinesisPutRecords, requestFromEvent } from '../../handlers/clickstream/ingest/handler.js';
import type { BatchWriteFn } from '../../handlers/clickstream/process/core.js';
import { dynamoBatchWrite } from '../../handlers/clickstream/process/handler.js';
import {
  freshPipeline, ingestDefaults, processStream, rejectsKept as rejectsIn, startEmulators, type Emulators, type PipelineResources,
} from '../helpers/clickstream-pipeline.js';
import type { Kinesalite, StreamRecord } from '../helpers/kinesalite.js';
import type { Dynalite } from '../helpers/dynalite.js';
import type { Fauxqs, Queue } from '../helpers/fauxqs.js';

const noSleep = async () => {};
let emulators: Emulators;
let pipeline: PipelineResources;
let k: Kinesalite;
let d: Dynalite;
let q: Fauxqs;
let rejectsQueue: Queue;
let n = 0;
let stream: string;
let table: string;

const ingestSettings = (): IngestSettings => ingestDefaults(stream);

function apiEvent(body: string | Buffer, opts: { sourceIp?: string; base64?: boolean; contentType?: string } = {}): APIGatewayProxyEventV2 {
  const base64 = opts.base64 ?? Buffer.isBuffer(body);
  return {
    version: '2.0',
    routeKey: 'POST /report',
    rawPath: '/report',
    rawQueryString: '',
    headers: { 'Content-Type': opts.contentType ?? 'application/json' },
    body: Buffer.isBuffer(body) ? body.toString('base64') : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/report', protocol: 'HTTP/1.1', sourceIp: opts.sourceIp ?? '198.51.100.7', userAgent: 'test' },
      requestId: `req-${++n}`,
      routeKey: 'POST /report',
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
    },
  };
}

function post(body: string | Buffer, opts: Parameters<typeof apiEvent>[1] = {}, putRecords?: PutRecordsFn, rejects?: RejectsSink) {
  const log = new MemoryLogger();
  return ingest(requestFromEvent(apiEvent(body, opts)), ingestSettings(), {
    putRecords: putRecords ?? kinesisPutRecords(k.client),
    rejects: rejects ?? sqsRejectsSink(q.sqs, rejectsQueue.url, { sleep: noSleep }),
    log,
    sleep: noSleep,
  });
}

const process = (records: readonly StreamRecord[], batchWrite?: BatchWriteFn, rejects?: RejectsSink) =>
  processStream(emulators, pipeline, records, { batchWrite, rejects });

const rejectsKept = (): Promise<RejectMessage[]> => rejectsIn(emulators, rejectsQueue);

beforeAll(async () => {
  emulators = await startEmulators();
  ({ k, d, q } = emulators);
});
afterAll(async () => {
  await emulators?.stop();
});

let t = 0;
beforeEach(async () => {
  pipeline = await freshPipeline(emulators, `clicks-${++t}`);
  ({ stream, table, rejectsQueue } = pipeline);
});

const gen = (seed = 7) => sampleRecords({ seed, visitors: 50 });

describe('ingest -> Kinesis -> processor -> DynamoDB', () => {
  it('a single record keeps the seed response shape and arrives once, JSON-encoded once, with a spreading partition key', async () => {
    const rec = gen().next();
    const res = await post(JSON.stringify(rec));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toEqual({
      Code: 'PutRecordSuccessful',
      Message: expect.any(String),
      Data: { ShardId: expect.stringMatching(/^shardId-/), SequenceNumber: expect.stringMatching(/^\d+$/) },
    });
    const inStream = await k.readAll(stream);
    expect(inStream).toHaveLength(1);
    expect(inStream[0].SequenceNumber).toBe(body.Data.SequenceNumber);
    // Not double-encoded: the data is the record's JSON object, not a JSON string holding it.
    expect(JSON.parse(Buffer.from(inStream[0].Data!).toString('utf8'))).toEqual(rec);
    expect(inStream[0].PartitionKey).not.toBe(rec.ip);

    const out = await process(inStream);
    expect(out.batchItemFailures).toEqual([]);
    const items = await d.scanAll(table);
    expect(items).toHaveLength(1);
    expect(items[0].ip.S).toBe(rec.ip);
    expect(items[0].sk.S).toBe(`${new Date(rec.timestamp).toISOString()}#${body.Data.SequenceNumber}`);
    expect(items[0].url.S).toBe(rec.url);
    expect(items[0].language.S).toBe(rec.language);
  });

  it('a batch of 120 is spread over both shards, every record reaches the table, and the whole batch is written (not just the first)', async () => {
    const g = gen(11);
    const recs = Array.from({ length: 120 }, () => g.next());
    const res = await post(JSON.stringify(recs));
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.Code).toBe('PutRecordsSuccessful');
    expect(body.FailedRecordCount).toBe(0);
    expect(body.Records.map((r: { Index: number }) => r.Index)).toEqual(recs.map((_, i) => i));

    const inStream = await k.readAll(stream);
    expect(inStream).toHaveLength(120);
    expect(new Set(inStream.map((r) => r.ShardId)).size).toBe(2);
    expect(new Set(inStream.map((r) => r.PartitionKey)).size).toBe(120);

    const out = await process(inStream);
    expect(out.summary).toEqual({ records: 120, written: 120, rejected: 0, failed: 0 });
    const items = await d.scanAll(table);
    expect(items).toHaveLength(120);
    const fromTable = items.map((i) => `${i.ip.S}|${i.timestamp.S}|${i.url.S}|${i.referrer.S}`).sort();
    expect(fromTable).toEqual(recs.map((r) => `${r.ip}|${r.timestamp}|${r.url}|${r.referrer}`).sort());
  });

  it('same-millisecond events from one IP and duplicate posts are separate items; redelivery of a batch is idempotent', async () => {
    const rec: ClickstreamRecord = { ...gen().next(), ip: '2001:db8::42', timestamp: '2025-03-01T10:00:00.123Z' };
    const other = { ...rec, url: 'https://shop.example.com/cart' };
    expect((await post(JSON.stringify([rec, other]))).statusCode).toBe(200);
    expect((await post(JSON.stringify(rec))).statusCode).toBe(200); // the same event posted again
    const inStream = await k.readAll(stream);
    expect(inStream).toHaveLength(3);
    await process(inStream);
    await process(inStream); // Lambda retries a batch: the same records again
    const items = await d.scanAll(table);
    expect(items).toHaveLength(3);
    expect(new Set(items.map((i) => i.ip.S))).toEqual(new Set(['2001:db8::42']));
    expect(items.map((i) => i.sk.S!.split('#')[0])).toEqual(Array(3).fill('2025-03-01T10:00:00.123Z'));
  });

  it('fills a missing ip from the source address', async () => {
    const { ip: _ip, ...rest } = gen().next();
    const res = await post(JSON.stringify(rest), { sourceIp: '203.0.113.9' });
    expect(res.statusCode).toBe(200);
    const [r] = await k.readAll(stream);
    expect(JSON.parse(Buffer.from(r.Data!).toString()).ip).toBe('203.0.113.9');
  });

  it('decodes UTF-8 (not ASCII): non-Latin text survives the round trip', async () => {
    const rec = { ...gen().next(), browser: 'Яндекс.Браузер', country: '日本', language: 'ja-JP', url: 'https://shop.example.com/検索?q=靴' };
    expect((await post(JSON.stringify(rec))).statusCode).toBe(200);
    await process(await k.readAll(stream));
    const [item] = await d.scanAll(table);
    expect(item.browser.S).toBe('Яндекс.Браузер');
    expect(item.country.S).toBe('日本');
    expect(item.url.S).toBe(rec.url);
  });
});

describe('partial failures are retried, only for the failed entries', () => {
  it('PutRecords: entries refused on the first call are retried alone; every record lands exactly once', async () => {
    const real = kinesisPutRecords(k.client);
    const calls: number[] = [];
    const flaky: PutRecordsFn = async (input) => {
      calls.push(input.Records.length);
      if (calls.length > 1) return real(input);
      // First call: the odd entries are "throttled", the even ones really written.
      const even = input.Records.filter((_, i) => i % 2 === 0);
      const out = await real({ ...input, Records: even });
      let e = 0;
      return {
        FailedRecordCount: input.Records.length - even.length,
        Records: input.Records.map((_, i) =>
          i % 2 === 0 ? out.Records![e++] : { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
        ),
      };
    };
    const g = gen(3);
    const recs = Array.from({ length: 9 }, () => g.next());
    const res = await post(JSON.stringify(recs), {}, flaky);
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([9, 4]);
    const inStream = await k.readAll(stream);
    expect(inStream.map((r) => JSON.parse(Buffer.from(r.Data!).toString()).url).sort()).toEqual(recs.map((r) => r.url).sort());
    expect(JSON.parse(res.body).Records.every((r: { SequenceNumber?: string }) => r.SequenceNumber)).toBe(true);
  });

  it('PutRecords: throttling that outlasts the retries gives 503 with Retry-After; some written gives 207 listing the rest', async () => {
    const calls: number[] = [];
    const throttled: PutRecordsFn = async (input) => {
      calls.push(input.Records.length);
      return { FailedRecordCount: input.Records.length, Records: input.Records.map(() => ({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' })) };
    };
    const res = await post(JSON.stringify(gen().next()), {}, throttled);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(calls).toEqual([1, 1, 1, 1]);
    expect(JSON.parse(res.body).Code).toBe('ServiceUnavailable');

    const real = kinesisPutRecords(k.client);
    let first: unknown;
    const g = gen(5);
    const recs = [g.next(), g.next(), g.next()];
    // The batch's first entry is refused on every attempt; the others are really written.
    const wrapped: PutRecordsFn = async (input) => {
      first ??= input.Records[0];
      const refused = input.Records[0] === first ? 1 : 0;
      const rest = input.Records.slice(refused);
      const out = rest.length ? await real({ ...input, Records: rest }) : { Records: [] };
      return { Records: [...(refused ? [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }] : []), ...out.Records!] };
    };
    const partial = await post(JSON.stringify(recs), {}, wrapped);
    expect(partial.statusCode).toBe(207);
    expect(partial.headers['retry-after']).toBe('1');
    const body = JSON.parse(partial.body);
    expect(body.FailedRecordCount).toBe(1);
    expect(body.Records[0]).toMatchObject({ Index: 0, ErrorCode: 'ProvisionedThroughputExceededException' });
    expect(body.Records[1].SequenceNumber).toBeTruthy();
    expect(await k.readAll(stream)).toHaveLength(2);
  });

  it('BatchWriteItem: UnprocessedItems are retried alone, in chunks of 25, and every item is written', async () => {
    const g = gen(9);
    expect((await post(JSON.stringify(Array.from({ length: 60 }, () => g.next())))).statusCode).toBe(200);
    const real = dynamoBatchWrite(d.client);
    const sizes: number[] = [];
    const sent = new Set<string>();
    const flaky: BatchWriteFn = async (input) => {
      const reqs = input.RequestItems[table];
      sizes.push(reqs.length);
      const keys = reqs.map((r) => (r.PutRequest.Item.sk as { S: string }).S);
      const first = keys.some((key) => !sent.has(key));
      for (const key of keys) sent.add(key);
      if (!first) return real(input);
      // A chunk's first call: DynamoDB "throttles" the second half of the request.
      const half = Math.ceil(reqs.length / 2);
      await real({ RequestItems: { [table]: reqs.slice(0, half) } });
      return { UnprocessedItems: { [table]: reqs.slice(half) } };
    };
    const out = await process(await k.readAll(stream), flaky);
    expect(out.batchItemFailures).toEqual([]);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
    // 60 records: chunks 25, 25, 10 (sent together); each first call leaves half unprocessed and only that half
    // is resent.
    expect([...sizes].sort((a, b) => a - b)).toEqual([5, 10, 12, 12, 25, 25]);
    expect(await d.scanAll(table)).toHaveLength(60);
  });

  it('BatchWriteItem: items never processed become batch item failures (their sequence numbers); the rest are written', async () => {
    const g = gen(13);
    expect((await post(JSON.stringify(Array.from({ length: 5 }, () => g.next())))).statusCode).toBe(200);
    const inStream = await k.readAll(stream);
    const stuck = inStream[1];
    const stuckIp = JSON.parse(Buffer.from(stuck.Data!).toString()).ip as string;
    const real = dynamoBatchWrite(d.client);
    let calls = 0;
    const oneStuck: BatchWriteFn = async (input) => {
      calls++;
      const reqs = input.RequestItems[table];
      const isStuck = (r: (typeof reqs)[number]) => (r.PutRequest.Item.sk as { S: string }).S.endsWith(`#${stuck.SequenceNumber}`);
      const ok = reqs.filter((r) => !isStuck(r));
      if (ok.length) await real({ RequestItems: { [table]: ok } });
      const left = reqs.filter(isStuck);
      return left.length ? { UnprocessedItems: { [table]: left } } : {};
    };
    const out = await process(inStream, oneStuck);
    expect(calls).toBe(4);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: stuck.SequenceNumber }]);
    const items = await d.scanAll(table);
    expect(items).toHaveLength(4);
    expect(items.some((i) => i.sk.S!.endsWith(`#${stuck.SequenceNumber}`))).toBe(false);
    expect(stuckIp).toBeTruthy();
  });
});

describe('bad input is refused with a clear error and kept in the rejects sink', () => {
  it('malformed JSON -> 400, kept with its reason and exact bytes', async () => {
    const res = await post('{"ip": "198.51.100.1", "timestamp": ');
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ Code: 'MalformedRequest', Message: expect.stringContaining('not valid JSON') });
    const kept = await rejectsKept();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ source: 'ingest', reason: 'malformed-json', encoding: 'utf8', context: { sourceIp: '198.51.100.7' } });
    expect(reassemble(kept).toString()).toBe('{"ip": "198.51.100.1", "timestamp": ');
    expect(await k.readAll(stream)).toHaveLength(0);
  });

  it('invalid fields -> 400 naming each field; the whole batch is refused and kept', async () => {
    const g = gen();
    const good = g.next();
    const bad = { ...g.next(), ip: '999.1.1.1', timestamp: 'yesterday', url: 'javascript:alert(1)', extra: 1 };
    const res = await post(JSON.stringify([good, bad]));
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.Code).toBe('InvalidRecord');
    expect(body.Errors).toHaveLength(1);
    expect(body.Errors[0].Index).toBe(1);
    expect(body.Errors[0].Errors.map((e: { field: string }) => e.field).sort()).toEqual(['extra', 'ip', 'timestamp', 'url']);
    expect(body.Message).toContain('[1] extra: unknown field');
    const kept = await rejectsKept();
    expect(kept[0]).toMatchObject({ reason: 'invalid-record', errors: body.Errors });
    expect(JSON.parse(reassemble(kept).toString())).toEqual([good, bad]);
    expect(await k.readAll(stream)).toHaveLength(0);
  });

  it('non-UTF-8 bytes -> 400 naming the offset, kept base64-encoded byte for byte', async () => {
    const bytes = Buffer.concat([Buffer.from('{"browser":"Caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await post(bytes);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ Code: 'InvalidEncoding', Message: expect.stringContaining('offset 15') });
    const kept = await rejectsKept();
    expect(kept[0]).toMatchObject({ reason: 'not-utf8', encoding: 'base64' });
    expect(reassemble(kept).equals(bytes)).toBe(true);
  });

  it('oversized body -> 413, kept whole in numbered parts', async () => {
    const big = Buffer.from(JSON.stringify([{ junk: 'x'.repeat(5 * 1024 * 1024) }]));
    const res = await post(big.toString('utf8'));
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ Code: 'PayloadTooLarge', Message: expect.stringContaining(`${big.length} bytes`) });
    const kept = await rejectsKept();
    expect(kept.length).toBeGreaterThan(30);
    expect(new Set(kept.map((m) => m.rejectId)).size).toBe(1);
    expect(kept.every((m) => m.reason === 'too-large' && m.parts === kept.length)).toBe(true);
    expect(reassemble(kept).equals(big)).toBe(true);
  });

  it('too many records -> 413; empty batch -> 400', async () => {
    const g = gen();
    const res = await post(JSON.stringify(Array.from({ length: 501 }, () => g.next())));
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).Message).toContain('501 records; the limit is 500');
    expect((await post('[]')).statusCode).toBe(400);
    expect((await rejectsKept()).map((m) => m.reason).sort()).toEqual(['empty-batch', 'too-many-records']);
  });

  it('ineligible stream records (non-UTF-8, malformed, invalid) go to the rejects sink, never retried; good ones are written', async () => {
    const good = gen().next();
    const raw = [
      Buffer.from(JSON.stringify(good)),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x7d]),
      Buffer.from('not json at all'),
      Buffer.from(JSON.stringify({ ...good, ip: 'localhost' })),
    ];
    await k.client.send(new PutRecordsCommand({ StreamName: stream, Records: raw.map((Data, i) => ({ Data, PartitionKey: `p${i}` })) }));
    const inStream = await k.readAll(stream);
    const out = await process(inStream);
    expect(out.batchItemFailures).toEqual([]);
    expect(out.summary).toEqual({ records: 4, written: 1, rejected: 3, failed: 0 });
    expect(await d.scanAll(table)).toHaveLength(1);
    const kept = await rejectsKept();
    expect(kept.map((m) => m.reason).sort()).toEqual(['invalid-record', 'malformed-json', 'not-utf8']);
    for (const m of kept) {
      expect(m.source).toBe('process');
      expect(m.context.sequenceNumber).toBeTruthy();
      expect(m.detail.length).toBeGreaterThan(10);
      const original = raw[Number(String(m.context.partitionKey).slice(1))];
      expect(reassemble([m]).equals(original)).toBe(true);
    }
    expect(kept.find((m) => m.reason === 'invalid-record')!.detail).toContain('ip:');
  });

  it('when the rejects sink itself fails, the ineligible record is reported as a batch item failure (not lost)', async () => {
    await k.client.send(new PutRecordsCommand({ StreamName: stream, Records: [{ Data: Buffer.from('oops'), PartitionKey: 'x' }] }));
    const inStream = await k.readAll(stream);
    const broken: RejectsSink = { put: async () => { throw new Error('sqs down'); } };
    const out = await process(inStream, undefined, broken);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: inStream[0].SequenceNumber }]);
  });
});
