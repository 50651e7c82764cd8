/**
 * An in-process DynamoDB emulator (dynalite, in-memory) on 127.0.0.1 and a free port, with an SDK client pointed
 * at it (dummy credentials, one attempt) and helpers to create a table with any key schema and to scan it whole.
 * Generic: any pipeline's tests may use it. Stop it in afterAll.
 *
 *   const d = await startDynalite();
 *   await d.createTable('events', { partitionKey: 'ip', sortKey: 'sk' });
 *   const items = await d.scanAll('events');
 *   await d.stop();
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';

// dynalite ships no type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as (opts: Record<string, unknown>) => Server;

export type KeyAttribute = string | { readonly name: string; readonly type: 'S' | 'N' | 'B' };

export interface TableSpec {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface Dynalite {
  readonly endpoint: string;
  readonly region: string;
  readonly client: DynamoDBClient;
  /** Creates an on-demand table (keys of type S unless given) and resolves once it exists. */
  createTable(name: string, spec: TableSpec): Promise<void>;
  /** Every item of the table (all scan pages). */
  scanAll(name: string): Promise<Record<string, AttributeValue>[]>;
  stop(): Promise<void>;
}

const key = (k: KeyAttribute) => (typeof k === 'string' ? { name: k, type: 'S' as const } : k);

export async function startDynalite(region = 'us-east-1'): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
  return {
    endpoint,
    region,
    client,
    async createTable(name, spec) {
      const keys = [{ ...key(spec.partitionKey), role: 'HASH' as const }, ...(spec.sortKey ? [{ ...key(spec.sortKey), role: 'RANGE' as const }] : [])];
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
          KeySchema: keys.map((k) => ({ AttributeName: k.name, KeyType: k.role })),
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    },
    async scanAll(name) {
      const out: Record<string, AttributeValue>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
        out.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return out;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
