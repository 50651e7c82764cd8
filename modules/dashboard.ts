import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import type { Alerts, MetricRef } from './alarms.js';
import type { Naming } from './naming.js';

/** One line of a graph: a metric (with its statistic and label) or a metric math expression over the graph's ids. */
export type DashboardLine =
  | (MetricRef & { readonly label?: string; readonly id?: string; readonly visible?: boolean })
  | { readonly expression: string; readonly label: string; readonly id: string };

export interface DashboardGraph {
  readonly title: string;
  readonly lines: readonly DashboardLine[];
  /** Period of every line, seconds. Default 300. */
  readonly periodSeconds?: number;
  /** Statistic of lines that name none. Default "Sum". */
  readonly stat?: string;
}

export interface PipelineDashboardProps {
  readonly naming: Naming;
  /** Purpose segment of the dashboard name (the stack name without its region, e.g. "clickstream"). */
  readonly purpose: string;
  /** AWS region of every metric on the dashboard (the stack's region). */
  readonly region: string;
  /** The stack's alerts topic: every alarm created through it is shown in the alarm status widgets. */
  readonly alerts: Alerts;
  /** Graphs, two per row, in this order, below the alarms. */
  readonly graphs: readonly DashboardGraph[];
}

/** Grid of the dashboard body: 24 columns; graphs are 12 wide and 6 high. */
const GRID_WIDTH = 24;
const GRAPH_WIDTH = 12;
const GRAPH_HEIGHT = 6;
/** Most alarms one alarm status widget may list. */
export const ALARMS_PER_WIDGET = 100;

/**
 * A CloudWatch dashboard for one pipeline in one region: alarm status widgets listing every alarm of the stack's
 * alerts topic, then the given graphs. The body is deterministic JSON (fixed key order and layout); alarm ARNs are
 * references to the alarm resources, so the dashboard shows exactly the alarms the stack creates. Build it last in
 * the stack, after every alarm.
 */
export class PipelineDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;
  readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    this.dashboardName = props.naming.name('dashboard', props.purpose);
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: this.dashboardName,
      dashboardBody: dashboardBody(props.region, props.alerts.alarms.map((a) => a.arn), props.graphs),
    });
  }
}

/** The dashboard body JSON (CloudWatch's Dashboard Body Structure): alarm status widgets, then the graphs. */
export function dashboardBody(region: string, alarmArns: readonly string[], graphs: readonly DashboardGraph[]): string {
  const widgets: Record<string, unknown>[] = [];
  const y = alarmWidgets(widgets, 0, 'Alarms', alarmArns);
  graphWidgets(widgets, y, region, graphs);
  return JSON.stringify({ widgets });
}

/** Alarm status widgets listing one group of alarms. */
export interface AlarmGroup {
  readonly title: string;
  readonly alarmArns: readonly string[];
}

/**
 * An overview body (the AMS region overview): a Markdown text widget across the grid, the graphs two per row, then
 * one alarm status widget per group (split at 100 alarms). Deterministic: same input, same JSON.
 */
export function overviewBody(region: string, markdown: string, graphs: readonly DashboardGraph[], groups: readonly AlarmGroup[]): string {
  const widgets: Record<string, unknown>[] = [];
  // About two lines of text per grid unit.
  const textHeight = Math.max(2, Math.ceil(markdown.split('\n').length / 2) + 1);
  widgets.push({ type: 'text', x: 0, y: 0, width: GRID_WIDTH, height: textHeight, properties: { markdown } });
  let y = graphWidgets(widgets, textHeight, region, graphs);
  for (const g of groups) if (g.alarmArns.length) y = alarmWidgets(widgets, y, g.title, g.alarmArns);
  return JSON.stringify({ widgets });
}

/** Pushes the alarm status widgets of `alarmArns` (at most 100 each) at row `y`; returns the next free row. */
function alarmWidgets(widgets: Record<string, unknown>[], y: number, title: string, alarmArns: readonly string[]): number {
  for (let i = 0; i < alarmArns.length; i += ALARMS_PER_WIDGET) {
    const chunk = alarmArns.slice(i, i + ALARMS_PER_WIDGET);
    // Alarm status widgets: about 4 alarms per row of 24 columns; 2 grid units per row of alarms.
    const height = Math.max(2, Math.ceil(chunk.length / 4) * 2);
    widgets.push({
      type: 'alarm',
      x: 0,
      y,
      width: GRID_WIDTH,
      height,
      properties: { title: alarmArns.length > ALARMS_PER_WIDGET ? `${title} (${i / ALARMS_PER_WIDGET + 1})` : title, alarms: chunk },
    });
    y += height;
  }
  return y;
}

/** Pushes the graphs, two per row, from row `y`; returns the next free row. */
function graphWidgets(widgets: Record<string, unknown>[], y: number, region: string, graphs: readonly DashboardGraph[]): number {
  graphs.forEach((g, i) => {
    widgets.push({
      type: 'metric',
      x: (i % 2) * GRAPH_WIDTH,
      y: y + Math.floor(i / 2) * GRAPH_HEIGHT,
      width: GRAPH_WIDTH,
      height: GRAPH_HEIGHT,
      properties: {
        title: g.title,
        region,
        view: 'timeSeries',
        stacked: false,
        period: g.periodSeconds ?? 300,
        stat: g.stat ?? 'Sum',
        metrics: g.lines.map(metricLine),
      },
    });
  });
  return y + Math.ceil(graphs.length / 2) * GRAPH_HEIGHT;
}

function metricLine(l: DashboardLine): unknown[] {
  if ('expression' in l) return [{ expression: l.expression, label: l.label, id: l.id }];
  const dims = Object.entries(l.dimensions ?? {}).flat();
  const opts: Record<string, unknown> = {};
  if (l.stat) opts.stat = l.stat;
  if (l.label) opts.label = l.label;
  if (l.id) opts.id = l.id;
  if (l.visible === false) opts.visible = false;
  return [l.namespace, l.metricName, ...dims, ...(Object.keys(opts).length ? [opts] : [])];
}

// ---- graph builders shared by the stacks ----

/** Errors, duration (average and maximum) and throttles of each function, three graphs. */
export function lambdaGraphs(functionNames: readonly string[]): DashboardGraph[] {
  const fn = (name: string, metricName: string, stat?: string, label?: string): DashboardLine => ({
    namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: name }, stat, label: label ?? name,
  });
  return [
    { title: 'Lambda errors', lines: functionNames.map((n) => fn(n, 'Errors')) },
    {
      title: 'Lambda duration (ms)',
      stat: 'Average',
      lines: functionNames.flatMap((n) => [fn(n, 'Duration', 'Average', `${n} avg`), fn(n, 'Duration', 'Maximum', `${n} max`)]),
    },
    { title: 'Lambda throttles', lines: functionNames.map((n) => fn(n, 'Throttles')) },
  ];
}

/** Messages waiting (visible) in each queue: dead-letter queues and other parking places. */
export function queueDepthGraph(title: string, queues: readonly { label: string; queueName: string }[]): DashboardGraph {
  return {
    title,
    stat: 'Maximum',
    lines: queues.map((q) => ({
      namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: q.queueName }, stat: 'Maximum', label: q.label,
    })),
  };
}

/** Age of the oldest record not yet delivered to S3 (DeliveryToS3.DataFreshness, seconds) of each stream. */
export function firehoseFreshnessGraph(streamNames: readonly string[]): DashboardGraph {
  return {
    title: 'Firehose data freshness (s)',
    stat: 'Maximum',
    lines: streamNames.map((n) => ({
      namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.DataFreshness', dimensions: { DeliveryStreamName: n }, stat: 'Maximum', label: n,
    })),
  };
}

/** A Firehose stream's records in and delivered to S3. */
export function firehoseRecords(streamName: string): { incoming: DashboardLine; delivered: DashboardLine } {
  return {
    incoming: { namespace: 'AWS/Firehose', metricName: 'IncomingRecords', dimensions: { DeliveryStreamName: streamName }, label: 'Firehose incoming records' },
    delivered: { namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.Records', dimensions: { DeliveryStreamName: streamName }, label: 'Records delivered to S3' },
  };
}
