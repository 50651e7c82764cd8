/**
 * Smoke data through resources the emulated-apply tier applied in moto (scripts/emulated-apply.ts). It checks that
 * the names, ARNs and environment variables a stack wires up are the ones its handler uses, with the handler's own
 * code and real SDK clients pointed at moto. Lambda invocation needs Docker in moto, so handler cores run
 * in-process with the environment read back from the applied function's configuration (Lambda API).
 *
 * AMS (sqs delivery): a Stream notification (SNS envelope, as Amazon's topic delivers it) and a
 * SubscriptionConfirmation are sent to the applied ingress queue; the fan-out (handlers/ams/fan-out/handler.ts)
 * consumes them with the environment of the applied fan-out function; the record must arrive on the applied data
 * topic (observed through a probe queue subscribed with raw delivery) and the confirmation on the applied
 * confirmation queue. The record is then put into the applied Firehose stream (moto's SNS has no Firehose
 * subscriptions) and must land in the applied data bucket, which the smoke empties again so destroy works.
 * AMS (firehose delivery): the record is put into the applied Firehose stream and must land in the data bucket.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { DeleteBucketPolicyCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { fanOut, snsPublisher, sqsForwarder } from '../handlers/ams/fan-out/handler.js';
import type { Logger } from '../handlers/shared/log.js';
import { notificationEnvelope, spTrafficRecord } from '../__tests__/helpers/ams-records.js';
import { DUMMY_CREDENTIALS } from './emulate-lib.js';

export interface SmokeResult {
  readonly name: string;
  readonly ok: boolean;
  readonly details: string[];
}
export interface SmokeContext {
  readonly endpoint: string;
  /** `terraform show -json` of the applied state. */
  readonly state: unknown;
  readonly stack: string;
}
export type SmokeTest = (ctx: SmokeContext) => Promise<SmokeResult>;

interface StateResource {
  address: string;
  type: string;
  values: Record<string, unknown>;
}

function stateResources(state: unknown): StateResource[] {
  const out: StateResource[] = [];
  const walk = (m: { resources?: StateResource[]; child_modules?: unknown[] } | undefined) => {
    if (!m) return;
    out.push(...(m.resources ?? []));
    for (const c of m.child_modules ?? []) walk(c as typeof m);
  };
  walk((state as { values?: { root_module?: { resources?: StateResource[] } } }).values?.root_module);
  return out;
}

const credentials = { accessKeyId: DUMMY_CREDENTIALS.accessKey, secretAccessKey: DUMMY_CREDENTIALS.secretKey };

/** SHA-256 (and HMAC-SHA-256 with a secret) for the SigV4 signer, from node:crypto. */
class Sha256 {
  private h: ReturnType<typeof createHash>;
  private readonly secret?: string | Uint8Array;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.h = this.fresh();
  }
  private fresh(): ReturnType<typeof createHash> {
    return (this.secret ? createHmac('sha256', this.secret) : createHash('sha256')) as ReturnType<typeof createHash>;
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}

/** Lambda GetFunctionConfiguration against moto (no Lambda SDK client in this project: a signed REST call). */
async function functionConfiguration(endpoint: string, region: string, name: string): Promise<{ Environment?: { Variables?: Record<string, string> } }> {
  const url = new URL(`${endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/configuration`);
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    headers: { host: url.host },
  });
  const res = await fetch(url, { headers: signed.headers as Record<string, string> });
  if (!res.ok) throw new Error(`Lambda GetFunctionConfiguration ${name}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as { Environment?: { Variables?: Record<string, string> } };
}

/** Headers of a SigV4-signed AWS JSON 1.1 protocol POST to `endpoint` (for services without an SDK client here). */
export async function signedJsonRequest(endpoint: string, region: string, service: string, target: string, body: string): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  return signed.headers as Record<string, string>;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

async function receiveAll(sqs: SQSClient, queueUrl: string, want: number, seconds = 10): Promise<Message[]> {
  const got: Message[] = [];
  const deadline = Date.now() + seconds * 1000;
  while (got.length < want && Date.now() < deadline) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, AttributeNames: ['All'] }));
    got.push(...(r.Messages ?? []));
  }
  return got;
}

/** Puts `record` into the applied Firehose stream and checks it lands in the stream's bucket; empties the bucket. */
async function throughFirehose(endpoint: string, region: string, resources: StateResource[], record: string, details: string[]): Promise<boolean> {
  const stream = resources.find((r) => r.type === 'aws_kinesis_firehose_delivery_stream');
  if (!stream) return true;
  const s3conf = (stream.values.extended_s3_configuration as { bucket_arn: string }[])[0];
  const bucket = s3conf.bucket_arn.split(':').pop()!;
  // No Firehose SDK client in this project: the JSON protocol call, signed as the SDK would sign it.
  const body = JSON.stringify({ DeliveryStreamName: stream.values.name, Record: { Data: Buffer.from(`${record}\n`).toString('base64') } });
  const res = await fetch(endpoint, { method: 'POST', headers: await signedJsonRequest(endpoint, region, 'firehose', 'Firehose_20150804.PutRecord', body), body });
  if (!res.ok) {
    details.push(`Firehose PutRecord into ${String(stream.values.name)}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return false;
  }
  const s3 = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  // moto evaluates bucket policies without their conditions, so our TLS-only Deny (aws:SecureTransport false) denies
  // every object call in moto: the applied policy is lifted for the read and put back unchanged afterwards.
  const policy = resources.find((r) => r.type === 'aws_s3_bucket_policy' && r.values.bucket === bucket)?.values.policy as string | undefined;
  if (policy) await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  let found = false;
  let count = 0;
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    count = listed.KeyCount ?? 0;
    for (const o of listed.Contents ?? []) {
      const text = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString();
      if (text.includes(record)) found = true;
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    }
  } finally {
    if (policy) await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
  }
  details.push(
    found
      ? `record delivered by the applied Firehose stream ${String(stream.values.name)} into bucket ${bucket} (${count} object(s), removed again; TLS-only policy lifted for the read, moto ignores its condition)`
      : `record not found in bucket ${bucket} (${count} object(s))`,
  );
  return found;
}

/** Runs a smoke test body; an exception becomes a failed result that keeps the details gathered so far. */
function guarded(name: string, body: (ctx: SmokeContext, details: string[]) => Promise<SmokeResult>): SmokeTest {
  return async (ctx) => {
    const details: string[] = [];
    try {
      return await body(ctx, details);
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      details.push(`${name} stopped: ${e.name}: ${e.message}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}`);
      return { name, ok: false, details };
    }
  };
}

const amsSmoke: SmokeTest = guarded('ams smoke', async ({ endpoint, state }, details) => {
  const resources = stateResources(state);
  const record = JSON.stringify(spTrafficRecord(7));
  const fn = resources.find((r) => r.type === 'aws_lambda_function' && JSON.stringify(r.values.environment ?? '').includes('DATA_TOPIC_ARN'));
  const stream = resources.find((r) => r.type === 'aws_kinesis_firehose_delivery_stream');
  const region = String((fn ?? stream)?.values.arn ?? '').split(':')[3];
  if (!fn) {
    // firehose delivery: Amazon's topic delivers straight into the stream.
    const ok = await throughFirehose(endpoint, region, resources, record, details);
    return { name: 'ams firehose delivery', ok, details };
  }
  const functionName = String(fn.values.function_name);
  const env = (await functionConfiguration(endpoint, region, functionName)).Environment?.Variables ?? {};
  const missing = ['DATASET_ID', 'ADVERTISING_REGION', 'DATA_TOPIC_ARN', 'CONFIRMATION_QUEUE_URL'].filter((k) => !env[k]);
  if (missing.length) return { name: 'ams fan-out', ok: false, details: [`${functionName} has no ${missing.join(', ')} in its applied environment`] };
  details.push(`environment of ${functionName} read from the Lambda API: DATA_TOPIC_ARN=${env.DATA_TOPIC_ARN}`);

  const mapping = resources.find((r) => r.type === 'aws_lambda_event_source_mapping' && String(r.values.function_name).endsWith(functionName));
  if (!mapping) return { name: 'ams fan-out', ok: false, details: [...details, `no event source mapping for ${functionName}`] };
  const sqs = new SQSClient({ endpoint, region, credentials });
  const sns = new SNSClient({ endpoint, region, credentials });
  const ingressName = String(mapping.values.event_source_arn).split(':').pop()!;
  const ingressUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: ingressName }))).QueueUrl!;

  // A probe queue subscribed to the applied data topic with raw delivery shows what the fan-out published.
  const probeUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `emulate-probe-${Date.now()}` }))).QueueUrl!;
  const probeArn = `arn:aws:sqs:${region}:123456789012:${probeUrl.split('/').pop()}`;
  const sub = await sns.send(new SubscribeCommand({ TopicArn: env.DATA_TOPIC_ARN, Protocol: 'sqs', Endpoint: probeArn, Attributes: { RawMessageDelivery: 'true' } }));
  try {
    const confirmation = JSON.stringify({
      Type: 'SubscriptionConfirmation',
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: 'emulated-token',
      TopicArn: `arn:aws:sns:${region}:906013806264:${env.DATASET_ID}`,
      Message: 'You have chosen to subscribe to the topic.',
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=emulated-token',
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      Signature: 'c2lnbmF0dXJl',
      SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem',
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: ingressUrl, MessageBody: JSON.stringify(notificationEnvelope(JSON.parse(record))) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: ingressUrl, MessageBody: confirmation }));
    const received = await receiveAll(sqs, ingressUrl, 2);
    const records: SQSRecord[] = received.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: m.Attributes as unknown as SQSRecord['attributes'],
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: String(mapping.values.event_source_arn),
      awsRegion: region,
    }));
    const result = await fanOut(records, {
      publishBatch: snsPublisher(sns, env.DATA_TOPIC_ARN),
      forwardConfirmation: sqsForwarder(sqs, env.CONFIRMATION_QUEUE_URL),
      log: quiet,
    });
    details.push(`fan-out over ${records.length} ingress message(s): ${JSON.stringify(result.summary)}`);
    for (const m of received) {
      if (!result.batchItemFailures.some((f) => f.itemIdentifier === m.MessageId)) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: ingressUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    const published = await receiveAll(sqs, probeUrl, 1);
    const forwarded = await receiveAll(sqs, env.CONFIRMATION_QUEUE_URL, 1);
    const okPublished = published.some((m) => m.Body === record);
    const okForwarded = forwarded.some((m) => m.Body === confirmation);
    for (const m of forwarded) await sqs.send(new DeleteMessageCommand({ QueueUrl: env.CONFIRMATION_QUEUE_URL, ReceiptHandle: m.ReceiptHandle! }));
    details.push(okPublished ? `record published unchanged to the applied data topic ${env.DATA_TOPIC_ARN}` : `record NOT seen on the data topic (got ${published.length} message(s))`);
    details.push(okForwarded ? 'SubscriptionConfirmation forwarded unchanged to the applied confirmation queue' : 'SubscriptionConfirmation NOT on the confirmation queue');
    const okFanOut = records.length === 2 && result.batchItemFailures.length === 0 && result.summary.published === 1 && result.summary.confirmations === 1;
    const okFirehose = await throughFirehose(endpoint, region, resources, record, details);
    return { name: 'ams fan-out', ok: okFanOut && okPublished && okForwarded && okFirehose, details };
  } finally {
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: sub.SubscriptionArn })).catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: probeUrl })).catch(() => undefined);
  }
});

/**
 * Clickstream: one sample record through the ingest core (environment of the applied ingest function, its Kinesis
 * PutRecords into the applied stream), read back from the stream's shards as the event source mapping would, then
 * the process core (environment of the applied process function) writes it into the applied table.
 */
const clickstreamSmoke: SmokeTest = guarded('clickstream smoke', async ({ endpoint, state }, details) => {
  const resources = stateResources(state);
  const fnWith = (v: string) => resources.find((r) => r.type === 'aws_lambda_function' && JSON.stringify(r.values.environment ?? '').includes(v));
  const ingestFn = fnWith('STREAM_NAME');
  const processFn = fnWith('TABLE_NAME');
  if (!ingestFn || !processFn) return { name: 'clickstream smoke', ok: false, details: ['no ingest (STREAM_NAME) or process (TABLE_NAME) function in the applied state'] };
  const region = String(ingestFn.values.arn).split(':')[3];
  const ingestEnv = (await functionConfiguration(endpoint, region, String(ingestFn.values.function_name))).Environment?.Variables ?? {};
  const processEnv = (await functionConfiguration(endpoint, region, String(processFn.values.function_name))).Environment?.Variables ?? {};
  details.push(`environment read from the Lambda API: STREAM_NAME=${ingestEnv.STREAM_NAME}, TABLE_NAME=${processEnv.TABLE_NAME}`);

  const { ingest } = await import('../handlers/clickstream/ingest/core.js');
  const { ingestSettingsFromEnv, kinesisPutRecords } = await import('../handlers/clickstream/ingest/handler.js');
  const { processRecords } = await import('../handlers/clickstream/process/core.js');
  const { processSettingsFromEnv, dynamoBatchWrite } = await import('../handlers/clickstream/process/handler.js');
  const { sqsRejectsSink } = await import('../handlers/clickstream/lib/rejects.js');
  const { sampleRecords } = await import('../samples/clickstream.js');
  const { KinesisClient, GetShardIteratorCommand, GetRecordsCommand, ListShardsCommand } = await import('@aws-sdk/client-kinesis');
  const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');

  const kinesis = new KinesisClient({ endpoint, region, credentials, requestHandler: new NodeHttpHandler() });
  const sqs = new SQSClient({ endpoint, region, credentials });
  const dynamo = new DynamoDBClient({ endpoint, region, credentials });
  const record = sampleRecords({ seed: 15 }).next();
  const response = await ingest(
    { body: JSON.stringify(record), headers: { 'content-type': 'application/json' }, sourceIp: '203.0.113.7', requestId: 'emulated-smoke' },
    ingestSettingsFromEnv(ingestEnv),
    { putRecords: kinesisPutRecords(kinesis), rejects: sqsRejectsSink(sqs, ingestEnv.REJECTS_QUEUE_URL), log: quiet },
  );
  details.push(`ingest answered ${response.statusCode} ${response.body.slice(0, 120)}`);
  if (response.statusCode >= 300) return { name: 'clickstream smoke', ok: false, details };

  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: ingestEnv.STREAM_NAME }))).Shards ?? [];
  const streamArn = String(resources.find((r) => r.type === 'aws_kinesis_stream')?.values.arn);
  const events: import('aws-lambda').KinesisStreamRecord[] = [];
  for (const shard of shards) {
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: ingestEnv.STREAM_NAME, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
    for (const r of got.Records ?? []) {
      events.push({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey!,
          sequenceNumber: r.SequenceNumber!,
          data: Buffer.from(r.Data!).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shard.ShardId}:${r.SequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: String(processFn.values.role),
        awsRegion: region,
        eventSourceARN: streamArn,
      });
    }
  }
  details.push(`${events.length} record(s) read back from ${shards.length} shard(s) of the applied stream`);
  const result = await processRecords(events, processSettingsFromEnv(processEnv), {
    batchWrite: dynamoBatchWrite(dynamo),
    rejects: sqsRejectsSink(sqs, processEnv.REJECTS_QUEUE_URL),
    log: quiet,
  });
  details.push(`process: ${JSON.stringify(result.summary)}`);
  const items = (await dynamo.send(new ScanCommand({ TableName: processEnv.TABLE_NAME }))).Items ?? [];
  const ok = events.length === 1 && result.summary.written === 1 && result.batchItemFailures.length === 0 && items.length === 1;
  details.push(`${items.length} item(s) in the applied table ${processEnv.TABLE_NAME}${items[0] ? `: ip=${items[0].ip?.S}` : ''}`);
  return { name: 'clickstream smoke', ok, details };
});

/** The smoke test for a stack, by its name; undefined where none is written yet. */
export function smokeFor(stack: string): SmokeTest | undefined {
  if (stack.startsWith('ams-')) return amsSmoke;
  if (stack.startsWith('clickstream-')) return clickstreamSmoke;
  return undefined;
}
