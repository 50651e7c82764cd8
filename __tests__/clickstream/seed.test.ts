/**
 * Issue 12 (clickstream): the traffic of the sample this pipeline replaces, and the failures that used to lose it.
 * Everything runs through the real ingest and processor cores on the embedded emulators: kinesalite behind a front
 * that enforces the published PutRecords limits (helpers/kinesalite.ts), dynalite, and fauxqs SQS for the rejects
 * queue.
 *
 * Contracts:
 * - The seed: slappforge/real-time-stream-processor@fcf24eb (fixtures/clickstream/SOURCE.md): its documented record
 *   (seed-record.json) and what it stored (seed-contract.json: table keys IP + Timestamp, item attributes).
 * - PutRecords limits: 500 records, 1 MiB per record and 5 MiB per call, partition keys included (PutRecords API
 *   reference); an oversized call is refused as a whole with 400 InvalidArgumentException.
 * - SQS: SendMessageBatch to a queue that does not exist fails (AWS.SimpleQueueService.NonExistentQueue), which is
 *   how "the rejects queue cannot be written" is produced here.
 * - HTTP: 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3) tells the client to resend later; a 4xx tells it not to.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { reassemble, sqsRejectsSink, type RejectMessage, type RejectsSink } from '../../handlers/clickstream/lib/rejects.js';
import { sampleRecords } from '../../samples/clickstream.js';
import { RECORD_FIELDS, type ClickstreamRecord } from '../../handlers/clickstream/lib/record.js';
import { ingest, type IngestSettings, type PutRecordsFn, type PutRecordsInput } from '../../handlers/clickstream/ingest/core.js';
import { kinesisPutRecords } from '../../handlers/clickstream/ingest/handler.js';
import {
  freshPipeline, ingestDefaults, processStream, rejectsKept as rejectsIn, startEmulators, type Emulators, type PipelineResources,
} from '../helpers/clickstream-pipeline.js';
import { PUT_RECORDS_LIMITS, type Kinesalite, type StreamRecord } from '../helpers/kinesalite.js';
import type { Dynalite } from '../helpers/dynalite.js';
import type { Fauxqs, Queue } from '../helpers/fauxqs.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/clickstream/${name}`, import.meta.url), 'utf8');
/** The sample record exactly as the seed's README shows it (pretty-printed, as a user would paste it). */
const SEED_RECORD_TEXT = fixture('seed-record.json');
const SEED_RECORD = JSON.parse(SEED_RECORD_TEXT) as ClickstreamRecord;
const SEED = JSON.parse(fixture('seed-contract.json')) as {
  table: { partitionKey: { name: string }; sortKey: { name: string } };
  itemAttributes: Record<string, keyof ClickstreamRecord>;
  requiredFields: string[];
};

const noSleep = async () => {};
let emulators: Emulators;
let pipeline: PipelineResources;
let k: Kinesalite;
let d: Dynalite;
let q: Fauxqs;
let rejectsQueue: Queue;
let stream: string;
let table: string;
let t = 0;

/** The defaults of config/clickstream.ts. */
const settings = (over: Partial<IngestSettings> = {}): IngestSettings => ingestDefaults(stream, over);

function post(body: string, opts: { contentType?: string | null; putRecords?: PutRecordsFn; rejects?: RejectsSink; settings?: Partial<IngestSettings> } = {}) {
  const headers: Record<string, string> = {};
  if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
  return ingest({ body, headers, sourceIp: '198.51.100.7', requestId: `req-${t}` }, settings(opts.settings), {
    putRecords: opts.putRecords ?? kinesisPutRecords(k.client),
    rejects: opts.rejects ?? sqsRejectsSink(q.sqs, rejectsQueue.url, { sleep: noSleep }),
    log: new MemoryLogger(),
    sleep: noSleep,
  });
}

/** A rejects sink on a queue that does not exist: every SendMessageBatch fails, as when the queue is unavailable. */
const brokenRejects = (): RejectsSink => sqsRejectsSink(q.sqs, `${q.endpoint}/000000000000/no-such-queue-${t}`, { sleep: noSleep });

const processAll = (records: readonly StreamRecord[]) => processStream(emulators, pipeline, records);

const rejectsKept = (): Promise<RejectMessage[]> => rejectsIn(emulators, rejectsQueue);

beforeAll(async () => {
  emulators = await startEmulators();
  ({ k, d, q } = emulators);
});
afterAll(async () => {
  await emulators?.stop();
});
beforeEach(async () => {
  pipeline = await freshPipeline(emulators, `seed-${++t}`);
  ({ stream, table, rejectsQueue } = pipeline);
});

describe('the sample record goes through unchanged and is stored as documented', () => {
  it('POST the README record (pretty-printed) -> 200 in the seed response shape -> stream -> processor -> DynamoDB item', async () => {
    const res = await post(SEED_RECORD_TEXT);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    // The seed's success body (README "Testing" step 6): Code, Message, Data.{ShardId, SequenceNumber}.
    expect(body).toEqual({ Code: 'PutRecordSuccessful', Message: expect.any(String), Data: { ShardId: expect.stringMatching(/^shardId-/), SequenceNumber: expect.stringMatching(/^\d+$/) } });

    const inStream = await k.readAll(stream);
    expect(inStream).toHaveLength(1);
    expect(JSON.parse(Buffer.from(inStream[0].Data!).toString('utf8'))).toEqual(SEED_RECORD);
    expect((await processAll(inStream)).summary).toEqual({ records: 1, written: 1, rejected: 0, failed: 0 });

    const items = await d.scanAll(table);
    expect(items).toHaveLength(1);
    const item = items[0];
    // docs/clickstream.md "Coming from the sample": every seed attribute has a lower-case counterpart with the same value.
    for (const [seedAttr, field] of Object.entries(SEED.itemAttributes)) {
      expect(item[field], `${seedAttr} -> ${field}`).toEqual({ S: SEED_RECORD[field] });
    }
    // The seed's key was (IP, Timestamp); ours is (ip, sk = <UTC timestamp>#<sequence number>).
    expect(item.sk).toEqual({ S: `2018-02-04T23:18:32.866Z#${body.Data.SequenceNumber}` });
    expect(Object.keys(item).sort()).toEqual([...RECORD_FIELDS, 'sk', 'arrivedAt', 'processedAt'].sort());
    expect(await rejectsKept()).toEqual([]);
  });

  it('also without a content-type header (the seed accepted any), and as a one-element batch', async () => {
    expect((await post(SEED_RECORD_TEXT, { contentType: null })).statusCode).toBe(200);
    const batch = await post(`[${SEED_RECORD_TEXT}]`);
    expect(batch.statusCode).toBe(200);
    expect(JSON.parse(batch.body)).toMatchObject({ Code: 'PutRecordsSuccessful', FailedRecordCount: 0 });
    await processAll(await k.readAll(stream));
    // Posted twice: two items (two sequence numbers), both the seed record.
    const items = await d.scanAll(table);
    expect(items.map((i) => i.ip.S)).toEqual(['0.0.0.0', '0.0.0.0']);
  });

  it('what the seed stored but this schema refuses gets a clear 400 naming the fields, and the body is kept', async () => {
    // The seed's processor required only ip and timestamp (seed-contract.json requiredFields); this schema requires
    // browser, url, os, country and language too.
    const minimal = JSON.stringify(Object.fromEntries(SEED.requiredFields.map((f) => [f, SEED_RECORD[f as keyof ClickstreamRecord]])));
    const res = await post(minimal);
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.Code).toBe('InvalidRecord');
    expect(body.Errors.map((e: { field: string }) => e.field)).toEqual(['browser', 'url', 'os', 'country', 'language']);
    const kept = await rejectsKept();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ reason: 'invalid-record', source: 'ingest' });
    expect(reassemble(kept).toString()).toBe(minimal);
    expect(await k.readAll(stream)).toHaveLength(0);
  });

  it('a seed client sending a form content type (curl -d) gets 415 and the body is kept', async () => {
    const res = await post(SEED_RECORD_TEXT, { contentType: 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(JSON.parse(res.body).Message).toContain('application/json');
    const kept = await rejectsKept();
    expect(kept[0]).toMatchObject({ reason: 'unsupported-media-type' });
    expect(reassemble(kept).toString()).toBe(SEED_RECORD_TEXT);
  });
});

/** `n` valid records whose serialized JSON is exactly `bytes` bytes each (3-byte characters in url and referrer). */
function recordsOfSize(n: number, bytes: number): ClickstreamRecord[] {
  const g = sampleRecords({ seed: 5, visitors: 50 });
  return Array.from({ length: n }, () => {
    const r = g.next();
    // Field order as the validator writes it, so the posted and the stored JSON are the same bytes.
    const rec: ClickstreamRecord = { ip: r.ip, timestamp: r.timestamp, browser: r.browser, url: 'https://shop.example.com/p/', referrer: 'https://www.example.org/', os: r.os, country: r.country, language: r.language };
    let need = bytes - Buffer.byteLength(JSON.stringify(rec));
    const inUrl = Math.min(Math.floor(need / 3), 2000);
    rec.url += '検'.repeat(inUrl);
    need -= inUrl * 3;
    rec.referrer += '検'.repeat(Math.floor(need / 3)) + 'a'.repeat(need % 3);
    expect(Buffer.byteLength(JSON.stringify(rec))).toBe(bytes);
    return rec;
  });
}

describe('PutRecords calls are split by count and bytes (issue 12 item 4)', () => {
  it('500 valid records in a body within maxBodyBytes whose data + partition keys exceed 5 MiB are all written', async () => {
    // 500 x 10,470 bytes: the body (5,235,501 bytes) is within the 5 MiB default, but with a 36-byte partition key
    // per record the records weigh 5,253,000 bytes: over the 5 MiB a single PutRecords call may carry.
    const recs = recordsOfSize(500, 10_470);
    const body = JSON.stringify(recs);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(5 * 1024 * 1024);
    const calls: number[] = [];
    const real = kinesisPutRecords(k.client);
    const counting: PutRecordsFn = async (input: PutRecordsInput) => {
      calls.push(input.Records.reduce((n, r) => n + r.Data.byteLength + Buffer.byteLength(r.PartitionKey), 0));
      return real(input);
    };
    const res = await post(body, { putRecords: counting });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ Code: 'PutRecordsSuccessful', FailedRecordCount: 0 });
    expect(calls.length).toBe(2);
    for (const c of calls) expect(c).toBeLessThanOrEqual(PUT_RECORDS_LIMITS.requestBytes);

    const inStream = await k.readAll(stream);
    expect(inStream).toHaveLength(500);
    const weight = inStream.reduce((n, r) => n + r.Data!.byteLength + Buffer.byteLength(r.PartitionKey!), 0);
    expect(weight).toBeGreaterThan(PUT_RECORDS_LIMITS.requestBytes);
    expect(inStream.map((r) => JSON.parse(Buffer.from(r.Data!).toString()).url).sort()).toEqual(recs.map((r) => r.url).sort());
  });

  it('the emulator front refuses a single call over 5 MiB as Kinesis does (the fake cannot pass what AWS refuses)', async () => {
    const records = recordsOfSize(500, 10_470).map((r, i) => ({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: `${i}`.padStart(36, '0') }));
    await expect(kinesisPutRecords(k.client)({ StreamName: stream, Records: records })).rejects.toMatchObject({
      name: 'InvalidArgumentException',
      message: 'Records size exceeds 5 MB limit',
      $metadata: { httpStatusCode: 400 },
    });
    expect(await k.readAll(stream)).toHaveLength(0);
  });
});

describe('nothing refused is lost (issue 12 item 5)', () => {
  it('a refused body that cannot be kept (rejects queue unavailable) is answered 503 + Retry-After, never a 4xx', async () => {
    for (const [body, contentType] of [['{"ip":', 'application/json'], [JSON.stringify({ ...SEED_RECORD, ip: '999.0.0.1' }), 'application/json'], [SEED_RECORD_TEXT, 'text/html']] as const) {
      const res = await post(body, { rejects: brokenRejects(), contentType });
      expect(res.statusCode, body).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      const out = JSON.parse(res.body);
      expect(out.Code).toBe('ServiceUnavailable');
      // The reason it would have been refused is still told, so the client can fix the body meanwhile.
      expect(out.Refused.Code).toMatch(/MalformedRequest|InvalidRecord|UnsupportedMediaType/);
    }
    expect(await k.readAll(stream)).toHaveLength(0);
    // The same body once the queue works again: the 4xx, and it is kept.
    const again = await post('{"ip":');
    expect(again.statusCode).toBe(400);
    expect(reassemble(await rejectsKept()).toString()).toBe('{"ip":');
  });

  it('a non-retryable PutRecords failure keeps the body in the rejects queue (reason put-failed) and answers 500', async () => {
    const recs = [SEED_RECORD, { ...SEED_RECORD, url: 'http://adroitlogic.com/' }];
    const body = JSON.stringify(recs);
    // kinesalite answers a stream that does not exist with ResourceNotFoundException (400), as Kinesis does.
    const res = await post(body, { settings: { streamName: `missing-${t}` } });
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({ Code: 'InternalError', Message: expect.stringContaining('kept') });
    const kept = await rejectsKept();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ source: 'ingest', reason: 'put-failed', detail: expect.stringContaining('ResourceNotFoundException') });
    expect(kept[0].errors).toEqual([{ Index: 0, ErrorCode: 'ResourceNotFoundException', ErrorMessage: expect.any(String) }, { Index: 1, ErrorCode: 'ResourceNotFoundException', ErrorMessage: expect.any(String) }]);
    expect(reassemble(kept).toString()).toBe(body);
  });

  it('a non-retryable PutRecords failure that cannot be kept either is answered 503 + Retry-After', async () => {
    const res = await post(SEED_RECORD_TEXT, { settings: { streamName: `missing-${t}` }, rejects: brokenRejects() });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.body).Code).toBe('ServiceUnavailable');
  });
});

describe('field names are checked as own names end to end (issue 12 item 9)', () => {
  it('a POSTed record with an inherited name as a field is refused (400, kept); one written by another producer is rejected by the processor', async () => {
    const base = SEED_RECORD_TEXT.trim().slice(0, -1);
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const body = `${base}, ${JSON.stringify(name)}: {"polluted": true}}`;
      const res = await post(body);
      expect(res.statusCode, name).toBe(400);
      expect(JSON.parse(res.body).Errors).toEqual([{ field: name, message: expect.stringContaining('unknown field') }]);
    }
    expect((await rejectsKept()).map((m) => m.reason)).toEqual(['invalid-record', 'invalid-record', 'invalid-record', 'invalid-record']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // The same shape written straight to the stream (not through the API) is ineligible, kept, never stored.
    const data = Buffer.from(`${base}, "__proto__": {"ip": "203.0.113.1"}}`);
    await k.client.send(new PutRecordsCommand({ StreamName: stream, Records: [{ Data: data, PartitionKey: 'other-producer' }] }));
    const out = await processAll(await k.readAll(stream));
    expect(out.summary).toEqual({ records: 1, written: 0, rejected: 1, failed: 0 });
    expect(await d.scanAll(table)).toEqual([]);
    const [kept] = await rejectsKept();
    expect(kept).toMatchObject({ source: 'process', reason: 'invalid-record', detail: expect.stringContaining('__proto__: unknown field') });
  });
});

describe('docs/clickstream.md names every contract change from the sample', () => {
  it('the "Coming from the sample" section names each stored attribute of the sample, its table keys and CORS', () => {
    const docs = readFileSync(new URL('../../docs/clickstream.md', import.meta.url), 'utf8');
    const start = docs.indexOf('## Coming from the sample');
    expect(start).toBeGreaterThan(0);
    const section = docs.slice(start, docs.indexOf('\n## ', start + 10));
    for (const [seedAttr, field] of Object.entries(SEED.itemAttributes)) {
      expect(section).toContain(`\`${seedAttr}\``);
      expect(section).toContain(`\`${field}\``);
    }
    expect(section).toContain(SEED.table.partitionKey.name);
    expect(section).toContain(SEED.table.sortKey.name);
    expect(section).toContain('Access-Control-Allow-Origin: *');
    expect(section).toContain('corsAllowOrigins');
    expect(section).toContain('unknownFields');
  });
});
