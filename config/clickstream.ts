import { ConfigError, bool, corsOrigins, int, join, oneOf, onlyKeys, regions, section, type AwsRegion, type Raw } from './validate.js';

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
export interface ClickstreamConfig {
  /** Synthesize clickstream stacks at all. Default false. */
  readonly enabled: boolean;
  /** AWS regions, one stack `clickstream-<region>` each. Default ["us-east-1"]. */
  readonly regions: readonly AwsRegion[];

  /** Origins allowed by CORS on POST /report (e.g. "https://shop.example.com"); empty (default) turns CORS off. */
  readonly corsAllowOrigins: readonly string[];
  /** Stage throttling: steady requests per second (default 100) and burst (default 200). */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** Largest request body in bytes; larger ones get 413. Default 5 MiB (5242880), at most 6000000. */
  readonly maxBodyBytes: number;
  /** Most records in one batch POST; more get 413. Default 500 (1-500). */
  readonly maxBatchRecords: number;
  /** Fields outside the record schema: "reject" (default, 400) or "ignore" (dropped before writing). */
  readonly unknownFields: ClickstreamUnknownFields;
  /** Fill a missing `ip` from the request's source address. Default true. */
  readonly fillIpFromSource: boolean;
  /** Ingest Lambda memory (MB, default 256), timeout (s, 3-29, default 10). */
  readonly ingestMemoryMb: number;
  readonly ingestTimeoutSeconds: number;
  /** PutRecords attempts before answering 503 (1-10, default 4). */
  readonly putMaxAttempts: number;

  /** Kinesis capacity mode: "on-demand" (default) or "provisioned" with `shardCount` shards (default 1). */
  readonly streamMode: ClickstreamStreamMode;
  readonly shardCount: number;
  /** Stream retention in hours (24-8760). Default 24. */
  readonly streamRetentionHours: number;

  /** Processor event source: batch size (1-10000, default 100), batching window (0-300 s, default 1). */
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Retries of a failing batch (0-10000, default 3) and the oldest record age retried (60-604800 s, default 3600). */
  readonly maximumRetryAttempts: number;
  readonly maximumRecordAgeSeconds: number;
  /** Concurrent batches per shard (1-10). Default 1. */
  readonly parallelizationFactor: number;
  /** Processor Lambda memory (MB, default 256) and timeout (s, default 60). */
  readonly processMemoryMb: number;
  readonly processTimeoutSeconds: number;
  /** BatchWriteItem attempts per chunk of 25 before the records are reported as failures (1-10, default 5). */
  readonly writeMaxAttempts: number;

  /** Days after which table items expire through DynamoDB TTL; 0 (default) keeps them. */
  readonly ttlDays: number;
  /** Days the rejects queue keeps a message (1-14). Default 14. */
  readonly rejectsRetentionDays: number;

  /** Alarm when the processor's iterator age exceeds this many seconds. Default 300. */
  readonly iteratorAgeAlarmSeconds: number;
  /** Alarm when the API returns at least this many 5xx responses in 5 minutes. Default 1. */
  readonly api5xxAlarmThreshold: number;
}

const KEYS = [
  'enabled', 'regions', 'corsAllowOrigins', 'throttlingRateLimit', 'throttlingBurstLimit', 'maxBodyBytes',
  'maxBatchRecords', 'unknownFields', 'fillIpFromSource', 'ingestMemoryMb', 'ingestTimeoutSeconds', 'putMaxAttempts',
  'streamMode', 'shardCount', 'streamRetentionHours', 'batchSize', 'maxBatchingWindowSeconds', 'maximumRetryAttempts',
  'maximumRecordAgeSeconds', 'parallelizationFactor', 'processMemoryMb', 'processTimeoutSeconds', 'writeMaxAttempts',
  'ttlDays', 'rejectsRetentionDays', 'iteratorAgeAlarmSeconds', 'api5xxAlarmThreshold',
] as const;

export function parseClickstreamConfig(raw: unknown, path = 'clickstream'): ClickstreamConfig {
  const o: Raw = section(raw, path);
  onlyKeys(o, path, KEYS);
  const cfg: ClickstreamConfig = {
    enabled: bool(o, path, 'enabled', false),
    regions: regions(o, path, 'regions', ['us-east-1']),
    corsAllowOrigins: corsOrigins(o, path, 'corsAllowOrigins'),
    throttlingRateLimit: int(o, path, 'throttlingRateLimit', 100, { min: 1, max: 100_000 }),
    throttlingBurstLimit: int(o, path, 'throttlingBurstLimit', 200, { min: 1, max: 100_000 }),
    maxBodyBytes: int(o, path, 'maxBodyBytes', CLICKSTREAM_DEFAULT_MAX_BODY_BYTES, { min: 1024, max: CLICKSTREAM_MAX_BODY_BYTES_LIMIT }),
    maxBatchRecords: int(o, path, 'maxBatchRecords', CLICKSTREAM_MAX_BATCH_RECORDS, { min: 1, max: CLICKSTREAM_MAX_BATCH_RECORDS }),
    unknownFields: oneOf(o, path, 'unknownFields', 'reject', CLICKSTREAM_UNKNOWN_FIELDS),
    fillIpFromSource: bool(o, path, 'fillIpFromSource', true),
    ingestMemoryMb: int(o, path, 'ingestMemoryMb', 256, { min: 128, max: 10240 }),
    // HTTP API integrations time out after 30 s.
    ingestTimeoutSeconds: int(o, path, 'ingestTimeoutSeconds', 10, { min: 3, max: 29 }),
    putMaxAttempts: int(o, path, 'putMaxAttempts', 4, { min: 1, max: 10 }),
    streamMode: oneOf(o, path, 'streamMode', 'on-demand', CLICKSTREAM_STREAM_MODES),
    shardCount: int(o, path, 'shardCount', 1, { min: 1, max: 500 }),
    streamRetentionHours: int(o, path, 'streamRetentionHours', 24, { min: 24, max: 8760 }),
    batchSize: int(o, path, 'batchSize', 100, { min: 1, max: 10_000 }),
    maxBatchingWindowSeconds: int(o, path, 'maxBatchingWindowSeconds', 1, { min: 0, max: 300 }),
    maximumRetryAttempts: int(o, path, 'maximumRetryAttempts', 3, { min: 0, max: 10_000 }),
    maximumRecordAgeSeconds: int(o, path, 'maximumRecordAgeSeconds', 3600, { min: 60, max: 604_800 }),
    parallelizationFactor: int(o, path, 'parallelizationFactor', 1, { min: 1, max: 10 }),
    processMemoryMb: int(o, path, 'processMemoryMb', 256, { min: 128, max: 10240 }),
    processTimeoutSeconds: int(o, path, 'processTimeoutSeconds', 60, { min: 3, max: 900 }),
    writeMaxAttempts: int(o, path, 'writeMaxAttempts', 5, { min: 1, max: 10 }),
    ttlDays: int(o, path, 'ttlDays', 0, { min: 0, max: 36_500 }),
    rejectsRetentionDays: int(o, path, 'rejectsRetentionDays', 14, { min: 1, max: 14 }),
    iteratorAgeAlarmSeconds: int(o, path, 'iteratorAgeAlarmSeconds', 300, { min: 1, max: 604_800 }),
    api5xxAlarmThreshold: int(o, path, 'api5xxAlarmThreshold', 1, { min: 1, max: 1_000_000 }),
  };
  if (cfg.shardCount !== 1 && cfg.streamMode !== 'provisioned') {
    throw new ConfigError(join(path, 'shardCount'), 'applies only when streamMode is "provisioned"');
  }
  if (cfg.throttlingBurstLimit < cfg.throttlingRateLimit) {
    throw new ConfigError(join(path, 'throttlingBurstLimit'), `must be at least throttlingRateLimit (${cfg.throttlingRateLimit})`);
  }
  // Every retry of the processor's batch re-reads it; its oldest record must still be in the stream.
  if (cfg.maximumRecordAgeSeconds > cfg.streamRetentionHours * 3600) {
    throw new ConfigError(join(path, 'maximumRecordAgeSeconds'), `must not exceed the stream retention (${cfg.streamRetentionHours * 3600} s)`);
  }
  return cfg;
}
