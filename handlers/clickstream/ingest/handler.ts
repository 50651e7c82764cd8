/**
 * Pure glue between Lambda and the ingest core: settings from the environment (validated, with the same
 * defaults as config/clickstream.ts), the API Gateway HTTP API event (payload 2.0) turned into an IngestRequest,
 * and the Kinesis adapter.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { CLICKSTREAM_INGEST } from '../../../contracts/clickstream.js';
import { choiceEnv, intEnv, requireEnv, boolEnv } from '../../shared/env.js';
import type { IngestRequest, IngestSettings, PutRecordsFn } from './core.js';

const E = CLICKSTREAM_INGEST.env;

/** The ingest's settings (contracts/clickstream.ts CLICKSTREAM_INGEST), without the rejects queue URL. */
export function ingestSettingsFromEnv(env: NodeJS.ProcessEnv): IngestSettings {
  const streamName = requireEnv(env, E.streamName);
  const unknownFields = choiceEnv(env, E.unknownFields, 'reject', ['reject', 'ignore'] as const);
  return {
    streamName,
    maxBodyBytes: intEnv(env, E.maxBodyBytes, 5 * 1024 * 1024, 1, 6_000_000),
    maxBatchRecords: intEnv(env, E.maxBatchRecords, 500, 1, 500),
    unknownFields,
    fillIpFromSource: boolEnv(env, E.fillIpFromSource, true),
    putMaxAttempts: intEnv(env, E.putMaxAttempts, 4, 1, 10),
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
