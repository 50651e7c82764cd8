/**
 * Loss detection and dashboards (issue 18), synthesized for real over every stack of the default, the full and the
 * Fargate example configs:
 * - every clickstream, client events and Buy with Prime stack has one dashboard (AMS stacks none by default:
 *   ams.monitoring.dashboard is false), named within CloudWatch's rules (1-255 of A-Za-z0-9-_), whose body is valid
 *   JSON in the Dashboard Body Structure (widgets on the 24-column grid), lists every alarm of the stack and no other,
 *   and graphs only metrics of the stack's own resources (dimension values that are its resources' names) or metrics
 *   the stack itself produces (its log metric filters, the Buy with Prime EMF metrics);
 * - AMS: exactly one overview dashboard per advertising region, kept by the region's first dataset stack, graphing
 *   every dataset of the region by the names its stack gives its resources and listing every alarm of those stacks
 *   (ARNs cross-checked against the synthesized alarm names);
 * - every alarm notifies the stack's alerts topic on ALARM and OK;
 * - each pipeline has its loss alarms with the right metrics, thresholds and missing-data treatment;
 * - the alarm builders refuse evaluation ranges PutMetricAlarm refuses (at most 1 day below a one-hour period, 7 days
 *   otherwise);
 * - the clickstream metric filters read fields the processor's real logger writes at the top level of its line.
 */
import '../../lib/fast-synth.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, TerraformStack, Testing } from 'cdktf';
import { configWith, loadConfig, parseConfig } from '../../config/index.js';
import { amsMonitoring } from '../../config/monitoring.js';
import { AMS_SCHEMAS } from '../../contracts/ams-schemas.js';
import { fromRoot } from '../../lib/paths.js';
import { Alerts, checkEvaluationRange } from '../../modules/alarms.js';
import { ALARMS_PER_WIDGET, dashboardBody } from '../../modules/dashboard.js';
import { Naming, shortRegion } from '../../modules/naming.js';
import { AMS_OUTPUTS, awsRegionOf, type AdvertisingRegion } from '../../contracts/ams.js';
import type { TributaryConfig } from '../../config/index.js';
import { BWP_METRICS } from '../../handlers/buy-with-prime/lib/metrics.js';
import { createLogger, logOutput } from '../../handlers/shared/log.js';
import { CLICKSTREAM_BATCH_COUNTS, CLICKSTREAM_BATCH_LOG_MESSAGE } from '../../stacks/clickstream/stack.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';

type Body = Record<string, unknown>;
type Widget = { type: string; x: number; y: number; width: number; height: number; properties: Body };
type MetricQuery = { id: string; expression?: string; return_data?: boolean; metric?: { namespace: string; metric_name: string; dimensions?: Record<string, string>; period: number; stat: string } };

const CONFIGS = { default: 'config/default.json', full: 'config/examples/full.json', fargate: 'config/examples/fargate.json' } as const;

const stacks: { config: string; stack: SynthStack }[] = [];
const configs: Record<string, TributaryConfig> = {};
const cleanups: (() => void)[] = [];
beforeAll(() => {
  for (const [name, file] of Object.entries(CONFIGS)) {
    configs[name] = loadConfig(fromRoot(file));
    const s = synthConfig(configs[name]);
    cleanups.push(s.cleanup);
    for (const stack of s.stacks) stacks.push({ config: name, stack });
  }
}, 300_000);
afterAll(() => cleanups.forEach((c) => c()));

const alarmsOf = (s: SynthStack) => resources(s, 'aws_cloudwatch_metric_alarm');
const alarmNamed = (s: SynthStack, suffix: string): Body => {
  const hits = Object.values(alarmsOf(s)).filter((a) => String(a.alarm_name).endsWith(`-${suffix}`));
  expect(hits, `${s.name}: alarm *-${suffix}`).toHaveLength(1);
  return hits[0];
};
const query = (alarm: Body, id: string): MetricQuery => {
  const q = (alarm.metric_query as MetricQuery[]).find((m) => m.id === id);
  expect(q, `metric query ${id} of ${String(alarm.alarm_name)}`).toBeDefined();
  return q!;
};
const dashboardOf = (s: SynthStack): { name: string; widgets: Widget[] } => {
  const all = Object.values(resources(s, 'aws_cloudwatch_dashboard'));
  expect(all, `${s.name} dashboards`).toHaveLength(1);
  return { name: String(all[0].dashboard_name), widgets: (JSON.parse(String(all[0].dashboard_body)) as { widgets: Widget[] }).widgets };
};
const pipelineOf = (s: SynthStack) =>
  String((s.json.provider?.aws?.[0]?.default_tags as { tags: Record<string, string> }[])[0].tags['tributary:pipeline']);
/** The stacks with a dashboard of their own (output dashboard_name): every non-AMS stack of the three configs. */
const withDashboard = () => stacks.filter(({ stack }) => stack.json.output?.dashboard_name !== undefined);

/** Widgets on the 24-column grid, none overlapping; metric widgets graph in `region`. */
function expectGrid(where: string, widgets: Widget[], region: unknown): void {
  const cells = new Set<string>();
  for (const w of widgets) {
    expect(['alarm', 'metric', 'text']).toContain(w.type);
    expect(w.x + w.width, `${where} ${String(w.properties.title)}`).toBeLessThanOrEqual(24);
    expect(Number.isInteger(w.x) && Number.isInteger(w.y) && w.width > 0 && w.height > 0, where).toBe(true);
    for (let x = w.x; x < w.x + w.width; x++) {
      for (let y = w.y; y < w.y + w.height; y++) {
        expect(cells.has(`${x},${y}`), `${where}: overlap at ${x},${y}`).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
    if (w.type === 'metric') {
      expect(w.properties.region).toBe(region);
      expect(Array.isArray(w.properties.metrics) && (w.properties.metrics as unknown[]).length > 0).toBe(true);
    }
  }
}

/** The literal names of the stack's resources (what a metric dimension may hold besides a reference). */
function resourceNames(s: SynthStack): Set<string> {
  const names = new Set<string>();
  for (const byId of Object.values(s.json.resource ?? {})) {
    for (const r of Object.values(byId)) {
      for (const k of ['name', 'function_name', 'dashboard_name']) if (typeof r[k] === 'string') names.add(r[k] as string);
    }
  }
  return names;
}

/** Every `${type.id.attr}` reference in `text` must name a resource of the stack. */
function expectReferencesExist(s: SynthStack, text: string, where: string): void {
  for (const [, type, id] of text.matchAll(/\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.[a-z_]+\}/g)) {
    expect(s.json.resource?.[type]?.[id], `${s.name} ${where}: ${type}.${id}`).toBeDefined();
  }
}

describe('every stack: dashboard and alarm routing', () => {
  it('synthesized the three configs', () => {
    expect(stacks.length).toBeGreaterThan(69);
    expect(new Set(stacks.map((s) => pipelineOf(s.stack)))).toEqual(new Set(['ams', 'buy-with-prime', 'clickstream', 'client-events']));
  });

  it('one dashboard per clickstream, client events and Buy with Prime stack, named within CloudWatch limits, with a dashboard_name output; no per-dataset AMS dashboard by default', () => {
    expect(withDashboard().map(({ stack }) => pipelineOf(stack)).sort()).toEqual(stacks.map(({ stack }) => pipelineOf(stack)).filter((p) => p !== 'ams').sort());
    for (const { stack } of stacks.filter((x) => pipelineOf(x.stack) === 'ams')) {
      // At most the region overview, never a dashboard of its own.
      for (const d of Object.values(resources(stack, 'aws_cloudwatch_dashboard'))) expect(String(d.dashboard_name), stack.name).toMatch(/-ams-overview$/);
    }
    const names = new Set<string>();
    for (const { stack } of withDashboard()) {
      const d = dashboardOf(stack);
      expect(d.name).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
      expect(stack.json.output?.dashboard_name?.value).toBe(d.name);
      names.add(`${stack.json.provider?.aws?.[0]?.region as string}/${d.name}`);
    }
    // Dashboard names are unique per account (and our names per region): no two stacks share one.
    expect(names.size).toBe(withDashboard().length);
  });

  it('the body is valid JSON on the 24-column grid; widgets do not overlap', () => {
    for (const { stack } of withDashboard()) {
      const { widgets } = dashboardOf(stack);
      expect(widgets.every((w) => w.type !== 'text'), stack.name).toBe(true);
      expectGrid(stack.name, widgets, stack.json.provider?.aws?.[0]?.region);
    }
  });

  it('alarm widgets list every alarm of the stack, and only those', () => {
    for (const { stack } of withDashboard()) {
      const listed = dashboardOf(stack).widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms as string[]);
      const all = Object.keys(alarmsOf(stack)).map((id) => `\${aws_cloudwatch_metric_alarm.${id}.arn}`);
      expect(listed.length).toBeGreaterThan(0);
      expect([...listed].sort(), stack.name).toEqual(all.sort());
      for (const w of dashboardOf(stack).widgets.filter((x) => x.type === 'alarm')) {
        expect((w.properties.alarms as string[]).length).toBeLessThanOrEqual(ALARMS_PER_WIDGET);
      }
    }
  });

  it('graphs only metrics of the stack: dimensions name its own resources, custom metrics come from its own filters or EMF', () => {
    for (const { stack } of withDashboard()) {
      const names = resourceNames(stack);
      const filtered = new Set(
        Object.values(resources(stack, 'aws_cloudwatch_log_metric_filter')).map((f) => {
          const t = (f.metric_transformation as { namespace: string; name: string }[] | { namespace: string; name: string });
          const m = Array.isArray(t) ? t[0] : t;
          return `${m.namespace}/${m.name}`;
        }),
      );
      for (const w of dashboardOf(stack).widgets.filter((x) => x.type === 'metric')) {
        for (const line of w.properties.metrics as unknown[][]) {
          if (typeof line[0] !== 'string') continue; // an expression
          const [namespace, metricName, ...rest] = line as string[];
          const dims = rest.filter((x) => typeof x === 'string');
          const where = `${stack.name} "${String(w.properties.title)}" ${namespace} ${metricName}`;
          if (namespace.startsWith('Tributary/')) {
            if (namespace === BWP_METRICS.namespace) {
              expect(dims, where).toEqual([BWP_METRICS.dimension, stack.name]);
              expect(Object.values(BWP_METRICS)).toContain(metricName);
            } else {
              expect(filtered.has(`${namespace}/${metricName}`), where).toBe(true);
            }
            continue;
          }
          expect(namespace, where).toMatch(/^AWS\/(SQS|SNS|Lambda|Firehose|Kinesis|ApiGateway|Events)$/);
          expect(dims.length % 2, where).toBe(0);
          for (let i = 1; i < dims.length; i += 2) {
            const value = dims[i];
            if (value.includes('${')) expectReferencesExist(stack, value, where);
            else if (dims[i - 1] !== 'Stage') expect(names.has(value), `${where}: ${dims[i - 1]}=${value}`).toBe(true);
          }
        }
      }
    }
  });

  it('every alarm notifies the stack\'s alerts topic on ALARM and OK', () => {
    for (const { stack } of stacks) {
      const topics = Object.entries(resources(stack, 'aws_sns_topic')).filter(([, t]) => String(t.name).endsWith('-alerts'));
      expect(topics, stack.name).toHaveLength(1);
      const arn = `\${aws_sns_topic.${topics[0][0]}.arn}`;
      for (const [id, a] of Object.entries(alarmsOf(stack))) {
        expect(a.alarm_actions, `${stack.name} ${id}`).toEqual([arn]);
        expect(a.ok_actions, `${stack.name} ${id}`).toEqual([arn]);
        expectReferencesExist(stack, JSON.stringify(a), id);
      }
    }
  });
});

describe('AMS region overview dashboard', () => {
  /** The AMS stacks of each (config, advertising region), in config dataset order. */
  const regions = () => {
    const out: { config: string; region: AdvertisingRegion; awsRegion: string; cfg: TributaryConfig; stacks: SynthStack[] }[] = [];
    for (const [config, cfg] of Object.entries(configs)) {
      if (!cfg.ams.enabled) continue;
      for (const region of cfg.ams.regions) {
        const regional = cfg.ams.datasets.map((id) => stacks.find((x) => x.config === config && x.stack.name === `ams-${id}-${region.toLowerCase()}`)!.stack);
        expect(regional.every(Boolean)).toBe(true);
        out.push({ config, region, awsRegion: awsRegionOf(region), cfg, stacks: regional });
      }
    }
    return out;
  };
  const overviewOf = (s: SynthStack) => {
    const all = Object.values(resources(s, 'aws_cloudwatch_dashboard'));
    expect(all, `${s.name} overview`).toHaveLength(1);
    return { name: String(all[0].dashboard_name), widgets: (JSON.parse(String(all[0].dashboard_body)) as { widgets: Widget[] }).widgets };
  };
  const graph = (widgets: Widget[], title: RegExp) => {
    const hits = widgets.filter((w) => w.type === 'metric' && title.test(String(w.properties.title)));
    expect(hits, String(title)).toHaveLength(1);
    return hits[0].properties.metrics as unknown[][];
  };
  /** The [namespace, metric, dimension name, value] and label of each line of a graph. */
  const lines = (metrics: unknown[][]) =>
    metrics.map((l) => ({ key: (l.filter((x) => typeof x === 'string') as string[]).join(' '), label: String((l.find((x) => typeof x === 'object') as { label?: string }).label) }));

  it('exactly one per advertising region (default: 3, full: 2), kept by the region\'s first dataset, named <prefix>-<short region>-ams-overview, output ams_overview_dashboard', () => {
    const r = regions();
    expect(r.map((x) => `${x.config}/${x.region}`)).toEqual(['default/NA', 'default/EU', 'default/FE', 'full/NA', 'full/EU']);
    for (const { region, awsRegion, cfg, stacks: regional } of r) {
      const [owner, ...others] = regional;
      const { name } = overviewOf(owner);
      expect(name).toBe(`${cfg.prefix}-${shortRegion(awsRegion)}-ams-overview`);
      expect(name).toBe(new Naming(cfg.prefix, awsRegion).name('dashboard', 'ams-overview'));
      expect(owner.json.output?.[AMS_OUTPUTS.overviewDashboard]?.value).toBe(name);
      expect(owner.json.output?.[AMS_OUTPUTS.advertisingRegion]?.value).toBe(region);
      for (const o of others) {
        expect(resources(o, 'aws_cloudwatch_dashboard'), o.name).toEqual({});
        expect(o.json.output?.[AMS_OUTPUTS.overviewDashboard], o.name).toBeUndefined();
      }
    }
  });

  it('valid JSON on the 24-column grid, a text widget, metrics of the region only, no reference to another stack', () => {
    for (const { awsRegion, stacks: regional } of regions()) {
      const { widgets } = overviewOf(regional[0]);
      expectGrid(regional[0].name, widgets, awsRegion);
      expect(widgets[0]).toMatchObject({ type: 'text', x: 0, y: 0, width: 24 });
      // Dashboard Body Structure: at most 500 widgets; a metrics array held 0-100 metrics (500 today): keep under 100.
      expect(widgets.length).toBeLessThanOrEqual(500);
      for (const w of widgets.filter((x) => x.type === 'metric')) expect((w.properties.metrics as unknown[]).length).toBeLessThanOrEqual(100);
      // Dimension values are names, never Terraform references (each stack is its own state).
      for (const w of widgets.filter((x) => x.type === 'metric')) expect(JSON.stringify(w)).not.toContain('${');
    }
  });

  it('graphs every dataset of the region by the names its stack synthesized: accepted (as its not-stored alarm counts), delivered, DLQs, fan-out, freshness', () => {
    for (const { cfg, stacks: regional } of regions()) {
      const { widgets } = overviewOf(regional[0]);
      const accepted = lines(graph(widgets, /^Records accepted/));
      const delivered = lines(graph(widgets, /^Records delivered to S3$/));
      const freshness = lines(graph(widgets, /^Firehose data freshness/));
      const sqs = cfg.ams.delivery === 'sqs';
      const dlqs = sqs ? lines(graph(widgets, /^Dead-letter/)) : [];
      const fanOut = sqs ? lines(graph(widgets, /^Fan-out Lambda/)) : [];
      if (!sqs) expect(widgets.some((w) => /^(Dead-letter|Fan-out)/.test(String(w.properties.title)))).toBe(false);
      const expected = { accepted: [] as string[], delivered: [] as string[], freshness: [] as string[], dlqs: [] as string[], fanOut: [] as string[] };
      for (const s of regional) {
        const dataset = String(s.json.output?.[AMS_OUTPUTS.datasetId]?.value);
        const stream = String(Object.values(resources(s, 'aws_kinesis_firehose_delivery_stream'))[0].name);
        // The accepted metric is the one the stack's own accepted-versus-stored alarm counts.
        const acc = query(alarmNamed(s, `${dataset}-not-stored`), 'accepted').metric!;
        let accName = Object.values(acc.dimensions!)[0];
        if (accName.includes('${')) {
          const [, type, id] = /\$\{(aws_[a-z_]+)\.([^.}]+)\.name\}/.exec(accName)!;
          accName = String(s.json.resource![type][id].name);
        }
        expected.accepted.push(`${acc.namespace} ${acc.metric_name} ${Object.keys(acc.dimensions!)[0]} ${accName}`);
        expected.delivered.push(`AWS/Firehose DeliveryToS3.Records DeliveryStreamName ${stream}`);
        expected.freshness.push(`AWS/Firehose DeliveryToS3.DataFreshness DeliveryStreamName ${stream}`);
        for (const [id, q] of Object.entries(resources(s, 'aws_sqs_queue'))) {
          // Every dead-letter queue and the undelivered queue (SNS's parking place, construct delivery-failures); not
          // the ingress and confirmation queues. By construct id: long names end in a hash, not in "-dlq".
          if (/^[a-z-]+_dlq_/.test(id) || id.startsWith('delivery-failures_queue_')) expected.dlqs.push(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${String(q.name)}`);
        }
        for (const [id, f] of Object.entries(resources(s, 'aws_lambda_function'))) {
          if (id.startsWith('fan-out_')) expected.fanOut.push(`AWS/Lambda Errors FunctionName ${String(f.function_name)}`, `AWS/Lambda Throttles FunctionName ${String(f.function_name)}`);
        }
        expect(accepted.find((l) => l.key === expected.accepted.at(-1))?.label, s.name).toBe(dataset);
      }
      expect(accepted.map((l) => l.key)).toEqual(expected.accepted);
      expect(delivered.map((l) => l.key)).toEqual(expected.delivered);
      expect(freshness.map((l) => l.key)).toEqual(expected.freshness);
      expect(dlqs.map((l) => l.key).sort()).toEqual(expected.dlqs.sort());
      expect(fanOut.map((l) => l.key).sort()).toEqual(expected.fanOut.sort());
      if (sqs) expect(expected.dlqs.length).toBe(4 * regional.length);
    }
  });

  it('alarm widgets: exactly the alarms the region\'s AMS stacks synthesize, as ARNs in the owning stack\'s account and partition', () => {
    for (const { awsRegion, stacks: regional } of regions()) {
      const owner = regional[0];
      const listed = overviewOf(owner).widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms as string[]);
      for (const w of overviewOf(owner).widgets.filter((x) => x.type === 'alarm')) expect((w.properties.alarms as string[]).length).toBeLessThanOrEqual(ALARMS_PER_WIDGET);
      const synthesized = regional.flatMap((s) => Object.values(alarmsOf(s)).map((a) => `arn:\${local.partition}:cloudwatch:${awsRegion}:\${local.account_id}:alarm:${String(a.alarm_name)}`));
      expect(synthesized.length).toBeGreaterThan(regional.length);
      expect([...listed].sort()).toEqual([...synthesized].sort());
      // The account and partition come from the owning stack's own alerts topic.
      const topic = Object.entries(resources(owner, 'aws_sns_topic')).find(([, t]) => String(t.name).endsWith('-alerts'))![0];
      expect((owner.json.locals as Record<string, string>).account_id).toBe(`\${element(split(":", aws_sns_topic.${topic}.arn), 4)}`);
      expect((owner.json.locals as Record<string, string>).partition).toBe(`\${element(split(":", aws_sns_topic.${topic}.arn), 1)}`);
    }
  });

  it('the text widget names every dataset with an alarm name prefix that selects exactly its stack\'s alarms among every alarm of the AWS region', () => {
    for (const { config, awsRegion, stacks: regional } of regions()) {
      const markdown = String(overviewOf(regional[0]).widgets[0].properties.markdown);
      const everyAlarm = stacks
        .filter((x) => x.config === config && x.stack.json.provider?.aws?.[0]?.region === awsRegion)
        .flatMap((x) => Object.values(alarmsOf(x.stack)).map((a) => ({ stack: x.stack.name, name: String(a.alarm_name) })));
      for (const s of regional) {
        const dataset = String(s.json.output?.[AMS_OUTPUTS.datasetId]?.value);
        const row = new RegExp(`^\\| ${dataset} \\| ${s.name} \\| (sqs|firehose) \\| \`([^\`]+)\` \\|$`, 'm').exec(markdown);
        expect(row, `${s.name} row`).not.toBeNull();
        const selected = everyAlarm.filter((a) => a.name.startsWith(row![2]));
        expect(selected.length, row![2]).toBeGreaterThan(0);
        expect(new Set(selected.map((a) => a.stack)), row![2]).toEqual(new Set([s.name]));
        expect(selected.length).toBe(Object.keys(alarmsOf(s)).length);
      }
    }
  });

  it('moves to the next dataset when the first is removed (same name: PutDashboard overwrites); regionDashboard false leaves it out; dashboard true adds the per-dataset ones', () => {
    const owners = (ams: Record<string, unknown>) => {
      const s = synthConfig(configWith({ ams: { regions: ['NA'], ...ams } }));
      try {
        return s.stacks.map((x) => ({ stack: x.name, dashboards: Object.values(resources(x, 'aws_cloudwatch_dashboard')).map((d) => String(d.dashboard_name)).sort(), out: x.json.output?.[AMS_OUTPUTS.overviewDashboard]?.value }));
      } finally {
        s.cleanup();
      }
    };
    expect(owners({ datasets: ['sp-traffic', 'sb-traffic'] })).toEqual([
      { stack: 'ams-sb-traffic-na', dashboards: [], out: undefined },
      { stack: 'ams-sp-traffic-na', dashboards: ['trib-use1-ams-overview'], out: 'trib-use1-ams-overview' },
    ]);
    expect(owners({ datasets: ['sb-traffic'] })).toEqual([{ stack: 'ams-sb-traffic-na', dashboards: ['trib-use1-ams-overview'], out: 'trib-use1-ams-overview' }]);
    expect(owners({ datasets: ['sb-traffic', 'sp-traffic'], monitoring: { regionDashboard: false } }).flatMap((x) => x.dashboards)).toEqual([]);
    expect(owners({ datasets: ['sb-traffic', 'sp-traffic'], monitoring: { dashboard: true } }).map((x) => x.dashboards)).toEqual([
      ['trib-use1-ams-overview', 'trib-use1-ams-sb-traffic-na'],
      ['trib-use1-ams-sp-traffic-na'],
    ]);
  });
});

describe('loss alarms per pipeline', () => {
  const of = (pipeline: string) => stacks.filter((s) => pipelineOf(s.stack) === pipeline);

  it('AMS: accepted versus delivered, 6 hours (hourly datasets; 168 for change-driven ones) without a delivered record (missing = breaching), volume drop', () => {
    expect(of('ams').length).toBeGreaterThanOrEqual(69 + 6);
    for (const { config, stack } of of('ams')) {
      const dataset = stack.name.replace(/^ams-/, '').replace(/-(na|eu|fe)$/, '');
      const stream = Object.values(resources(stack, 'aws_kinesis_firehose_delivery_stream'))[0].name as string;
      const delivered = { namespace: 'AWS/Firehose', metric_name: 'DeliveryToS3.Records', dimensions: { DeliveryStreamName: stream } };

      const noDelivery = alarmNamed(stack, `${dataset}-no-delivery`);
      expect(noDelivery).toMatchObject({
        namespace: 'AWS/Firehose', metric_name: 'DeliveryToS3.Records', dimensions: { DeliveryStreamName: stream }, statistic: 'Sum',
        period: 3600, evaluation_periods: AMS_SCHEMAS[dataset].family === 'performance' ? 6 : 168, threshold: 1, comparison_operator: 'LessThanThreshold', treat_missing_data: 'breaching',
      });

      const notStored = alarmNamed(stack, `${dataset}-not-stored`);
      expect(notStored).toMatchObject({ threshold: 5, comparison_operator: 'GreaterThanThreshold', evaluation_periods: 3, datapoints_to_alarm: 3 });
      expect(query(notStored, 'stored0').metric).toMatchObject({ ...delivered, period: 3600, stat: 'Sum' });
      const accepted = query(notStored, 'accepted').metric!;
      const incoming = query(alarmNamed(stack, `${dataset}-volume-drop`), 'incoming').metric!;
      if (config === 'full') {
        // firehose delivery: Amazon puts straight into the stream.
        expect(accepted).toMatchObject({ namespace: 'AWS/Firehose', metric_name: 'IncomingRecords', dimensions: { DeliveryStreamName: stream } });
        expect(incoming).toMatchObject({ namespace: 'AWS/Firehose', metric_name: 'IncomingRecords' });
      } else {
        // sqs delivery: the fan-out's published records; the volume is what arrives in the ingress queue.
        expect(accepted).toMatchObject({ namespace: 'AWS/SNS', metric_name: 'NumberOfMessagesPublished' });
        expect(accepted.dimensions!.TopicName).toMatch(/^\$\{aws_sns_topic\.data-topic(_[A-Z0-9]+)?\.name\}$/);
        expect(incoming).toMatchObject({ namespace: 'AWS/SQS', metric_name: 'NumberOfMessagesSent' });
        expect(incoming.dimensions!.QueueName).toMatch(/^\$\{aws_sqs_queue\.ingress_queue(_[A-Z0-9]+)?\.name\}$/);
      }
      expect(query(notStored, 'lost').expression).toBe('IF(FILL(accepted, 0) >= 10, 100 * (FILL(accepted, 0) - (FILL(stored0, 0))) / FILL(accepted, 0), 0)');
    }
  });

  it('volume drop: anomaly detection band, lower side, silence is a drop (Buy with Prime: silence is normal)', () => {
    for (const { stack } of stacks) {
      const hits = Object.values(alarmsOf(stack)).filter((a) => String(a.alarm_name).endsWith('-volume-drop'));
      expect(hits, stack.name).toHaveLength(1);
      const a = hits[0];
      expect(a).toMatchObject({
        comparison_operator: 'LessThanLowerThreshold', threshold_metric_id: 'band', evaluation_periods: 3, datapoints_to_alarm: 3,
        treat_missing_data: pipelineOf(stack) === 'buy-with-prime' ? 'notBreaching' : 'breaching',
      });
      expect(query(a, 'band')).toMatchObject({ expression: 'ANOMALY_DETECTION_BAND(incoming, 2)', return_data: true });
      expect(query(a, 'incoming')).toMatchObject({ return_data: true, metric: { period: 3600, stat: 'Sum' } });
    }
  });

  it('clickstream: reject rate over stream records, accepted into the stream versus written or kept, from the processor\'s own counts', () => {
    expect(of('clickstream').length).toBe(2);
    for (const { stack } of of('clickstream')) {
      const stream = Object.values(resources(stack, 'aws_kinesis_stream'))[0].name as string;
      const processor = Object.values(resources(stack, 'aws_lambda_function')).find((f) => String(f.function_name).endsWith('-clickstream-process'))!;
      const filters = Object.values(resources(stack, 'aws_cloudwatch_log_metric_filter'));
      expect(filters.map((f) => f.name).sort()).toEqual(['failed-records', 'rejected-records', 'written-records']);
      for (const f of filters) {
        const field = String(f.name).replace('-records', '');
        expect(f).toMatchObject({
          pattern: `{ $.message = "${CLICKSTREAM_BATCH_LOG_MESSAGE}" }`,
          metric_transformation: { namespace: 'Tributary/Clickstream', name: `${String(processor.function_name)}-${field}`, value: `$.${field}`, unit: 'Count' },
        });
        expect(String(f.log_group_name)).toMatch(/^\$\{aws_cloudwatch_log_group\.process_logs_[A-Z0-9]+\.name\}$/);
      }
      const rate = alarmNamed(stack, 'clickstream-reject-rate');
      expect(rate).toMatchObject({ threshold: 5, comparison_operator: 'GreaterThanThreshold', evaluation_periods: 3 });
      expect(query(rate, 'accepted').metric).toMatchObject({ namespace: 'AWS/Kinesis', metric_name: 'IncomingRecords', dimensions: { StreamName: stream }, period: 300 });
      expect(query(rate, 'rejected').metric).toMatchObject({ namespace: 'AWS/SQS', metric_name: 'NumberOfMessagesSent' });
      expect(query(rate, 'rejected').metric!.dimensions!.QueueName).toMatch(/^\$\{aws_sqs_queue\.rejects_queue_[A-Z0-9]+\.name\}$/);
      expect(query(rate, 'rate').expression).toBe(
        'IF((FILL(accepted, 0) + FILL(rejected, 0)) >= 10, 100 * FILL(rejected, 0) / (FILL(accepted, 0) + FILL(rejected, 0)), 0)',
      );
      const notStored = alarmNamed(stack, 'clickstream-not-stored');
      expect(query(notStored, 'accepted').metric).toMatchObject({ namespace: 'AWS/Kinesis', metric_name: 'IncomingRecords', dimensions: { StreamName: stream } });
      expect(query(notStored, 'stored0').metric).toMatchObject({ namespace: 'Tributary/Clickstream', metric_name: `${String(processor.function_name)}-written` });
      expect(query(notStored, 'stored1').metric).toMatchObject({ namespace: 'Tributary/Clickstream', metric_name: `${String(processor.function_name)}-rejected` });
      expect(query(notStored, 'lost').expression).toContain('(FILL(stored0, 0) + FILL(stored1, 0))');
    }
  });

  it('Buy with Prime: events queued versus processed', () => {
    expect(of('buy-with-prime').length).toBe(2);
    for (const { stack } of of('buy-with-prime')) {
      const a = alarmNamed(stack, 'bwp-events-not-stored');
      expect(query(a, 'accepted').metric).toMatchObject({ namespace: 'AWS/SQS', metric_name: 'NumberOfMessagesSent' });
      expect(query(a, 'stored0').metric).toMatchObject({ namespace: 'AWS/SQS', metric_name: 'NumberOfMessagesDeleted' });
      expect(query(a, 'accepted').metric!.dimensions).toEqual(query(a, 'stored0').metric!.dimensions);
      expect(query(a, 'accepted').metric!.dimensions!.QueueName).toMatch(/^\$\{aws_sqs_queue\.events_queue_[A-Z0-9]+\.name\}$/);
    }
  });

  it('client events: ProcessingFailed records alarmed on the first one; events matched by the every-event rule versus delivered to S3', () => {
    expect(of('client-events').length).toBe(2);
    for (const { stack } of of('client-events')) {
      const transform = Object.values(resources(stack, 'aws_lambda_function')).find((f) => String(f.function_name).endsWith('-client-events-transform'))!;
      const a = alarmNamed(stack, 'client-events-processing-failed');
      expect(a).toMatchObject({
        namespace: 'Tributary/ClientEvents', metric_name: `${String(transform.function_name)}-processing-failed`, statistic: 'Sum', period: 300,
        threshold: 0, comparison_operator: 'GreaterThanThreshold',
      });
      const stream = Object.values(resources(stack, 'aws_kinesis_firehose_delivery_stream'))[0].name as string;
      const notStored = alarmNamed(stack, 'client-events-not-stored');
      const accepted = query(notStored, 'accepted').metric!;
      expect(accepted).toMatchObject({ namespace: 'AWS/Events', metric_name: 'MatchedEvents' });
      expect(accepted.dimensions).toEqual({ EventBusName: '${aws_cloudwatch_event_bus.bus.name}', RuleName: '${aws_cloudwatch_event_rule.rule-all.name}' });
      expect(query(notStored, 'stored0').metric).toMatchObject({ namespace: 'AWS/Firehose', metric_name: 'DeliveryToS3.Records', dimensions: { DeliveryStreamName: stream } });
      expect(query(alarmNamed(stack, 'client-events-volume-drop'), 'incoming').metric).toMatchObject({ namespace: 'AWS/Events', metric_name: 'MatchedEvents', dimensions: accepted.dimensions });
    }
  });
});

describe('config: <pipeline>.monitoring', () => {
  it('documented defaults in every pipeline; Buy with Prime does not count silence as a drop', () => {
    const c = configWith({});
    const loss = { lossPercent: 5, lossPeriodSeconds: 3600, lossEvaluationPeriods: 3, dashboard: true };
    const drop = { mode: 'anomaly', bandWidth: 2, floor: 1, periodSeconds: 3600, evaluationPeriods: 3, silenceIsDrop: true };
    // AMS: no per-dataset dashboard (one stack per dataset and region), one overview per advertising region.
    expect(c.ams.monitoring).toEqual({
      ...loss, dashboard: false, regionDashboard: true, volumeDrop: drop, noDeliveryHours: 6, noDeliveryHoursOnChange: 168, noDeliveryHoursByDataset: {},
    });
    expect(c.clickstream.monitoring).toEqual({ ...loss, volumeDrop: drop, rejectRatePercent: 5 });
    expect(c.clientEvents.monitoring).toEqual({ ...loss, volumeDrop: drop });
    expect(c.buyWithPrime.monitoring).toEqual({ ...loss, volumeDrop: { ...drop, silenceIsDrop: false } });
  });

  it('errors name the key: modes, ranges, evaluation ranges CloudWatch refuses, dataset ids', () => {
    expect(() => parseConfig({ clickstream: { monitoring: { volumeDrop: { mode: 'sometimes' } } } })).toThrow(/clickstream\.monitoring\.volumeDrop\.mode.*anomaly, floor, off/);
    expect(() => parseConfig({ ams: { monitoring: { lossPercent: 101 } } })).toThrow(/ams\.monitoring\.lossPercent/);
    expect(() => parseConfig({ ams: { monitoring: { lossPeriodSeconds: 120 } } })).toThrow(/ams\.monitoring\.lossPeriodSeconds/);
    expect(() => parseConfig({ ams: { monitoring: { lossPeriodSeconds: 900, lossEvaluationPeriods: 97 } } })).toThrow(/ams\.monitoring\.lossEvaluationPeriods.*86400/);
    expect(() => parseConfig({ clientEvents: { monitoring: { volumeDrop: { periodSeconds: 86400, evaluationPeriods: 8 } } } })).toThrow(/volumeDrop\.evaluationPeriods.*604800/);
    expect(() => parseConfig({ ams: { monitoring: { noDeliveryHoursByDataset: { 'sp-trafic': 4 } } } })).toThrow(/noDeliveryHoursByDataset/);
    expect(() => parseConfig({ buyWithPrime: { monitoring: { bogus: 1 } } })).toThrow(/buyWithPrime\.monitoring\.bogus/);
  });

  it('hourly datasets use noDeliveryHours, change-driven ones noDeliveryHoursOnChange, a dataset entry wins; 0 leaves the alarm out; floor mode and dashboard: false reach the stack', () => {
    const d = configWith({});
    expect(['sp-traffic', 'adsp-conversion', 'sb-clickstream'].map((id) => amsMonitoring(d, id).noDeliveryHours)).toEqual([6, 6, 6]);
    expect(['campaigns', 'budget-usage', 'sp-budget-recommendations'].map((id) => amsMonitoring(d, id).noDeliveryHours)).toEqual([168, 168, 168]);
    const c = configWith({
      ams: { datasets: ['sp-traffic', 'budget-usage'], regions: ['NA'], monitoring: { noDeliveryHours: 12, noDeliveryHoursByDataset: { 'budget-usage': 0 }, volumeDrop: { mode: 'floor', floor: 20 }, lossPercent: 0, dashboard: false } },
    });
    expect(amsMonitoring(c, 'sp-traffic').noDeliveryHours).toBe(12);
    expect(amsMonitoring(c, 'budget-usage').noDeliveryHours).toBe(0);
    const s = synthConfig(c);
    try {
      const traffic = s.stacks.find((x) => x.name === 'ams-sp-traffic-na')!;
      const budget = s.stacks.find((x) => x.name === 'ams-budget-usage-na')!;
      expect(alarmNamed(traffic, 'sp-traffic-no-delivery')).toMatchObject({ evaluation_periods: 12 });
      const names = (st: SynthStack) => Object.values(alarmsOf(st)).map((a) => String(a.alarm_name));
      expect(names(budget).some((n) => n.endsWith('-no-delivery'))).toBe(false);
      expect(names(traffic).some((n) => n.endsWith('-not-stored'))).toBe(false);
      const drop = alarmNamed(traffic, 'sp-traffic-volume-drop');
      expect(drop).toMatchObject({ comparison_operator: 'LessThanThreshold', threshold: 20, treat_missing_data: 'breaching' });
      // monitoring.dashboard false: no per-dataset dashboard and no dashboard_name output; sp-traffic, the first
      // dataset of NA, keeps only the region overview.
      expect(Object.values(resources(traffic, 'aws_cloudwatch_dashboard')).map((x) => x.dashboard_name)).toEqual(['trib-use1-ams-overview']);
      expect(resources(budget, 'aws_cloudwatch_dashboard')).toEqual({});
      expect(traffic.json.output?.dashboard_name).toBeUndefined();
    } finally {
      s.cleanup();
    }
  });
});

describe('alarm builders', () => {
  const alerts = () => {
    const app = Testing.app();
    const stack = new TerraformStack(app as App, 'test');
    return { stack, alerts: new Alerts(stack, 'alerts', { naming: new Naming('trib', 'us-east-1') }) };
  };
  const m = { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesSent', dimensions: { QueueName: 'q' } };

  it('refuse evaluation ranges CloudWatch refuses: 1 day below a one-hour period, 7 days from one hour', () => {
    expect(() => checkEvaluationRange('x', 300, 288)).not.toThrow();
    expect(() => checkEvaluationRange('x', 300, 289)).toThrow(/evaluation range of 86400 s/);
    expect(() => checkEvaluationRange('x', 3600, 168)).not.toThrow();
    expect(() => checkEvaluationRange('x', 3600, 169)).toThrow(/evaluation range of 604800 s/);
    expect(() => checkEvaluationRange('x', 3600, 0)).toThrow(/at least 1/);
    const { alerts: a } = alerts();
    expect(() => a.noDelivery('n', { description: 'd', metric: m, hours: 200 })).toThrow(/alarm n: 200 periods/);
    expect(() => a.acceptedVsStored('s', { description: 'd', accepted: m, stored: [] })).toThrow(/at least one stored metric/);
  });

  it('floor mode: FILL(incoming, 0) below the floor; every builder registers its alarm for the dashboard', () => {
    const { stack, alerts: a } = alerts();
    a.volumeDrop('v', { description: 'd', metric: m, mode: 'floor', floor: 50, periodSeconds: 900, evaluationPeriods: 4, silenceIsDrop: false });
    a.processingFailed('p', { description: 'd', metric: m });
    expect(a.alarms).toHaveLength(2);
    const json = JSON.parse(Testing.synth(stack)) as { resource: { aws_cloudwatch_metric_alarm: Record<string, Body> } };
    const v = Object.values(json.resource.aws_cloudwatch_metric_alarm).find((x) => x.alarm_name === 'trib-use1-v')!;
    expect(v).toMatchObject({ comparison_operator: 'LessThanThreshold', threshold: 50, evaluation_periods: 4, treat_missing_data: 'notBreaching' });
    expect(query(v, 'volume')).toMatchObject({ expression: 'FILL(incoming, 0)', return_data: true });
    expect(query(v, 'incoming')).toMatchObject({ return_data: false, metric: { period: 900, stat: 'Sum', metric_name: 'NumberOfMessagesSent' } });
  });

  it('dashboard body: deterministic, alarm widgets split at 100 alarms, graphs two per row', () => {
    const arns = Array.from({ length: 150 }, (_, i) => `arn:${i}`);
    const graphs = [1, 2, 3].map((i) => ({ title: `g${i}`, lines: [{ ...m, label: `l${i}` }] }));
    const body = dashboardBody('eu-west-1', arns, graphs);
    expect(dashboardBody('eu-west-1', arns, graphs)).toBe(body);
    const { widgets } = JSON.parse(body) as { widgets: Widget[] };
    expect(widgets.filter((w) => w.type === 'alarm').map((w) => (w.properties.alarms as string[]).length)).toEqual([100, 50]);
    const g = widgets.filter((w) => w.type === 'metric');
    expect(g.map((w) => [w.x, w.y - g[0].y])).toEqual([[0, 0], [12, 0], [0, 6]]);
    expect(g[0].properties.metrics).toEqual([['AWS/SQS', 'NumberOfMessagesSent', 'QueueName', 'q', { label: 'l1' }]]);
  });
});

describe('clickstream metric filters read what the processor logs', () => {
  it('the processor entry logs its summary under CLICKSTREAM_BATCH_LOG_MESSAGE', () => {
    const src = readFileSync(fromRoot('handlers', 'clickstream', 'process', 'index.ts'), 'utf8');
    expect(src).toContain(`log.info('${CLICKSTREAM_BATCH_LOG_MESSAGE}', { ...summary });`);
  });

  it('the real logger writes message and the counts at the top level of one JSON line (what $.message and $.written select)', () => {
    const lines: string[] = [];
    const write = logOutput.write;
    logOutput.write = (fd, line) => void (fd === 1 && lines.push(line));
    try {
      createLogger('clickstream-process').info(CLICKSTREAM_BATCH_LOG_MESSAGE, { records: 5, written: 3, rejected: 1, failed: 1 });
    } finally {
      logOutput.write = write;
    }
    const entry = JSON.parse(lines.join('').trim()) as Body;
    expect(entry.message).toBe(CLICKSTREAM_BATCH_LOG_MESSAGE);
    for (const field of CLICKSTREAM_BATCH_COUNTS) expect(typeof entry[field], field).toBe('number');
  });
});
