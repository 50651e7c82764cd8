/**
 * The record schemas of the 23 Amazon Marketing Stream datasets (embedded from Amazon's dataset pages and guides:
 * ams-schemas.json carries the sources, notes and omissions), typed for the Glue tables and Athena queries of
 * stacks/ams/catalog.ts and for test data.
 */
import data from './ams-schemas.json' with { type: 'json' };

export type AmsFieldType = 'string' | 'bigint' | 'double' | 'boolean' | 'struct' | 'array' | 'map';

export interface AmsField {
  /** The JSON key as Amazon documents it (camelCase or snake_case). */
  readonly name: string;
  readonly type: AmsFieldType;
  /** `iso8601`: a documented ISO 8601 time, kept as a string (it carries the profile's UTC offset). */
  readonly format?: 'iso8601';
  /** Members of a struct, or of the structs of an array. */
  readonly fields?: readonly AmsField[];
  /** Element type of an array. */
  readonly items?: { readonly type: AmsFieldType; readonly fields?: readonly AmsField[] };
  readonly keyType?: AmsFieldType;
  readonly valueType?: AmsFieldType;
  /** Only in Amazon's example payload, not in the schema table. */
  readonly exampleOnly?: boolean;
}

/** Which named queries a dataset gets. */
export type AmsDatasetFamily = 'performance' | 'campaign-management' | 'budget-usage' | 'recommendations';

export interface AmsDatasetSchema {
  readonly family: AmsDatasetFamily;
  /** false: Amazon documents the schema only in part (see `omitted`, `docIssues`). */
  readonly complete: boolean;
  readonly sources: readonly string[];
  readonly timeField: string;
  readonly fields: readonly AmsField[];
  /** performance: the deduplication key, the id keys the deltas are summed by, text carried as its latest value, the summed metrics. */
  readonly dedupeKey?: string;
  readonly sumBy?: readonly string[];
  readonly latestOf?: readonly string[];
  readonly metrics?: readonly string[];
  /** performance: days after an hour in which Amazon may still send deltas for it. */
  readonly lateDays?: number;
  readonly lateNote?: string;
  /** state datasets: the entity key, the columns ordering its versions (latest first) and the query's default window in days. */
  readonly entityKey?: readonly string[];
  readonly latestBy?: readonly string[];
  readonly windowDays?: number;
  /** Fields Amazon names without a type (left out of the table). */
  readonly omitted?: readonly string[];
  readonly notes: string;
  readonly docIssues?: readonly string[];
}

export const AMS_SCHEMAS: Readonly<Record<string, AmsDatasetSchema>> = data.datasets as unknown as Record<string, AmsDatasetSchema>;
export const AMS_SCHEMA_SOURCES: Readonly<Record<string, string>> = data.sources;
