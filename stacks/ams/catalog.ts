/**
 * The query-ready layer of an AMS stack (config `ams.glue`, default on): a Glue catalog database per stack, a Glue
 * table over `s3://<bucket>/<dataset>/` for each of the 23 datasets (columns from Amazon's documented record schema,
 * contracts/ams-schemas.json; nested objects as structs) with partition projection (no crawler), an Athena workgroup whose
 * results stay in the stack's bucket, and Athena named queries per dataset family, each over a default time window:
 *
 * - performance (traffic, conversion, clickstream, rich media): deduplicate by idempotency_id (at-least-once
 *   delivery), then sum the hourly deltas (negative corrections kept) per id key; mutable text such as
 *   keyword_text is carried as its latest value, never grouped by (Amazon's aggregating-data and querying-data
 *   guides); sp-conversion also LEFT JOINs sp-traffic to sp-conversion.
 * - campaign-management: the latest version of each entity (max(version); records are full entity states).
 * - budget-usage and recommendations: the latest record per budget scope / campaign / recommendation (point-in-time
 *   states, never summed; dataset pages).
 */
import { Construct } from 'constructs';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { AthenaNamedQuery } from '@cdktf/provider-aws/lib/athena-named-query';
import type { AdvertisingRegion } from '../../contracts/ams.js';
import { AMS_SCHEMAS, type AmsDatasetSchema, type AmsField } from '../../contracts/ams-schemas.js';
import type { DataBucket } from '../../modules/data-bucket.js';
import { NAME_LIMITS, type Naming } from '../../modules/naming.js';
import type { TributaryStack } from '../base.js';
import { AMS_CATALOG_OUTPUTS } from '../../contracts/ams.js';

/** Aggregation keys shared by sp-traffic and sp-conversion (Amazon's aggregating-data guide): the LEFT JOIN condition. */
export const JOIN_KEYS = [
  'advertiser_id', 'marketplace_id', 'time_window_start', 'campaign_id', 'ad_group_id', 'ad_id', 'keyword_id',
  'placement', 'currency',
] as const;

/** Default time window of the performance queries: hours (time_window_start) of the last 7 days. */
export const PERFORMANCE_WINDOW_DAYS = 7;

/** Glue/Hive name of a JSON key: the OpenX JSON SerDe matches keys case-insensitively (case.insensitive=true) and Athena lower-cases names. */
export const columnName = (key: string): string => key.toLowerCase();

/** Glue (Hive DDL) type of a documented field: struct<...>, array<...>, map<...>, string, bigint, double, boolean. */
export function glueType(field: Pick<AmsField, 'type' | 'fields' | 'items' | 'keyType' | 'valueType'>): string {
  switch (field.type) {
    case 'struct':
      return `struct<${field.fields!.map((f) => `${columnName(f.name)}:${glueType(f)}`).join(',')}>`;
    case 'array':
      return `array<${glueType(field.items!)}>`;
    case 'map':
      return `map<${field.keyType},${field.valueType}>`;
    default:
      return field.type;
  }
}

/** Table columns of a dataset: one per top-level field, lower-cased, nested objects as structs. */
export function tableColumns(schema: AmsDatasetSchema): { name: string; type: string }[] {
  const cols = schema.fields.map((f) => ({ name: columnName(f.name), type: glueType(f) }));
  const seen = new Set<string>();
  for (const c of cols) {
    if (seen.has(c.name)) throw new Error(`two fields map to the column ${c.name}`);
    seen.add(c.name);
  }
  return cols;
}

/**
 * Partition keys written by Firehose (UTC arrival hour, zero-padded strings: HIVE_TIME_PARTITIONS) and their
 * projection. `year` is a date projection from the configured start year to NOW, so an unfiltered query lists only
 * the hours up to now (about 8,800 a year) instead of 2022-2099 (~700,000). Athena's date type cannot span the split
 * year=/month=/day=/hour= keys (Athena guide, "How to choose partition keys"), so month/day/hour stay integer ranges.
 */
export function partitionProjection(startDate: string): Record<string, string> {
  const startYear = startDate.slice(0, 4);
  return {
    'projection.year.type': 'date',
    'projection.year.format': 'yyyy',
    'projection.year.range': `${startYear},NOW`,
    'projection.year.interval': '1',
    'projection.year.interval.unit': 'YEARS',
    'projection.month.type': 'integer',
    'projection.month.range': '1,12',
    'projection.month.digits': '2',
    'projection.day.type': 'integer',
    'projection.day.range': '1,31',
    'projection.day.digits': '2',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
  };
}
export const PARTITION_KEYS = ['year', 'month', 'day', 'hour'] as const;

export interface AmsGlueNames {
  /** Glue database of the (dataset, region) stack, e.g. trib_use1_ams_sp_traffic. */
  readonly database: string;
  /** Table of the dataset's records inside that database, e.g. sp_traffic. */
  readonly table: string;
}

/**
 * Deterministic Glue names of a dataset's stack in a region: the database carries prefix, region and dataset
 * (two dataset stacks in one region never collide); the table is the dataset id. Another stack (sp-conversion's
 * join query) finds sp-traffic's table through the same function.
 */
export function amsGlueNames(naming: Naming, datasetId: string): AmsGlueNames {
  const table = datasetId.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (table.length > NAME_LIMITS.glueTable) throw new Error(`glue table name ${table} is too long`);
  return { database: naming.glue('ams', datasetId), table };
}

/** A double-quoted SQL identifier (Athena/Trino and DuckDB alike). */
export const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;
const fq = (names: AmsGlueNames): string => `${q(names.database)}.${q(names.table)}`;
/** 'yyyy-MM-dd' of `days` days before today (UTC), in SQL both Athena (Trino) and DuckDB evaluate alike. */
const daysAgo = (days: number): string => `CAST(CAST(current_date - INTERVAL '${days}' DAY AS date) AS varchar)`;
/** The arrival day of a row from its partition columns, 'yyyy-MM-dd'. */
const ARRIVAL_DAY = `concat(r."year", '-', r."month", '-', r."day")`;
const ARRIVAL_HOUR = `concat(r."year", '-', r."month", '-', r."day", 'T', r."hour")`;
const ARRIVAL_ORDER = `r."year" DESC, r."month" DESC, r."day" DESC, r."hour" DESC`;

/**
 * SQL of a query body that deduplicates a performance dataset by idempotency_id and sums its hourly deltas per id
 * key over hours (time_window_start) of the last `windowDays` days, scanning only the arrival partitions that can
 * hold them (the window plus the dataset's lateness plus a day for the profile's time zone).
 */
export function dedupSumSql(names: AmsGlueNames, schema: AmsDatasetSchema, windowDays = PERFORMANCE_WINDOW_DAYS, indent = ''): string {
  const keys = schema.sumBy!.map(q).join(', ');
  const carried = schema.latestOf!.map((c) => `max_by(${q(c)}, arrival_hour) AS ${q(c)}`);
  const sums = schema.metrics!.map((m) => `sum(${q(m)}) AS ${q(m)}`);
  const scanDays = windowDays + schema.lateDays! + 1;
  return [
    `${indent}SELECT ${keys},`,
    `${indent}       ${[...carried, ...sums].join(`,\n${indent}       `)}`,
    `${indent}FROM (`,
    `${indent}  SELECT r.*, ${ARRIVAL_HOUR} AS arrival_hour,`,
    `${indent}         row_number() OVER (PARTITION BY r."idempotency_id") AS occurrence`,
    `${indent}  FROM ${fq(names)} r`,
    `${indent}  WHERE ${ARRIVAL_DAY} >= ${daysAgo(scanDays)}`,
    `${indent}    AND substr(r."time_window_start", 1, 10) >= ${daysAgo(windowDays)}`,
    `${indent}) deduplicated`,
    `${indent}WHERE occurrence = 1 OR "idempotency_id" IS NULL`,
    `${indent}GROUP BY ${keys}`,
  ].join('\n');
}

/** Named query of a performance dataset: deduplicated hourly totals per id key. */
export function hourlyTotalsQuery(names: AmsGlueNames, datasetId: string, schema: AmsDatasetSchema): string {
  return [
    `-- Amazon Marketing Stream ${datasetId}: hourly totals per id key, hours of the last ${PERFORMANCE_WINDOW_DAYS} days.`,
    '-- 1. Delivery is at-least-once: keep one row per idempotency_id (a row without one is kept as it is).',
    '-- 2. Records are hourly deltas: sum them per key. Restatements carry new idempotency_ids and negative values',
    '--    are corrections, so they are summed too.',
    `-- 3. Keys are ids (${schema.sumBy!.join(', ')});`,
    schema.latestOf!.length
      ? `--    ${schema.latestOf!.join(', ')} can change for the same id: the latest value (by arrival) is shown, not grouped by.`
      : '--    no mutable text column is grouped by.',
    `-- Scans arrival partitions of the last ${PERFORMANCE_WINDOW_DAYS + schema.lateDays! + 1} days (${schema.lateNote}); change both windows together.`,
    dedupSumSql(names, schema),
    'ORDER BY "time_window_start"',
  ].join('\n');
}

/** Named query: sp-traffic LEFT JOIN sp-conversion on the shared aggregation keys, both deduplicated and summed. */
export function trafficConversionJoinQuery(traffic: AmsGlueNames, conversion: AmsGlueNames): string {
  const t = AMS_SCHEMAS['sp-traffic'];
  const c = AMS_SCHEMAS['sp-conversion'];
  // Null-safe equality: a key Amazon leaves empty (e.g. keyword_id of an ad without keyword) still matches.
  const on = JOIN_KEYS.map((k) => `t.${q(k)} IS NOT DISTINCT FROM c.${q(k)}`).join('\n   AND ');
  return [
    `-- Amazon Marketing Stream: sp-traffic joined to sp-conversion per hour and ad entity, hours of the last ${PERFORMANCE_WINDOW_DAYS} days.`,
    '-- Each side is deduplicated by idempotency_id and its hourly deltas are summed (negative corrections kept);',
    '-- then traffic is LEFT JOINed to conversion on the shared keys (hours without conversions keep their traffic).',
    '-- Conversions keep arriving for up to 60 days, so recent hours still change.',
    'WITH traffic AS (',
    dedupSumSql(traffic, t, PERFORMANCE_WINDOW_DAYS, '  '),
    '),',
    'conversion AS (',
    dedupSumSql(conversion, c, PERFORMANCE_WINDOW_DAYS, '  '),
    ')',
    `SELECT ${t.sumBy!.map((k) => `t.${q(k)}`).join(', ')},`,
    `       ${[...t.latestOf!, ...t.metrics!].map((m) => `t.${q(m)}`).join(', ')},`,
    `       ${c.metrics!.map((m) => `c.${q(m)}`).join(',\n       ')}`,
    'FROM traffic t',
    'LEFT JOIN conversion c',
    `    ON ${on}`,
    'ORDER BY t."time_window_start"',
  ].join('\n');
}

/** SQL of one entity-key part: a column, or `$targetType` (which of adsp-adgroup-targets' target arrays a record holds). */
function keyExpression(schema: AmsDatasetSchema, key: string): string {
  if (key !== '$targetType') return `r.${q(columnName(key))}`;
  const arrays = schema.fields.filter((f) => f.type === 'array' && f.name.endsWith('Targets'));
  return `CASE ${arrays.map((f) => `WHEN r.${q(columnName(f.name))} IS NOT NULL THEN '${f.name}'`).join(' ')} END`;
}

/** Named query of a state dataset (campaign management, budget usage, recommendations): the latest record per entity. */
export function latestPerEntityQuery(names: AmsGlueNames, datasetId: string, schema: AmsDatasetSchema): string {
  const partition = schema.entityKey!.map((k) => keyExpression(schema, k)).join(', ');
  const order = [...schema.latestBy!.map((c) => `r.${q(columnName(c))} DESC NULLS LAST`), ARRIVAL_ORDER].join(', ');
  const what: Record<string, string> = {
    'campaign-management': 'records are full entity states sent on every change; the highest version is the current one',
    'budget-usage': 'records are point-in-time budget usage (never sum them); the latest evaluation is the current one',
    recommendations: 'records are point-in-time recommendations (never sum them); the latest one is the current one',
  };
  return [
    `-- Amazon Marketing Stream ${datasetId}: the latest record per ${schema.entityKey!.join(' + ')} (${what[schema.family]}).`,
    `-- Latest = highest ${schema.latestBy!.join(', ')}, then the latest arrival; duplicates collapse to one row.`,
    `-- Window: records that arrived in the last ${schema.windowDays} days; an entity with no record in the window is not listed, so widen it for a full inventory (cost grows with it).`,
    'SELECT *',
    'FROM (',
    `  SELECT r.*, row_number() OVER (PARTITION BY ${partition} ORDER BY ${order}) AS recency`,
    `  FROM ${fq(names)} r`,
    `  WHERE ${ARRIVAL_DAY} >= ${daysAgo(schema.windowDays!)}`,
    ') latest',
    'WHERE recency = 1',
    `ORDER BY ${schema.entityKey!.filter((k) => !k.startsWith('$')).map((k) => q(columnName(k))).join(', ')}`,
  ].join('\n');
}

export interface AmsCatalogProps {
  readonly naming: Naming;
  readonly datasetId: string;
  readonly region: AdvertisingRegion;
  readonly bucket: DataBucket;
  /** Datasets configured in this region: the join query is made when sp-traffic is one of them. */
  readonly configuredDatasets: readonly string[];
  /** First day (YYYY-MM-DD) whose data the tables project (config `ams.partitionStartDate`). */
  readonly partitionStartDate: string;
}

/** Terraform outputs of the query layer (contracts/ams.ts). */
export { AMS_CATALOG_OUTPUTS };

/** Glue database, table with partition projection, Athena workgroup and named queries of one AMS stack. */
export class AmsCatalog extends Construct {
  readonly names: AmsGlueNames;
  readonly database: GlueCatalogDatabase;
  readonly table: GlueCatalogTable;
  readonly workgroup: AthenaWorkgroup;
  readonly queries: AthenaNamedQuery[] = [];

  constructor(scope: TributaryStack, id: string, props: AmsCatalogProps) {
    super(scope, id);
    const { naming, datasetId, region, bucket } = props;
    const schema = AMS_SCHEMAS[datasetId];
    if (!schema) throw new Error(`no record schema for Amazon Marketing Stream dataset ${datasetId}`);
    this.names = amsGlueNames(naming, datasetId);
    this.database = new GlueCatalogDatabase(this, 'database', {
      name: this.names.database,
      description: `Amazon Marketing Stream ${datasetId} (${region}) records in s3://<bucket>/${datasetId}/`,
    });
    scope.output(AMS_CATALOG_OUTPUTS.database, this.database.name, 'Glue database of this dataset (query it in Athena)');

    const location = `s3://${bucket.name}/${datasetId}/`;
    const parameters: Record<string, string> = {
      EXTERNAL: 'TRUE',
      classification: 'json',
      compressionType: 'gzip',
      'projection.enabled': 'true',
      ...partitionProjection(props.partitionStartDate),
      // "$${...}" is Terraform's escape for a literal "${...}", which Athena substitutes per partition.
      'storage.location.template': `${location}${PARTITION_KEYS.map((k) => `${k}=$\${${k}}`).join('/')}/`,
    };
    this.table = new GlueCatalogTable(this, 'table', {
      databaseName: this.database.name,
      name: this.names.table,
      description: `Amazon Marketing Stream ${datasetId} records (GZIP JSON lines, partitioned by UTC arrival hour)${schema.complete ? '' : '; Amazon documents this schema only in part: see docs/ams.md'}`,
      tableType: 'EXTERNAL_TABLE',
      parameters,
      partitionKeys: PARTITION_KEYS.map((k) => ({ name: k, type: 'string' })),
      storageDescriptor: {
        location,
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        compressed: true,
        serDeInfo: {
          name: 'json',
          serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          // case.insensitive: camelCase keys (campaignId) fill lower-case columns (campaignid), nested ones too.
          parameters: { 'serialization.format': '1', 'case.insensitive': 'true' },
        },
        columns: tableColumns(schema),
      },
    });
    scope.output(AMS_CATALOG_OUTPUTS.table, this.names.table, 'Glue table of the raw records (partition projection, no crawler)');

    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: naming.name('athenaWorkgroup', 'ams', datasetId),
      description: `Queries over Amazon Marketing Stream ${datasetId} (${region}); results in the stack's bucket`,
      forceDestroy: true,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${bucket.name}/athena-results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    scope.output(AMS_CATALOG_OUTPUTS.workgroup, this.workgroup.name, 'Athena workgroup holding the named queries');

    if (schema.family === 'performance') {
      this.namedQuery(naming, `${datasetId}-hourly`,
        `Deduplicated hourly ${datasetId} totals per id key, last ${PERFORMANCE_WINDOW_DAYS} days`, hourlyTotalsQuery(this.names, datasetId, schema));
    } else {
      this.namedQuery(naming, `${datasetId}-latest`,
        `Latest ${datasetId} record per ${schema.entityKey!.join(' + ')}, arrivals of the last ${schema.windowDays} days`,
        latestPerEntityQuery(this.names, datasetId, schema));
    }
    if (datasetId === 'sp-conversion' && props.configuredDatasets.includes('sp-traffic')) {
      const traffic = amsGlueNames(naming, 'sp-traffic');
      this.namedQuery(naming, 'sp-traffic-conversion', `sp-traffic LEFT JOIN sp-conversion per hour and ad entity, last ${PERFORMANCE_WINDOW_DAYS} days`,
        trafficConversionJoinQuery(traffic, this.names));
    }
  }

  private namedQuery(naming: Naming, purpose: string, description: string, query: string): void {
    this.queries.push(
      new AthenaNamedQuery(this, purpose, {
        name: naming.name('athenaQuery', 'ams', purpose),
        description,
        database: this.database.name,
        workgroup: this.workgroup.name,
        query,
      }),
    );
  }
}
