import { z } from 'zod';
import { asInt, asStr, bool, corsOrigins, int, oneOf, parseWith, regions, rules, section } from './validate.js';
import { clickstreamMonitoringSchema } from './monitoring.js';

export const CLICKSTREAM_STREAM_MODES = ['on-demand', 'provisioned'] as const;
export type ClickstreamStreamMode = (typeof CLICKSTREAM_STREAM_MODES)[number];

export const CLICKSTREAM_UNKNOWN_FIELDS = ['reject', 'ignore'] as const;
export type ClickstreamUnknownFields = (typeof CLICKSTREAM_UNKNOWN_FIELDS)[number];

/** Most records one POST may carry (the PutRecords limit). */
export const CLICKSTREAM_MAX_BATCH_RECORDS = 500;
/** Largest request body the ingest handler accepts by default: 5 MiB. */
export const CLICKSTREAM_DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
/** A synchronous Lambda invocation carries at most 6 MB, so larger bodies never reach the handler. */
export const CLICKSTREAM_MAX_BODY_BYTES_LIMIT = 6_000_000;

/** Real-time clickstream pipeline (config key `clickstream`, docs/clickstream.md). */
export const clickstreamSchema = rules(
  section({
    enabled: bool().default(false).describe('Synthesize clickstream stacks at all.'),
    regions: regions().default(['us-east-1']).describe('AWS regions, one stack `clickstream-<region>` each.'),

    corsAllowOrigins: corsOrigins().describe('Origins allowed by CORS on POST /report (e.g. "https://shop.example.com", "https://*.example.com" or "*" alone); empty turns CORS off.'),
    throttlingRateLimit: int(1, 100_000).default(100).describe('Stage throttling: steady requests per second.'),
    throttlingBurstLimit: int(1, 100_000).default(200).describe('Stage throttling: burst (at least throttlingRateLimit).'),
    maxBodyBytes: int(1024, CLICKSTREAM_MAX_BODY_BYTES_LIMIT).default(CLICKSTREAM_DEFAULT_MAX_BODY_BYTES).describe('Largest request body in bytes; larger ones get 413. A synchronous Lambda invocation carries at most 6 MB.'),
    maxBatchRecords: int(1, CLICKSTREAM_MAX_BATCH_RECORDS).default(CLICKSTREAM_MAX_BATCH_RECORDS).describe('Most records in one batch POST (the PutRecords limit); more get 413.'),
    unknownFields: oneOf(CLICKSTREAM_UNKNOWN_FIELDS).default('reject').describe('Fields outside the record schema: "reject" (400) or "ignore" (dropped before writing).'),
    fillIpFromSource: bool().default(true).describe('Fill a missing `ip` from the request\'s source address.'),
    ingestMemoryMb: int(128, 10240).default(256).describe('Ingest Lambda memory, MB.'),
    // HTTP API integrations time out after 30 s.
    ingestTimeoutSeconds: int(3, 29).default(10).describe('Ingest Lambda timeout, seconds (HTTP API integrations time out after 30 s).'),
    ingestReservedConcurrency: int(0, 1000).default(100).describe('Concurrent ingest invocations reserved (and allowed at most) for the unauthenticated POST /report. Reserved concurrency caps this public entry point so a flood cannot take the whole Lambda concurrency of the account (default account limit 1000, of which 100 must stay unreserved); 0 reserves nothing (the account pool). Free.'),
    putMaxAttempts: int(1, 10).default(4).describe('PutRecords attempts before answering 503.'),

    streamMode: oneOf(CLICKSTREAM_STREAM_MODES).default('on-demand').describe('Kinesis capacity mode: "on-demand" or "provisioned" with `shardCount` shards.'),
    shardCount: int(1, 500).default(1).describe('Shards of a "provisioned" stream (only with streamMode "provisioned").'),
    streamRetentionHours: int(24, 8760).default(24).describe('Stream retention, hours.'),

    batchSize: int(1, 10_000).default(100).describe('Processor event source batch size.'),
    maxBatchingWindowSeconds: int(0, 300).default(1).describe('Processor event source batching window, seconds.'),
    maximumRetryAttempts: int(0, 10_000).default(3).describe('Retries of a failing batch.'),
    maximumRecordAgeSeconds: int(60, 604_800).default(3600).describe('Oldest record age retried, seconds (at most the stream retention).'),
    parallelizationFactor: int(1, 10).default(1).describe('Concurrent batches per shard.'),
    processMemoryMb: int(128, 10240).default(256).describe('Processor Lambda memory, MB.'),
    processTimeoutSeconds: int(3, 900).default(60).describe('Processor Lambda timeout, seconds.'),
    writeMaxAttempts: int(1, 10).default(5).describe('BatchWriteItem attempts per chunk of 25 before the records are reported as failures.'),

    ttlDays: int(0, 36_500).default(0).describe('Days after which table items expire through DynamoDB TTL; 0 keeps them.'),
    rejectsRetentionDays: int(1, 14).default(14).describe('Days the rejects queue keeps a message.'),

    iteratorAgeAlarmSeconds: int(1, 604_800).default(300).describe('Alarm when the processor\'s iterator age exceeds this many seconds.'),
    api5xxAlarmThreshold: int(1, 1_000_000).default(1).describe('Alarm when the API returns at least this many 5xx responses in 5 minutes.'),
    monitoring: clickstreamMonitoringSchema.prefault({}),
  }),
  (v, fail) => {
    const shardCount = asInt(v.shardCount);
    if (shardCount !== undefined && shardCount !== 1 && asStr(v.streamMode) !== 'provisioned') fail('shardCount', 'applies only when streamMode is "provisioned"');
    const rate = asInt(v.throttlingRateLimit);
    const burst = asInt(v.throttlingBurstLimit);
    if (rate !== undefined && burst !== undefined && burst < rate) fail('throttlingBurstLimit', `must be at least throttlingRateLimit (${rate})`);
    // Every retry of the processor's batch re-reads it; its oldest record must still be in the stream.
    const age = asInt(v.maximumRecordAgeSeconds);
    const hours = asInt(v.streamRetentionHours);
    if (age !== undefined && hours !== undefined && age > hours * 3600) fail('maximumRecordAgeSeconds', `must not exceed the stream retention (${hours * 3600} s)`);
  },
).describe('Real-time clickstream pipeline (docs/clickstream.md).');

/** Real-time clickstream pipeline (config key `clickstream`, docs/clickstream.md). */
export type ClickstreamConfig = z.output<typeof clickstreamSchema>;

export function parseClickstreamConfig(raw: unknown): ClickstreamConfig {
  return parseWith(clickstreamSchema, raw === undefined ? {} : raw, ['clickstream']);
}
