/**
 * Config validation: bad values fail at load, before anything is synthesized, with a message naming the key and
 * the allowed values; documented defaults; the default file turns on 23 datasets x 3 regions = 69 stacks.
 */
import '../../lib/fast-synth.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from 'cdktf';
import { ConfigError, configWith, DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../../config/index.js';
import { LOG_RETENTION_DAYS } from '../../config/validate.js';
import { AMS_DATASET_IDS } from '../../contracts/ams.js';
import { fromRoot } from '../../lib/paths.js';
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

  it('unknown keys name the allowed keys', () => {
    const e = errorOf(() => parseConfig({ ams: { delivry: 'sqs' } }));
    expect(e.key).toBe('ams.delivry');
    expect(e.message).toMatch(/allowed keys are: enabled, delivery, regions/);
    expect(errorOf(() => parseConfig({ prefx: 'x' })).key).toBe('prefx');
  });

  it('delivery variant, visibility limit and batching window', () => {
    expect(errorOf(() => parseConfig({ ams: { delivery: 'kinesis' } })).message).toMatch(/allowed values are: sqs, firehose/);
    expect(errorOf(() => parseConfig({ ams: { fanOutTimeoutSeconds: 901 } })).message).toMatch(/ams.fanOutTimeoutSeconds.*between 3 and 900/);
    expect(errorOf(() => parseConfig({ ams: { batchSize: 100, maxBatchingWindowSeconds: 0 } })).key).toBe('ams.maxBatchingWindowSeconds');
  });

  it('a bad file fails before synthesis: main.ts exits 2 naming the key and writes nothing', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ams: { regions: ['NA', 'SA'] } }));
    const outdir = join(tmp, 'out');
    const r = spawnSync(process.execPath, ['--import', 'tsx', fromRoot('main.ts')], {
      cwd: fromRoot(),
      env: { ...process.env, TRIBUTARY_CONFIG: bad, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('config key "ams.regions[1]"');
    expect(r.stderr).toContain('allowed values are: NA, EU, FE');
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
