/**
 * `replay <place>`: sends what a parking place holds back through the pipeline, per kind (contracts/operations.ts).
 * Every kind deletes an item only once it was re-delivered, and re-delivers in a way a re-run cannot duplicate where
 * the target allows it (the clickstream table's item keys hold the original sequence numbers).
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type _Object } from '@aws-sdk/client-s3';
import {
  ListMessageMoveTasksCommand, SendMessageBatchCommand, SendMessageCommand, StartMessageMoveTaskCommand,
  type Message, type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { KinesisStreamRecord } from 'aws-lambda';
import { validateRecord, formatErrors, type ClickstreamRecord } from '../../handlers/clickstream/lib/record.js';
import { reassemble, rejectMessages, sqsRejectsSink, type RejectMessage } from '../../handlers/clickstream/lib/rejects.js';
import { putAll } from '../../handlers/clickstream/ingest/core.js';
import { batchConstants, decodeBytes, processRecords, toItem, writeAll, type BatchWriteInput } from '../../handlers/clickstream/process/core.js';
import type { Logger } from '../../handlers/shared/log.js';
import type { AwsClients } from './aws.js';
import type { Place } from './places.js';
import type { Progress } from './progress.js';
import { approximateCount, runQueue, type Outcome, type QueueHandler } from './queue-runner.js';
import { ReplaySummary } from './summary.js';

export interface ReplayOptions {
  readonly dryRun: boolean;
  readonly limit?: number;
  readonly since?: Date;
  readonly progress: Progress;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Poll interval of message move tasks (ms). Default 2000. */
  readonly pollMs?: number;
}

/** The handlers' logger interface, quiet (the summary reports what matters). */
const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const errName = (err: unknown) => (err as { name?: string })?.name ?? 'Error';
const errText = (err: unknown) => `${errName(err)}: ${(err as Error)?.message ?? String(err)}`;

export async function replay(place: Place, c: AwsClients, o: ReplayOptions): Promise<ReplaySummary> {
  const summary = new ReplaySummary(place.id, place.kind, o.dryRun);
  const f = place.fields;
  const queue = (handler: QueueHandler) => runQueue(handler, { sqs: c.sqs, queueUrl: f.queue_url, limit: o.limit, since: o.since, progress: o.progress, summary });
  switch (place.kind) {
    case 'sqs-dlq':
      if (!o.dryRun && o.limit === undefined && o.since === undefined && (await moveTask(place, c, o, summary))) return summary;
      summary.method = o.dryRun ? undefined : 'receive, send to the source queue, delete';
      await queue(sqsToQueue(c, f.source_queue_url, o.dryRun));
      return summary;
    case 'sns-dlq':
      await queue(sqsToFirehose(c, f.delivery_stream_name, o));
      return summary;
    case 'eventbridge-dlq':
      await queue(sqsToBus(c, f.event_bus_name, o.dryRun));
      return summary;
    case 'clickstream-rejects':
      await queue(rejectsHandler(c, place, o));
      return summary;
    case 'kinesis-on-failure':
      await queue(onFailureHandler(c, place, o));
      return summary;
    case 'firehose-errors':
      await firehoseErrors(c, place, o, summary);
      return summary;
  }
}

// ---- SQS dead-letter queues ------------------------------------------------------------------------------------

/**
 * A message move task (SQS API reference, StartMessageMoveTask: "Only standard queues support redrive"; the source
 * must be a DLQ of SQS queues; one active task per source queue). True when the task ran; false when SQS does not
 * offer it here (then the receive/send/delete fallback runs).
 */
async function moveTask(place: Place, c: AwsClients, o: ReplayOptions, summary: ReplaySummary): Promise<boolean> {
  const f = place.fields;
  // ListMessageMoveTasks lists the most recent tasks of a source first; TaskHandle is set only while one is RUNNING.
  const list = async () => (await c.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: f.queue_arn, MaxResults: 10 }))).Results ?? [];
  let handle: string | undefined;
  try {
    const running = (await list()).find((t) => t.Status === 'RUNNING');
    if (running) {
      handle = running.TaskHandle;
      summary.warn(`a move task for this DLQ was already running (started ${running.StartedTimestamp ? new Date(running.StartedTimestamp).toISOString() : 'earlier'}): followed it instead of starting another`);
    } else {
      if ((await approximateCount(c.sqs, f.queue_url)) === 0) {
        summary.method = 'nothing to move';
        return true;
      }
      handle = (await c.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: f.queue_arn, DestinationArn: f.source_queue_arn }))).TaskHandle;
    }
  } catch (err) {
    summary.warn(`message move tasks are not available here (${errText(err)}); moved message by message instead`);
    return false;
  }
  summary.method = 'SQS message move task';
  o.progress.start();
  let moved = 0;
  for (;;) {
    const results = await list();
    const task = results.find((t) => handle !== undefined && t.TaskHandle === handle) ?? results[0];
    if (!task) throw new Error(`ListMessageMoveTasks lists no task for ${f.queue_arn}`);
    const now = task.ApproximateNumberOfMessagesMoved ?? 0;
    if (now > moved) o.progress.tick(now - moved);
    moved = Math.max(moved, now);
    if (task.Status === 'COMPLETED') break;
    if (task.Status === 'FAILED' || task.Status === 'CANCELLED' || task.Status === 'CANCELLING') {
      o.progress.done();
      summary.replayed = moved;
      const left = Math.max(1, (task.ApproximateNumberOfMessagesToMove ?? moved) - moved);
      summary.record(f.queue_arn, { kind: 'failing', reason: `move task ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''}; the rest stays in the DLQ` }, left);
      return true;
    }
    await o.sleep(o.pollMs ?? 2000);
  }
  o.progress.done();
  summary.replayed = moved;
  return true;
}

/** SendMessage keeps at most 10 message attributes (SQS quotas); a DLQ message carries what its source had. */
function attributesOf(m: Message): Record<string, MessageAttributeValue> | undefined {
  const a = m.MessageAttributes;
  if (!a || Object.keys(a).length === 0) return undefined;
  return Object.fromEntries(Object.entries(a).slice(0, 10).map(([k, v]) => [k, { DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue }]));
}

function sqsToQueue(c: AwsClients, target: string, dryRun: boolean): QueueHandler {
  return {
    async handle(messages) {
      if (dryRun) return messages.map(() => ({ kind: 'would-replay' }));
      try {
        const r = await c.sqs.send(new SendMessageBatchCommand({
          QueueUrl: target,
          Entries: messages.map((m, i) => ({ Id: `m${i}`, MessageBody: m.Body ?? '', MessageAttributes: attributesOf(m) })),
        }));
        const failed = new Map((r.Failed ?? []).map((e) => [e.Id, `${e.Code}: ${e.Message ?? ''}`.trim()]));
        return messages.map((_, i) => (failed.has(`m${i}`) ? { kind: 'failing', reason: `SendMessage refused: ${failed.get(`m${i}`)}` } : { kind: 'replayed' }));
      } catch (err) {
        return messages.map(() => ({ kind: 'failing', reason: `SendMessageBatch failed: ${errText(err)}` }));
      }
    },
  };
}

// ---- SNS subscription DLQ -> Firehose --------------------------------------------------------------------------

/**
 * The message SNS could not deliver. With raw message delivery (the AMS data topic's Firehose subscription) the DLQ
 * message body is the published message itself; without it, SNS's JSON envelope, whose `Message` is the record.
 */
function snsPayload(body: string): string {
  try {
    const j = JSON.parse(body) as Record<string, unknown>;
    if (j && j.Type === 'Notification' && typeof j.Message === 'string' && typeof j.TopicArn === 'string') return j.Message;
  } catch {
    /* raw */
  }
  return body;
}

function sqsToFirehose(c: AwsClients, stream: string, o: ReplayOptions): QueueHandler {
  return {
    async handle(messages) {
      if (o.dryRun) return messages.map(() => ({ kind: 'would-replay' }));
      const results = await putFirehose(c, stream, messages.map((m) => Buffer.from(snsPayload(m.Body ?? ''), 'utf8')), o);
      return results.map((r) => (r === undefined ? { kind: 'replayed' } : { kind: 'failing', reason: r }));
    },
  };
}

/**
 * PutRecordBatch (Firehose API reference: at most 500 records and 4 MiB per call, 1,000 KiB per record; a response
 * lists per-record ErrorCode for what was not taken), retrying refused records 3 times. Resolves with undefined per
 * record taken, or the reason it was not.
 */
async function putFirehose(c: AwsClients, stream: string, records: readonly Buffer[], o: Pick<ReplayOptions, 'sleep'>): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = records.map((r) => (r.length > 1_024_000 ? `record is ${r.length} bytes; Firehose takes at most 1,024,000` : 'not sent'));
  let pending = records.map((_, i) => i).filter((i) => records[i].length <= 1_024_000);
  for (let attempt = 1; pending.length && attempt <= 3; attempt++) {
    const retry: number[] = [];
    for (let s = 0; s < pending.length; ) {
      const batch: number[] = [];
      let bytes = 0;
      while (s < pending.length && batch.length < 500 && bytes + records[pending[s]].length <= 4 * 1024 * 1024) {
        bytes += records[pending[s]].length;
        batch.push(pending[s++]);
      }
      try {
        const r = await c.firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: batch.map((i) => ({ Data: records[i] })) }));
        (r.RequestResponses ?? []).forEach((e, k) => {
          if (e.ErrorCode) {
            out[batch[k]] = `Firehose refused it: ${e.ErrorCode} ${e.ErrorMessage ?? ''}`.trim();
            retry.push(batch[k]);
          } else out[batch[k]] = undefined;
        });
        if ((r.RequestResponses ?? []).length !== batch.length) for (const i of batch.slice((r.RequestResponses ?? []).length)) out[i] = 'no result from PutRecordBatch';
      } catch (err) {
        for (const i of batch) out[i] = `PutRecordBatch failed: ${errText(err)}`;
        if (/ResourceNotFound|AccessDenied|InvalidArgument|Validation/.test(errName(err))) continue;
        retry.push(...batch);
      }
    }
    pending = retry;
    if (pending.length && attempt < 3) await o.sleep(200 * 2 ** attempt);
  }
  return out;
}

// ---- EventBridge target DLQ -> bus -----------------------------------------------------------------------------

/**
 * The event a target could not receive. EventBridge sends the event itself to the target's DLQ (with ERROR_CODE,
 * ERROR_MESSAGE, RULE_ARN and TARGET_ARN message attributes; EventBridge user guide, "Using dead-letter queues to
 * process undelivered events"). PutEvents takes it back with its source, detail-type, detail, resources and time.
 */
function eventEntry(body: string, bus: string): PutEventsRequestEntry | string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return 'not JSON: not an EventBridge event';
  }
  if (typeof e.source !== 'string' || typeof e['detail-type'] !== 'string' || e.detail === undefined) return 'not an EventBridge event (source, detail-type and detail are required)';
  return {
    EventBusName: bus,
    Source: e.source,
    DetailType: e['detail-type'],
    Detail: JSON.stringify(e.detail),
    Resources: Array.isArray(e.resources) ? (e.resources as string[]) : undefined,
    Time: typeof e.time === 'string' ? new Date(e.time) : undefined,
  };
}

function sqsToBus(c: AwsClients, bus: string, dryRun: boolean): QueueHandler {
  return {
    async handle(messages) {
      const entries = messages.map((m) => eventEntry(m.Body ?? '', bus));
      const out: Outcome[] = entries.map((e) => (typeof e === 'string' ? { kind: 'skipped', reason: e } : { kind: dryRun ? 'would-replay' : 'failing', reason: '' } as Outcome));
      if (dryRun) return out;
      const idx = entries.map((e, i) => (typeof e === 'string' ? -1 : i)).filter((i) => i >= 0);
      if (idx.length === 0) return out;
      try {
        const r = await c.events.send(new PutEventsCommand({ Entries: idx.map((i) => entries[i] as PutEventsRequestEntry) }));
        (r.Entries ?? []).forEach((res, k) => {
          out[idx[k]] = res.ErrorCode ? { kind: 'failing', reason: `PutEvents refused it: ${res.ErrorCode} ${res.ErrorMessage ?? ''}`.trim() } : { kind: 'replayed' };
        });
      } catch (err) {
        for (const i of idx) out[i] = { kind: 'failing', reason: `PutEvents failed: ${errText(err)}` };
      }
      return out;
    },
  };
}

// ---- Clickstream rejects ---------------------------------------------------------------------------------------

const WRITE_MAX_ATTEMPTS = 5;
const PUT_MAX_ATTEMPTS = 5;

function settingsOf(place: Place) {
  const f = place.fields;
  const unknownFields = f.unknown_fields === 'ignore' ? 'ignore' : 'reject';
  return { unknownFields, ttlDays: Number(f.ttl_days) || 0, tableName: f.table_name, streamName: f.stream_name, fillIp: f.fill_ip_from_source === 'true' } as const;
}

function batchWriter(c: AwsClients) {
  return (input: BatchWriteInput) => c.dynamodb.send(new BatchWriteItemCommand(input as never)) as never;
}

/**
 * Rejects (handlers/clickstream/lib/rejects.ts message format) re-validated with today's validator and settings:
 *   - from ingest (a request body): every record must pass (as the ingest handler refuses a batch with any invalid
 *     record); then PutRecords into the stream. A `put-failed` reject re-sends only the records it lists as not
 *     written. When Kinesis refuses some records again, the reject is replaced by one listing only those.
 *   - from process (one stream record): written straight to the table with the processor's own item (toItem), keyed
 *     by the record's original sequence number, so a second replay overwrites rather than duplicates.
 */
function rejectsHandler(c: AwsClients, place: Place, o: ReplayOptions): QueueHandler {
  const s = settingsOf(place);
  const groups = new Map<string, { parts: RejectMessage[]; messages: Message[] }>();
  const outcomes = new Map<string, Outcome>();

  const handleGroup = async (parts: RejectMessage[]): Promise<Outcome> => {
    let payload: Buffer;
    try {
      payload = reassemble(parts);
    } catch (err) {
      return { kind: 'skipped', reason: (err as Error).message };
    }
    const first = parts.find((p) => p.part === 1)!;
    if (first.source === 'process') {
      const d = decodeBytes(payload, s.unknownFields);
      if (!d.ok) return { kind: 'failing', reason: `${d.reason}: ${d.detail}` };
      const ctx = first.context;
      if (typeof ctx.sequenceNumber !== 'string') return { kind: 'skipped', reason: 'process reject without its sequence number' };
      if (o.dryRun) return { kind: 'would-replay' };
      const item = toItem(d.record, {
        sequenceNumber: ctx.sequenceNumber, partitionKey: String(ctx.partitionKey ?? ''), data: '', kinesisSchemaVersion: '1.0',
        approximateArrivalTimestamp: Number(ctx.approximateArrivalTimestamp ?? Date.parse(first.rejectedAt) / 1000),
      }, batchConstants(o.now(), s.ttlDays));
      const left = await writeAll([{ item }], { tableName: s.tableName, writeMaxAttempts: WRITE_MAX_ATTEMPTS }, { batchWrite: batchWriter(c), sleep: o.sleep, log: quietLog });
      return left.length ? { kind: 'failing', reason: 'DynamoDB did not take the item after retries' } : { kind: 'replayed' };
    }
    // From ingest: the request body.
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
    } catch {
      return { kind: 'failing', reason: 'not-utf8: the body is not valid UTF-8' };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { kind: 'failing', reason: `malformed-json: ${(err as Error).message}` };
    }
    const items = Array.isArray(parsed) ? parsed : [parsed];
    if (items.length === 0) return { kind: 'failing', reason: 'empty-batch: the array holds no records' };
    const sourceIp = s.fillIp && typeof first.context.sourceIp === 'string' ? first.context.sourceIp : undefined;
    const records: ClickstreamRecord[] = [];
    for (const [i, item] of items.entries()) {
      const v = validateRecord(item, { unknownFields: s.unknownFields, sourceIp });
      if (!v.ok) return { kind: 'failing', reason: `invalid-record: ${Array.isArray(parsed) ? `[${i}] ` : ''}${formatErrors(v.errors)}` };
      records.push(v.record);
    }
    // put-failed: only the records the ingest handler could not write.
    let indexes = records.map((_, i) => i);
    if (first.reason === 'put-failed' && Array.isArray(first.errors)) {
      const listed = (first.errors as { Index?: unknown }[]).map((e) => e.Index).filter((i): i is number => typeof i === 'number' && i >= 0 && i < records.length);
      if (listed.length) indexes = [...new Set(listed)].sort((a, b) => a - b);
    }
    if (o.dryRun) return { kind: 'would-replay' };
    const entries = indexes.map((i) => ({ Data: Buffer.from(JSON.stringify(records[i]), 'utf8'), PartitionKey: createHash('sha256').update(`${first.rejectId}:${i}`).digest('hex').slice(0, 32) }));
    const outcome = await putAll(entries, { streamName: s.streamName, putMaxAttempts: PUT_MAX_ATTEMPTS }, {
      putRecords: (input) => c.kinesis.send(new PutRecordsCommand(input)),
      sleep: o.sleep,
      log: quietLog,
    });
    const lost = outcome.results.map((r, k) => ({ r, index: indexes[k] })).filter((x) => 'ErrorCode' in x.r);
    if (lost.length === 0) return { kind: 'replayed' };
    const codes = [...new Set(lost.map((x) => (x.r as { ErrorCode: string }).ErrorCode))].join(', ');
    if (lost.length === entries.length) return { kind: 'failing', reason: `PutRecords refused every record (${codes})` };
    // Some were written: keep a reject naming only the others, then the original can go.
    const bodies = rejectMessages({
      id: first.rejectId, source: 'ingest', reason: 'put-failed',
      detail: `replay: ${lost.length} of ${entries.length} records not written (${codes})`,
      errors: lost.map((x) => ({ Index: x.index, ErrorCode: (x.r as { ErrorCode: string }).ErrorCode })),
      context: first.context, payload,
    }, o.now());
    try {
      for (const body of bodies) {
        await c.sqs.send(new SendMessageCommand({
          QueueUrl: place.fields.queue_url, MessageBody: body,
          MessageAttributes: { reason: { DataType: 'String', StringValue: 'put-failed' }, source: { DataType: 'String', StringValue: 'ingest' } },
        }));
      }
    } catch (err) {
      // The original stays: a re-run re-sends the records written now too (duplicates), which beats losing the rest.
      return { kind: 'failing', reason: `${lost.length} of ${entries.length} records not written (${codes}) and the narrowed reject could not be kept (${errText(err)})` };
    }
    return { kind: 'replayed' };
  };

  return {
    async handle(messages) {
      const out: Outcome[] = [];
      for (const m of messages) {
        let r: RejectMessage;
        try {
          r = JSON.parse(m.Body ?? '') as RejectMessage;
          if (typeof r.rejectId !== 'string' || typeof r.part !== 'number' || typeof r.parts !== 'number') throw new Error('shape');
        } catch {
          out.push({ kind: 'skipped', reason: 'not a clickstream reject message' });
          continue;
        }
        let g = groups.get(r.rejectId);
        if (!g) groups.set(r.rejectId, (g = { parts: [], messages: [] }));
        if (!g.parts.some((p) => p.part === r.part)) g.parts.push(r);
        g.messages.push(m);
        if (g.parts.length < r.parts) {
          out.push({ kind: 'held' });
          continue;
        }
        groups.delete(r.rejectId);
        const res = await handleGroup(g.parts);
        // Every message of the group shares the outcome; the ones received earlier were held.
        for (const gm of g.messages) outcomes.set(gm.MessageId!, res);
        out.push(res);
      }
      return out;
    },
    async finish() {
      for (const [id, g] of groups) {
        for (const m of g.messages) outcomes.set(m.MessageId!, { kind: 'skipped', reason: `reject ${id}: ${g.parts.length} of ${g.parts[0].parts} parts received in this run` });
      }
      return outcomes;
    },
  };
}

// ---- Kinesis on-failure destination ----------------------------------------------------------------------------

interface BatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  streamArn?: string;
  batchSize?: number;
}

/**
 * Lambda's on-failure record for a stream source (Lambda developer guide, "Retaining discarded batches for a
 * Kinesis event source": `KinesisBatchInfo` with shardId, startSequenceNumber, endSequenceNumber, streamArn,
 * batchSize). The range is read again from the stream (GetShardIterator AT_SEQUENCE_NUMBER, then GetRecords up to
 * the end sequence number) and given to the processor's core, which writes idempotent items and sends ineligible
 * records to the rejects queue. Records past the stream's retention cannot be read: the message is kept.
 */
function onFailureHandler(c: AwsClients, place: Place, o: ReplayOptions): QueueHandler {
  const s = settingsOf(place);
  const one = async (m: Message): Promise<Outcome> => {
    let info: BatchInfo;
    try {
      info = (JSON.parse(m.Body ?? '') as { KinesisBatchInfo: BatchInfo }).KinesisBatchInfo;
      if (!info?.shardId || !info.startSequenceNumber || !info.endSequenceNumber) throw new Error('shape');
    } catch {
      return { kind: 'skipped', reason: 'not a Lambda on-failure record for a Kinesis source (no KinesisBatchInfo)' };
    }
    const start = BigInt(info.startSequenceNumber);
    const end = BigInt(info.endSequenceNumber);
    let iterator: string | undefined;
    try {
      iterator = (await c.kinesis.send(new GetShardIteratorCommand({
        StreamName: s.streamName, ShardId: info.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: info.startSequenceNumber,
      }))).ShardIterator;
    } catch (err) {
      return { kind: 'failing', reason: `cannot read ${info.shardId} from ${info.startSequenceNumber}: ${errText(err)} (past the stream's retention?)` };
    }
    const records: KinesisStreamRecord[] = [];
    let first: bigint | undefined;
    for (let calls = 0; iterator && calls < 10_000; calls++) {
      const r = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      let past = false;
      for (const rec of r.Records ?? []) {
        const seq = BigInt(rec.SequenceNumber!);
        first ??= seq;
        if (seq > end) {
          past = true;
          break;
        }
        records.push({
          eventID: `${info.shardId}:${rec.SequenceNumber}`, eventName: 'aws:kinesis:record', eventSource: 'aws:kinesis', eventVersion: '1.0',
          eventSourceARN: info.streamArn ?? '', awsRegion: place.region, invokeIdentityArn: '',
          kinesis: {
            kinesisSchemaVersion: '1.0', partitionKey: rec.PartitionKey ?? '', sequenceNumber: rec.SequenceNumber!,
            data: Buffer.from(rec.Data ?? new Uint8Array()).toString('base64'),
            approximateArrivalTimestamp: (rec.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
          },
        });
      }
      if (past || ((r.Records ?? []).length === 0 && (r.MillisBehindLatest ?? 0) === 0)) break;
      iterator = r.NextShardIterator;
      // GetRecords: at most 5 calls per second per shard (Kinesis API reference).
      await o.sleep(200);
    }
    if (first === undefined || first !== start) {
      return { kind: 'failing', reason: `${info.shardId} no longer holds ${info.startSequenceNumber} (past the stream's retention): the batch cannot be re-read` };
    }
    if (o.dryRun) return { kind: 'would-replay' };
    const result = await processRecords(records, { tableName: s.tableName, unknownFields: s.unknownFields, ttlDays: s.ttlDays, writeMaxAttempts: WRITE_MAX_ATTEMPTS }, {
      batchWrite: batchWriter(c),
      rejects: sqsRejectsSink(c.sqs, place.fields.rejects_queue_url, { sleep: o.sleep, now: o.now }),
      log: quietLog,
      sleep: o.sleep,
      now: o.now,
    });
    if (result.batchItemFailures.length) {
      return { kind: 'failing', reason: `${result.batchItemFailures.length} of ${records.length} records not written (table or rejects queue refused them)` };
    }
    return { kind: 'replayed' };
  };
  return {
    async handle(messages) {
      const out: Outcome[] = [];
      for (const m of messages) {
        try {
          out.push(await one(m));
        } catch (err) {
          // A throttled or failed read: this batch stays parked; the others go on.
          out.push({ kind: 'failing', reason: `reading the stream failed: ${errText(err)}` });
        }
      }
      return out;
    },
  };
}

// ---- Firehose error prefixes in S3 -----------------------------------------------------------------------------

/**
 * One record of a Firehose error object. Data-transformation failures (Firehose developer guide, "Handle failure in
 * data transformation") are JSON documents with attemptsMade, arrivalTimestamp, errorCode, errorMessage,
 * attemptEndingTimestamp, rawData (the record, base64) and lambdaArn; format-conversion and other failures use the
 * same rawData with ErrorCode/ErrorMessage. Objects are compressed as the stream's data is (GZIP here).
 */
export interface FirehoseErrorRecord {
  readonly rawData: string;
  readonly errorCode?: string;
  readonly ErrorCode?: string;
  readonly errorMessage?: string;
  readonly ErrorMessage?: string;
  readonly arrivalTimestamp?: number;
}

/** The records of an error object: newline-delimited JSON, or JSON documents written back to back. */
export function parseErrorObject(body: Buffer): FirehoseErrorRecord[] {
  const text = (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
  const out: FirehoseErrorRecord[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let begin = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth++ === 0) begin = i;
    } else if (ch === '}') {
      if (--depth === 0) {
        const rec = JSON.parse(text.slice(begin, i + 1)) as FirehoseErrorRecord;
        if (typeof rec.rawData !== 'string') throw new Error(`record ${out.length + 1} has no rawData`);
        out.push(rec);
      }
    } else if (depth === 0 && !/\s/.test(ch)) throw new Error(`unexpected ${JSON.stringify(ch)} at offset ${i}`);
  }
  if (depth !== 0 || inString) throw new Error('the last record is cut off');
  return out;
}

async function firehoseErrors(c: AwsClients, place: Place, o: ReplayOptions, summary: ReplaySummary): Promise<void> {
  const { bucket, prefix, delivery_stream_name: stream } = place.fields;
  const objects: _Object[] = [];
  let token: string | undefined;
  do {
    const r = await c.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    objects.push(...(r.Contents ?? []));
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  objects.sort((a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0) || a.Key!.localeCompare(b.Key!));
  o.progress.start(o.limit === undefined ? objects.length : Math.min(o.limit, objects.length));
  let handled = 0;
  for (const obj of objects) {
    const key = obj.Key!;
    if (o.since && obj.LastModified && obj.LastModified < o.since) {
      summary.record(key, { kind: 'skipped', reason: 'written before --since' });
      continue;
    }
    if (o.limit !== undefined && handled >= o.limit) break;
    handled++;
    o.progress.tick();
    let recs: FirehoseErrorRecord[];
    try {
      const got = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      recs = parseErrorObject(Buffer.from(await got.Body!.transformToByteArray()));
    } catch (err) {
      summary.record(key, { kind: 'skipped', reason: `unreadable error object: ${(err as Error).message}` });
      continue;
    }
    if (o.dryRun) {
      summary.record(key, { kind: 'would-replay' }, recs.length);
      continue;
    }
    const results = await putFirehose(c, stream, recs.map((r) => Buffer.from(r.rawData, 'base64')), o);
    const left = recs.filter((_, i) => results[i] !== undefined);
    summary.replayed += recs.length - left.length;
    if (left.length === recs.length && recs.length > 0) {
      summary.record(key, { kind: 'failing', reason: results.find((r) => r !== undefined)! }, left.length);
      continue;
    }
    try {
      if (left.length) {
        // Keep exactly what was not re-delivered, beside the original, before the original goes.
        const rest = `${key.replace(/\.gz$/, '')}.remaining-${o.now().toISOString().replace(/[-:.]/g, '')}.json`;
        await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: rest, Body: left.map((r) => JSON.stringify(r)).join('\n') + '\n', ContentType: 'application/x-ndjson' }));
        summary.record(rest, { kind: 'failing', reason: results.find((r) => r !== undefined)! }, left.length);
      }
      await c.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      summary.warn(`${key}: ${recs.length - left.length} records re-delivered but the object could not be ${left.length ? 'narrowed' : 'deleted'} (${errText(err)}): a re-run would deliver them again`);
    }
  }
  o.progress.done();
}
