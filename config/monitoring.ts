/**
 * Loss-detection settings shared by every pipeline (config key `<pipeline>.monitoring`, docs/operations.md): the
 * accepted-versus-stored alarm, the volume-drop alarm and, per pipeline, its own extra (AMS: hours without a
 * delivered record; clickstream: the reject rate).
 */

export const VOLUME_DROP_MODES = ['anomaly', 'floor', 'off'] as const;
export type VolumeDropMode = (typeof VOLUME_DROP_MODES)[number];

export interface VolumeDropSettings {
  /** "anomaly": below CloudWatch's anomaly detection band; "floor": below `floor` records per period; "off". */
  readonly mode: VolumeDropMode;
  /** Anomaly band width in standard deviations (1-10). Default 2. */
  readonly bandWidth: number;
  /** Fewest incoming records per period ("floor" mode). Default 1. */
  readonly floor: number;
  /** Period, seconds (a multiple of 60, 300-86400). Default 3600. */
  readonly periodSeconds: number;
  /** Periods in a row below the band or floor before the alarm fires. Default 3. */
  readonly evaluationPeriods: number;
  /** A period without any incoming data point counts as a drop. Default true. */
  readonly silenceIsDrop: boolean;
}

export interface LossAlarmSettings {
  /** Share of accepted records not stored, percent, above which a period counts as lossy (0 turns the alarm off). Default 5. */
  readonly lossPercent: number;
  /** Period of the accepted-versus-stored comparison, seconds. Default 3600. */
  readonly lossPeriodSeconds: number;
  /** Lossy periods in a row before the alarm fires. Default 3. */
  readonly lossEvaluationPeriods: number;
  readonly volumeDrop: VolumeDropSettings;
}

export const DEFAULT_VOLUME_DROP: VolumeDropSettings = {
  mode: 'anomaly', bandWidth: 2, floor: 1, periodSeconds: 3600, evaluationPeriods: 3, silenceIsDrop: true,
};

export const DEFAULT_LOSS_ALARMS: LossAlarmSettings = {
  lossPercent: 5, lossPeriodSeconds: 3600, lossEvaluationPeriods: 3, volumeDrop: DEFAULT_VOLUME_DROP,
};

/** AMS: hours without a record delivered to S3 before the no-delivery alarm fires (0 turns it off). Default 6. */
export const DEFAULT_AMS_NO_DELIVERY_HOURS = 6;
/** Clickstream: rejected share of records, percent, above which a 5-minute period counts (0 turns it off). Default 5. */
export const DEFAULT_CLICKSTREAM_REJECT_RATE_PERCENT = 5;

/** The AMS loss-detection settings of one dataset. */
export interface AmsMonitoring extends LossAlarmSettings {
  readonly noDeliveryHours: number;
}

export function amsMonitoring(_config: unknown, _datasetId: string): AmsMonitoring {
  return { ...DEFAULT_LOSS_ALARMS, noDeliveryHours: DEFAULT_AMS_NO_DELIVERY_HOURS };
}

/** The clickstream loss-detection settings. */
export interface ClickstreamMonitoring extends LossAlarmSettings {
  readonly rejectRatePercent: number;
}

export function clickstreamMonitoring(_config: unknown): ClickstreamMonitoring {
  return { ...DEFAULT_LOSS_ALARMS, rejectRatePercent: DEFAULT_CLICKSTREAM_REJECT_RATE_PERCENT };
}

/**
 * Buy with Prime: partner events follow orders, and a quiet hour is normal for a small store, so an hour without any
 * event is not a drop by default (silenceIsDrop false).
 */
export function buyWithPrimeMonitoring(_config: unknown): LossAlarmSettings {
  return { ...DEFAULT_LOSS_ALARMS, volumeDrop: { ...DEFAULT_VOLUME_DROP, silenceIsDrop: false } };
}

export function clientEventsMonitoring(_config: unknown): LossAlarmSettings {
  return DEFAULT_LOSS_ALARMS;
}
