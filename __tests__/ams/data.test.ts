/**
 * End to end data test of the AMS query layer, for all 23 datasets (issue 11): records built from each dataset's
 * documented schema go through the real fan-out, then a model of what the synthesized Firehose stream writes
 * (SNS raw delivery, AppendDelimiterToRecord, GZIP, the Hive prefix at the arrival hour; helpers/ams-firehose-model.ts),
 * then are read the way Athena reads them (Hadoop's one-row-per-line text input, the OpenX JSON SerDe's
 * case-insensitive keys and all-NULL rows for empty lines, partition values from the table's
 * storage.location.template within its projected ranges) into DuckDB with each synthesized Glue table's column types,
 * and the synthesized Athena named queries run unchanged on DuckDB (the database/table names exist there as
 * schema/table). Expected results are computed here, independently, from the generated records.
 *
 * Contracts: Amazon Ads Marketing Stream guides (at-least-once delivery: deduplicate by idempotency_id; hourly
 * deltas with negative corrections are summed; entity records carry a version; budget usage and recommendations
 * are point-in-time states), AWS Firehose/SNS/Athena documentation as cited in the model. DuckDB's own read_json
 * skips blank lines, which would hide the empty-line bug, so lines are split by the Hadoop model and parsed with
 * DuckDB's from_json over the table's types.
 */
import '../../lib/fast-synth.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { fanOut } from '../../handlers/ams/fan-out/handler.js';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { seededRandom } from '../../samples/seeded-random.js';
import { AMS_SCHEMAS, type AmsDatasetSchema } from '../../contracts/ams-schemas.js';
import { deliverBuffer, textRows, type FirehoseStreamJson, type StoredObject } from '../helpers/ams-firehose-model.js';
import { notificationEnvelope, schemaRecord } from '../helpers/ams-records.js';
import { sqsRecord } from '../helpers/sqs-records.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';

type Rec = Record<string, unknown>;
interface Sent {
  readonly record: Rec;
  /** UTC arrival hour at Firehose (the partition it lands in). */
  readonly arrival: Date;
  /** Delivered twice (at-least-once), the second time in a later buffer. */
  readonly duplicate?: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = new Date();
const hoursAgo = (h: number) => new Date(Math.floor(now.getTime() / HOUR) * HOUR - h * HOUR);
const ymd = (d: Date) => d.toISOString().slice(0, 10);
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());

// ---- scenarios (what Amazon sends), built from the schema with a seed per dataset ----

function performanceScenario(id: string, schema: AmsDatasetSchema, random: () => number): Sent[] {
  const keys = schema.sumBy!;
  const nullable = keys.find((k) => !['time_window_start', 'advertiser_id', 'marketplace_id'].includes(k))!;
  const hour = (day: Date, h: number) => `${ymd(day)}T${String(h).padStart(2, '0')}:00:00-08:00`;
  const yesterday = new Date(today - DAY);
  const base = (group: number, extra: Rec): Rec => {
    const r = schemaRecord(schema.fields, random, { dataset_id: id, idempotency_id: `${id}-${group}-${Math.floor(random() * 1e9)}` });
    for (const k of keys) r[k] = k === 'time_window_start' ? hour(yesterday, 10 + group) : `${k}-g${group}`;
    return { ...r, ...extra };
  };
  const negate = (r: Rec): Rec => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, schema.metrics!.includes(k) ? -(v as number) : v]));
  const sent: Sent[] = [];
  for (let g = 0; g < 3; g++) {
    const first = base(g, {});
    sent.push({ record: first, arrival: hoursAgo(30 - g), duplicate: g === 0 });
    // A restatement (new idempotency_id) and a negative correction of the first delta, arriving later.
    const restated = base(g, schema.latestOf!.length ? Object.fromEntries(schema.latestOf!.map((c) => [c, `${c}-renamed-${g}`])) : {});
    sent.push({ record: restated, arrival: hoursAgo(20 - g) });
    sent.push({ record: { ...negate(first), idempotency_id: `${first.idempotency_id}-correction` }, arrival: hoursAgo(10 - g) });
  }
  // A NULL key: its own group (SQL GROUP BY semantics).
  sent.push({ record: base(3, { [nullable]: null }), arrival: hoursAgo(5) });
  // A record without idempotency_id cannot be a duplicate of another: kept.
  sent.push({ record: base(4, { idempotency_id: null }), arrival: hoursAgo(4) });
  // An hour 40 days back, arriving then: outside the default window.
  const old = base(5, {});
  old.time_window_start = hour(new Date(today - 40 * DAY), 10);
  sent.push({ record: old, arrival: new Date(today - 40 * DAY + 20 * HOUR) });
  return sent;
}

/** Entity key value(s) of a state record, and the record's ordering value. */
function stateScenario(id: string, schema: AmsDatasetSchema, random: () => number): Sent[] {
  const [keyField] = schema.entityKey!;
  const [orderField] = schema.latestBy!;
  const orderValue = (n: number): unknown =>
    orderField === 'version' ? n : new Date(today - 3 * DAY + n * HOUR).toISOString();
  const targetArrays = schema.fields.filter((f) => f.type === 'array' && f.name.endsWith('Targets')).map((f) => f.name);
  const make = (entity: string | null, n: number, targetArray?: string): Rec => {
    const r = schemaRecord(schema.fields, random, { dataset_id: id, [keyField]: entity, [orderField]: orderValue(n) });
    if (targetArrays.length) for (const a of targetArrays) if (a !== (targetArray ?? targetArrays[0])) delete r[a];
    return r;
  };
  const sent: Sent[] = [
    // Entity A: versions 1, 3, 2 arrive in that order, version 3 twice.
    { record: make('A', 1), arrival: hoursAgo(40) },
    { record: make('A', 3), arrival: hoursAgo(30), duplicate: true },
    { record: make('A', 2), arrival: hoursAgo(20) },
    // Entity B: one record in the window; a later one arrived long before the window (not seen by default).
    { record: make('B', 1), arrival: hoursAgo(10) },
    { record: make('B', 9), arrival: new Date(today - (schema.windowDays! + 5) * DAY) },
    // A record without its entity id: NULL is a key value of its own.
    { record: make(null, 1), arrival: hoursAgo(5) },
  ];
  // adsp-adgroup-targets: one target type per document; another type of the same ad group is another entity.
  if (targetArrays.length > 1) sent.push({ record: make('A', 1, targetArrays[1]), arrival: hoursAgo(3) });
  return sent;
}

// ---- expected results, computed from the generated records ----

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function expectedPerformance(schema: AmsDatasetSchema, sent: Sent[]): Map<string, { metrics: Record<string, number>; latest: Record<string, unknown> }> {
  const windowStart = ymd(new Date(today - 7 * DAY));
  const scanStart = ymd(new Date(today - (7 + schema.lateDays! + 1) * DAY));
  const seen = new Set<string>();
  const groups = new Map<string, { metrics: Record<string, number>; latest: Record<string, unknown>; latestAt: number }>();
  const deliveries = sent.flatMap((s) => (s.duplicate ? [s, s] : [s]));
  for (const { record, arrival } of deliveries) {
    if (ymd(arrival) < scanStart || String(record.time_window_start).slice(0, 10) < windowStart) continue;
    const idem = record.idempotency_id;
    if (idem !== null && idem !== undefined) {
      if (seen.has(String(idem))) continue;
      seen.add(String(idem));
    }
    const key = JSON.stringify(schema.sumBy!.map((k) => str(record[k])));
    const g = groups.get(key) ?? { metrics: Object.fromEntries(schema.metrics!.map((m) => [m, 0])), latest: {}, latestAt: -1 };
    for (const m of schema.metrics!) g.metrics[m] += Number(record[m] ?? 0);
    if (arrival.getTime() > g.latestAt) {
      g.latestAt = arrival.getTime();
      g.latest = Object.fromEntries(schema.latestOf!.map((c) => [c, str(record[c])]));
    }
    groups.set(key, g);
  }
  return groups;
}

function expectedLatest(schema: AmsDatasetSchema, sent: Sent[]): Map<string, Rec> {
  const windowStart = ymd(new Date(today - schema.windowDays! * DAY));
  const best = new Map<string, { record: Rec; order: unknown; at: number }>();
  const targetArrays = schema.fields.filter((f) => f.type === 'array' && f.name.endsWith('Targets')).map((f) => f.name);
  for (const { record, arrival } of sent) {
    if (ymd(arrival) < windowStart) continue;
    const key = JSON.stringify(schema.entityKey!.map((k) => (k === '$targetType' ? targetArrays.find((a) => record[a] !== undefined) ?? null : str(record[k]))));
    const order = record[schema.latestBy![0]];
    const cur = best.get(key);
    const newer = !cur || (order as number | string) > (cur.order as number | string) || (order === cur.order && arrival.getTime() > cur.at);
    if (newer) best.set(key, { record, order, at: arrival.getTime() });
  }
  return new Map([...best].map(([k, v]) => [k, v.record]));
}

// ---- Athena's view of the stored objects, in DuckDB ----

interface GlueColumn { name: string; type: string }

/** DuckDB type of a Glue (Hive DDL) type string. */
export function duckType(glue: string): string {
  const t = glue.trim();
  const inner = (s: string, open: number) => s.slice(open + 1, -1);
  const split = (s: string): string[] => {
    const parts: string[] = [];
    let depth = 0;
    let cur = '';
    for (const ch of s) {
      if (ch === '<') depth++;
      if (ch === '>') depth--;
      if (ch === ',' && depth === 0) {
        parts.push(cur);
        cur = '';
      } else cur += ch;
    }
    parts.push(cur);
    return parts;
  };
  if (t.startsWith('struct<')) {
    return `STRUCT(${split(inner(t, 6)).map((m) => {
      const i = m.indexOf(':');
      return `"${m.slice(0, i)}" ${duckType(m.slice(i + 1))}`;
    }).join(', ')})`;
  }
  if (t.startsWith('array<')) return `${duckType(inner(t, 5))}[]`;
  if (t.startsWith('map<')) {
    const [k, v] = split(inner(t, 3));
    return `MAP(${duckType(k)}, ${duckType(v)})`;
  }
  const scalar: Record<string, string> = { string: 'VARCHAR', bigint: 'BIGINT', int: 'INTEGER', double: 'DOUBLE', boolean: 'BOOLEAN' };
  if (!scalar[t]) throw new Error(`no DuckDB type for Glue type ${t}`);
  return scalar[t];
}

function lowerKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lowerKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), lowerKeys(x)]));
  return v;
}

/** Partition values of an object key through the table's storage.location.template, checked against the projection. */
function projectedPartitions(table: Rec, key: string): Record<string, string> {
  const p = table.parameters as Record<string, string>;
  const template = p['storage.location.template'].replace(/^s3:\/\/\$\{[^}]+\}\//, '').replace(/\$\$\{/g, '${');
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^()|[\]\\]/g, '\\$&').replace(/\$\{(\w+)\}/g, (_, n: string) => {
    names.push(n);
    return '([^/]+)';
  });
  const m = new RegExp(`^${pattern}[^/]+$`).exec(key);
  if (!m) throw new Error(`object ${key} is outside the table's storage.location.template ${template}`);
  const values = Object.fromEntries(names.map((n, i) => [n, m[i + 1]]));
  for (const n of names) {
    const type = p[`projection.${n}.type`];
    const v = values[n];
    if (type === 'date') {
      const [from, to] = p[`projection.${n}.range`].split(',');
      expect(p[`projection.${n}.format`]).toBe('yyyy');
      const upper = to === 'NOW' ? String(now.getUTCFullYear()) : to;
      if (!(v >= from && v <= upper)) throw new Error(`partition ${n}=${v} is outside the projected range ${from}..${upper}`);
    } else {
      const [lo, hi] = p[`projection.${n}.range`].split(',').map(Number);
      const digits = Number(p[`projection.${n}.digits`] ?? 1);
      if (!(Number(v) >= lo && Number(v) <= hi && v.length === digits)) throw new Error(`partition ${n}=${v} is not projected (${lo}..${hi}, ${digits} digits)`);
    }
  }
  return values;
}

interface Loaded {
  stored: number;
  records: number;
  deliveries: number;
}

/** Creates "<database>"."<table>" in DuckDB from the stored objects, as Athena would read them. */
async function loadTable(db: DuckDBConnection, dir: string, stack: SynthStack, objects: StoredObject[]): Promise<{ database: string; table: string }> {
  const tables = Object.values(resources(stack, 'aws_glue_catalog_table'));
  if (tables.length !== 1) throw new Error(`stack ${stack.name} has ${tables.length} Glue tables, not 1`);
  const [table] = tables;
  const [, database] = Object.entries(resources(stack, 'aws_glue_catalog_database'))[0];
  const sd = table.storage_descriptor as Rec;
  const serde = sd.ser_de_info as { serialization_library: string; parameters: Record<string, string> };
  expect(serde.serialization_library).toBe('org.openx.data.jsonserde.JsonSerDe');
  const caseInsensitive = serde.parameters['case.insensitive'] !== 'false';
  const columns = sd.columns as GlueColumn[];
  const partitionKeys = (table.partition_keys as GlueColumn[]).map((c) => c.name);
  const rows = objects.flatMap((o) => {
    const parts = projectedPartitions(table, o.key);
    return textRows(o).map((line) => ({
      line: line.trim() === '' ? null : JSON.stringify(caseInsensitive ? lowerKeys(JSON.parse(line)) : JSON.parse(line)),
      ...parts,
    }));
  });
  const file = join(dir, `${String(table.name)}.rows.json`);
  writeFileSync(file, JSON.stringify(rows));
  const structure = JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, duckType(c.type)])));
  const partitionCols = partitionKeys.map((k) => `"${k}"`).join(', ');
  const db_ = String(database.name);
  const t = String(table.name);
  await db.run(`CREATE SCHEMA IF NOT EXISTS "${db_}"`);
  await db.run(
    `CREATE TABLE "${db_}"."${t}" AS SELECT r.*, ${partitionCols} FROM (` +
      `SELECT from_json(line, '${structure.replace(/'/g, "''")}') AS r, ${partitionCols} ` +
      `FROM read_json('${file}', format = 'array', columns = {line: 'VARCHAR', ${partitionKeys.map((k) => `${k}: 'VARCHAR'`).join(', ')}}))`,
  );
  return { database: db_, table: t };
}

// ---- the pipeline ----

async function throughFanOutAndFirehose(stack: SynthStack, sent: Sent[]): Promise<{ objects: StoredObject[]; published: number }> {
  const [streamId, stream] = Object.entries(resources(stack, 'aws_kinesis_firehose_delivery_stream'))[0];
  const subscription = Object.values(resources(stack, 'aws_sns_topic_subscription'))[0];
  expect(subscription).toMatchObject({ protocol: 'firehose', raw_message_delivery: true, endpoint: `\${aws_kinesis_firehose_delivery_stream.${streamId}.arn}` });
  // One buffer per arrival hour; a duplicate is delivered again an hour later (SQS/SNS at-least-once).
  const buffers = new Map<number, Rec[]>();
  for (const s of sent) {
    for (const at of s.duplicate ? [s.arrival.getTime(), s.arrival.getTime() + HOUR] : [s.arrival.getTime()]) {
      buffers.set(at, [...(buffers.get(at) ?? []), s.record]);
    }
  }
  const objects: StoredObject[] = [];
  let published = 0;
  let n = 0;
  for (const [at, records] of [...buffers].sort((a, b) => a[0] - b[0])) {
    const messages: string[] = [];
    const ports = {
      log: new MemoryLogger(),
      publishBatch: async (entries: { Id: string; Message: string }[]) => {
        messages.push(...entries.map((e) => e.Message));
        return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
      },
      forwardConfirmation: async () => {},
    };
    // Half the bodies in Amazon's SNS Notification envelope, half bare.
    const res = await fanOut(records.map((r) => sqsRecord(n++ % 2 ? JSON.stringify(r) : JSON.stringify(notificationEnvelope(r)), `m-${n}`)), ports);
    expect(res.batchItemFailures).toEqual([]);
    published += messages.length;
    objects.push(deliverBuffer(stream as unknown as FirehoseStreamJson, messages, new Date(at)));
  }
  return { objects, published };
}

describe('AMS data end to end: fan-out -> Firehose -> Glue table -> named queries (DuckDB)', () => {
  let synth: ReturnType<typeof synthConfig>;
  let instance: DuckDBInstance;
  let db: DuckDBConnection;
  let dir: string;
  const sentBy = new Map<string, Sent[]>();
  const loaded = new Map<string, Loaded>();
  const stackOf = (d: string) => synth.stacks.find((s) => s.name === `ams-${d}-na`)!;
  const ids = Object.keys(AMS_SCHEMAS);

  beforeAll(async () => {
    synth = synthConfig(configWith({ ams: { regions: ['NA'], delivery: 'sqs' } }));
    instance = await DuckDBInstance.create(':memory:');
    db = await instance.connect();
    // Athena evaluates current_date in UTC; DuckDB in its TimeZone setting (the machine's zone by default).
    await db.run("SET TimeZone = 'UTC'");
    dir = mkdtempSync(join(tmpdir(), 'ams-data-'));
    for (const [i, id] of ids.entries()) {
      const schema = AMS_SCHEMAS[id];
      const random = seededRandom(1_000 + i);
      const sent = schema.family === 'performance' ? performanceScenario(id, schema, random) : stateScenario(id, schema, random);
      sentBy.set(id, sent);
      const { objects, published } = await throughFanOutAndFirehose(stackOf(id), sent);
      for (const o of objects) {
        const path = join(dir, 'bucket', o.key);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, o.body);
      }
      await loadTable(db, dir, stackOf(id), objects);
      const stored = objects.reduce((sum, o) => sum + textRows(o).length, 0);
      loaded.set(id, { stored, records: sent.length, deliveries: published });
    }
  }, 120_000);

  afterAll(() => {
    db?.closeSync();
    instance?.closeSync();
    synth?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const query = async (sql: string): Promise<Rec[]> => (await db.runAndReadAll(sql)).getRowObjectsJson() as Rec[];
  const namedQueries = (d: string) => Object.values(resources(stackOf(d), 'aws_athena_named_query')).map((x) => ({ name: String(x.name), sql: String(x.query) }));

  it.each(Object.keys(AMS_SCHEMAS))('%s: one stored line per delivered record and no all-NULL row', async (id) => {
    const { stored, deliveries } = loaded.get(id)!;
    expect(stored).toBe(deliveries);
    const [, table] = Object.entries(resources(stackOf(id), 'aws_glue_catalog_table'))[0];
    const [, database] = Object.entries(resources(stackOf(id), 'aws_glue_catalog_database'))[0];
    const cols = ((table.storage_descriptor as Rec).columns as GlueColumn[]).map((c) => `"${c.name}" IS NULL`).join(' AND ');
    const [{ rows, empty }] = await query(`SELECT count(*) AS rows, count(*) FILTER (WHERE ${cols}) AS empty FROM "${database.name}"."${table.name}"`);
    expect(Number(rows)).toBe(deliveries);
    expect(Number(empty)).toBe(0);
    // DuckDB's own reader over the written objects, with the table's column types, sees the same records (it skips
    // blank lines, which is why the Athena view above splits lines itself).
    const types = ((table.storage_descriptor as Rec).columns as GlueColumn[]).map((c) => `"${c.name}": '${duckType(c.type).replace(/'/g, "''")}'`).join(', ');
    const [{ n }] = await query(
      `SELECT count(*) AS n FROM read_json('${join(dir, 'bucket', id)}/**/*.gz', format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, columns = {${types}})`,
    );
    expect(Number(n)).toBe(deliveries);
  });

  const performance = ids.filter((d) => AMS_SCHEMAS[d].family === 'performance');
  const state = ids.filter((d) => AMS_SCHEMAS[d].family !== 'performance');

  it.each(performance)('%s: the hourly query deduplicates, keeps corrections and the NULL key, and sums per id key', async (id) => {
    const schema = AMS_SCHEMAS[id];
    const [hourly] = namedQueries(id).filter((x) => x.name.endsWith('-hourly'));
    const rows = await query(hourly.sql);
    const expected = expectedPerformance(schema, sentBy.get(id)!);
    const got = new Map(rows.map((r) => [JSON.stringify(schema.sumBy!.map((k) => str(r[k]))), r]));
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, e] of expected) {
      const r = got.get(key)!;
      for (const m of schema.metrics!) expect(Number(r[m]), `${id} ${key} ${m}`).toBeCloseTo(e.metrics[m], 6);
      for (const c of schema.latestOf!) expect(r[c], `${id} ${key} ${c}`).toBe(e.latest[c]);
    }
    // The scenario's facts: 3 groups with restatement + correction, the NULL-key group, the record without an id.
    expect(expected.size).toBe(5);
  });

  it('sp-traffic LEFT JOIN sp-conversion gives every traffic group its conversion totals', async () => {
    const join = namedQueries('sp-conversion').find((x) => x.name.endsWith('-sp-traffic-conversion'))!;
    const rows = await query(join.sql);
    const traffic = expectedPerformance(AMS_SCHEMAS['sp-traffic'], sentBy.get('sp-traffic')!);
    const conversion = expectedPerformance(AMS_SCHEMAS['sp-conversion'], sentBy.get('sp-conversion')!);
    expect(rows).toHaveLength(traffic.size);
    const keys = AMS_SCHEMAS['sp-conversion'].sumBy!;
    for (const r of rows) {
      const c = conversion.get(JSON.stringify(keys.map((k) => str(r[k]))));
      // Both scenarios use the same key values per group, so every group finds its conversions (NULL keys too).
      expect(c, JSON.stringify(keys.map((k) => r[k]))).toBeDefined();
      expect(Number(r.attributed_sales_14d)).toBeCloseTo(c!.metrics.attributed_sales_14d, 6);
    }
  });

  it.each(state)('%s: the latest query returns the latest record per entity within its window', async (id) => {
    const schema = AMS_SCHEMAS[id];
    const [latest] = namedQueries(id);
    expect(latest.name).toMatch(/-latest$/);
    const rows = await query(latest.sql);
    const expected = expectedLatest(schema, sentBy.get(id)!);
    expect(rows).toHaveLength(expected.size);
    const order = schema.latestBy![0].toLowerCase();
    const keyCol = schema.entityKey![0].toLowerCase();
    const got = rows.map((r) => `${str(r[keyCol])}:${str(r[order])}`).sort();
    const want = [...expected.values()].map((r) => `${str(r[schema.entityKey![0]])}:${str(r[schema.latestBy![0]])}`).sort();
    expect(got).toEqual(want);
    // Entity A's latest version is 3 (or the latest time), although version 2 arrived after it.
    expect(got.some((g) => g.startsWith('A:'))).toBe(true);
    // Every top-level scalar of the chosen record reads back through the table's types.
    for (const r of rows) {
      const source = [...expected.values()].find((e) => str(e[schema.entityKey![0]]) === str(r[keyCol]) && str(e[schema.latestBy![0]]) === str(r[order]))!;
      for (const f of schema.fields.filter((x) => ['string', 'bigint', 'double', 'boolean'].includes(x.type))) {
        const want = source[f.name];
        const v = r[f.name.toLowerCase()];
        if (f.type === 'double') expect(Number(v), `${id}.${f.name}`).toBeCloseTo(Number(want), 6);
        else expect(str(v), `${id}.${f.name}`).toBe(str(want));
      }
    }
  });

  it('totals (printed for the report)', async () => {
    const lines = [...loaded].map(([id, l]) => `${id}: ${l.records} records, ${l.deliveries} deliveries, ${l.stored} stored lines`);
    const t = await query(namedQueries('sp-traffic')[0].sql);
    const sum = (m: string) => t.reduce((s, r) => s + Number(r[m]), 0);
    console.log([...lines, `sp-traffic hourly: ${t.length} groups, impressions ${sum('impressions')}, clicks ${sum('clicks')}, cost ${sum('cost').toFixed(2)}`].join('\n'));
    expect(t.length).toBeGreaterThan(0);
  });
});
