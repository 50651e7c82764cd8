/**
 * The query-ready layer of an AMS stack (config `ams.glue`, default on): a Glue catalog database per stack and,
 * for each dataset whose record schema Amazon documents, a Glue table over `s3://<bucket>/<dataset>/` with
 * partition projection (no crawler), an Athena workgroup whose results stay in the stack's bucket, and Athena
 * named queries implementing Amazon's aggregation guidance: deduplicate by idempotency_id, sum the hourly
 * deltas per aggregation key (negative corrections kept), and LEFT JOIN traffic to conversion.
 */
import { Construct } from 'constructs';
import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { AthenaNamedQuery } from '@cdktf/provider-aws/lib/athena-named-query';
import type { AdvertisingRegion } from '../lib/ams.js';
import type { DataBucket } from '../modules/data-bucket.js';
import { NAME_LIMITS, type Naming } from '../modules/naming.js';
import type { TributaryStack } from './base.js';

export type GlueType = 'string' | 'bigint' | 'double';

export interface RecordSchema {
  readonly columns: readonly { readonly name: string; readonly type: GlueType }[];
  /** Keys the hourly deltas are summed by (Amazon's aggregation keys). */
  readonly aggregationKeys: readonly string[];
  /** Numeric columns that are summed. */
  readonly metrics: readonly string[];
}

/** Aggregation keys shared by sp-traffic and sp-conversion: the LEFT JOIN condition. */
export const JOIN_KEYS = [
  'advertiser_id', 'marketplace_id', 'time_window_start', 'campaign_id', 'ad_group_id', 'ad_id', 'keyword_id',
  'placement', 'currency',
] as const;

const COMMON_STRINGS = [
  'idempotency_id', 'dataset_id', 'marketplace_id', 'currency', 'advertiser_id', 'campaign_id', 'ad_group_id', 'ad_id',
  'keyword_id',
] as const;

const CONVERSION_WINDOWS = ['1d', '7d', '14d', '30d'] as const;
const conversionMetrics: { name: string; type: GlueType }[] = CONVERSION_WINDOWS.flatMap((w) => [
  { name: `attributed_conversions_${w}`, type: 'bigint' as const },
  { name: `attributed_conversions_${w}_same_sku`, type: 'bigint' as const },
  { name: `attributed_sales_${w}`, type: 'double' as const },
  { name: `attributed_sales_${w}_same_sku`, type: 'double' as const },
  { name: `attributed_units_ordered_${w}`, type: 'bigint' as const },
  { name: `attributed_units_ordered_${w}_same_sku`, type: 'bigint' as const },
]);

const str = (name: string) => ({ name, type: 'string' as const });

/**
 * Record schemas Amazon documents (Amazon Ads Marketing Stream data guide). Datasets not listed get the
 * database only; add their columns here when Amazon documents them.
 */
export const AMS_RECORD_SCHEMAS: Readonly<Record<string, RecordSchema>> = {
  'sp-traffic': {
    columns: [
      ...COMMON_STRINGS.map(str), str('keyword_text'), str('match_type'), str('placement'), str('time_window_start'),
      { name: 'clicks', type: 'bigint' }, { name: 'impressions', type: 'bigint' }, { name: 'cost', type: 'double' },
    ],
    aggregationKeys: [...JOIN_KEYS, 'keyword_text'],
    metrics: ['impressions', 'clicks', 'cost'],
  },
  'sp-conversion': {
    columns: [...COMMON_STRINGS.map(str), str('placement'), str('time_window_start'), ...conversionMetrics],
    aggregationKeys: [...JOIN_KEYS],
    metrics: conversionMetrics.map((c) => c.name),
  },
};

/** Partition keys written by Firehose (UTC arrival hour, zero-padded) and their projection ranges. */
export const PARTITION_PROJECTION = [
  { key: 'year', range: '2022,2099', digits: 4 },
  { key: 'month', range: '1,12', digits: 2 },
  { key: 'day', range: '1,31', digits: 2 },
  { key: 'hour', range: '0,23', digits: 2 },
] as const;

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

const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;
const fq = (names: AmsGlueNames): string => `${q(names.database)}.${q(names.table)}`;

/**
 * SQL of a CTE body that deduplicates `names` by idempotency_id (at-least-once delivery) and sums the hourly
 * deltas per aggregation key. Restatements carry new idempotency_ids and negative values are corrections, so
 * every remaining row is summed as it is.
 */
export function dedupSumSql(names: AmsGlueNames, schema: RecordSchema, indent = ''): string {
  const keys = schema.aggregationKeys.join(', ');
  const sums = schema.metrics.map((m) => `sum(${m}) AS ${m}`).join(`,\n${indent}       `);
  return [
    `${indent}SELECT ${keys},`,
    `${indent}       ${sums}`,
    `${indent}FROM (`,
    `${indent}  SELECT r.*, row_number() OVER (PARTITION BY idempotency_id) AS occurrence`,
    `${indent}  FROM ${fq(names)} r`,
    `${indent}) deduplicated`,
    `${indent}WHERE occurrence = 1`,
    `${indent}GROUP BY ${keys}`,
  ].join('\n');
}

/** Named query: the hourly totals of one dataset. */
export function hourlyTotalsQuery(names: AmsGlueNames, datasetId: string, schema: RecordSchema): string {
  return [
    `-- Amazon Marketing Stream ${datasetId}: hourly totals per aggregation key.`,
    '-- 1. Delivery is at-least-once: keep one row per idempotency_id (row_number() ... = 1).',
    '-- 2. Records are hourly deltas: sum them per key. Restatements carry new idempotency_ids and negative values',
    '--    are legitimate corrections, so they are summed too.',
    '-- To scan less, filter the arrival partitions (year, month, day, hour; UTC) inside the innermost SELECT.',
    dedupSumSql(names, schema),
    'ORDER BY time_window_start',
  ].join('\n');
}

/** Named query: sp-traffic LEFT JOIN sp-conversion on the shared aggregation keys, both deduplicated and summed. */
export function trafficConversionJoinQuery(traffic: AmsGlueNames, conversion: AmsGlueNames): string {
  const t = AMS_RECORD_SCHEMAS['sp-traffic'];
  const c = AMS_RECORD_SCHEMAS['sp-conversion'];
  // Null-safe equality: a key Amazon leaves empty (e.g. keyword_id of an ad without keyword) still matches.
  const on = JOIN_KEYS.map((k) => `t.${k} IS NOT DISTINCT FROM c.${k}`).join('\n   AND ');
  return [
    '-- Amazon Marketing Stream: sp-traffic joined to sp-conversion per hour and ad entity, as Amazon recommends.',
    '-- Each side is deduplicated by idempotency_id and its hourly deltas are summed (negative corrections kept);',
    '-- then traffic is LEFT JOINed to conversion on the shared aggregation keys (hours without conversions keep',
    '-- their traffic). Conversions keep arriving for up to 60 days, so recent hours still change.',
    'WITH traffic AS (',
    dedupSumSql(traffic, t, '  '),
    '),',
    'conversion AS (',
    dedupSumSql(conversion, c, '  '),
    ')',
    `SELECT ${t.aggregationKeys.map((k) => `t.${k}`).join(', ')},`,
    `       ${t.metrics.map((m) => `t.${m}`).join(', ')},`,
    `       ${c.metrics.map((m) => `c.${m}`).join(',\n       ')}`,
    'FROM traffic t',
    'LEFT JOIN conversion c',
    `    ON ${on}`,
    'ORDER BY t.time_window_start',
  ].join('\n');
}

export interface AmsCatalogProps {
  readonly naming: Naming;
  readonly datasetId: string;
  readonly region: AdvertisingRegion;
  readonly bucket: DataBucket;
  /** Datasets configured in this region: the join query is made when sp-traffic is one of them. */
  readonly configuredDatasets: readonly string[];
}

/** Terraform outputs of the query layer. */
export const AMS_CATALOG_OUTPUTS = {
  database: 'glue_database',
  table: 'glue_table',
  workgroup: 'athena_workgroup',
} as const;

/** Glue database, table with partition projection, Athena workgroup and named queries of one AMS stack. */
export class AmsCatalog extends Construct {
  readonly names: AmsGlueNames;
  readonly database: GlueCatalogDatabase;
  readonly table?: GlueCatalogTable;
  readonly workgroup?: AthenaWorkgroup;
  readonly queries: AthenaNamedQuery[] = [];

  constructor(scope: TributaryStack, id: string, props: AmsCatalogProps) {
    super(scope, id);
    const { naming, datasetId, region, bucket } = props;
    this.names = amsGlueNames(naming, datasetId);
    this.database = new GlueCatalogDatabase(this, 'database', {
      name: this.names.database,
      description: `Amazon Marketing Stream ${datasetId} (${region}) records in s3://<bucket>/${datasetId}/`,
    });
    scope.output(AMS_CATALOG_OUTPUTS.database, this.database.name, 'Glue database of this dataset (query it in Athena)');

    const schema = AMS_RECORD_SCHEMAS[datasetId];
    if (!schema) return;

    const location = `s3://${bucket.name}/${datasetId}/`;
    const parameters: Record<string, string> = {
      EXTERNAL: 'TRUE',
      classification: 'json',
      compressionType: 'gzip',
      'projection.enabled': 'true',
      // "$${...}" is Terraform's escape for a literal "${...}", which Athena substitutes per partition.
      'storage.location.template': `${location}${PARTITION_PROJECTION.map((p) => `${p.key}=$\${${p.key}}`).join('/')}/`,
    };
    for (const p of PARTITION_PROJECTION) {
      parameters[`projection.${p.key}.type`] = 'integer';
      parameters[`projection.${p.key}.range`] = p.range;
      parameters[`projection.${p.key}.digits`] = String(p.digits);
    }
    this.table = new GlueCatalogTable(this, 'table', {
      databaseName: this.database.name,
      name: this.names.table,
      description: `Amazon Marketing Stream ${datasetId} records (GZIP JSON lines, partitioned by UTC arrival hour)`,
      tableType: 'EXTERNAL_TABLE',
      parameters,
      partitionKeys: PARTITION_PROJECTION.map((p) => ({ name: p.key, type: 'string' })),
      storageDescriptor: {
        location,
        inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        compressed: true,
        serDeInfo: {
          name: 'json',
          serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          parameters: { 'serialization.format': '1', 'case.insensitive': 'true' },
        },
        columns: schema.columns.map((c) => ({ name: c.name, type: c.type })),
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

    this.namedQuery(naming, `${datasetId}-hourly`, `Deduplicated hourly ${datasetId} totals per aggregation key`,
      hourlyTotalsQuery(this.names, datasetId, schema));

    if (datasetId === 'sp-conversion' && props.configuredDatasets.includes('sp-traffic')) {
      const traffic = amsGlueNames(naming, 'sp-traffic');
      this.namedQuery(naming, 'sp-traffic-conversion', 'sp-traffic LEFT JOIN sp-conversion per hour and ad entity (deduplicated, summed)',
        trafficConversionJoinQuery(traffic, this.names));
    }
  }

  private namedQuery(naming: Naming, purpose: string, description: string, query: string): void {
    this.queries.push(
      new AthenaNamedQuery(this, purpose, {
        name: naming.name('athenaQuery', 'ams', purpose),
        description,
        database: this.database.name,
        workgroup: this.workgroup!.name,
        query,
      }),
    );
  }
}
