/**
 * Lambda entry of the clickstream ingest (HTTP API `POST /report`, payload format 2.0; API Gateway is a
 * synchronous caller, so errors go back to the client). Environment: contracts/clickstream.ts CLICKSTREAM_INGEST
 * (set by stacks/clickstream/stack.ts).
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CLICKSTREAM_INGEST } from '../../../contracts/clickstream.js';
import { requireEnv } from '../../shared/env.js';
import { createLogger } from '../../shared/log.js';
import { sqsRejectsSink } from '../lib/rejects.js';
import { ingestSettingsFromEnv, kinesisPutRecords, requestFromEvent } from './handler.js';
import { ingest } from './core.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = CLICKSTREAM_INGEST;
const log = createLogger(CLICKSTREAM_INGEST.service);
const settings = ingestSettingsFromEnv(process.env);
// The core retries refused entries itself; the SDK's own retries cover whole-call network and 5xx errors.
// HTTP/1.1 keep-alive: the Kinesis client defaults to HTTP/2, which only SubscribeToShard needs.
const kinesis = awsClient(KinesisClient, { maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 5000 }) });
const sqs = awsClient(SQSClient);
const ports = {
  putRecords: kinesisPutRecords(kinesis),
  rejects: sqsRejectsSink(sqs, requireEnv(process.env, CLICKSTREAM_INGEST.env.rejectsQueueUrl)),
  log,
};

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  ingest(requestFromEvent(event), settings, ports);
