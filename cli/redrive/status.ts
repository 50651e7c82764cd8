/**
 * `status`: one row per parking place: how much it holds, how old the oldest item is, a redacted sample and the
 * state of the alarm watching it.
 *   - queues: ApproximateNumberOfMessages (+ in flight) from GetQueueAttributes; the oldest age from CloudWatch's
 *     AWS/SQS ApproximateAgeOfOldestMessage (the queue API has no such attribute), else from the sample's
 *     SentTimestamp; the sample is one message received with VisibilityTimeout 0, only from queues without a redrive
 *     policy (a receive counts toward maxReceiveCount; pass --sample to sample those too).
 *   - Firehose error prefixes: the objects under the prefix (count, bytes, oldest LastModified); the sample is the
 *     first record of the oldest object.
 *   - alarms: DescribeAlarms by name, per region.
 */
import { DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { redact, type AwsClients, type ClientFactory } from './aws.js';
import type { Place } from './places.js';
import { parseErrorObject } from './replay.js';

export interface StatusRow {
  readonly place: string;
  readonly kind: string;
  readonly region: string;
  /** Items parked (messages, or records for Firehose error objects when read, else objects). */
  count?: number;
  inFlight?: number;
  objects?: number;
  bytes?: number;
  oldestAgeSeconds?: number;
  /** True when the age is a lower bound (from a sample). */
  oldestAgeApproximate?: boolean;
  sample?: string;
  alarmName?: string;
  alarmState?: string;
  error?: string;
}

const MAX_LISTED_OBJECTS = 10_000;

async function queueRow(c: AwsClients, p: Place, row: StatusRow, o: { sample: boolean; now: Date }): Promise<void> {
  const url = p.fields.queue_url;
  const a = await c.sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'RedrivePolicy'],
  }));
  row.count = Number(a.Attributes?.ApproximateNumberOfMessages ?? 0);
  row.inFlight = Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  const name = p.fields.queue_arn.split(':').pop()!;
  try {
    const m = await c.cloudwatch.send(new GetMetricStatisticsCommand({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Dimensions: [{ Name: 'QueueName', Value: name }],
      StartTime: new Date(o.now.getTime() - 15 * 60_000), EndTime: o.now, Period: 300, Statistics: ['Maximum'],
    }));
    const latest = [...(m.Datapoints ?? [])].sort((x, y) => (y.Timestamp?.getTime() ?? 0) - (x.Timestamp?.getTime() ?? 0))[0];
    if (latest?.Maximum !== undefined) row.oldestAgeSeconds = latest.Maximum;
  } catch {
    /* no metric access: the sample gives a lower bound below */
  }
  if (row.count > 0 && (o.sample || !a.Attributes?.RedrivePolicy)) {
    const r = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: 0, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['SentTimestamp'] }));
    const msg = r.Messages?.[0];
    // Visible again at once (a VisibilityTimeout of 0 on the receive means that already; said again for emulators).
    if (msg?.ReceiptHandle) await c.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
    if (msg) {
      row.sample = redact(msg.Body ?? '');
      const sent = Number(msg.Attributes?.SentTimestamp);
      if (row.oldestAgeSeconds === undefined && Number.isFinite(sent)) {
        row.oldestAgeSeconds = (o.now.getTime() - sent) / 1000;
        row.oldestAgeApproximate = true;
      }
    }
  } else if (row.count > 0) row.sample = '(not sampled: a receive counts toward its redrive policy; --sample)';
}

async function firehoseRow(c: AwsClients, p: Place, row: StatusRow, o: { now: Date }): Promise<void> {
  const { bucket, prefix } = p.fields;
  let objects = 0;
  let bytes = 0;
  let oldest: { key: string; at: Date } | undefined;
  let token: string | undefined;
  do {
    const r = await c.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const obj of r.Contents ?? []) {
      objects++;
      bytes += obj.Size ?? 0;
      if (obj.LastModified && (!oldest || obj.LastModified < oldest.at)) oldest = { key: obj.Key!, at: obj.LastModified };
    }
    token = r.IsTruncated && objects < MAX_LISTED_OBJECTS ? r.NextContinuationToken : undefined;
  } while (token);
  row.objects = objects;
  row.bytes = bytes;
  row.count = objects;
  if (oldest) {
    row.oldestAgeSeconds = (o.now.getTime() - oldest.at.getTime()) / 1000;
    try {
      const got = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: oldest.key }));
      const recs = parseErrorObject(Buffer.from(await got.Body!.transformToByteArray()));
      const r = recs[0];
      if (r) {
        const code = r.errorCode ?? r.ErrorCode ?? '?';
        row.sample = `${code}: ${redact(Buffer.from(r.rawData, 'base64').toString('utf8'), 160)} (${recs.length} records in ${oldest.key.split('/').pop()})`;
      }
    } catch (err) {
      row.sample = `(unreadable: ${(err as Error).message})`;
    }
  }
}

export async function status(places: readonly Place[], clients: ClientFactory, o: { sample: boolean; now: Date }): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const p of places) {
    const row: StatusRow = { place: p.id, kind: p.kind, region: p.region, alarmName: p.alarmName || undefined };
    try {
      const c = clients(p.region);
      if (p.kind === 'firehose-errors') await firehoseRow(c, p, row, o);
      else await queueRow(c, p, row, o);
    } catch (err) {
      row.error = `${(err as Error).name}: ${(err as Error).message}`;
    }
    rows.push(row);
  }
  // Alarm states, one DescribeAlarms call per region and 100 names.
  const byRegion = new Map<string, StatusRow[]>();
  for (const r of rows) if (r.alarmName) byRegion.set(r.region, [...(byRegion.get(r.region) ?? []), r]);
  for (const [region, rs] of byRegion) {
    const names = [...new Set(rs.map((r) => r.alarmName!))];
    try {
      const states = new Map<string, string>();
      for (let i = 0; i < names.length; i += 100) {
        const out = await clients(region).cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
        for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) if (a.AlarmName) states.set(a.AlarmName, a.StateValue ?? '?');
      }
      for (const r of rs) r.alarmState = states.get(r.alarmName!) ?? 'NOT FOUND';
    } catch (err) {
      for (const r of rs) r.alarmState = `? (${(err as Error).name})`;
    }
  }
  return rows;
}
