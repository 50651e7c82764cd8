/**
 * Clickstream throughput on this machine, records/s:
 *  - the raw loop: base64 -> strict UTF-8 decode -> JSON.parse (the floor of any processor);
 *  - the same plus schema validation;
 *  - the processor core over Kinesis events of 100 records with an in-memory BatchWriteItem (its CPU cost);
 *  - the processor core writing to dynalite over loopback (real SDK BatchWriteItem; dynalite is slower than
 *    DynamoDB, so this is a lower bound of the pipeline, not a DynamoDB figure);
 *  - the ingest core posting batches of 500 with an in-memory PutRecords.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import type { BenchRow } from '../scripts/bench.js';
import { silentLogger } from '../handlers/shared/log.js';
import { validateRecord } from '../handlers/clickstream/lib/record.js';
import { sampleRecords } from '../samples/clickstream.js';
import { processRecords, type BatchWriteFn } from '../handlers/clickstream/process/core.js';
import { dynamoBatchWrite } from '../handlers/clickstream/process/handler.js';
import { ingest, type PutRecordsFn } from '../handlers/clickstream/ingest/core.js';
import { startDynalite } from '../__tests__/helpers/dynalite.js';

const N = 50_000;
const BATCH = 100;

function kinesisRecords(n: number): KinesisStreamRecord[] {
  const gen = sampleRecords({ seed: 3, visitors: 5000, now: () => 1_750_000_000_000 });
  return Array.from({ length: n }, (_, i) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: `pk${i}`,
      sequenceNumber: String(49_600_000_000_000_000_000n + BigInt(i)),
      data: Buffer.from(JSON.stringify(gen.next())).toString('base64'),
      approximateArrivalTimestamp: 1_750_000_000 + i / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${i}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/bench',
  }));
}

function best(runs: number, fn: () => number | Promise<number>): Promise<number> {
  return (async () => {
    let top = 0;
    for (let i = 0; i < runs; i++) top = Math.max(top, await fn());
    return top;
  })();
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

export async function run(): Promise<BenchRow[]> {
  const records = kinesisRecords(N);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const rows: BenchRow[] = [];
  let sink = 0;

  const raw = await best(3, () => {
    const t0 = performance.now();
    for (const r of records) sink += (JSON.parse(utf8.decode(Buffer.from(r.kinesis.data, 'base64'))) as { ip: string }).ip.length;
    return rate(N, performance.now() - t0);
  });
  rows.push({ group: 'clickstream', name: 'raw loop: base64 + UTF-8 decode + JSON.parse', value: raw, unit: 'records/s' });

  const validated = await best(3, () => {
    const t0 = performance.now();
    for (const r of records) sink += validateRecord(JSON.parse(utf8.decode(Buffer.from(r.kinesis.data, 'base64')))).ok ? 1 : 0;
    return rate(N, performance.now() - t0);
  });
  rows.push({ group: 'clickstream', name: 'raw loop + schema validation', value: validated, unit: 'records/s' });

  const memWrite: BatchWriteFn = async () => ({});
  const rejects = { put: async () => ({ failed: [] }) };
  const settings = { tableName: 'bench', unknownFields: 'reject' as const, writeMaxAttempts: 3, ttlDays: 30 };
  const processed = await best(3, async () => {
    const t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const out = await processRecords(records.slice(i, i + BATCH), settings, { batchWrite: memWrite, rejects, log: silentLogger });
      sink += out.summary.written;
    }
    return rate(N, performance.now() - t0);
  });
  rows.push({
    group: 'clickstream', name: `processor core, batches of ${BATCH}, in-memory writes`, value: processed, unit: 'records/s',
    note: `${Math.round((processed / raw) * 100)}% of the raw loop`,
  });

  const d = await startDynalite();
  try {
    await d.createTable('bench', { partitionKey: 'ip', sortKey: 'sk' });
    const n = 5000;
    const write = dynamoBatchWrite(d.client);
    const t0 = performance.now();
    for (let i = 0; i < n; i += BATCH) {
      const out = await processRecords(records.slice(i, i + BATCH), settings, { batchWrite: write, rejects, log: silentLogger });
      if (out.batchItemFailures.length) throw new Error('dynalite write failed');
    }
    rows.push({ group: 'clickstream', name: `processor -> dynalite (loopback), batches of ${BATCH}`, value: rate(n, performance.now() - t0), unit: 'records/s', note: 'emulator-bound lower bound' });
  } finally {
    await d.stop();
  }

  const gen = sampleRecords({ seed: 5 });
  const bodies = Array.from({ length: 40 }, () => JSON.stringify(Array.from({ length: 500 }, () => gen.next())));
  const memPut: PutRecordsFn = async (input) => ({ FailedRecordCount: 0, Records: input.Records.map((_, i) => ({ ShardId: 'shardId-000000000000', SequenceNumber: String(i) })) });
  const ingestSettings = { streamName: 'bench', maxBodyBytes: 5 * 1024 * 1024, maxBatchRecords: 500, unknownFields: 'reject' as const, fillIpFromSource: true, putMaxAttempts: 4 };
  const ingested = await best(3, async () => {
    const t0 = performance.now();
    for (const body of bodies) {
      const res = await ingest({ body, headers: { 'content-type': 'application/json' }, sourceIp: '192.0.2.1' }, ingestSettings, { putRecords: memPut, rejects, log: silentLogger });
      if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`);
    }
    return rate(bodies.length * 500, performance.now() - t0);
  });
  rows.push({ group: 'clickstream', name: 'ingest core, POSTs of 500, in-memory PutRecords', value: ingested, unit: 'records/s' });

  if (sink < 0) console.log(sink);
  return rows;
}
