/**
 * The AMS query layer as synthesized (buildApp + app.synth): a Glue table for each of the 23 datasets with the
 * columns of Amazon's documented record schema, partition projection from the configured start to NOW, an Athena
 * workgroup and the named queries of each dataset family. Contracts: Amazon Ads Marketing Stream dataset pages
 * (record fields and types, embedded with sources in contracts/ams-schemas.json), Athena's partition projection guide
 * (date type range "<start>,NOW"; the date type cannot span split year/month/day keys), the OpenX JSON SerDe
 * (case.insensitive). What the tables and queries return is tested end to end in ams-data.test.ts.
 */
import '../../lib/fast-synth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, parseConfig } from '../../config/index.js';
import { AMS_DATASET_IDS } from '../../contracts/ams.js';
import { AMS_SCHEMAS } from '../../contracts/ams-schemas.js';
import { HIVE_TIME_PARTITIONS } from '../../modules/firehose-to-s3.js';
import { AMS_CATALOG_OUTPUTS } from '../../stacks/ams/catalog.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';

type Body = Record<string, unknown>;
const one = (stack: SynthStack, type: string): [string, Body] => {
  const hits = Object.entries(resources(stack, type));
  expect(hits, `${stack.name} ${type}`).toHaveLength(1);
  return hits[0];
};
const columnsOf = (stack: SynthStack): Record<string, string> =>
  Object.fromEntries(((one(stack, 'aws_glue_catalog_table')[1].storage_descriptor as Body).columns as Body[]).map((c) => [String(c.name), String(c.type)]));

describe('Glue tables and named queries of all 23 datasets', () => {
  let synth: ReturnType<typeof synthConfig>;
  const stack = (dataset: string): SynthStack => synth.stacks.find((s) => s.name === `ams-${dataset}-na`)!;
  beforeAll(() => {
    synth = synthConfig(configWith({ ams: { regions: ['NA'] } }));
  });
  afterAll(() => synth?.cleanup());

  it('every dataset has a schema, a table and a workgroup; no crawler', () => {
    expect(Object.keys(AMS_SCHEMAS).sort()).toEqual([...AMS_DATASET_IDS].sort());
    expect(synth.stacks).toHaveLength(23);
    for (const s of synth.stacks) {
      const [, table] = one(s, 'aws_glue_catalog_table');
      expect(table.table_type).toBe('EXTERNAL_TABLE');
      one(s, 'aws_athena_workgroup');
      expect(resources(s, 'aws_glue_catalog_crawler')).toEqual({});
      expect(s.json.output![AMS_CATALOG_OUTPUTS.table]).toBeDefined();
    }
  });

  it('columns follow Amazon\'s documented types: Long/Integer -> bigint, Double -> double, ISO 8601 strings stay strings, objects -> structs', () => {
    // sp-performance page: Strings ..., Long clicks/impressions, Double cost.
    expect(columnsOf(stack('sp-traffic'))).toMatchObject({ idempotency_id: 'string', keyword_text: 'string', time_window_start: 'string', clicks: 'bigint', impressions: 'bigint', cost: 'double' });
    expect(Object.keys(columnsOf(stack('sp-conversion')))).toHaveLength(35);
    // budget-usage page: budget and budget_usage_percentage are Double.
    expect(columnsOf(stack('budget-usage'))).toMatchObject({ budget: 'double', budget_usage_percentage: 'double', budget_scope_id: 'string' });
    // campaign management: camelCase keys become lower-case columns (the SerDe matches keys case-insensitively);
    // dotted names (budget.budgetCap.monetaryBudget.amount) are nested structs; tags is map<string,string>.
    const campaigns = columnsOf(stack('campaigns'));
    expect(campaigns).toMatchObject({ campaignid: 'string', version: 'bigint', tags: 'map<string,string>' });
    expect(campaigns.budget).toBe('struct<budgetcap:struct<monetarybudget:struct<amount:double,currencycode:string>,recurrence:struct<recurrencetype:string>>>');
    expect(campaigns.audit).toBe('struct<creationdatetime:string,lastupdateddatetime:string>');
    // adsp-performance: Integer counts as bigint.
    expect(columnsOf(stack('adsp-traffic')).impressions).toBe('bigint');
    for (const s of synth.stacks) {
      const cols = columnsOf(s);
      for (const [name, type] of Object.entries(cols)) {
        expect(name).toBe(name.toLowerCase());
        expect(type).toMatch(/^(string|bigint|double|boolean|struct<.*>|array<.*>|map<string,string>)$/);
      }
    }
  });

  it('an incomplete schema builds what Amazon confirms and leaves fields of undocumented type out', () => {
    const recs = AMS_SCHEMAS['sponsored-ads-campaign-diagnostics-recommendations'];
    expect(recs.complete).toBe(false);
    expect(recs.omitted).toContain("explanation.estimated_change (type not documented: null in Amazon's only example)");
    const explanation = columnsOf(stack('sponsored-ads-campaign-diagnostics-recommendations')).explanation;
    expect(explanation).not.toContain('estimated_change');
    expect(String(one(stack('targets'), 'aws_glue_catalog_table')[1].description)).toContain('only in part');
  });

  it('partition projection: year is a date from the start year to NOW (not 2022-2099), matching the Firehose prefix', () => {
    for (const s of synth.stacks) {
      const [, table] = one(s, 'aws_glue_catalog_table');
      const p = table.parameters as Record<string, string>;
      expect(p).toMatchObject({
        'projection.enabled': 'true', 'projection.year.type': 'date', 'projection.year.format': 'yyyy', 'projection.year.range': '2024,NOW',
        'projection.year.interval': '1', 'projection.year.interval.unit': 'YEARS',
        'projection.month.type': 'integer', 'projection.month.range': '1,12', 'projection.month.digits': '2',
        'projection.day.range': '1,31', 'projection.hour.range': '0,23', 'projection.hour.digits': '2',
      });
      expect(table.partition_keys).toEqual(['year', 'month', 'day', 'hour'].map((name) => ({ name, type: 'string' })));
      const dataset = s.name.replace(/^ams-/, '').replace(/-na$/, '');
      const [, stream] = one(s, 'aws_kinesis_firehose_delivery_stream');
      const prefix = String((stream.extended_s3_configuration as Body).prefix);
      expect(prefix).toBe(`${dataset}/${HIVE_TIME_PARTITIONS}`);
      // Terraform "$${x}" is a literal "${x}" for Athena: the same key layout as the Firehose prefix.
      const template = p['storage.location.template'].replace(/^s3:\/\/\$\{[^}]+\}\//, '');
      expect(template.replace(/\$\$\{(\w+)\}/g, '!{$1}')).toBe(prefix.replace(/!\{timestamp:(yyyy|MM|dd|HH)\}/g, (_, f: string) => `!{${{ yyyy: 'year', MM: 'month', dd: 'day', HH: 'hour' }[f]}}`));
    }
  });

  it('named queries per family, each with a default time window', () => {
    const names = (d: string) => Object.values(resources(stack(d), 'aws_athena_named_query')).map((x) => String(x.name)).sort();
    expect(names('sp-traffic')).toEqual(['trib-use1-ams-sp-traffic-hourly']);
    expect(names('sp-conversion')).toEqual(['trib-use1-ams-sp-conversion-hourly', 'trib-use1-ams-sp-traffic-conversion']);
    expect(names('campaigns')).toEqual(['trib-use1-ams-campaigns-latest']);
    expect(names('budget-usage')).toEqual(['trib-use1-ams-budget-usage-latest']);
    expect(names('sp-budget-recommendations')).toEqual(['trib-use1-ams-sp-budget-recommendations-latest']);
    for (const s of synth.stacks) {
      for (const query of Object.values(resources(s, 'aws_athena_named_query'))) {
        const sql = String(query.query);
        expect(sql).toMatch(/concat\(r\."year", '-', r\."month", '-', r\."day"\) >= CAST\(CAST\(current_date - INTERVAL '\d+' DAY AS date\) AS varchar\)/);
        expect(String(query.name).length).toBeLessThanOrEqual(128);
      }
    }
    const traffic = String(Object.values(resources(stack('sp-traffic'), 'aws_athena_named_query'))[0].query);
    // Keyed by ids: keyword_text is carried as its latest value, never grouped by.
    expect(traffic).toContain('GROUP BY "advertiser_id", "marketplace_id", "time_window_start", "campaign_id", "ad_group_id", "ad_id", "keyword_id", "placement", "currency"');
    expect(traffic).toContain('max_by("keyword_text", arrival_hour)');
    expect(traffic).toContain('row_number() OVER (PARTITION BY r."idempotency_id")');
    const campaigns = String(Object.values(resources(stack('campaigns'), 'aws_athena_named_query'))[0].query);
    expect(campaigns).toContain('PARTITION BY r."campaignid" ORDER BY r."version" DESC NULLS LAST');
  });

  it('keeps the addresses of the sp-traffic/sp-conversion table, database and workgroup', () => {
    for (const d of ['sp-traffic', 'sp-conversion']) {
      expect(Object.keys(resources(stack(d), 'aws_glue_catalog_table'))[0]).toMatch(/^catalog_table_[0-9A-F]{8}$/);
      expect(Object.keys(resources(stack(d), 'aws_glue_catalog_database'))[0]).toMatch(/^catalog_database_[0-9A-F]{8}$/);
      expect(Object.keys(resources(stack(d), 'aws_athena_workgroup'))[0]).toMatch(/^catalog_workgroup_[0-9A-F]{8}$/);
    }
  });
});

describe('config ams.partitionStartDate', () => {
  it('defaults to 2024-01-01 and sets the projection start year', () => {
    expect(parseConfig({}).ams.partitionStartDate).toBe('2024-01-01');
    const synth = synthConfig(configWith({ ams: { regions: ['EU'], datasets: ['budget-usage'], partitionStartDate: '2026-03-15' } }));
    try {
      const p = one(synth.stacks[0], 'aws_glue_catalog_table')[1].parameters as Record<string, string>;
      expect(p['projection.year.range']).toBe('2026,NOW');
    } finally {
      synth.cleanup();
    }
  });

  it.each([['2024-02-30'], ['2024-1-01'], [20240101], ['2019-12-31'], ['next year']])('refuses %j with the key named', (v) => {
    expect(() => parseConfig({ ams: { partitionStartDate: v } })).toThrow(/config key "ams\.partitionStartDate"/);
  });
});

describe('query layer switches', () => {
  it('the join query exists only when sp-traffic is configured in that region', () => {
    const synth = synthConfig(configWith({ ams: { regions: ['NA'], datasets: ['sp-conversion'] } }));
    try {
      const names = Object.values(resources(synth.stacks[0], 'aws_athena_named_query')).map((x) => x.name);
      expect(names).toEqual(['trib-use1-ams-sp-conversion-hourly']);
    } finally {
      synth.cleanup();
    }
  });

  it('glue: false leaves the query layer out', () => {
    const synth = synthConfig(configWith({ ams: { regions: ['NA'], datasets: ['sp-traffic'], glue: false } }));
    try {
      for (const type of ['aws_glue_catalog_database', 'aws_glue_catalog_table', 'aws_athena_workgroup', 'aws_athena_named_query']) {
        expect(resources(synth.stacks[0], type), type).toEqual({});
      }
      expect(synth.stacks[0].json.output![AMS_CATALOG_OUTPUTS.database]).toBeUndefined();
    } finally {
      synth.cleanup();
    }
  });
});
