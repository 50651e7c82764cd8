/**
 * Contracts of the clickstream pipeline shared by stacks/clickstream/, handlers/clickstream/ and
 * cli/clickstream/: the route, the Terraform outputs, the table's key attributes and the environment of each
 * Lambda. No cdktf import.
 */
import type { HandlerEnvContract } from './env.js';
import { handlerZipName } from './handlers.js';

/** The one route of the HTTP API, and the path the ingest Lambda serves. */
export const CLICKSTREAM_ROUTE = { method: 'POST', path: '/report' } as const;
/** The API Gateway route key of CLICKSTREAM_ROUTE ("POST /report"). */
export const CLICKSTREAM_ROUTE_KEY = `${CLICKSTREAM_ROUTE.method} ${CLICKSTREAM_ROUTE.path}` as const;

/** Terraform outputs of every clickstream stack (`report_url` is what cli/clickstream/generator.ts posts to). */
export const CLICKSTREAM_OUTPUTS = {
  reportUrl: 'report_url',
  apiId: 'api_id',
  streamName: 'stream_name',
  streamArn: 'stream_arn',
  tableName: 'table_name',
  rejectsQueueUrl: 'rejects_queue_url',
  failureQueueUrl: 'failure_queue_url',
} as const;

/** Key attributes of the clickstream table: the stack declares them, the processor writes them. */
export const CLICKSTREAM_TABLE_KEYS = { partition: 'ip', sort: 'sk', ttl: 'expiresAt' } as const;

/** The ingest Lambda (handlers/clickstream/ingest): POST /report -> Kinesis, refused bodies -> rejects queue. */
export const CLICKSTREAM_INGEST = {
  zip: handlerZipName('clickstream', 'ingest'),
  service: 'clickstream-ingest',
  env: {
    streamName: 'STREAM_NAME',
    rejectsQueueUrl: 'REJECTS_QUEUE_URL',
    maxBodyBytes: 'MAX_BODY_BYTES',
    maxBatchRecords: 'MAX_BATCH_RECORDS',
    unknownFields: 'UNKNOWN_FIELDS',
    fillIpFromSource: 'FILL_IP_FROM_SOURCE',
    putMaxAttempts: 'PUT_MAX_ATTEMPTS',
  },
} as const satisfies HandlerEnvContract;

/** The processor Lambda (handlers/clickstream/process): Kinesis -> DynamoDB, ineligible records -> rejects queue. */
export const CLICKSTREAM_PROCESS = {
  zip: handlerZipName('clickstream', 'process'),
  service: 'clickstream-process',
  env: {
    tableName: 'TABLE_NAME',
    rejectsQueueUrl: 'REJECTS_QUEUE_URL',
    unknownFields: 'UNKNOWN_FIELDS',
    writeMaxAttempts: 'WRITE_MAX_ATTEMPTS',
    ttlDays: 'TTL_DAYS',
  },
} as const satisfies HandlerEnvContract;
