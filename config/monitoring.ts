/**
 * Loss-detection settings of every pipeline (config key `<pipeline>.monitoring`, docs/operations.md): the
 * accepted-versus-stored alarm, the volume-drop alarm and, per pipeline, its own extra (AMS: hours without a
 * delivered record, per dataset; clickstream: the reject rate).
 */
import { z } from 'zod';
import { AMS_DATASET_IDS } from '../contracts/ams.js';
import { AMS_SCHEMAS } from '../contracts/ams-schemas.js';
import { asInt, bool, describe, int, oneOf, oneOfNumbers, rules, section } from './validate.js';

export const VOLUME_DROP_MODES = ['anomaly', 'floor', 'off'] as const;
export type VolumeDropMode = (typeof VOLUME_DROP_MODES)[number];

/** Periods the loss alarms accept: multiples of a minute that divide a day (CloudWatch's 60 s metric resolution). */
export const MONITORING_PERIODS = [300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;

/** PutMetricAlarm: period x evaluation periods at most 1 day below a one-hour period, 7 days otherwise. */
function rangeLimit(period: number): number {
  return period < 3600 ? 86_400 : 604_800;
}
function checkRange(period: unknown, periods: unknown, fail: (message: string) => void): void {
  const p = asInt(period);
  const n = asInt(periods);
  if (p !== undefined && n !== undefined && p * n > rangeLimit(p)) {
    fail(`${n} periods of ${p} s exceed CloudWatch's evaluation range of ${rangeLimit(p)} s`);
  }
}

function volumeDropSchema(silenceIsDropDefault: boolean) {
  return rules(
    section({
      mode: oneOf(VOLUME_DROP_MODES).default('anomaly').describe(
        '"anomaly": alarm when incoming records fall below CloudWatch\'s anomaly detection band; "floor": below `floor` records per period; "off": no alarm.',
      ),
      bandWidth: int(1, 10).default(2).describe('Width of the anomaly detection band, in standard deviations ("anomaly" mode).'),
      floor: int(1, 1_000_000_000).default(1).describe('Fewest incoming records per period ("floor" mode).'),
      periodSeconds: oneOfNumbers(MONITORING_PERIODS).default(3600).describe('Period over which incoming records are summed, seconds.'),
      evaluationPeriods: int(1, 168).default(3).describe('Periods in a row below the band or floor before the alarm fires.'),
      silenceIsDrop: bool().default(silenceIsDropDefault).describe('A period without any data point counts as a drop (the pipeline went silent).'),
    }),
    (v, fail) => checkRange(v.periodSeconds, v.evaluationPeriods, (m) => fail('evaluationPeriods', m)),
  ).describe('Volume-drop alarm: incoming records fall below what is expected.');
}

const lossShape = (silenceIsDropDefault: boolean, dashboardDefault = true, dashboardText = 'Create the stack\'s CloudWatch dashboard') => ({
  lossPercent: int(0, 100).default(5).describe(
    'Accepted-versus-stored alarm: share of accepted records not stored, percent, above which a period counts as lossy; 0 turns the alarm off.',
  ),
  lossPeriodSeconds: oneOfNumbers(MONITORING_PERIODS).default(3600).describe('Accepted-versus-stored alarm: period compared, seconds.'),
  lossEvaluationPeriods: int(1, 168).default(3).describe('Accepted-versus-stored alarm: lossy periods in a row before it fires.'),
  volumeDrop: volumeDropSchema(silenceIsDropDefault).prefault({}),
  dashboard: bool().default(dashboardDefault).describe(
    `${dashboardText} (CloudWatch bills each dashboard beyond the first three of an account, about $3 a month).`,
  ),
});

const lossRules = (v: { lossPeriodSeconds?: unknown; lossEvaluationPeriods?: unknown }, fail: (key: string, message: string) => void) =>
  checkRange(v.lossPeriodSeconds, v.lossEvaluationPeriods, (m) => fail('lossEvaluationPeriods', m));

const LOSS_DESCRIPTION = 'Loss detection (docs/operations.md): accepted versus stored, volume drop';

/** `ams.monitoring`. */
export const amsMonitoringSchema = rules(
  section({
    ...lossShape(
      true,
      false,
      'Create a CloudWatch dashboard per dataset and region (one per AMS stack: 69 with every dataset in every region; off by default, regionDashboard covers them)',
    ),
    regionDashboard: bool().default(true).describe(
      'Create one overview dashboard per advertising region, `<prefix>-<short region>-ams-overview`, with every configured dataset of the region (kept by the stack of the region\'s first dataset in `datasets` order; about $3 a month each beyond the first three dashboards of an account).',
    ),
    noDeliveryHours: int(0, 168).default(6).describe(
      'Performance datasets (traffic, conversion, clickstream, rich media: hourly deltas): hours without a record delivered to S3 before the no-delivery alarm fires, while the dataset is deployed; 0 turns it off.',
    ),
    noDeliveryHoursOnChange: int(0, 168).default(168).describe(
      'Datasets Amazon sends only when something changes (campaign management entities, budget usage, recommendations): hours without a delivered record before the no-delivery alarm fires (at most 168, CloudWatch\'s 7-day evaluation range); 0 turns it off.',
    ),
    noDeliveryHoursByDataset: z
      .partialRecord(z.enum(AMS_DATASET_IDS, { error: (iss) => `${describe(iss.input)} is not a dataset id; allowed: ${AMS_DATASET_IDS.join(', ')}` }), int(0, 168))
      .default({})
      .describe('Per-dataset noDeliveryHours (e.g. {"budget-usage": 48}) for datasets that are quiet for longer; 0 turns the alarm off for that dataset.'),
  }),
  lossRules,
).describe(`${LOSS_DESCRIPTION}, hours without a delivered record.`);

/** `clickstream.monitoring`. */
export const clickstreamMonitoringSchema = rules(
  section({
    ...lossShape(true),
    rejectRatePercent: int(0, 100).default(5).describe(
      'Reject-rate alarm: share of records refused (kept in the rejects queue), percent, above which a 5-minute period counts (3 in a row fire it); 0 turns it off.',
    ),
  }),
  lossRules,
).describe(`${LOSS_DESCRIPTION}, reject rate.`);

/**
 * `buyWithPrime.monitoring`: partner events follow orders, and a quiet hour is normal for a small store, so by
 * default an hour without any event is not a drop (volumeDrop.silenceIsDrop false).
 */
export const buyWithPrimeMonitoringSchema = rules(section(lossShape(false)), lossRules).describe(`${LOSS_DESCRIPTION}.`);

/** `clientEvents.monitoring`. */
export const clientEventsMonitoringSchema = rules(section(lossShape(true)), lossRules).describe(`${LOSS_DESCRIPTION}.`);

export type LossAlarmSettings = z.output<typeof clientEventsMonitoringSchema>;
export type VolumeDropSettings = LossAlarmSettings['volumeDrop'];
export type ClickstreamMonitoring = z.output<typeof clickstreamMonitoringSchema>;

/**
 * The AMS loss-detection settings of one dataset: its noDeliveryHoursByDataset entry, else noDeliveryHours for a
 * performance dataset (hourly deltas), else noDeliveryHoursOnChange (records sent only on a change).
 */
export interface AmsMonitoring extends LossAlarmSettings {
  readonly noDeliveryHours: number;
}

export function amsMonitoring(config: { readonly ams: { readonly monitoring: z.output<typeof amsMonitoringSchema> } }, datasetId: string): AmsMonitoring {
  const m = config.ams.monitoring;
  const own = (m.noDeliveryHoursByDataset as Partial<Record<string, number>>)[datasetId];
  const hourly = AMS_SCHEMAS[datasetId]?.family === 'performance';
  return { ...m, noDeliveryHours: own ?? (hourly ? m.noDeliveryHours : m.noDeliveryHoursOnChange) };
}
