import { ADVERTISING_REGIONS, AMS_DATASET_IDS, type AdvertisingRegion } from '../contracts/ams.js';
import { ConfigError, bool, int, join, listOf, oneOf, onlyKeys, section, type Raw } from './validate.js';

export const AMS_DELIVERY_VARIANTS = ['sqs', 'firehose'] as const;
export type AmsDelivery = (typeof AMS_DELIVERY_VARIANTS)[number];

/** Amazon Marketing Stream pipeline settings (config key `ams`). */
export interface AmsConfig {
  /** Synthesize AMS stacks at all. Default true. */
  readonly enabled: boolean;
  /**
   * `sqs` (default): Amazon's SNS topics publish into our SQS queue, a fan-out Lambda republishes each record
   * to our SNS topic, Firehose writes it to S3. `firehose`: Amazon delivers straight into our Firehose stream
   * through the subscriber/subscription roles.
   */
  readonly delivery: AmsDelivery;
  /** Advertising regions (NA -> us-east-1, EU -> eu-west-1, FE -> us-west-2). Default all three. */
  readonly regions: readonly AdvertisingRegion[];
  /** Dataset ids, or ["*"] for all 23. Default ["*"]. */
  readonly datasets: readonly string[];
  /** Days after which raw S3 objects expire; 0 keeps them forever. Default 0. */
  readonly dataRetentionDays: number;
  /** Firehose buffering: size in MiB (1-128, default 64) and interval in seconds (0-900, default 300). */
  readonly bufferingSizeMiB: number;
  readonly bufferingIntervalSeconds: number;
  /** Fan-out Lambda memory (MB, default 256) and timeout (s, default 30). */
  readonly fanOutMemoryMb: number;
  readonly fanOutTimeoutSeconds: number;
  /** SQS event source batch size (1-10000, default 100) and batching window (s, default 5). */
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Receives before a message moves to the DLQ. Default 5. */
  readonly maxReceiveCount: number;
  /** Alarm thresholds from Amazon's CloudWatch template. Defaults 10000 messages and 3600 s. */
  readonly visibleMessagesAlarmThreshold: number;
  readonly oldestMessageAgeAlarmSeconds: number;
  /** Glue database/tables and Athena named queries. Default true. */
  readonly glue: boolean;
  /**
   * First day (YYYY-MM-DD, 2020-01-01 or later) of the data the Glue tables project: partition projection covers
   * the years from this date's year to NOW. Default "2024-01-01"; set it to the year of your first deployment.
   */
  readonly partitionStartDate: string;
}

const KEYS = [
  'enabled', 'delivery', 'regions', 'datasets', 'dataRetentionDays', 'bufferingSizeMiB',
  'bufferingIntervalSeconds', 'fanOutMemoryMb', 'fanOutTimeoutSeconds', 'batchSize',
  'maxBatchingWindowSeconds', 'maxReceiveCount', 'visibleMessagesAlarmThreshold',
  'oldestMessageAgeAlarmSeconds', 'glue', 'partitionStartDate',
] as const;

/** Default first day of the projected partitions (config `ams.partitionStartDate`). */
export const DEFAULT_PARTITION_START_DATE = '2024-01-01';

function startDate(o: Raw, path: string): string {
  const v = o.partitionStartDate;
  if (v === undefined) return DEFAULT_PARTITION_START_DATE;
  const key = join(path, 'partitionStartDate');
  const m = typeof v === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) : null;
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== v) {
    throw new ConfigError(key, `${JSON.stringify(v)} is not a date; use YYYY-MM-DD, e.g. "${DEFAULT_PARTITION_START_DATE}"`);
  }
  if (v < '2020-01-01' || v > '2099-12-31') throw new ConfigError(key, `${v} is outside 2020-01-01..2099-12-31`);
  return v;
}

export function parseAmsConfig(raw: unknown, path = 'ams'): AmsConfig {
  const o: Raw = section(raw, path);
  onlyKeys(o, path, KEYS);
  const cfg: AmsConfig = {
    enabled: bool(o, path, 'enabled', true),
    delivery: oneOf(o, path, 'delivery', 'sqs', AMS_DELIVERY_VARIANTS),
    regions: listOf(o, path, 'regions', ADVERTISING_REGIONS, ADVERTISING_REGIONS, { minItems: 1 }),
    datasets: listOf(o, path, 'datasets', ['*'], AMS_DATASET_IDS, { wildcard: true, minItems: 1 }),
    dataRetentionDays: int(o, path, 'dataRetentionDays', 0, { min: 0, max: 36500 }),
    bufferingSizeMiB: int(o, path, 'bufferingSizeMiB', 64, { min: 1, max: 128 }),
    bufferingIntervalSeconds: int(o, path, 'bufferingIntervalSeconds', 300, { min: 0, max: 900 }),
    fanOutMemoryMb: int(o, path, 'fanOutMemoryMb', 256, { min: 128, max: 10240 }),
    fanOutTimeoutSeconds: int(o, path, 'fanOutTimeoutSeconds', 30, { min: 3, max: 900 }),
    batchSize: int(o, path, 'batchSize', 100, { min: 1, max: 10000 }),
    maxBatchingWindowSeconds: int(o, path, 'maxBatchingWindowSeconds', 5, { min: 0, max: 300 }),
    maxReceiveCount: int(o, path, 'maxReceiveCount', 5, { min: 1, max: 1000 }),
    visibleMessagesAlarmThreshold: int(o, path, 'visibleMessagesAlarmThreshold', 10000, { min: 1, max: 100_000_000 }),
    oldestMessageAgeAlarmSeconds: int(o, path, 'oldestMessageAgeAlarmSeconds', 3600, { min: 60, max: 1_209_600 }),
    glue: bool(o, path, 'glue', true),
    partitionStartDate: startDate(o, path),
  };
  // The ingress visibility timeout is 6x the fan-out timeout: the 900 s Lambda maximum gives 5400 s, well inside
  // the 12-hour SQS limit, so the timeout's range is the only check needed.
  // SQS requires a batching window of at least 1 s when the batch size exceeds 10.
  if (cfg.batchSize > 10 && cfg.maxBatchingWindowSeconds < 1) {
    throw new ConfigError(join(path, 'maxBatchingWindowSeconds'), 'must be at least 1 when batchSize is above 10');
  }
  return cfg;
}
