/**
 * An in-process Kinesis emulator (kinesalite, in-memory) on 127.0.0.1 and a free port, with an SDK client pointed at
 * it (dummy credentials, one attempt, HTTP/1.1 handler: kinesalite speaks nothing else) and helpers to create a
 * stream and read every record of it back. Generic: any pipeline's tests may use it. Stop it in afterAll.
 *
 * kinesalite 3.3.3 checks PutRecords for at most 500 records and each Data blob for at most 1 MiB (without its
 * partition key), and caps the HTTP body at 7 MiB; it does not enforce the request limit AWS publishes. So the
 * endpoint is a small front server on its own port that refuses what Kinesis refuses and passes everything else to
 * kinesalite unchanged. Contract (PutRecords API reference,
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html): "Each PutRecords request can
 * support up to 500 records. Each record in the request can be as large as 1 MiB, up to a limit of 5 MiB for the
 * entire request, including partition keys ... The record size limit applies to the total size of the partition
 * key and data blob" (1 MiB is the default maximum record size of a stream; see UpdateMaxRecordSize). The service
 * answers an oversized request with HTTP 400 `InvalidArgumentException` "Records size exceeds 5 MB limit" (as
 * reported from the service in aws/amazon-kinesis-streams-for-fluent-bit#21 and snowplow/enrich#685); this front
 * answers the same. A record over 1 MiB with its key is answered with the same error type (the API reference names
 * the limit but not the error for data within 1 MiB whose key takes it over).
 *
 *   const k = await startKinesalite();
 *   await k.createStream('events', 2);
 *   ... PutRecords through k.client ...
 *   const records = await k.readAll('events');
 *   await k.stop();
 */
import type { AddressInfo } from 'node:net';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient,
  ListShardsCommand, type _Record,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// kinesalite ships no type declarations.
const kinesalite = createRequire(import.meta.url)('kinesalite') as (opts: Record<string, unknown>) => Server;

export interface StreamRecord extends _Record {
  readonly ShardId: string;
}

export interface Kinesalite {
  readonly endpoint: string;
  readonly region: string;
  readonly client: KinesisClient;
  /** Creates a stream with `shards` shards and waits until it is ACTIVE; resolves with its ARN. */
  createStream(name: string, shards?: number): Promise<string>;
  /** Every record currently in the stream, shard by shard (TRIM_HORIZON to the tip), in sequence order per shard. */
  readAll(name: string): Promise<StreamRecord[]>;
  stop(): Promise<void>;
}

/** PutRecords limits published by AWS (see the header): records per call, bytes per record and per call (data + key). */
export const PUT_RECORDS_LIMITS = { records: 500, recordBytes: 1024 * 1024, requestBytes: 5 * 1024 * 1024 } as const;

/** The refusal Kinesis would answer for a PutRecords/PutRecord request body, or undefined when it is within the limits. */
export function publishedLimitViolation(target: string, body: Buffer): string | undefined {
  const op = target.split('.').pop();
  if (op !== 'PutRecords' && op !== 'PutRecord') return undefined;
  let parsed: { Records?: { Data?: string; PartitionKey?: string }[]; Data?: string; PartitionKey?: string };
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined; // kinesalite answers malformed bodies itself
  }
  const entries = op === 'PutRecords' ? (Array.isArray(parsed.Records) ? parsed.Records : []) : [parsed];
  let total = 0;
  for (const e of entries) {
    const size = (typeof e.Data === 'string' ? Buffer.from(e.Data, 'base64').length : 0) +
      (typeof e.PartitionKey === 'string' ? Buffer.byteLength(e.PartitionKey, 'utf8') : 0);
    if (size > PUT_RECORDS_LIMITS.recordBytes) return 'Record size exceeds 1 MB limit';
    total += size;
  }
  if (op === 'PutRecords' && total > PUT_RECORDS_LIMITS.requestBytes) return 'Records size exceeds 5 MB limit';
  return undefined;
}

function listen(server: Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Front server: refuses what the published limits refuse, forwards every other request to kinesalite unchanged. */
function limitsFront(backendPort: number): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const violation = publishedLimitViolation(String(req.headers['x-amz-target'] ?? ''), body);
      if (violation) {
        const out = JSON.stringify({ __type: 'InvalidArgumentException', message: violation });
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'front-limits', 'content-length': Buffer.byteLength(out) });
        res.end(out);
        return;
      }
      const fwd = httpRequest(
        { host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(body.length) } },
        (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      fwd.end(body);
    });
  });
}

export async function startKinesalite(region = 'us-east-1'): Promise<Kinesalite> {
  const backend = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  const backendPort = await listen(backend);
  const server = limitsFront(backendPort);
  const port = await listen(server);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new KinesisClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
  return {
    endpoint,
    region,
    client,
    async createStream(name, shards = 1) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      for (let i = 0; i < 200; i++) {
        const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
        if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return s.StreamDescriptionSummary.StreamARN!;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`stream ${name} did not become ACTIVE`);
    },
    async readAll(name) {
      const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: name }));
      const out: StreamRecord[] = [];
      for (const shard of Shards) {
        let { ShardIterator: it } = await client.send(
          new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        while (it) {
          const page = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
          for (const r of page.Records ?? []) out.push({ ...r, ShardId: shard.ShardId! });
          if (!page.Records?.length || page.MillisBehindLatest === 0) break;
          it = page.NextShardIterator;
        }
      }
      return out;
    },
    async stop() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      backend.closeAllConnections();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}
