/**
 * Pure glue between Lambda and the ingest core: settings from the environment (validated, with the same
 * defaults as config/clickstream.ts), the API Gateway HTTP API event (payload 2.0) turned into an IngestRequest,
 * and the Kinesis adapter.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IngestRequest, IngestSettings, PutRecordsFn } from './ingest.js';

function intEnv(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`environment variable ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return v;
}

export function ingestSettingsFromEnv(env: NodeJS.ProcessEnv): IngestSettings {
  const streamName = env.STREAM_NAME;
  if (!streamName) throw new Error('environment variable STREAM_NAME is not set');
  const unknownFields = env.UNKNOWN_FIELDS ?? 'reject';
  if (unknownFields !== 'reject' && unknownFields !== 'ignore') {
    throw new Error(`environment variable UNKNOWN_FIELDS must be "reject" or "ignore", got ${JSON.stringify(unknownFields)}`);
  }
  const fill = env.FILL_IP_FROM_SOURCE ?? 'true';
  if (fill !== 'true' && fill !== 'false') throw new Error(`environment variable FILL_IP_FROM_SOURCE must be "true" or "false", got ${JSON.stringify(fill)}`);
  return {
    streamName,
    maxBodyBytes: intEnv(env, 'MAX_BODY_BYTES', 5 * 1024 * 1024, 1, 6_000_000),
    maxBatchRecords: intEnv(env, 'MAX_BATCH_RECORDS', 500, 1, 500),
    unknownFields,
    fillIpFromSource: fill === 'true',
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
