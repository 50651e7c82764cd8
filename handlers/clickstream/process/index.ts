/**
 * Lambda entry of the clickstream processor (Kinesis event source mapping with ReportBatchItemFailures, bisect on
 * error, bounded retries and record age, and an SQS on-failure destination). Environment: contracts/clickstream.ts
 * CLICKSTREAM_PROCESS (set by stacks/clickstream/stack.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { CLICKSTREAM_PROCESS } from '../../../contracts/clickstream.js';
import { requireEnv } from '../../shared/env.js';
import { createLogger } from '../../shared/log.js';
import { sqsRejectsSink } from '../lib/rejects.js';
import { dynamoBatchWrite, processSettingsFromEnv } from './handler.js';
import { processRecords } from './core.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = CLICKSTREAM_PROCESS;
const log = createLogger(CLICKSTREAM_PROCESS.service);
const settings = processSettingsFromEnv(process.env);
const queueUrl = requireEnv(process.env, CLICKSTREAM_PROCESS.env.rejectsQueueUrl);
// The core retries UnprocessedItems itself; the SDK's own retries cover whole-call network and 5xx errors.
const dynamo = awsClient(DynamoDBClient, { maxAttempts: 2 });
const ports = { batchWrite: dynamoBatchWrite(dynamo), rejects: sqsRejectsSink(awsClient(SQSClient), queueUrl), log };

export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  const { batchItemFailures, summary } = await processRecords(event.Records, settings, ports);
  log.info('batch processed', { ...summary });
  return { batchItemFailures };
};
