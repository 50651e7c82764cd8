/**
 * The redrive CLI (cli/redrive) against the embedded emulators: fauxqs (SQS with real redrive policies, and S3),
 * kinesalite, dynalite. Firehose, EventBridge and CloudWatch have no emulator here: they are fakes of the published
 * API contracts (named where they are built) that refuse what the service refuses.
 *
 * Each parking place is filled by a real failure (the real clickstream cores with a setting that refuses the
 * record, a poison message received until SQS moves it to the DLQ), the cause is "fixed", the place is replayed,
 * and the record is found stored exactly once; a second replay finds nothing to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { PARKING_PLACES, parkingOutputName } from '../../contracts/operations.js';
import { loadConfig } from '../../config/index.js';
import { synthConfig, type SynthStack } from '../helpers/synth.js';
import { ingest, type IngestSettings } from '../../handlers/clickstream/ingest/core.js';
import { kinesisPutRecords, requestFromEvent } from '../../handlers/clickstream/ingest/handler.js';
import { sqsRejectsSink } from '../../handlers/clickstream/lib/rejects.js';
import { processRecords } from '../../handlers/clickstream/process/core.js';
import { dynamoBatchWrite } from '../../handlers/clickstream/process/handler.js';
import { MemoryLogger } from '../../handlers/shared/log.js';
import type { AwsClients } from '../../cli/redrive/aws.js';
import { redact } from '../../cli/redrive/aws.js';
import { main } from '../../cli/redrive/main.js';
import { placesFromOutputs, type Place } from '../../cli/redrive/places.js';
import { silentProgress } from '../../cli/redrive/progress.js';
import { replay } from '../../cli/redrive/replay.js';
import { awsJsonError, startFakeAwsJson, type FakeAwsJson } from '../helpers/fake-aws-json.js';
import { putEvents, type PutEventsEntry } from '../helpers/client-events-eventbridge.js';
import { startDynalite, type Dynalite } from '../helpers/dynalite.js';
import { startFauxqs, type Fauxqs, type Queue } from '../helpers/fauxqs.js';
import { startKinesalite, type Kinesalite, type StreamRecord } from '../helpers/kinesalite.js';

const REGION = 'us-east-1';
const creds = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const noSleep = async () => {};
const NOW = new Date('2026-11-30T15:00:00Z');

let q: Fauxqs;
let k: Kinesalite;
let d: Dynalite;
let firehose: FakeAwsJson;
let events: FakeAwsJson;
let cloudwatch: FakeAwsJson;
let clients: AwsClients;
/** What the fake Firehose took, per stream. */
const delivered = new Map<string, string[]>();
/** Records the fake Firehose refuses per record (ServiceUnavailableException), by content, until cleared. */
const refuse = new Set<string>();
const busEvents: { bus: string; source: string; detailType: string; detail: unknown }[] = [];

beforeAll(async () => {
  [q, k, d] = await Promise.all([startFauxqs(REGION), startKinesalite(REGION), startDynalite(REGION)]);
  // Firehose PutRecordBatch (API reference): "Each PutRecordBatch request supports up to 500 records. Each record in
  // the request can be as large as 1,000 KB (before base64 encoding), up to a limit of 4 MB for the entire request";
  // an unknown stream is ResourceNotFoundException; per-record failures come back in RequestResponses with ErrorCode
  // (ServiceUnavailableException or InternalFailure) and FailedPutCount counts them.
  firehose = await startFakeAwsJson({
    PutRecordBatch: (body) => {
      const name = body.DeliveryStreamName as string;
      if (!delivered.has(name)) throw awsJsonError('ResourceNotFoundException', `Firehose ${name} under account 123456789012 not found.`);
      const recs = body.Records as { Data: string }[];
      if (recs.length < 1 || recs.length > 500) throw awsJsonError('ValidationException', 'Records must hold 1 to 500 entries');
      const sizes = recs.map((r) => Buffer.from(r.Data, 'base64').length);
      if (sizes.some((s) => s > 1_024_000)) throw awsJsonError('ValidationException', 'a record is over 1,000 KiB');
      if (sizes.reduce((a, b) => a + b, 0) > 4 * 1024 * 1024) throw awsJsonError('InvalidArgumentException', 'request over 4 MiB');
      const responses = recs.map((r) => {
        const text = Buffer.from(r.Data, 'base64').toString('utf8');
        if (refuse.has(text)) return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' };
        delivered.get(name)!.push(text);
        return { RecordId: `r-${delivered.get(name)!.length}` };
      });
      return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, Encrypted: true, RequestResponses: responses };
    },
  });
  // EventBridge PutEvents: the documented model in __tests__/helpers/client-events-eventbridge.ts (size limit, entry errors).
  events = await startFakeAwsJson({
    PutEvents: (body) => {
      const entries = (body.Entries as PutEventsEntry[]).map((e) => ({ ...e, Time: undefined }));
      const out = putEvents(entries);
      if (out.kind === 'request-error') throw awsJsonError(out.body.__type, out.body.message);
      out.body.Entries.forEach((res, i) => {
        if ('EventId' in res) busEvents.push({ bus: body.Entries[i].EventBusName, source: entries[i].Source, detailType: entries[i].DetailType, detail: JSON.parse(entries[i].Detail!) });
      });
      return out.body;
    },
  });
  // CloudWatch DescribeAlarms (API reference): AlarmNames (at most 100) -> MetricAlarms with StateValue OK | ALARM |
  // INSUFFICIENT_DATA; GetMetricStatistics answers Datapoints (none here: no metrics in an emulator).
  cloudwatch = await startFakeAwsJson({
    DescribeAlarms: (body) => {
      const names = (body.AlarmNames ?? []) as string[];
      if (names.length > 100) throw awsJsonError('ValidationError', 'at most 100 alarm names');
      return { MetricAlarms: names.map((n) => ({ AlarmName: n, StateValue: n.includes('rejects-dlq') ? 'ALARM' : 'OK' })) };
    },
    GetMetricStatistics: () => ({ Datapoints: [], Label: 'ApproximateAgeOfOldestMessage' }),
  });
  const common = { region: REGION, credentials: creds, maxAttempts: 1 };
  clients = {
    sqs: q.sqs,
    kinesis: k.client,
    dynamodb: d.client,
    firehose: new FirehoseClient({ ...common, endpoint: firehose.url }),
    events: new EventBridgeClient({ ...common, endpoint: events.url }),
    cloudwatch: new CloudWatchClient({ ...common, endpoint: cloudwatch.url }),
    s3: new S3Client({ ...common, endpoint: q.endpoint, forcePathStyle: true }),
  };
});

afterAll(async () => {
  await Promise.all([q?.stop(), k?.stop(), d?.stop(), firehose?.stop(), events?.stop(), cloudwatch?.stop()]);
});

const opts = (o: Partial<Parameters<typeof replay>[2]> = {}) => ({ dryRun: false, progress: silentProgress, now: () => NOW, sleep: noSleep, ...o });

/** A place as the stacks' outputs describe it (parsed by the CLI's own reader). */
function place(stack: string, spec: { place: string; kind: string; description: string }, fields: Record<string, string>, alarm = ''): Place {
  const outputs = { [parkingOutputName(spec.place)]: { value: { kind: spec.kind, description: spec.description, alarm_name: alarm, ...fields } } };
  return placesFromOutputs(stack, REGION, outputs)[0];
}

const dlqFields = (qq: Queue & { dlq?: Queue }) => ({ queue_url: qq.dlq!.url, queue_arn: qq.dlq!.arn, source_queue_url: qq.url, source_queue_arn: qq.arn });

function kinesisRecords(records: readonly StreamRecord[], streamArn: string): KinesisStreamRecord[] {
  return records.map((r) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0', partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber!,
      data: Buffer.from(r.Data!).toString('base64'), approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
    },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${r.ShardId}:${r.SequenceNumber}`, eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/process', awsRegion: REGION, eventSourceARN: streamArn,
  }));
}

const record = (i: number, extra: Record<string, unknown> = {}) => ({
  ip: `198.51.100.${i}`, timestamp: `2026-11-30T12:00:0${i % 10}.000Z`, browser: 'Firefox', url: `https://shop.example.com/p/${i}`,
  referrer: '', os: 'Linux', country: 'DE', language: 'de-DE', ...extra,
});

describe('SQS dead-letter queue (a poison message through a real redrive policy)', () => {
  it('moves it back to its source queue once the consumer is fixed; a re-run finds nothing', async () => {
    const ingress = await q.createQueue('ams-ingress', { dlq: 'ams-ingress-dlq', maxReceiveCount: 2 });
    await q.sqs.send(new SendMessageCommand({ QueueUrl: ingress.url, MessageBody: JSON.stringify({ dataset: 'sp-traffic', id: 'rec-1' }) }));
    // The broken consumer receives without deleting, twice: SQS moves the message to the DLQ on the third receive.
    for (let i = 0; i < 3; i++) await q.receiveAll(ingress, { visibilityTimeoutSeconds: 0 });
    expect(await q.depth(ingress.dlq!)).toEqual({ visible: 1, inFlight: 0 });

    const p = place('ams-sp-traffic-na', PARKING_PLACES.ams.ingressDlq, dlqFields(ingress));
    const s = await replay(p, clients, opts());
    // fauxqs implements no message move task: the fallback moved it, and says why.
    expect(s.toJSON()).toMatchObject({ replayed: 1, stillFailing: 0, skipped: 0, method: 'receive, send to the source queue, delete' });
    expect(s.warnings[0]).toMatch(/^message move tasks are not available here \(InvalidAction: Unknown action: ListMessageMoveTasks\)/);
    // The fixed consumer stores what it receives: exactly once.
    const stored = (await q.receiveAll(ingress)).map((m) => JSON.parse(m.Body!));
    expect(stored).toEqual([{ dataset: 'sp-traffic', id: 'rec-1' }]);
    expect(await q.depth(ingress.dlq!)).toEqual({ visible: 0, inFlight: 0 });
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 0, stillFailing: 0 });
  });

  it('uses a message move task where SQS offers one, reports its progress, and follows a task already running', async () => {
    // StartMessageMoveTask / ListMessageMoveTasks (SQS API reference): StartMessageMoveTask answers a TaskHandle;
    // ListMessageMoveTasks lists the source's most recent tasks first, with Status RUNNING | COMPLETED | CANCELLING |
    // CANCELLED | FAILED, ApproximateNumberOfMessagesMoved / ToMove, and TaskHandle only while RUNNING. The source
    // must be a DLQ ("Source queue must be configured as a Dead Letter Queue.").
    const tasks: Record<string, unknown>[] = [];
    let depth = 120;
    const sqsFake = await startFakeAwsJson({
      GetQueueAttributes: () => ({ Attributes: { ApproximateNumberOfMessages: String(depth) } }),
      StartMessageMoveTask: (b) => {
        if (!String(b.SourceArn).endsWith('-dlq')) throw awsJsonError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
        tasks.unshift({ TaskHandle: `task-${tasks.length + 1}`, Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 0, ApproximateNumberOfMessagesToMove: depth, SourceArn: b.SourceArn, DestinationArn: b.DestinationArn });
        return { TaskHandle: tasks[0].TaskHandle };
      },
      ListMessageMoveTasks: () => {
        const t = tasks[0];
        if (t && t.Status === 'RUNNING') {
          t.ApproximateNumberOfMessagesMoved = Math.min(120, (t.ApproximateNumberOfMessagesMoved as number) + 40);
          if (t.ApproximateNumberOfMessagesMoved === 120) {
            t.Status = 'COMPLETED';
            delete t.TaskHandle;
            depth = 0;
          }
        }
        return { Results: tasks.map((x) => ({ ...x })) };
      },
    });
    try {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      const sqs = new SQSClient({ region: REGION, credentials: creds, endpoint: sqsFake.url, maxAttempts: 1 });
      const p = place('buy-with-prime-us-east-1', PARKING_PLACES.buyWithPrime.eventsDlq, {
        queue_url: `${sqsFake.url}/123456789012/x-dlq`, queue_arn: 'arn:aws:sqs:us-east-1:123456789012:x-dlq',
        source_queue_url: `${sqsFake.url}/123456789012/x`, source_queue_arn: 'arn:aws:sqs:us-east-1:123456789012:x',
      });
      const ticks: number[] = [];
      const s = await replay(p, { ...clients, sqs }, opts({ progress: { start() {}, tick: (n = 1) => ticks.push(n), done() {} } }));
      expect(s.toJSON()).toMatchObject({ replayed: 120, method: 'SQS message move task', stillFailing: 0, warnings: [] });
      expect(ticks).toEqual([40, 40, 40]);
      expect(sqsFake.calls.filter((c) => c.op === 'StartMessageMoveTask').map((c) => c.body)).toEqual([{ SourceArn: p.fields.queue_arn, DestinationArn: p.fields.source_queue_arn }]);
      // Re-run: the DLQ is empty, no task is started.
      expect((await replay(p, { ...clients, sqs }, opts())).toJSON()).toMatchObject({ replayed: 0, method: 'nothing to move' });
      // A task still running from an earlier (interrupted) run is followed, not started twice.
      depth = 80;
      tasks.unshift({ TaskHandle: 'task-old', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 40, ApproximateNumberOfMessagesToMove: 120, SourceArn: p.fields.queue_arn });
      const followed = await replay(p, { ...clients, sqs }, opts());
      expect(followed.toJSON()).toMatchObject({ replayed: 120, stillFailing: 0 });
      expect(followed.warnings[0]).toMatch(/already running .* followed it/);
      expect(sqsFake.calls.filter((c) => c.op === 'StartMessageMoveTask').length).toBe(1);
    } finally {
      await sqsFake.stop();
    }
  });
});

describe('clickstream rejects (the real ingest and processor cores park them)', () => {
  it('re-validates with the fixed setting, sends bodies to the stream and stream records to the table, once', async () => {
    const stream = 'clicks-rejects';
    const streamArn = await k.createStream(stream, 1);
    await d.createTable('clicks-rejects', { partitionKey: 'ip', sortKey: 'sk' });
    const rejects = await q.createQueue('clickstream-rejects', { dlq: 'clickstream-rejects-dlq', maxReceiveCount: 5 });
    const sink = sqsRejectsSink(q.sqs, rejects.url, { sleep: noSleep });
    const settings: IngestSettings = { streamName: stream, maxBodyBytes: 1 << 20, maxBatchRecords: 500, unknownFields: 'reject', fillIpFromSource: true, putMaxAttempts: 3 };
    const post = (body: unknown) => ingest(requestFromEvent({
      version: '2.0', routeKey: 'POST /report', rawPath: '/report', rawQueryString: '', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body), isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/report', protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 't' }, requestId: 'r1' },
    } as never), settings, { putRecords: kinesisPutRecords(k.client), rejects: sink, log: new MemoryLogger(), sleep: noSleep });

    // Clients started sending a "campaign" field the schema does not have: refused (400) and kept.
    expect((await post([record(1, { campaign: 'x' }), record(2, { campaign: 'y' })])).statusCode).toBe(400);
    // A record that will stay invalid whatever the setting.
    expect((await post(record(3, { timestamp: 'yesterday' }))).statusCode).toBe(400);
    // A producer writing straight to the stream: the processor finds the record ineligible and keeps it.
    await k.client.send(new (await import('@aws-sdk/client-kinesis')).PutRecordCommand({ StreamName: stream, PartitionKey: 'p', Data: Buffer.from(JSON.stringify(record(4, { campaign: 'z' }))) }));
    const first = await k.readAll(stream);
    const processed = await processRecords(kinesisRecords(first, streamArn), { tableName: 'clicks-rejects', unknownFields: 'reject', writeMaxAttempts: 3, ttlDays: 0 }, {
      batchWrite: dynamoBatchWrite(d.client), rejects: sink, log: new MemoryLogger(), sleep: noSleep,
    });
    expect(processed.summary).toMatchObject({ rejected: 1, written: 0 });
    expect(await q.depth(rejects)).toEqual({ visible: 3, inFlight: 0 });

    // The fix: the stack now ignores unknown fields (config clickstream.unknownFields = "ignore", deployed).
    const p = place('clickstream-us-east-1', PARKING_PLACES.clickstream.rejects, {
      queue_url: rejects.url, queue_arn: rejects.arn, stream_name: stream, table_name: 'clicks-rejects', unknown_fields: 'ignore', fill_ip_from_source: 'true', ttl_days: '0',
    });
    const dry = await replay(p, clients, opts({ dryRun: true }));
    expect(dry.toJSON()).toMatchObject({ wouldReplay: 2, stillFailing: 1, replayed: 0 });
    expect((await k.readAll(stream)).length).toBe(1);

    const s = await replay(p, clients, opts());
    expect(s.toJSON()).toMatchObject({ replayed: 2, stillFailing: 1, skipped: 0 });
    expect(s.toJSON().failing[0].reason).toMatch(/^invalid-record: timestamp: "yesterday" is not an ISO-8601/);
    // The two request records are in the stream now (after the direct one), without the unknown field.
    const after = await k.readAll(stream);
    expect(after.slice(1).map((r) => JSON.parse(Buffer.from(r.Data!).toString()).ip)).toEqual(['198.51.100.1', '198.51.100.2']);
    // The processor (fixed too) stores them; the stream record went straight to the table under its own sequence number.
    await processRecords(kinesisRecords(after.slice(1), streamArn), { tableName: 'clicks-rejects', unknownFields: 'ignore', writeMaxAttempts: 3, ttlDays: 0 }, {
      batchWrite: dynamoBatchWrite(d.client), rejects: sink, log: new MemoryLogger(), sleep: noSleep,
    });
    const items = await d.scanAll('clicks-rejects');
    expect(items.map((i) => i.ip.S).sort()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.4']);
    expect(items.find((i) => i.ip.S === '198.51.100.4')!.sk.S).toBe(`2026-11-30T12:00:04.000Z#${first[0].SequenceNumber}`);
    // Only the still-invalid reject is left, visible again; a re-run replays nothing new and stores nothing twice.
    expect(await q.depth(rejects)).toEqual({ visible: 1, inFlight: 0 });
    const again = await replay(p, clients, opts());
    expect(again.toJSON()).toMatchObject({ replayed: 0, stillFailing: 1 });
    expect((await k.readAll(stream)).length).toBe(3);
    expect((await d.scanAll('clicks-rejects')).length).toBe(3);
  });
});

describe('Kinesis on-failure destination', () => {
  it('re-reads the described range from the stream and re-processes it into the table once; outside the stream it keeps the message', async () => {
    const stream = 'clicks-onfailure';
    const streamArn = await k.createStream(stream, 1);
    const failures = await q.createQueue('clickstream-process-failures', { dlq: 'clickstream-process-failures-dlq', maxReceiveCount: 5 });
    const rejects = await q.createQueue('clickstream-rejects-2');
    await kinesisPutRecords(k.client)({ StreamName: stream, Records: [1, 2, 3].map((i) => ({ Data: Buffer.from(JSON.stringify(record(i))), PartitionKey: `p${i}` })) });
    const recs = await k.readAll(stream);
    // The processor runs before its table exists (the failure): every write fails, Lambda gives up on the batch.
    const r = await processRecords(kinesisRecords(recs, streamArn), { tableName: 'clicks-onfailure', unknownFields: 'reject', writeMaxAttempts: 2, ttlDays: 0 }, {
      batchWrite: dynamoBatchWrite(d.client), rejects: sqsRejectsSink(q.sqs, rejects.url), log: new MemoryLogger(), sleep: noSleep,
    });
    expect(r.batchItemFailures.length).toBe(3);
    // What Lambda sends to the on-failure destination for a stream source (Lambda developer guide, "Kinesis
    // on-failure destination" example record: requestContext, responseContext, version, timestamp, KinesisBatchInfo).
    const onFailure = (start: string, end: string) => JSON.stringify({
      requestContext: { requestId: 'c9b8fa9f', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:trib-use1-clickstream-process', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0', timestamp: '2026-11-30T14:00:00.000Z',
      KinesisBatchInfo: { shardId: recs[0].ShardId, startSequenceNumber: start, endSequenceNumber: end, approximateArrivalOfFirstRecord: '2026-11-30T13:59:00Z', approximateArrivalOfLastRecord: '2026-11-30T13:59:01Z', batchSize: 3, streamArn },
    });
    await q.sqs.send(new SendMessageCommand({ QueueUrl: failures.url, MessageBody: onFailure(recs[0].SequenceNumber!, recs[2].SequenceNumber!) }));
    // A batch whose records are gone from the stream (a sequence number before the shard's first record).
    const gone = (BigInt(recs[0].SequenceNumber!) - 1000n).toString();
    await q.sqs.send(new SendMessageCommand({ QueueUrl: failures.url, MessageBody: onFailure(gone, gone) }));

    await d.createTable('clicks-onfailure', { partitionKey: 'ip', sortKey: 'sk' }); // the fix
    const p = place('clickstream-us-east-1', PARKING_PLACES.clickstream.processFailures, {
      queue_url: failures.url, queue_arn: failures.arn, stream_name: stream, table_name: 'clicks-onfailure', rejects_queue_url: rejects.url, unknown_fields: 'reject', ttl_days: '0',
    });
    const s = await replay(p, clients, opts());
    expect(s.toJSON()).toMatchObject({ replayed: 1, stillFailing: 1 });
    expect(s.toJSON().failing[0].reason).toMatch(/no longer holds|cannot read/);
    const items = await d.scanAll('clicks-onfailure');
    expect(items.map((i) => i.sk.S).sort()).toEqual(recs.map((x, i) => `2026-11-30T12:00:0${i + 1}.000Z#${x.SequenceNumber}`).sort());
    expect(await q.depth(failures)).toEqual({ visible: 1, inFlight: 0 });
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 0, stillFailing: 1 });
    expect((await d.scanAll('clicks-onfailure')).length).toBe(3);
  });
});

describe('EventBridge target DLQ', () => {
  it('puts the event back on its bus once; a message that is not an event is skipped and kept', async () => {
    const dlq = await q.createQueue('client-events-to-s3-dlq');
    const event = {
      version: '0', id: 'e-1', 'detail-type': 'client-event', source: 'tributary.client-events', account: '123456789012',
      time: '2026-11-30T13:00:00Z', region: REGION, resources: [], detail: { type: 'purchase', amount: 12 },
    };
    // EventBridge's DLQ message: the event as body, ERROR_CODE/ERROR_MESSAGE/RULE_ARN/TARGET_ARN attributes.
    await q.sqs.send(new SendMessageCommand({
      QueueUrl: dlq.url, MessageBody: JSON.stringify(event),
      MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'ResourceNotFound' }, RULE_ARN: { DataType: 'String', StringValue: 'arn:aws:events:us-east-1:123456789012:rule/b/r' } },
    }));
    await q.sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: 'not an event' }));
    const p = place('client-events-us-east-1', PARKING_PLACES.clientEvents.firehoseTargetDlq, { queue_url: dlq.url, queue_arn: dlq.arn, event_bus_name: 'trib-use1-client-events' });
    const s = await replay(p, clients, opts());
    expect(s.toJSON()).toMatchObject({ replayed: 1, skipped: 1, stillFailing: 0 });
    expect(busEvents).toEqual([{ bus: 'trib-use1-client-events', source: 'tributary.client-events', detailType: 'client-event', detail: { type: 'purchase', amount: 12 } }]);
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 0, skipped: 1 });
    expect(busEvents.length).toBe(1);
  });
});

describe('Firehose error objects and the SNS subscription DLQ', () => {
  it('puts every rawData back through the stream, deletes the object once all were taken, keeps the rest', async () => {
    const bucket = 'trib-client-events-data';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    delivered.set('trib-use1-client-events', []);
    // Data-transformation failures as Firehose writes them (developer guide, "Handle failure in data
    // transformation"): one JSON document per record with rawData base64, errorCode, errorMessage, lambdaArn; GZIP
    // as the stream's data.
    const doc = (data: string) => JSON.stringify({
      attemptsMade: 4, arrivalTimestamp: 1764511200000, errorCode: 'Lambda.FunctionError', errorMessage: 'The Lambda function was successfully invoked but it returned an error result.',
      attemptEndingTimestamp: 1764511260000, rawData: Buffer.from(data).toString('base64'), lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:t:$LATEST',
    });
    const key = 'errors/events/processing-failed/year=2026/month=11/day=30/hour=13/trib-use1-client-events-1-2026-11-30-13-00-00-abc.gz';
    await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(['{"e":1}', '{"e":2}', '{"e":3}'].map(doc).join('\n') + '\n') }));
    const p = place('client-events-us-east-1', PARKING_PLACES.clientEvents.firehoseErrors, { bucket, prefix: 'errors/events/', delivery_stream_name: 'trib-use1-client-events' });

    refuse.add('{"e":3}'); // the stream still refuses one record (throttled)
    const s = await replay(p, clients, opts());
    expect(s.toJSON()).toMatchObject({ replayed: 2, stillFailing: 1 });
    expect(s.toJSON().failing[0].reason).toMatch(/ServiceUnavailableException/);
    const keys = async () => ((await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'errors/' }))).Contents ?? []).map((o) => o.Key!);
    expect(await keys()).toEqual([expect.stringMatching(/abc\.remaining-\d{8}T\d{6}\d*Z\.json$/)]);

    refuse.clear();
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 1, stillFailing: 0 });
    expect(await keys()).toEqual([]);
    expect(delivered.get('trib-use1-client-events')).toEqual(['{"e":1}', '{"e":2}', '{"e":3}']);
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 0, stillFailing: 0 });
  });

  it('sends what SNS could not deliver (raw delivery: the DLQ body is the record) into the delivery stream', async () => {
    delivered.set('trib-use1-sp-traffic', []);
    const undelivered = await q.createQueue('sp-traffic-undelivered');
    await q.sqs.send(new SendMessageCommand({ QueueUrl: undelivered.url, MessageBody: '{"idempotency_id":"a1","clicks":3}' }));
    const p = place('ams-sp-traffic-na', PARKING_PLACES.ams.undelivered, { queue_url: undelivered.url, queue_arn: undelivered.arn, delivery_stream_name: 'trib-use1-sp-traffic' });
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 1 });
    expect((await replay(p, clients, opts())).toJSON()).toMatchObject({ replayed: 0 });
    expect(delivered.get('trib-use1-sp-traffic')).toEqual(['{"idempotency_id":"a1","clicks":3}']);
  });
});

/**
 * `terraform output -json` of a synthesized stack after an apply: every `${<type>.<id>.<attr>}` in its output block
 * resolved the way the resource would be once it exists here (queues, stream and table created in the emulators under
 * the names the synthesized resources give them; an alarm's name is its alarm_name argument).
 */
async function applyOutputs(stack: SynthStack): Promise<Record<string, { value: unknown; type: unknown; sensitive: boolean }>> {
  const made = new Map<string, Queue>();
  const resolve = async (ref: string): Promise<string> => {
    const [type, id, attr] = ref.split('.');
    const res = stack.json.resource![type][id] as Record<string, string>;
    if (type === 'aws_sqs_queue') {
      if (!made.has(res.name)) made.set(res.name, await q.createQueue(res.name, res.redrive_policy ? { dlq: `${res.name}-dlq`, maxReceiveCount: 5 } : {}));
      const qq = made.get(res.name)!;
      return attr === 'url' ? qq.url : qq.arn;
    }
    if (type === 'aws_cloudwatch_metric_alarm') return res.alarm_name;
    if ((type === 'aws_kinesis_stream' || type === 'aws_dynamodb_table') && attr === 'name') return res.name;
    return `resolved-${ref}`;
  };
  const out: Record<string, { value: unknown; type: unknown; sensitive: boolean }> = {};
  // DLQs before the queues naming them: the helper creates a queue's DLQ under "<name>-dlq", which is the stack's DLQ name.
  const entries = Object.entries(stack.json.output!).sort(([a], [b]) => Number(b.endsWith('_dlq')) - Number(a.endsWith('_dlq')));
  for (const [name, o] of entries) {
    const walk = async (v: unknown): Promise<unknown> => {
      if (typeof v === 'string') {
        const m = /^\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+\.[a-z_]+)\}$/.exec(v);
        return m ? resolve(m[1]) : v;
      }
      if (v && typeof v === 'object') return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k2, x]) => [k2, await walk(x)])));
      return v;
    };
    out[name] = { value: await walk(o.value), type: 'string', sensitive: false };
  }
  return out;
}

describe('status and replay through the CLI, on the outputs of a synthesized clickstream stack', () => {
  it('lists every parking place with count, age, a redacted sample and the alarm state; replays one by name', async () => {
    const synth = synthConfig(loadConfig('config/examples/full.json'));
    const work = mkdtempSync(join(tmpdir(), 'redrive-status-'));
    try {
      const stack = synth.stacks.find((s) => s.name === 'clickstream-us-east-1')!;
      const outputs = await applyOutputs(stack);
      expect(Object.keys(outputs).filter((n) => n.startsWith('parking_')).sort()).toEqual(
        Object.values(PARKING_PLACES.clickstream).map((p) => parkingOutputName(p.place)).sort(),
      );
      const cdktfOut = join(work, 'cdktf.out');
      mkdirSync(join(work, 'outputs'), { recursive: true });
      mkdirSync(cdktfOut, { recursive: true });
      writeFileSync(join(work, 'outputs', `${stack.name}.json`), JSON.stringify(outputs));
      writeFileSync(join(cdktfOut, 'tributary-manifest.json'), JSON.stringify({
        version: 1, config: { path: 'config/examples/full.json', sha256: 'x' }, prefix: 'tribx', environment: 'dev', backend: 'local',
        stacks: { [stack.name]: { region: REGION, hash: 'x' }, 'clickstream-eu-west-1': { region: 'eu-west-1', hash: 'x' } },
      }));
      const value = (n: string) => outputs[n].value as Record<string, string>;
      // A reject (the real sink) and a message in the rejects DLQ.
      await sqsRejectsSink(q.sqs, value('parking_rejects').queue_url).put([{ source: 'ingest', reason: 'invalid-record', detail: 'x', context: { sourceIp: '203.0.113.9' }, payload: Buffer.from(JSON.stringify(record(5))) }]);
      await q.sqs.send(new SendMessageCommand({ QueueUrl: value('parking_rejects_dlq').queue_url, MessageBody: JSON.stringify({ reason: 'invalid-record', payload: 'secret@example.com' }) }));

      const run = async (...args: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main([...args, '--cdktf-out', cdktfOut, '--outputs-dir', join(work, 'outputs')], {
          env: {}, stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, clients: () => clients, now: () => new Date(), sleep: noSleep,
        });
        return { code, out: out.join(''), err: err.join('') };
      };
      const st = await run('status');
      expect(st.code).toBe(4);
      const lines = st.out.split('\n');
      expect(lines[0]).toMatch(/^PLACE +KIND +COUNT +OLDEST +ALARM +SAMPLE$/);
      const row = (p: string) => lines.find((l) => l.startsWith(`clickstream-us-east-1/${p} `))!;
      expect(row('rejects')).toMatch(/clickstream-rejects +1 +- +- +\(not sampled: a receive counts toward its redrive policy; --sample\)$/);
      expect(row('rejects_dlq')).toMatch(/sqs-dlq +1 +>=\d+s +ALARM +\{"reason":"invalid-record","payload":"<18 chars>"\}$/);
      expect(row('process_failures')).toMatch(/kinesis-on-failure +0 +- +OK +-$/);
      expect(st.out).not.toContain('secret@example.com');
      expect(st.out).toContain('4 parking places, 2 holding items, 1 alarms in ALARM');
      expect(st.err).toBe('skipped clickstream-eu-west-1: no clickstream-eu-west-1.json in ' + join(work, 'outputs') + '\n');
      const js = JSON.parse((await run('status', '--json', '--stack', 'clickstream-us-east-1', '--sample')).out);
      expect(js.summary).toEqual({ places: 4, parked: 2, alarming: 1, errors: 0, skippedStacks: 0 });
      expect(js.rows.find((r: { place: string }) => r.place.endsWith('/rejects')).sample).toMatch(/^\{"rejectId":"<36 chars>","source":"ingest","reason":"invalid-record"/);

      // The DLQ message goes back to the rejects queue, by its short name (one selected stack has it).
      const rp = await run('replay', 'rejects_dlq', '--stack', 'clickstream-us-east-1');
      expect(rp.code).toBe(0);
      expect(rp.out).toBe(
        'clickstream-us-east-1/rejects_dlq (sqs-dlq): 1 replayed, 0 still failing, 0 skipped (receive, send to the source queue, delete)\n' +
          '  warning: message move tasks are not available here (InvalidAction: Unknown action: ListMessageMoveTasks); moved message by message instead\n',
      );
      expect(await q.depth({ url: value('parking_rejects').queue_url } as Queue)).toEqual({ visible: 2, inFlight: 0 });
      expect((await run('replay', 'nowhere')).code).toBe(2);
      expect((await run('replay', 'rejects', '--limit', '0')).err).toMatch(/--limit must be a whole number >= 1/);
      // Usage errors name the tool and command once, as every CLI's do (cli/shared/args.ts).
      expect((await run('replay', 'rejects', '--limit', '0')).err).toBe('redrive replay: --limit must be a whole number >= 1, got "0"\n');
      expect((await run('status', '--bogus')).err).toBe('redrive status: unknown option --bogus (see redrive status --help)\n');
      expect((await run('status', 'extra')).err).toBe('redrive status: unexpected argument "extra"\n');
    } finally {
      synth.cleanup();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('the parking_* outputs of every synthesized stack', () => {
  it('name every place of the contract, pass the CLI reader, and name alarms the stack has', () => {
    // The full example (AMS firehose delivery) and the default config cut to one AMS stack (sqs delivery).
    const dflt = loadConfig('config/default.json');
    const synths = [synthConfig(loadConfig('config/examples/full.json')), synthConfig({ ...dflt, ams: { ...dflt.ams, datasets: ['sp-traffic'], regions: ['NA'] } })];
    try {
      const seen = new Set<string>();
      for (const st of synths.flatMap((x) => x.stacks)) {
        const outs = Object.fromEntries(Object.entries(st.json.output ?? {}).map(([n, o]) => [n, { value: o.value }]));
        const places = placesFromOutputs(st.name, REGION, outs);
        const alarms = st.json.resource?.aws_cloudwatch_metric_alarm ?? {};
        for (const p of places) {
          seen.add(`${p.kind}:${p.place}`);
          const ref = /^\$\{aws_cloudwatch_metric_alarm\.([^.]+)\.alarm_name\}$/.exec(p.alarmName);
          if (p.place === 'rejects') expect(p.alarmName).toBe('');
          else if (ref) expect(alarms[ref[1]], `${p.id}: ${p.alarmName}`).toBeDefined();
          else expect(Object.values(alarms).map((a) => a.alarm_name), `${p.id}: ${p.alarmName}`).toContain(p.alarmName);
        }
      }
      const all = Object.values(PARKING_PLACES).flatMap((g) => Object.values(g)).map((p) => `${p.kind}:${p.place}`);
      expect([...seen].sort()).toEqual([...new Set(all)].sort());
    } finally {
      synths.forEach((x) => x.cleanup());
    }
  });
});

describe('redact', () => {
  it('keeps keys, numbers and diagnostic values, never what a person sent', () => {
    const out = redact(JSON.stringify({ reason: 'invalid-record', payload: '{"ip":"198.51.100.1"}', context: { sourceIp: '203.0.113.9', part: 1 } }));
    expect(out).toBe('{"reason":"invalid-record","payload":"<21 chars>","context":{"sourceIp":"<11 chars>","part":1}}');
    expect(redact('plain text with an email a@b.c')).toBe('<30 bytes of text>');
  });
});

describe('progress', () => {
  it('stays quiet for a second, then redraws a bar on a terminal or writes a line every 5 s otherwise', async () => {
    const { progress } = await import('../../cli/redrive/progress.js');
    let t = 0;
    const tty: string[] = [];
    const bar = progress({ write: (x) => tty.push(x), isTTY: true, label: 'replay x', now: () => t });
    bar.start(10);
    bar.tick();
    expect(tty).toEqual([]);
    t = 1500;
    bar.tick(4);
    bar.done();
    expect(tty).toEqual([`\rreplay x [${'#'.repeat(15)}${'.'.repeat(15)}] 5/10`, `\rreplay x [${'#'.repeat(15)}${'.'.repeat(15)}] 5/10\n`]);
    const log: string[] = [];
    const lines = progress({ write: (x) => log.push(x), isTTY: false, label: 'replay y', now: () => t });
    t = 0;
    lines.start();
    t = 1200;
    lines.tick();
    t = 3000;
    lines.tick();
    t = 6300;
    lines.tick();
    lines.done();
    expect(log).toEqual(['replay y: 1 handled\n', 'replay y: 3 handled\n']);
  });
});
