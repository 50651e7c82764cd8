/**
 * Lambda entry of the clickstream ingest (HTTP API `POST /report`, payload format 2.0; API Gateway is a
 * synchronous caller, so errors go back to the client). Environment (set by stacks/clickstream/stack.ts):
 * STREAM_NAME, REJECTS_QUEUE_URL, MAX_BODY_BYTES, MAX_BATCH_RECORDS, UNKNOWN_FIELDS, FILL_IP_FROM_SOURCE,
 * PUT_MAX_ATTEMPTS.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLogger } from '../../shared/log.js';
import { sqsRejectsSink } from '../lib/rejects.js';
import { ingestSettingsFromEnv, kinesisPutRecords, requestFromEvent } from './handler.js';
import { ingest } from './core.js';

const log = createLogger('clickstream-ingest');
const settings = ingestSettingsFromEnv(process.env);
// The core retries refused entries itself; the SDK's own retries cover whole-call network and 5xx errors.
// HTTP/1.1 keep-alive: the Kinesis client defaults to HTTP/2, which only SubscribeToShard needs.
const kinesis = new KinesisClient({ maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 5000 }) });
const sqs = new SQSClient({});
const ports = {
  putRecords: kinesisPutRecords(kinesis),
  rejects: sqsRejectsSink(sqs, requiredEnv('REJECTS_QUEUE_URL')),
  log,
};

function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  ingest(requestFromEvent(event), settings, ports);
