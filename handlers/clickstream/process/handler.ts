/**
 * Pure glue between Lambda and the processor core: settings from the environment (validated, with the same
 * defaults as config/clickstream.ts) and the DynamoDB adapter.
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLICKSTREAM_PROCESS } from '../../../contracts/clickstream.js';
import { choiceEnv, intEnv, requireEnv } from '../../shared/env.js';
import type { BatchWriteFn, BatchWriteOutput, ProcessSettings } from './core.js';

const E = CLICKSTREAM_PROCESS.env;

/** The processor's settings (contracts/clickstream.ts CLICKSTREAM_PROCESS), without the rejects queue URL. */
export function processSettingsFromEnv(env: NodeJS.ProcessEnv): ProcessSettings {
  const tableName = requireEnv(env, E.tableName);
  const unknownFields = choiceEnv(env, E.unknownFields, 'reject', ['reject', 'ignore'] as const);
  return {
    tableName,
    unknownFields,
    writeMaxAttempts: intEnv(env, E.writeMaxAttempts, 5, 1, 10),
    ttlDays: intEnv(env, E.ttlDays, 0, 0, 36_500),
  };
}

/** BatchWriteItem through an SDK client. */
export function dynamoBatchWrite(client: Pick<DynamoDBClient, 'send'>): BatchWriteFn {
  return async (input) => (await client.send(new BatchWriteItemCommand(input))) as BatchWriteOutput;
}
