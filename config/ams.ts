import { z } from 'zod';
import { ADVERTISING_REGIONS, AMS_DATASET_IDS } from '../contracts/ams.js';
import { asInt, bool, int, listOf, listOfOrAll, oneOf, parseWith, rules, section, str } from './validate.js';
import { amsMonitoringSchema } from './monitoring.js';

export const AMS_DELIVERY_VARIANTS = ['sqs', 'firehose'] as const;
export type AmsDelivery = (typeof AMS_DELIVERY_VARIANTS)[number];

/** Default first day of the projected partitions (config `ams.partitionStartDate`). */
export const DEFAULT_PARTITION_START_DATE = '2024-01-01';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const partitionStartDate = str({ pattern: DATE, hint: `a date YYYY-MM-DD, e.g. "${DEFAULT_PARTITION_START_DATE}"` })
  .superRefine((v, ctx) => {
    if (!DATE.test(v)) return;
    const [y, m, d] = v.split('-').map(Number);
    if (new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) !== v) {
      ctx.addIssue({ code: 'custom', input: v, message: `${JSON.stringify(v)} is not a date; use YYYY-MM-DD, e.g. "${DEFAULT_PARTITION_START_DATE}"` });
    } else if (v < '2020-01-01' || v > '2099-12-31') ctx.addIssue({ code: 'custom', input: v, message: `${v} is outside 2020-01-01..2099-12-31` });
  })
  .meta({ format: 'date' });

/** Amazon Marketing Stream pipeline settings (config key `ams`). */
export const amsSchema = rules(
  section({
    enabled: bool().default(true).describe('Synthesize AMS stacks at all.'),
    delivery: oneOf(AMS_DELIVERY_VARIANTS).default('sqs').describe(
      '"sqs": Amazon\'s SNS topics publish into our SQS queue, a fan-out Lambda republishes each record to our SNS topic, Firehose writes it to S3. ' +
        '"firehose": Amazon delivers straight into our Firehose stream through the subscriber/subscription roles.',
    ),
    regions: listOf(ADVERTISING_REGIONS).default([...ADVERTISING_REGIONS]).describe('Advertising regions (NA -> us-east-1, EU -> eu-west-1, FE -> us-west-2).'),
    datasets: listOfOrAll(AMS_DATASET_IDS).prefault(['*']).describe(`Dataset ids, or ["*"] for all ${AMS_DATASET_IDS.length}.`),
    dataRetentionDays: int(0, 36500).default(0).describe('Days after which raw S3 objects expire; 0 keeps them forever.'),
    bufferingSizeMiB: int(1, 128).default(64).describe('Firehose buffering size, MiB.'),
    bufferingIntervalSeconds: int(0, 900).default(300).describe('Firehose buffering interval, seconds.'),
    fanOutMemoryMb: int(128, 10240).default(256).describe('Fan-out Lambda memory, MB.'),
    fanOutTimeoutSeconds: int(3, 900).default(30).describe('Fan-out Lambda timeout, seconds (the ingress queue\'s visibility timeout is 6x this).'),
    batchSize: int(1, 10000).default(100).describe('SQS event source batch size.'),
    maxBatchingWindowSeconds: int(0, 300).default(5).describe('SQS event source batching window, seconds (at least 1 when batchSize is above 10).'),
    maxReceiveCount: int(1, 1000).default(5).describe('Receives before a message moves to the DLQ.'),
    visibleMessagesAlarmThreshold: int(1, 100_000_000).default(10000).describe('Alarm threshold on visible messages (Amazon\'s CloudWatch template).'),
    oldestMessageAgeAlarmSeconds: int(60, 1_209_600).default(3600).describe('Alarm threshold on the oldest message age, seconds (Amazon\'s CloudWatch template).'),
    glue: bool().default(true).describe('Glue database/tables and Athena named queries.'),
    partitionStartDate: partitionStartDate.default(DEFAULT_PARTITION_START_DATE).describe(
      'First day (YYYY-MM-DD, 2020-01-01 or later) of the data the Glue tables project: partition projection covers the years from this date\'s year to NOW. Set it to the year of your first deployment.',
    ),
    monitoring: amsMonitoringSchema.prefault({}),
  }),
  (v, fail) => {
    // The ingress visibility timeout is 6x the fan-out timeout: the 900 s Lambda maximum gives 5400 s, well inside
    // the 12-hour SQS limit, so the timeout's range is the only check needed.
    // SQS requires a batching window of at least 1 s when the batch size exceeds 10.
    const batchSize = asInt(v.batchSize);
    const window = asInt(v.maxBatchingWindowSeconds);
    if (batchSize !== undefined && window !== undefined && batchSize > 10 && window < 1) fail('maxBatchingWindowSeconds', 'must be at least 1 when batchSize is above 10');
  },
).describe('Amazon Marketing Stream (docs/ams.md#configuration).');

/** Amazon Marketing Stream pipeline settings (config key `ams`). */
export type AmsConfig = z.output<typeof amsSchema>;

export function parseAmsConfig(raw: unknown): AmsConfig {
  return parseWith(amsSchema, raw === undefined ? {} : raw, ['ams']);
}
