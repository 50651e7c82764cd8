/**
 * Lambda entry of the Amazon Marketing Stream fan-out (SQS event source on the ingress queue, with
 * ReportBatchItemFailures). Environment: contracts/ams.ts AMS_FAN_OUT (set by stacks/ams/stack.ts).
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AMS_FAN_OUT } from '../../../contracts/ams.js';
import { requireEnv } from '../../shared/env.js';
import { createLogger } from '../../shared/log.js';
import { fanOut, snsPublisher, sqsForwarder } from './handler.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = AMS_FAN_OUT;
const E = AMS_FAN_OUT.env;
const log = createLogger(AMS_FAN_OUT.service);
const datasetId = requireEnv(process.env, E.datasetId);
const advertisingRegion = requireEnv(process.env, E.advertisingRegion);
const sns = awsClient(SNSClient);
const sqs = awsClient(SQSClient);
const ports = {
  publishBatch: snsPublisher(sns, requireEnv(process.env, E.dataTopicArn)),
  forwardConfirmation: sqsForwarder(sqs, requireEnv(process.env, E.confirmationQueueUrl)),
  log,
};

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { batchItemFailures, summary } = await fanOut(event.Records, ports);
  if (summary.failed > 0) log.warn('records reported as batch item failures', { datasetId, advertisingRegion, failed: summary.failed });
  return { batchItemFailures };
};
