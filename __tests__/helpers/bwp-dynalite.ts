/**
 * An in-process DynamoDB emulator (dynalite) on 127.0.0.1 and a free port, with a client pointed at it and
 * helpers to create the Buy with Prime tables. Stop it in afterAll.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';

// dynalite ships no type declarations.
const dynalite = createRequire(import.meta.url)('dynalite') as (opts: Record<string, unknown>) => Server;

export interface Dynalite {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  createTable(name: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
  return {
    endpoint,
    client,
    async createTable(name, key) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
