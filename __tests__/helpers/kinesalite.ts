/**
 * An in-process Kinesis emulator (kinesalite, in-memory) on 127.0.0.1 and a free port, with an SDK client pointed at
 * it (dummy credentials, one attempt, HTTP/1.1 handler: kinesalite speaks nothing else) and helpers to create a
 * stream and read every record of it back. Generic: any pipeline's tests may use it. Stop it in afterAll.
 *
 *   const k = await startKinesalite();
 *   await k.createStream('events', 2);
 *   ... PutRecords through k.client ...
 *   const records = await k.readAll('events');
 *   await k.stop();
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
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

export async function startKinesalite(region = 'us-east-1'): Promise<Kinesalite> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
