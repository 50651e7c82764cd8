/**
 * Buy with Prime custom metrics in CloudWatch Embedded Metric Format: one JSON line on stdout per data point,
 * which CloudWatch Logs turns into a metric (Lambda and the ECS awslogs driver alike; no PutMetricData call, no
 * extra permission). The stack's alarms read the same namespace, metric names and dimension (BWP_METRICS).
 */

import { BWP_METRICS } from '../../../contracts/buy-with-prime.js';

/** Names shared by the handlers and the stack's alarms (contracts/buy-with-prime.ts). */
export { BWP_METRICS };

export type MetricName = (typeof BWP_METRICS)[Exclude<keyof typeof BWP_METRICS, 'namespace' | 'dimension'>];

export interface Metrics {
  /** Counts `value` (default 1) of `name`; `reason` is kept as a property of the log line, not a dimension. */
  count(name: MetricName, properties?: Record<string, string>, value?: number): void;
}

/** EMF line writer. `write` defaults to stdout; tests pass their own. */
export class EmfMetrics implements Metrics {
  constructor(
    private readonly stack: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly now: () => number = Date.now,
  ) {}

  count(name: MetricName, properties: Record<string, string> = {}, value = 1): void {
    this.write(
      JSON.stringify({
        ...properties,
        _aws: {
          Timestamp: this.now(),
          CloudWatchMetrics: [{ Namespace: BWP_METRICS.namespace, Dimensions: [[BWP_METRICS.dimension]], Metrics: [{ Name: name, Unit: 'Count' }] }],
        },
        [BWP_METRICS.dimension]: this.stack,
        [name]: value,
      }),
    );
  }
}

/** Keeps counts in memory (tests). */
export class MemoryMetrics implements Metrics {
  readonly points: { name: MetricName; properties: Record<string, string>; value: number }[] = [];
  count(name: MetricName, properties: Record<string, string> = {}, value = 1): void {
    this.points.push({ name, properties, value });
  }
  total(name: MetricName): number {
    return this.points.filter((p) => p.name === name).reduce((a, p) => a + p.value, 0);
  }
}
