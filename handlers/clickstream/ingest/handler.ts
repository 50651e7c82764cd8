/**
 * Pure glue between Lambda and the ingest core: settings from the environment (validated, with the same
 * defaults as config/clickstream.ts), the API Gateway HTTP API event (payload 2.0) turned into an IngestRequest,
 * and the Kinesis adapter.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { choiceEnv, intEnv, requireEnv, boolEnv } from '../../shared/env.js';
import type { IngestRequest, IngestSettings, PutRecordsFn } from './core.js';

export function ingestSettingsFromEnv(env: NodeJS.ProcessEnv): IngestSettings {
  const streamName = requireEnv(env, 'STREAM_NAME');
  const unknownFields = choiceEnv(env, 'UNKNOWN_FIELDS', 'reject', ['reject', 'ignore'] as const);
  return {
    streamName,
    maxBodyBytes: intEnv(env, 'MAX_BODY_BYTES', 5 * 1024 * 1024, 1, 6_000_000),
    maxBatchRecords: intEnv(env, 'MAX_BATCH_RECORDS', 500, 1, 500),
    unknownFields,
    fillIpFromSource: boolEnv(env, 'FILL_IP_FROM_SOURCE', true),
    putMaxAttempts: intEnv(env, 'PUT_MAX_ATTEMPTS', 4, 1, 10),
  };
}

export function requestFromEvent(event: APIGatewayProxyEventV2): IngestRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
  return {
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    headers,
    sourceIp: event.requestContext?.http?.sourceIp,
    requestId: event.requestContext?.requestId,
  };
}

/** PutRecords through an SDK client. */
export function kinesisPutRecords(client: Pick<KinesisClient, 'send'>): PutRecordsFn {
  return (input) => client.send(new PutRecordsCommand({ StreamName: input.StreamName, Records: input.Records }));
}
