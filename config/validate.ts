/**
 * The building blocks of the config schema (zod 4) and its error report. Each builder carries the message its
 * checks give, so a report reads `config key "ams.regions[1]": "US" is not allowed; allowed values are: NA, EU, FE`;
 * parsing collects every issue of the file at once, unknown keys get a did-you-mean, and the same schema emits the
 * JSON Schema committed at config/schema.json (scripts/config-schema.ts).
 */
import { z } from 'zod';

export interface ConfigIssue {
  /** Dotted key path, e.g. `ams.regions[1]` (`(root)` for the file itself). */
  readonly key: string;
  readonly message: string;
}

/** Every problem of a config, reported at once; `key` names the first. */
export class ConfigError extends Error {
  readonly key: string;

  constructor(readonly issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `config key "${i.key}": ${i.message}`);
    super(lines.length === 1 ? lines[0] : `${lines.length} errors in the config:\n  ${lines.join('\n  ')}`);
    this.name = 'ConfigError';
    this.key = issues[0]?.key ?? '(root)';
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

// ---------------------------------------------------------------------------------------------------------------
// Builders. Call sites add `.default(...)` and `.describe(...)`: the JSON Schema shows both to editors.

export function int(min: number, max: number) {
  const range = `between ${min} and ${max}`;
  return z
    .int({ error: (iss) => `must be an integer ${range}, got ${describe(iss.input)}` })
    .min(min, { error: (iss) => `must be ${range}, got ${describe(iss.input)}` })
    .max(max, { error: (iss) => `must be ${range}, got ${describe(iss.input)}` });
}

export function bool() {
  return z.boolean({ error: (iss) => `must be true or false, got ${describe(iss.input)}` });
}

export interface StrOpts {
  readonly pattern?: RegExp;
  /** What a valid value looks like; the message of a pattern mismatch. */
  readonly hint?: string;
  readonly maxLength?: number;
}

export function str(opts: StrOpts = {}) {
  let s = z.string({ error: (iss) => `must be a string, got ${describe(iss.input)}` });
  if (opts.maxLength !== undefined) {
    const max = opts.maxLength;
    s = s.max(max, { error: (iss) => `must be at most ${max} characters, got ${String(iss.input).length}` });
  }
  if (opts.pattern) {
    const { pattern, hint } = opts;
    s = s.regex(pattern, { error: (iss) => `${describe(iss.input)} is not valid: ${hint ?? `must match ${pattern}`}` });
  }
  return s;
}

function notAllowed(values: readonly (string | number)[], prefix = '') {
  return (iss: { input?: unknown }) => `${describe(iss.input)} is not allowed; allowed values are: ${prefix}${values.join(', ')}`;
}

/** One of a closed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: notAllowed(values) });
}

/** One of a closed set of numbers. */
export function oneOfNumbers<const T extends readonly [number, ...number[]]>(values: T) {
  return z.literal(values, { error: notAllowed(values) });
}

/** Adds "`x` is listed twice" for a repeated entry of a list. */
function noDuplicates<T extends z.ZodType<unknown[]>>(list: T): T {
  return list
    .superRefine(
      (v, ctx) => {
        if (!Array.isArray(v)) return;
        const seen = new Set<unknown>();
        v.forEach((item, i) => {
          if (seen.has(item)) ctx.addIssue({ code: 'custom', path: [i], input: item, message: `${describe(item)} is listed twice` });
          seen.add(item);
        });
      },
      { when: () => true },
    )
    .meta({ uniqueItems: true });
}

function list<T extends z.ZodType>(item: T, what = 'a list') {
  return z.array(item, { error: (iss) => `must be ${what}, got ${describe(iss.input)}` });
}

/** A list of values from a closed set, each at most once, at least `minItems` of them. */
export function listOf<const T extends readonly [string, ...string[]]>(values: T, minItems = 1) {
  return noDuplicates(list(oneOf(values)).min(minItems, { error: `must list at least ${minItems} value(s)` }));
}

/** Like listOf, where `["*"]` (alone) stands for every value. */
export function listOfOrAll(values: readonly string[]) {
  const item = z.enum(['*', ...values] as [string, ...string[]], { error: notAllowed(values, '"*" (all) or ') });
  return noDuplicates(list(item).min(1, { error: 'must list at least 1 value(s)' }))
    .superRefine(
      (v, ctx) => {
        if (Array.isArray(v) && v.length > 1 && v.includes('*')) ctx.addIssue({ code: 'custom', input: v, message: '"*" (all) must be the only value when used' });
      },
      { when: () => true },
    )
    .transform((v) => (v.length === 1 && v[0] === '*' ? [...values] : v));
}

/** `obj` with its keys in the order of `shape` (a transform that fills a key keeps the declared order). */
export function inShapeOrder<T extends object>(shape: object, obj: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(shape)) if (k in obj) out[k] = (obj as Record<string, unknown>)[k];
  for (const k of Object.keys(obj)) if (!(k in out)) out[k] = (obj as Record<string, unknown>)[k];
  return out as T;
}

/** A list of strings, each checked by `opts`. */
export function strList(opts: StrOpts = {}) {
  return list(str(opts), 'a list of strings');
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

/** AWS regions: at least one, each once. */
export function regions() {
  return listOf(AWS_REGIONS);
}

/** An origin as CORS compares it: scheme://host[:port] (no path), a "*." wildcard subdomain, or "*" alone. */
export const CORS_ORIGIN = /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?)$/;

/** A list of CORS origins (default none: CORS off); "*" must stand alone. */
export function corsOrigins() {
  return strList({
    pattern: CORS_ORIGIN,
    hint: 'an origin such as "https://shop.example.com" (scheme and host, no path), "https://*.example.com" or "*"',
  })
    .superRefine(
      (v, ctx) => {
        if (Array.isArray(v) && v.includes('*') && v.length > 1) ctx.addIssue({ code: 'custom', input: v, message: '"*" must be the only origin when used' });
      },
      { when: () => true },
    )
    .default([]);
}

/** A section of the file: unknown keys are errors (reported with a did-you-mean). */
export function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, { error: (iss) => (iss.code === 'invalid_type' ? `must be an object, got ${describe(iss.input)}` : undefined) });
}

/** A value for the rules below: `undefined` unless it has the expected type (its own check reports it then). */
export const asInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
export const asStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

type Loose<T> = { readonly [K in keyof T]?: unknown };

/**
 * Rules that relate several keys of one section. They run even when other keys of the section are invalid (so the
 * report is complete) and therefore see the raw values: read them through asInt/asStr.
 */
export function rules<S extends z.ZodType<object>>(schema: S, fn: (v: Loose<z.output<S>>, fail: (key: string | number | (string | number)[], message: string) => void) => void): S {
  return schema.superRefine(
    (v, ctx) => {
      if (v === null || typeof v !== 'object') return;
      fn(v as Loose<z.output<S>>, (key, message) => {
        const path = Array.isArray(key) ? key : [key];
        ctx.addIssue({ code: 'custom', path, input: path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], v), message });
      });
    },
    { when: () => true },
  );
}

/**
 * Keys a section needs when its `enabled` is true; the JSON Schema says the same with an if/then.
 * `hints` describe each key in the message.
 */
export function requiredWhenEnabled<S extends z.ZodType<object>>(schema: S, sectionPath: string, hints: Readonly<Record<string, string>>): S {
  return rules(schema, (v, fail) => {
    if ((v as { enabled?: unknown }).enabled !== true) return;
    for (const [key, hint] of Object.entries(hints)) {
      if ((v as Record<string, unknown>)[key] === undefined) fail(key, `is required when ${sectionPath}.enabled is true (${hint})`);
    }
  }).meta({
    if: { properties: { enabled: { const: true } }, required: ['enabled'] },
    then: { required: Object.keys(hints) },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The report.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key`, if it is close enough to be a typo. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const distance = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key.toLowerCase(), k.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [k, distance];
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

type AnyDef = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; options?: z.ZodType[]; discriminator?: string };
const defOf = (s: z.ZodType): AnyDef => (s as unknown as { _zod: { def: AnyDef } })._zod.def;

/** The keys the object schema at `path` knows (the input picks the option of a discriminated union). */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  let s: z.ZodType | undefined = schema;
  let value = input;
  let i = 0;
  while (s) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else if (def.type === 'union' && def.options) {
      const tag = def.discriminator ? (value as Record<string, unknown> | undefined)?.[def.discriminator] : undefined;
      s = def.options.find((o) => def.discriminator && defOf(unwrapObject(o)).shape?.[def.discriminator]?.safeParse(tag).success) ?? def.options[0];
    } else if (i === path.length) return def.shape ? Object.keys(def.shape) : [];
    else if (def.shape) {
      s = def.shape[String(path[i])];
      value = (value as Record<string, unknown> | undefined)?.[String(path[i++])];
    } else if (def.element) {
      s = def.element;
      value = (value as unknown[] | undefined)?.[Number(path[i++])];
    } else return [];
  }
  return [];
}

function unwrapObject(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const def = defOf(cur);
    if (def.innerType) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else return cur;
  }
}

/** zod's issues as the config report: one per key, unknown keys one each with a did-you-mean, the first per key kept. */
export function configIssues(schema: z.ZodType, error: z.ZodError, raw: unknown, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const seen = new Set<string>();
  const add = (path: readonly PropertyKey[], message: string) => {
    const key = keyPath([...prefix, ...path]);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ key, message });
  };
  for (const iss of error.issues) {
    const input = (iss as { input?: unknown }).input;
    switch (iss.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, iss.path, raw);
        for (const k of iss.keys) {
          const guess = didYouMean(k, known);
          add([...iss.path, k], `unknown key; ${guess ? `did you mean "${guess}"? ` : ''}allowed keys are: ${known.join(', ')}`);
        }
        break;
      }
      case 'invalid_union':
        if ('discriminator' in iss && iss.discriminator && 'options' in iss && Array.isArray(iss.options)) {
          const values = (iss.options as unknown[]).filter((o) => o !== null && o !== undefined);
          const tag = (input as Record<string, unknown> | undefined)?.[iss.discriminator];
          add(iss.path, `${describe(tag)} is not allowed; allowed values are: ${values.join(', ')}`);
        } else add(iss.path, iss.message);
        break;
      case 'invalid_key':
        add(iss.path, iss.issues[0]?.message ?? iss.message);
        break;
      case 'invalid_type':
        add(iss.path, input === undefined && /^must be /.test(iss.message) ? `is required (${iss.message.replace(/, got nothing$/, '').replace(/^must be /, '')})` : iss.message);
        break;
      default:
        add(iss.path, iss.message);
    }
  }
  return out;
}

/** Parses `raw` with `schema`, throwing a ConfigError listing every problem (paths prefixed by `prefix`). */
export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, prefix: readonly PropertyKey[] = []): z.output<S> {
  const r = schema.safeParse(raw, { reportInput: true });
  if (r.success) return r.data;
  throw new ConfigError(configIssues(schema, r.error, raw, prefix));
}
