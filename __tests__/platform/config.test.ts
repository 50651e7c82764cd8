/**
 * Config validation: bad values fail at load, before anything is synthesized, every one reported at once with its
 * key and the allowed values (unknown keys with a did-you-mean); documented defaults; the default file turns on
 * 23 datasets x 3 regions = 69 stacks. The JSON Schema committed at config/schema.json is the zod schema's
 * (never stale), every committed config file points at it with "$schema", and an independent JSON Schema validator
 * (ajv, draft-07) accepts and rejects the same files the loader does.
 */
import '../../lib/fast-synth.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { App } from 'cdktf';
import { ConfigError, configWith, DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../../config/index.js';
import { didYouMean, LOG_RETENTION_DAYS } from '../../config/validate.js';
import { AMS_DATASET_IDS } from '../../contracts/ams.js';
import { fromRoot } from '../../lib/paths.js';
import { CONFIG_SCHEMA_PATH, configSchemaText } from '../../scripts/config-schema.js';
import { addStacks } from '../../stacks/index.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const tmp = mkdtempSync(join(tmpdir(), 'tributary-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('invalid values fail with the key and the allowed values', () => {
  it('unknown dataset', () => {
    const e = errorOf(() => parseConfig({ ams: { datasets: ['sp-traffic', 'sp-trafic'] } }));
    expect(e.key).toBe('ams.datasets[1]');
    expect(e.message).toContain('"sp-trafic" is not allowed');
    for (const id of AMS_DATASET_IDS) expect(e.message).toContain(id);
    expect(e.message).toContain('"*" (all)');
  });

  it('a dataset listed twice, or an empty list', () => {
    expect(errorOf(() => parseConfig({ ams: { datasets: ['sp-traffic', 'sp-traffic'] } })).message).toMatch(/ams\.datasets\[1\].*listed twice/);
    expect(errorOf(() => parseConfig({ ams: { regions: [] } })).key).toBe('ams.regions');
  });

  it('unknown advertising region', () => {
    const e = errorOf(() => parseConfig({ ams: { regions: ['NA', 'us-east-1'] } }));
    expect(e.key).toBe('ams.regions[1]');
    expect(e.message).toMatch(/allowed values are: NA, EU, FE/);
  });

  it('bad prefix', () => {
    for (const prefix of ['Trib', 'x', 'a-very-long-prefix', '1trib', 'tr_b']) {
      const e = errorOf(() => parseConfig({ prefix }));
      expect(e.key, prefix).toBe('prefix');
      expect(e.message).toMatch(/2-12 characters of a-z, 0-9 and "-", starting with a letter/);
    }
    expect(errorOf(() => parseConfig({ prefix: 'trib-' })).message).toMatch(/may not end with "-"/);
    expect(errorOf(() => parseConfig({ prefix: 'tr--ib' })).message).toMatch(/contain "--"/);
  });

  it('bad retention', () => {
    const e = errorOf(() => parseConfig({ logRetentionDays: 31 }));
    expect(e.key).toBe('logRetentionDays');
    expect(e.message).toContain(`allowed values are: ${LOG_RETENTION_DAYS.join(', ')}`);
    const d = errorOf(() => parseConfig({ ams: { dataRetentionDays: -1 } }));
    expect(d.key).toBe('ams.dataRetentionDays');
    expect(d.message).toMatch(/between 0 and 36500/);
    expect(errorOf(() => parseConfig({ ams: { dataRetentionDays: 1.5 } })).message).toMatch(/must be an integer/);
  });

  it('unknown keys are errors that suggest the key meant and name the allowed keys', () => {
    const e = errorOf(() => parseConfig({ ams: { delivry: 'sqs' } }));
    expect(e.key).toBe('ams.delivry');
    expect(e.message).toBe(
      'config key "ams.delivry": unknown key; did you mean "delivery"? allowed keys are: enabled, delivery, regions, datasets, dataRetentionDays, ' +
        'bufferingSizeMiB, bufferingIntervalSeconds, fanOutMemoryMb, fanOutTimeoutSeconds, batchSize, maxBatchingWindowSeconds, maxReceiveCount, ' +
        'visibleMessagesAlarmThreshold, oldestMessageAgeAlarmSeconds, glue, partitionStartDate, monitoring',
    );
    expect(errorOf(() => parseConfig({ ams: { regoins: ['NA'] } })).message).toContain('config key "ams.regoins": unknown key; did you mean "regions"?');
    expect(errorOf(() => parseConfig({ prefx: 'x' })).message).toContain('config key "prefx": unknown key; did you mean "prefix"?');
    expect(errorOf(() => parseConfig({ clickstream: { ShardCount: 2 } })).message).toContain('did you mean "shardCount"?');
    // Nothing close: no guess, just the allowed keys (here of the local backend, not the s3 one).
    const far = errorOf(() => parseConfig({ backend: { type: 'local', bucket: 'b' } }));
    expect(far.message).toBe('config key "backend.bucket": unknown key; allowed keys are: type');
    expect(didYouMean('zzzzzz', ['prefix', 'environment'])).toBeUndefined();
    expect(didYouMean('retention', ['logRetentionDays'])).toBeUndefined();
  });

  it('delivery variant, visibility limit and batching window', () => {
    expect(errorOf(() => parseConfig({ ams: { delivery: 'kinesis' } })).message).toMatch(/allowed values are: sqs, firehose/);
    expect(errorOf(() => parseConfig({ ams: { fanOutTimeoutSeconds: 901 } })).message).toMatch(/ams.fanOutTimeoutSeconds.*between 3 and 900/);
    expect(errorOf(() => parseConfig({ ams: { batchSize: 100, maxBatchingWindowSeconds: 0 } })).key).toBe('ams.maxBatchingWindowSeconds');
  });

  it('a bad file fails before synthesis: main.ts exits 2 naming every bad key and writes nothing', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ams: { regions: ['NA', 'SA'] }, clickstream: { shardCount: 0 } }));
    const outdir = join(tmp, 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('main.ts')], {
      cwd: fromRoot(),
      env: { ...process.env, TRIBUTARY_CONFIG: bad, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('config key "ams.regions[1]"');
    expect(r.stderr).toContain('allowed values are: NA, EU, FE');
    expect(r.stderr).toContain('config key "clickstream.shardCount": must be between 1 and 500, got 0');
    expect(existsSync(outdir)).toBe(false);
  });

  it('loadConfig reports unreadable and non-JSON files with the path', () => {
    expect(() => loadConfig(join(tmp, 'missing.json'))).toThrow(/cannot read config file .*missing\.json/);
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{ "prefix": ');
    expect(() => loadConfig(broken)).toThrow(/broken\.json is not valid JSON/);
    const badKey = join(tmp, 'bad-key.json');
    writeFileSync(badKey, JSON.stringify({ logRetentionDays: 2 }));
    expect(() => loadConfig(badKey)).toThrow(/bad-key\.json: config key "logRetentionDays"/);
  });
});

describe('every error is reported at once', () => {
  it('lists each problem with its key path, across sections, in one ConfigError', () => {
    const e = errorOf(() =>
      parseConfig({
        prefix: 'Trib',
        logRetentionDays: 31,
        ams: { regoins: ['NA'], datasets: ['sp-traffic', 'sp-traffic'], batchSize: 100, maxBatchingWindowSeconds: 0 },
        clickstream: { shardCount: 0, throttlingRateLimit: 500 },
        clientEvents: { zendesk: { enabled: true } },
        tags: { 'aws:owner': 'me' },
      }),
    );
    expect(e.issues.map((i) => i.key)).toEqual([
      'prefix',
      'logRetentionDays',
      'tags.aws:owner',
      'ams.datasets[1]',
      'ams.regoins',
      'ams.maxBatchingWindowSeconds',
      'clickstream.shardCount',
      'clickstream.throttlingBurstLimit',
      'clientEvents.zendesk.ticketsEndpoint',
      'clientEvents.zendesk.secretName',
    ]);
    expect(e.key).toBe('prefix');
    expect(e.message.split('\n')).toEqual([
      '10 errors in the config:',
      '  config key "prefix": "Trib" is not valid: 2-12 characters of a-z, 0-9 and "-", starting with a letter',
      `  config key "logRetentionDays": 31 is not allowed; allowed values are: ${LOG_RETENTION_DAYS.join(', ')}`,
      '  config key "tags.aws:owner": tag keys are at most 128 characters, values 256, and may not start with "aws:"',
      '  config key "ams.datasets[1]": "sp-traffic" is listed twice',
      expect.stringMatching(/^ {2}config key "ams\.regoins": unknown key; did you mean "regions"\? allowed keys are: enabled, /),
      '  config key "ams.maxBatchingWindowSeconds": must be at least 1 when batchSize is above 10',
      '  config key "clickstream.shardCount": must be between 1 and 500, got 0',
      '  config key "clickstream.throttlingBurstLimit": must be at least throttlingRateLimit (500)',
      expect.stringMatching(/^ {2}config key "clientEvents\.zendesk\.ticketsEndpoint": is required when clientEvents\.zendesk\.enabled is true/),
      expect.stringMatching(/^ {2}config key "clientEvents\.zendesk\.secretName": is required when clientEvents\.zendesk\.enabled is true/),
    ]);
  });

  it('a rule between keys still runs when another key of the section is wrong; one message per key', () => {
    const e = errorOf(() => parseConfig({ clickstream: { enabled: 'yes', throttlingRateLimit: 300, throttlingBurstLimit: 0 } }));
    // throttlingBurstLimit is out of range and below the rate: its first problem is the one reported.
    expect(e.issues).toEqual([
      { key: 'clickstream.enabled', message: 'must be true or false, got "yes"' },
      { key: 'clickstream.throttlingBurstLimit', message: 'must be between 1 and 100000, got 0' },
    ]);
  });

  it('wrong types name what was expected and what was found', () => {
    const e = errorOf(() => parseConfig({ ams: { enabled: 'yes', regions: 'NA', dataRetentionDays: 1.5 }, backend: 5, clientEvents: null }));
    expect(e.issues).toEqual([
      { key: 'backend', message: 'must be an object, got 5' },
      { key: 'ams.enabled', message: 'must be true or false, got "yes"' },
      { key: 'ams.regions', message: 'must be a list, got "NA"' },
      { key: 'ams.dataRetentionDays', message: 'must be an integer between 0 and 36500, got 1.5' },
      { key: 'clientEvents', message: 'must be an object, got null' },
    ]);
    expect(errorOf(() => parseConfig([])).issues).toEqual([{ key: '(root)', message: 'must be an object, got []' }]);
    expect(errorOf(() => parseConfig({ backend: { type: 's3' } })).issues.map((i) => i.key)).toEqual(['backend.bucket', 'backend.region']);
    expect(errorOf(() => parseConfig({ backend: { type: 'gcs' } })).message).toBe('config key "backend.type": "gcs" is not allowed; allowed values are: local, s3');
  });
});

describe('defaults', () => {
  it('an empty config gets every documented default', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      prefix: 'trib', environment: 'dev', logRetentionDays: 30, tags: {}, backend: { type: 'local' },
    });
    expect(c.alarmEmail).toBeUndefined();
    expect(c.ams).toEqual({
      enabled: true, delivery: 'sqs', regions: ['NA', 'EU', 'FE'], datasets: [...AMS_DATASET_IDS], dataRetentionDays: 0,
      bufferingSizeMiB: 64, bufferingIntervalSeconds: 300, fanOutMemoryMb: 256, fanOutTimeoutSeconds: 30, batchSize: 100,
      maxBatchingWindowSeconds: 5, maxReceiveCount: 5, visibleMessagesAlarmThreshold: 10000, oldestMessageAgeAlarmSeconds: 3600,
      glue: true, partitionStartDate: '2024-01-01',
      // Loss detection (issue 18; the values are checked in __tests__/platform/watch.test.ts).
      monitoring: c.ams.monitoring,
    });
  });

  it('an S3 backend defaults its key prefix and lockfile and always encrypts', () => {
    const c = parseConfig({ backend: { type: 's3', bucket: 'my-state', region: 'eu-west-1' } });
    expect(c.backend).toEqual({ type: 's3', bucket: 'my-state', keyPrefix: 'tributary', region: 'eu-west-1', useLockfile: true, encrypt: true });
    expect(errorOf(() => parseConfig({ backend: { type: 's3', region: 'eu-west-1' } })).key).toBe('backend.bucket');
  });

  it('configWith merges overrides per section', () => {
    const c = configWith({ ams: { datasets: ['sp-traffic'] } });
    expect(c.ams.datasets).toEqual(['sp-traffic']);
    expect(c.ams.regions).toEqual(['NA', 'EU', 'FE']);
  });
});

describe('the default file', () => {
  it('turns on 23 datasets x 3 regions = 69 AMS stacks', () => {
    const c = loadConfig(DEFAULT_CONFIG_PATH);
    expect(c.ams.datasets).toHaveLength(23);
    expect(c.ams.regions).toEqual(['NA', 'EU', 'FE']);
    expect(c.ams.delivery).toBe('sqs');
    const stacks = addStacks(new App({ outdir: join(tmp, 'unused') }), c);
    expect(stacks).toHaveLength(69);
    const names = stacks.map((s) => s.stackName);
    expect(new Set(names).size).toBe(69);
    expect(names).toContain('ams-sp-traffic-na');
    expect(names).toContain('ams-sponsored-ads-campaign-diagnostics-recommendations-fe');
    expect(names.every((n) => /^ams-[a-z0-9-]+-(na|eu|fe)$/.test(n))).toBe(true);
  });

  it('the full example config is valid', () => {
    const raw = JSON.parse(readFileSync(fromRoot('config', 'examples', 'full.json'), 'utf8'));
    const c = parseConfig(raw);
    expect(c.ams.delivery).toBe('firehose');
    expect(c.backend.type).toBe('s3');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The JSON Schema for editors (config/schema.json) and the files that reference it.

const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const committedSchema = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
const validateJson = ajv.compile(committedSchema);

/** config/default.json and config/examples/*.json: every config file the repository commits. */
const CONFIG_FILES = [
  fromRoot('config', 'default.json'),
  ...readdirSync(fromRoot('config', 'examples')).filter((f) => f.endsWith('.json')).map((f) => fromRoot('config', 'examples', f)),
];

describe('config/schema.json', () => {
  it('is what `make schema` writes from the zod schema today (run it and commit when this fails)', () => {
    expect(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')).toBe(configSchemaText());
  });

  it('is a draft-07 JSON Schema whose every key has a description, with the documented defaults', () => {
    expect(committedSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(ajv.validateSchema(committedSchema)).toBe(true);
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof v.description !== 'string' || v.description.length < 8) missing.push(`${path}${k}`);
        walk(v, `${path}${k}.`);
      }
      for (const option of (node.oneOf ?? []) as Record<string, unknown>[]) walk(option, path);
    };
    walk(committedSchema, '');
    expect(missing).toEqual([]);
    const props = committedSchema.properties as Record<string, { default?: unknown; properties?: Record<string, { default?: unknown }> }>;
    expect(props.prefix.default).toBe('trib');
    expect(props.logRetentionDays.default).toBe(30);
    expect(props.ams.properties?.datasets.default).toEqual(['*']);
    expect(props.clickstream.properties?.maxBodyBytes.default).toBe(5 * 1024 * 1024);
  });

  it.each(CONFIG_FILES.map((f) => [f.slice(fromRoot().length + 1), f]))('%s names it with "$schema" and passes ajv and zod', (_name, file) => {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(typeof raw.$schema).toBe('string');
    expect(resolve(dirname(file), raw.$schema as string)).toBe(CONFIG_SCHEMA_PATH);
    expect(validateJson(raw), JSON.stringify(validateJson.errors)).toBe(true);
    expect(() => loadConfig(file)).not.toThrow();
  });

  it('$schema and $comment are accepted and ignored by the loader', () => {
    const c = parseConfig({ $schema: './schema.json', $comment: 'x' }) as unknown as Record<string, unknown>;
    expect(c).not.toHaveProperty('$schema');
    expect(c).not.toHaveProperty('$comment');
    expect(c).toEqual(parseConfig({}));
  });

  /** Where ajv reports a problem, as our dotted key (unknown and missing keys at the key itself). */
  const ajvKeys = (): string[] =>
    [...new Set((validateJson.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => {
      const base = e.instancePath.slice(1).split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
      const key = (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ?? (e.params as { missingProperty?: string }).missingProperty;
      return key ? (base ? `${base}.${key}` : key) : base;
    }))].sort();

  it.each([
    ['typos and values out of range', { ams: { regoins: ['NA'], bufferingSizeMiB: 0 }, clickstream: { shardCount: 0, unknownFields: 'drop' }, logRetentionDays: 31 },
      ['ams.bufferingSizeMiB', 'ams.regoins', 'clickstream.shardCount', 'clickstream.unknownFields', 'logRetentionDays']],
    ['wrong types', { prefix: 7, tags: { owner: 1 }, clientEvents: { enabled: 'yes', regions: ['mars-1'] } },
      ['clientEvents.enabled', 'clientEvents.regions[0]', 'prefix', 'tags.owner']],
    ['Buy with Prime enabled without its required keys', { buyWithPrime: { enabled: true, deployTarget: 'ec2', fargate: { natGateways: 3 } } },
      ['buyWithPrime.clientId', 'buyWithPrime.clientSecretArn', 'buyWithPrime.deployTarget', 'buyWithPrime.fargate.natGateways', 'buyWithPrime.partnerEventSource', 'buyWithPrime.verificationPublicKey']],
    ['an s3 backend without its bucket, a bad prefix', { prefix: 'tr--ib', backend: { type: 's3', region: 'eu-west-1', lock: true } },
      ['backend.bucket', 'backend.lock', 'prefix']],
  ])('%s: rejected by both, every error listed', (_what, raw, keys) => {
    const e = errorOf(() => parseConfig(raw));
    expect(e.issues.map((i) => i.key).sort()).toEqual(keys);
    for (const key of keys) expect(e.message).toContain(`config key "${key}": `);
    expect(validateJson(raw)).toBe(false);
    // ajv finds the same keys (for an object matching no backend variant it also lists each variant's complaints).
    expect(ajvKeys()).toEqual(expect.arrayContaining(keys));
  });
});
