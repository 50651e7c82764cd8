/**
 * The environment configuration: one JSON file (config/default.json unless TRIBUTARY_CONFIG names another)
 * validated at load. Errors name the bad key and the allowed values, and are raised before anything is
 * synthesized.
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../lib/paths.js';
import { parseAmsConfig, type AmsConfig } from './ams.js';
import { parseBuyWithPrimeConfig, type BuyWithPrimeConfig } from './buy-with-prime.js';
import { parseClickstreamConfig, type ClickstreamConfig } from './clickstream.js';
import { parseClientEventsConfig, type ClientEventsConfig } from './client-events.js';
import {
  ConfigError, LOG_RETENTION_DAYS, bool, describe, join, oneOf, onlyKeys, optStr, section, str, type Raw,
} from './validate.js';

export { ConfigError } from './validate.js';

export type BackendConfig =
  | { readonly type: 'local' }
  | {
      readonly type: 's3';
      /** Existing state bucket. */
      readonly bucket: string;
      /** Key prefix; each stack's state is `<keyPrefix>/<stack>.tfstate`. Default "tributary". */
      readonly keyPrefix: string;
      /** Region of the state bucket. */
      readonly region: string;
      /** S3-native state locking (Terraform >= 1.10). Default true. */
      readonly useLockfile: boolean;
      /** Encrypt state objects. Always true. */
      readonly encrypt: true;
    };

export interface TributaryConfig {
  /** Short lowercase prefix for every resource name: 2-12 of a-z, 0-9 and '-', starting with a letter. Default "trib". */
  readonly prefix: string;
  /** Environment label (dev, staging, prod...): tags, EventBridge detail types. Default "dev". */
  readonly environment: string;
  /** CloudWatch Logs retention for every log group, one of the values CloudWatch accepts. Default 30. */
  readonly logRetentionDays: number;
  /** E-mail subscribed to every stack's alerts topic (confirm the e-mail AWS sends). Default none. */
  readonly alarmEmail?: string;
  /** Tags applied to every resource through the provider's default_tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** Terraform state backend. Default local (state/<prefix>/<stack>.tfstate beside the output folder, lib/state.ts). */
  readonly backend: BackendConfig;
  readonly ams: AmsConfig;
  /** Buy with Prime partner integration (docs/buy-with-prime.md). Default disabled. */
  readonly buyWithPrime: BuyWithPrimeConfig;
  /** Real-time clickstream pipeline (docs/clickstream.md). Default disabled. */
  readonly clickstream: ClickstreamConfig;
  /** Authenticated client events: Cognito, API Gateway, EventBridge, Firehose, Zendesk (docs/client-events.md). Default disabled. */
  readonly clientEvents: ClientEventsConfig;
}

export const TOP_LEVEL_KEYS = ['$comment', 'prefix', 'environment', 'logRetentionDays', 'alarmEmail', 'tags', 'backend', 'ams', 'buyWithPrime', 'clickstream', 'clientEvents'] as const;

export const PREFIX_PATTERN = /^[a-z][a-z0-9-]{1,11}$/;

export function parseConfig(raw: unknown): TributaryConfig {
  const o: Raw = section(raw, '(root)', false);
  onlyKeys(o, '', TOP_LEVEL_KEYS);
  const prefix = str(o, '', 'prefix', 'trib', {
    pattern: PREFIX_PATTERN,
    hint: '2-12 characters of a-z, 0-9 and "-", starting with a letter',
  });
  if (prefix.endsWith('-') || prefix.includes('--')) {
    throw new ConfigError('prefix', `${describe(prefix)} may not end with "-" or contain "--"`);
  }
  return {
    prefix,
    environment: str(o, '', 'environment', 'dev', { pattern: /^[a-z][a-z0-9-]{0,15}$/, hint: '1-16 characters of a-z, 0-9 and "-"' }),
    logRetentionDays: oneOf<number>(o, '', 'logRetentionDays', 30, LOG_RETENTION_DAYS),
    alarmEmail: optStr(o, '', 'alarmEmail', { pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, hint: 'an e-mail address' }),
    tags: parseTags(o.tags),
    backend: parseBackend(o.backend),
    ams: parseAmsConfig(o.ams),
    buyWithPrime: parseBuyWithPrimeConfig(o.buyWithPrime),
    clickstream: parseClickstreamConfig(o.clickstream),
    clientEvents: parseClientEventsConfig(o.clientEvents),
  };
}

function parseTags(raw: unknown): Record<string, string> {
  const tags = section(raw, 'tags');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string') throw new ConfigError(join('tags', k), `must be a string, got ${describe(v)}`);
    if (k.length > 128 || v.length > 256 || k.startsWith('aws:')) {
      throw new ConfigError(join('tags', k), 'tag keys are at most 128 characters, values 256, and may not start with "aws:"');
    }
    out[k] = v;
  }
  return out;
}

function parseBackend(raw: unknown): BackendConfig {
  const o = section(raw, 'backend');
  const type = oneOf(o, 'backend', 'type', 'local', ['local', 's3'] as const);
  if (type === 'local') {
    onlyKeys(o, 'backend', ['type']);
    return { type };
  }
  onlyKeys(o, 'backend', ['type', 'bucket', 'keyPrefix', 'region', 'useLockfile']);
  return {
    type,
    bucket: str(o, 'backend', 'bucket', undefined, { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, hint: 'an S3 bucket name' }),
    keyPrefix: str(o, 'backend', 'keyPrefix', 'tributary', { pattern: /^[A-Za-z0-9!_.*'()\/-]{1,200}$/, hint: 'an S3 key prefix' }),
    region: str(o, 'backend', 'region', undefined, { pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, hint: 'an AWS region such as us-east-1' }),
    useLockfile: bool(o, 'backend', 'useLockfile', true),
    encrypt: true,
  };
}

export const DEFAULT_CONFIG_PATH = fromRoot('config', 'default.json');

/** Loads and validates the file named by TRIBUTARY_CONFIG, or config/default.json. */
export function loadConfig(path = process.env.TRIBUTARY_CONFIG || DEFAULT_CONFIG_PATH): TributaryConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseConfig(raw);
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

/** Convenience for tests: the default config with overrides merged at the top level and per section. */
export function configWith(overrides: Record<string, unknown>): TributaryConfig {
  const base = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as Raw;
  const merged: Raw = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    const b = base[k];
    merged[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? { ...(b as Raw), ...(v as Raw) } : v;
  }
  return parseConfig(merged);
}
