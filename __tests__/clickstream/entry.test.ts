/**
 * The two Lambda entry files (handlers/clickstream/ingest/index.ts and handlers/clickstream/process/index.ts) as Lambda loads them: environment read at import,
 * module-level SDK clients (pointed at the emulators through the SDK's AWS_ENDPOINT_URL_<SERVICE> variables), the
 * API Gateway payload 2.0 event in, the Kinesis event out to the processor, items in the table, rejects kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { sampleRecords } from '../../samples/clickstream.js';
import { startKinesalite, type Kinesalite } from '../helpers/kinesalite.js';
import { startDynalite, type Dynalite } from '../helpers/dynalite.js';
import { startFauxqs, type Fauxqs, type Queue } from '../helpers/fauxqs.js';

let k: Kinesalite;
let d: Dynalite;
let q: Fauxqs;
let rejects: Queue;
let streamArn: string;
let ingestHandler: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
let processHandler: (e: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

beforeAll(async () => {
  [k, d, q] = await Promise.all([startKinesalite(), startDynalite(), startFauxqs()]);
  streamArn = await k.createStream('entry-clicks', 1);
  await d.createTable('entry-clicks', { partitionKey: 'ip', sortKey: 'sk' });
  rejects = await q.createQueue('entry-rejects', { dlq: 'entry-rejects-dlq' });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_ENDPOINT_URL_KINESIS: k.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: d.endpoint,
    AWS_ENDPOINT_URL_SQS: q.endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    STREAM_NAME: 'entry-clicks',
    TABLE_NAME: 'entry-clicks',
    REJECTS_QUEUE_URL: rejects.url,
    MAX_BODY_BYTES: '20000',
    TTL_DAYS: '7',
  });
  ingestHandler = (await import('../../handlers/clickstream/ingest/index.js')).handler;
  processHandler = (await import('../../handlers/clickstream/process/index.js')).handler;
});
afterAll(async () => {
  await Promise.all([k?.stop(), d?.stop(), q?.stop()]);
});

const event = (body: string): APIGatewayProxyEventV2 => ({
  version: '2.0', routeKey: 'POST /report', rawPath: '/report', rawQueryString: '',
  headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false,
  requestContext: {
    accountId: '123456789012', apiId: 'api', domainName: 'x', domainPrefix: 'x', requestId: 'rid', routeKey: 'POST /report',
    stage: '$default', time: '', timeEpoch: 0, http: { method: 'POST', path: '/report', protocol: 'HTTP/1.1', sourceIp: '203.0.113.5', userAgent: 't' },
  },
});

describe('Lambda entries', () => {
  it('ingest handler -> stream -> process handler -> table, with TTL from the environment', async () => {
    const g = sampleRecords({ seed: 21 });
    const recs = [g.next(), g.next(), g.next()];
    const res = await ingestHandler(event(JSON.stringify(recs)));
    expect(res.statusCode).toBe(200);
    const inStream = await k.readAll('entry-clicks');
    expect(inStream).toHaveLength(3);
    const out = await processHandler({
      Records: inStream.map((r) => ({
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber!, data: Buffer.from(r.Data!).toString('base64'), approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000 },
        eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${r.ShardId}:${r.SequenceNumber}`, eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn', awsRegion: 'us-east-1', eventSourceARN: streamArn,
      })),
    });
    expect(out).toEqual({ batchItemFailures: [] });
    const items = await d.scanAll('entry-clicks');
    expect(items).toHaveLength(3);
    for (const i of items) expect(Number(i.expiresAt.N)).toBeGreaterThan(Date.now() / 1000 + 6 * 86400);
  });

  it('ingest handler refuses an oversized body (MAX_BODY_BYTES from the environment) and keeps it', async () => {
    const res = await ingestHandler(event(JSON.stringify({ pad: 'x'.repeat(20_000) })));
    expect(res.statusCode).toBe(413);
    const kept = await q.receiveAll(rejects);
    expect(kept.length).toBeGreaterThan(0);
    expect(JSON.parse(kept[0].Body!)).toMatchObject({ reason: 'too-large', source: 'ingest', context: { sourceIp: '203.0.113.5', requestId: 'rid' } });
  });
});
