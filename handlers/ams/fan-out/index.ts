/**
 * Lambda entry of the Amazon Marketing Stream fan-out (SQS event source on the ingress queue, with
 * ReportBatchItemFailures). Environment (set by stacks/ams/stack.ts): DATASET_ID, ADVERTISING_REGION,
 * DATA_TOPIC_ARN, CONFIRMATION_QUEUE_URL.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requireEnv } from '../../shared/env.js';
import { createLogger } from '../../shared/log.js';
import { fanOut, snsPublisher, sqsForwarder } from './handler.js';


const log = createLogger('ams-fan-out');
const datasetId = requireEnv(process.env, 'DATASET_ID');
const advertisingRegion = requireEnv(process.env, 'ADVERTISING_REGION');
const sns = new SNSClient({});
const sqs = new SQSClient({});
const ports = {
  publishBatch: snsPublisher(sns, requireEnv(process.env, 'DATA_TOPIC_ARN')),
  forwardConfirmation: sqsForwarder(sqs, requireEnv(process.env, 'CONFIRMATION_QUEUE_URL')),
  log,
};

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { batchItemFailures, summary } = await fanOut(event.Records, ports);
  if (summary.failed > 0) log.warn('records reported as batch item failures', { datasetId, advertisingRegion, failed: summary.failed });
  return { batchItemFailures };
};
