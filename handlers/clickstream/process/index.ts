/**
 * Lambda entry of the clickstream processor (Kinesis event source mapping with ReportBatchItemFailures, bisect on
 * error, bounded retries and record age, and an SQS on-failure destination). Environment (set by
 * stacks/clickstream/stack.ts): TABLE_NAME, REJECTS_QUEUE_URL, UNKNOWN_FIELDS, WRITE_MAX_ATTEMPTS, TTL_DAYS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { createLogger } from '../../shared/log.js';
import { sqsRejectsSink } from '../lib/rejects.js';
import { dynamoBatchWrite, processSettingsFromEnv } from './handler.js';
import { processRecords } from './core.js';

const log = createLogger('clickstream-process');
const settings = processSettingsFromEnv(process.env);
const queueUrl = process.env.REJECTS_QUEUE_URL;
if (!queueUrl) throw new Error('environment variable REJECTS_QUEUE_URL is not set');
// The core retries UnprocessedItems itself; the SDK's own retries cover whole-call network and 5xx errors.
const dynamo = new DynamoDBClient({ maxAttempts: 2 });
const ports = { batchWrite: dynamoBatchWrite(dynamo), rejects: sqsRejectsSink(new SQSClient({}), queueUrl), log };

export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  const { batchItemFailures, summary } = await processRecords(event.Records, settings, ports);
  log.info('batch processed', { ...summary });
  return { batchItemFailures };
};
