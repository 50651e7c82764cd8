/**
 * Pure glue between Lambda and the processor core: settings from the environment (validated, with the same
 * defaults as config/clickstream.ts) and the DynamoDB adapter.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BatchWriteFn, BatchWriteOutput, ProcessSettings } from './process.js';

function intEnv(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`environment variable ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return v;
}

export function processSettingsFromEnv(env: NodeJS.ProcessEnv): ProcessSettings {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('environment variable TABLE_NAME is not set');
  const unknownFields = env.UNKNOWN_FIELDS ?? 'reject';
  if (unknownFields !== 'reject' && unknownFields !== 'ignore') {
    throw new Error(`environment variable UNKNOWN_FIELDS must be "reject" or "ignore", got ${JSON.stringify(unknownFields)}`);
  }
  return {
    tableName,
    unknownFields,
    writeMaxAttempts: intEnv(env, 'WRITE_MAX_ATTEMPTS', 5, 1, 10),
    ttlDays: intEnv(env, 'TTL_DAYS', 0, 0, 36_500),
  };
}

/** BatchWriteItem through an SDK client. */
export function dynamoBatchWrite(client: Pick<DynamoDBClient, 'send'>): BatchWriteFn {
  return async (input) => (await client.send(new BatchWriteItemCommand(input))) as BatchWriteOutput;
}
