/**
 * The clickstream pipeline on the embedded emulators, shared by __tests__/clickstream/integration.test.ts and
 * seed.test.ts: kinesalite (behind the PutRecords-limits front of helpers/kinesalite.ts), dynalite and fauxqs SQS,
 * a fresh stream, table and rejects queue per test, and the Kinesis event Lambda builds from stream records
 * (the Kinesis event source mapping's event shape: docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html).
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import type { IngestSettings } from '../../handlers/clickstream/ingest/core.js';
import { sqsRejectsSink, type RejectMessage, type RejectsSink } from '../../handlers/clickstream/lib/rejects.js';
import { processRecords, type BatchWriteFn, type ProcessResult, type ProcessSettings } from '../../handlers/clickstream/process/core.js';
import { dynamoBatchWrite } from '../../handlers/clickstream/process/handler.js';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { startDynalite, type Dynalite } from './dynalite.js';
import { startFauxqs, type Fauxqs, type Queue } from './fauxqs.js';
import { startKinesalite, type Kinesalite, type StreamRecord } from './kinesalite.js';

export interface Emulators {
  readonly k: Kinesalite;
  readonly d: Dynalite;
  readonly q: Fauxqs;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [k, d, q] = await Promise.all([startKinesalite(), startDynalite(), startFauxqs()]);
  return { k, d, q, stop: async () => void (await Promise.all([k.stop(), d.stop(), q.stop()])) };
}

export interface PipelineResources {
  readonly stream: string;
  readonly streamArn: string;
  readonly table: string;
  readonly rejectsQueue: Queue;
}

/** A stream of 2 shards, the table (ip, sk) and a rejects queue with its DLQ, all named `<name>`. */
export async function freshPipeline(e: Emulators, name: string): Promise<PipelineResources> {
  const [streamArn, , rejectsQueue] = await Promise.all([
    e.k.createStream(name, 2),
    e.d.createTable(name, { partitionKey: 'ip', sortKey: 'sk' }),
    e.q.createQueue(`${name}-rejects`, { dlq: `${name}-rejects-dlq` }),
  ]);
  return { stream: name, streamArn, table: name, rejectsQueue };
}

/** The ingest settings with the defaults of config/clickstream.ts. */
export const ingestDefaults = (streamName: string, over: Partial<IngestSettings> = {}): IngestSettings => ({
  streamName, maxBodyBytes: 5 * 1024 * 1024, maxBatchRecords: 500, unknownFields: 'reject', fillIpFromSource: true, putMaxAttempts: 4, ...over,
});

/** The processor settings with the defaults of config/clickstream.ts (4 write attempts here, no TTL). */
export const processDefaults = (tableName: string): ProcessSettings => ({ tableName, unknownFields: 'reject', writeMaxAttempts: 4, ttlDays: 0 });

/** The Kinesis event Lambda builds from records read off the stream. */
export function kinesisEvent(records: readonly StreamRecord[], streamArn: string): KinesisStreamEvent {
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey!,
        sequenceNumber: r.SequenceNumber!,
        data: Buffer.from(r.Data!).toString('base64'),
        approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${r.ShardId}:${r.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/process',
      awsRegion: 'us-east-1',
      eventSourceARN: streamArn,
    })),
  };
}

/** Every message the rejects queue holds, parsed. */
export async function rejectsKept(e: Emulators, queue: Queue): Promise<RejectMessage[]> {
  return (await e.q.receiveAll(queue)).map((m) => JSON.parse(m.Body!) as RejectMessage);
}

/**
 * The processor core over `records` read off the pipeline's stream, as Lambda would deliver them: writes through
 * the SDK to dynalite and rejects to the pipeline's queue unless other ports are given; no backoff sleeps.
 */
export function processStream(
  e: Emulators,
  p: PipelineResources,
  records: readonly StreamRecord[],
  ports: { batchWrite?: BatchWriteFn; rejects?: RejectsSink } = {},
): Promise<ProcessResult> {
  const noSleep = async () => {};
  return processRecords(kinesisEvent(records, p.streamArn).Records, processDefaults(p.table), {
    batchWrite: ports.batchWrite ?? dynamoBatchWrite(e.d.client),
    rejects: ports.rejects ?? sqsRejectsSink(e.q.sqs, p.rejectsQueue.url, { sleep: noSleep }),
    log: new MemoryLogger(),
    sleep: noSleep,
  });
}
