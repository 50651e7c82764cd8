/**
 * The environment configuration: one JSON file (config/default.json unless TRIBUTARY_CONFIG names another)
 * validated at load against the schema in config/schema.ts. Every error of the file is reported at once, each
 * naming its key (unknown keys with a did-you-mean), before anything is synthesized. config/schema.json is the
 * same schema for editors (`"$schema": "./schema.json"` in a config file).
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../lib/paths.js';
import { configSchema, type TributaryConfig } from './schema.js';
import { parseWith } from './validate.js';

export { ConfigError, type ConfigIssue } from './validate.js';
export { PREFIX_PATTERN, TOP_LEVEL_KEYS, configSchema, type BackendConfig, type TributaryConfig } from './schema.js';
export type { AmsConfig } from './ams.js';
export type { BuyWithPrimeConfig, BwpFargateConfig } from './buy-with-prime.js';
export type { ClickstreamConfig } from './clickstream.js';
export type { ClientEventsConfig, ClientEventsZendeskConfig } from './client-events.js';
export type { ControlsConfig } from './controls.js';

type Raw = Record<string, unknown>;

/** Validates a parsed config file; throws a ConfigError listing every problem. `$schema` and `$comment` are ignored. */
export function parseConfig(raw: unknown): TributaryConfig {
  return parseWith(configSchema, raw);
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
