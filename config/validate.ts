/**
 * Small, dependency-free validators for the configuration file. Every error names the offending key
 * (as a dotted path such as `ams.regions[1]`) and, where the set is closed, the allowed values.
 */

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`config key "${key}": ${message}`);
    this.name = 'ConfigError';
  }
}

export type Raw = Record<string, unknown>;

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The value at `key` must be a plain object; `undefined` yields `{}` when `optional`. */
export function section(raw: unknown, key: string, optional = true): Raw {
  if (raw === undefined && optional) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(key, `must be an object, got ${describe(raw)}`);
  }
  return raw as Raw;
}

/** Rejects keys that are not in `allowed`, naming the allowed keys. */
export function onlyKeys(obj: Raw, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(join(path, k), `unknown key; allowed keys are: ${allowed.join(', ')}`);
    }
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function str(
  obj: Raw,
  path: string,
  key: string,
  def: string | undefined,
  opts: { pattern?: RegExp; hint?: string; maxLength?: number } = {},
): string {
  const v = obj[key] ?? def;
  const full = join(path, key);
  if (typeof v !== 'string') throw new ConfigError(full, `must be a string, got ${describe(v)}`);
  if (opts.maxLength !== undefined && v.length > opts.maxLength) {
    throw new ConfigError(full, `must be at most ${opts.maxLength} characters, got ${v.length}`);
  }
  if (opts.pattern && !opts.pattern.test(v)) {
    throw new ConfigError(full, `${describe(v)} is not valid: ${opts.hint ?? `must match ${opts.pattern}`}`);
  }
  return v;
}

export function optStr(
  obj: Raw,
  path: string,
  key: string,
  opts: { pattern?: RegExp; hint?: string; maxLength?: number } = {},
): string | undefined {
  if (obj[key] === undefined || obj[key] === null) return undefined;
  return str(obj, path, key, undefined, opts);
}

export function bool(obj: Raw, path: string, key: string, def: boolean): boolean {
  const v = obj[key] ?? def;
  if (typeof v !== 'boolean') throw new ConfigError(join(path, key), `must be true or false, got ${describe(v)}`);
  return v;
}

export function int(
  obj: Raw,
  path: string,
  key: string,
  def: number,
  range: { min: number; max: number },
): number {
  const v = obj[key] ?? def;
  const full = join(path, key);
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ConfigError(full, `must be an integer between ${range.min} and ${range.max}, got ${describe(v)}`);
  }
  if (v < range.min || v > range.max) {
    throw new ConfigError(full, `must be between ${range.min} and ${range.max}, got ${v}`);
  }
  return v;
}

export function oneOf<T extends string | number>(
  obj: Raw,
  path: string,
  key: string,
  def: T,
  allowed: readonly T[],
): T {
  const v = (obj[key] ?? def) as T;
  if (!allowed.includes(v)) {
    throw new ConfigError(join(path, key), `${describe(v)} is not allowed; allowed values are: ${allowed.join(', ')}`);
  }
  return v;
}

/** A list whose every element is one of `allowed` (duplicates rejected). `'*'` alone means all. */
export function listOf<T extends string>(
  obj: Raw,
  path: string,
  key: string,
  def: readonly T[],
  allowed: readonly T[],
  opts: { wildcard?: boolean; minItems?: number } = {},
): T[] {
  const v = obj[key] ?? def;
  const full = join(path, key);
  if (!Array.isArray(v)) throw new ConfigError(full, `must be a list, got ${describe(v)}`);
  if (opts.wildcard && v.length === 1 && v[0] === '*') return [...allowed];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    if (typeof item !== 'string' || !allowed.includes(item as T)) {
      throw new ConfigError(
        join(full, i),
        `${describe(item)} is not allowed; allowed values are: ${opts.wildcard ? '"*" (all) or ' : ''}${allowed.join(', ')}`,
      );
    }
    if (seen.has(item)) throw new ConfigError(join(full, i), `${describe(item)} is listed twice`);
    seen.add(item);
  });
  if (v.length < (opts.minItems ?? 0)) {
    throw new ConfigError(full, `must list at least ${opts.minItems} value(s)`);
  }
  return v as T[];
}

export function strList(obj: Raw, path: string, key: string, def: readonly string[], opts: { pattern?: RegExp; hint?: string } = {}): string[] {
  const v = obj[key] ?? def;
  const full = join(path, key);
  if (!Array.isArray(v)) throw new ConfigError(full, `must be a list of strings, got ${describe(v)}`);
  return v.map((item, i) => {
    if (typeof item !== 'string') throw new ConfigError(join(full, i), `must be a string, got ${describe(item)}`);
    if (opts.pattern && !opts.pattern.test(item)) {
      throw new ConfigError(join(full, i), `${describe(item)} is not valid: ${opts.hint ?? `must match ${opts.pattern}`}`);
    }
    return item;
  });
}

/** CloudWatch Logs accepts only these retention values (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** AWS regions this project knows how to name and pin a provider to. */
export const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'eu-south-1',
  'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1', 'sa-east-1',
] as const;
export type AwsRegion = (typeof AWS_REGIONS)[number];

export function regions(obj: Raw, path: string, key: string, def: readonly AwsRegion[]): AwsRegion[] {
  return listOf<AwsRegion>(obj, path, key, def, AWS_REGIONS, { minItems: 1 });
}

/** An origin as CORS compares it: scheme://host[:port] (no path), a "*." wildcard subdomain, or "*" alone. */
export const CORS_ORIGIN = /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?)$/;

/** A list of CORS origins (default none: CORS off); "*" must stand alone. */
export function corsOrigins(obj: Raw, path: string, key: string): string[] {
  const origins = strList(obj, path, key, [], {
    pattern: CORS_ORIGIN,
    hint: 'an origin such as "https://shop.example.com" (scheme and host, no path), "https://*.example.com" or "*"',
  });
  if (origins.includes('*') && origins.length > 1) throw new ConfigError(join(path, key), '"*" must be the only origin when used');
  return origins;
}
