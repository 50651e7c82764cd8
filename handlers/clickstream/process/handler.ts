/**
 * Pure glue between Lambda and the processor core: settings from the environment (validated, with the same
 * defaults as config/clickstream.ts) and the DynamoDB adapter.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { choiceEnv, intEnv, requireEnv } from '../../shared/env.js';
import type { BatchWriteFn, BatchWriteOutput, ProcessSettings } from './core.js';

export function processSettingsFromEnv(env: NodeJS.ProcessEnv): ProcessSettings {
  const tableName = requireEnv(env, 'TABLE_NAME');
  const unknownFields = choiceEnv(env, 'UNKNOWN_FIELDS', 'reject', ['reject', 'ignore'] as const);
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
