/** Naming: every name within its AWS limit, deterministic hashing, no collisions, lowercase bucket prefixes. */
import { describe, expect, it } from 'vitest';
import { AWS_REGIONS } from '../../config/validate.js';
import { AMS_DATASET_IDS, ADVERTISING_REGIONS, awsRegionOf } from '../../contracts/ams.js';
import { fit, hash8, NAME_LIMITS, Naming, shortRegion, type NameKind } from '../../modules/naming.js';
import { amsGlueNames } from '../../stacks/ams/catalog.js';

const LONGEST = [...AMS_DATASET_IDS].sort((a, b) => b.length - a.length)[0];
const KINDS = Object.keys(NAME_LIMITS) as NameKind[];

describe('short regions', () => {
  it('abbreviates every known region uniquely', () => {
    expect(shortRegion('us-east-1')).toBe('use1');
    expect(shortRegion('eu-west-1')).toBe('euw1');
    expect(shortRegion('us-west-2')).toBe('usw2');
    expect(shortRegion('ap-southeast-2')).toBe('apse2');
    expect(shortRegion('ap-northeast-1')).toBe('apne1');
    expect(shortRegion('eu-central-1')).toBe('euc1');
    const shorts = AWS_REGIONS.map(shortRegion);
    expect(new Set(shorts).size).toBe(AWS_REGIONS.length);
    for (const s of shorts) expect(s.length).toBeLessThanOrEqual(6);
  });

  it('refuses something that is not a region', () => {
    expect(() => shortRegion('NA')).toThrow(/not an AWS region/);
  });
});

describe('limits', () => {
  it('the longest dataset id is 50 characters', () => {
    expect(LONGEST).toBe('sponsored-ads-campaign-diagnostics-recommendations');
    expect(LONGEST.length).toBe(50);
  });

  it('every kind stays within its limit for the longest dataset id and the longest prefix, in every region', () => {
    for (const region of AWS_REGIONS) {
      const naming = new Naming('abcdefghijkl', region);
      for (const kind of KINDS) {
        for (const purpose of [[LONGEST, 'ingress', 'dlq'], [LONGEST, 'sns-to-firehose'], ['x'], [LONGEST.repeat(6)]]) {
          const name = naming.name(kind, ...purpose);
          expect(name.length, `${kind} ${name}`).toBeLessThanOrEqual(NAME_LIMITS[kind]);
        }
      }
    }
  });

  it('short names are kept as they are', () => {
    const n = new Naming('trib', 'us-east-1');
    expect(n.name('lambda', 'sp-traffic', 'fanout')).toBe('trib-use1-sp-traffic-fanout');
    expect(n.name('sqs', 'sp-traffic-ingress')).toBe('trib-use1-sp-traffic-ingress');
  });

  it('a long name is cut and ends with a hash of the full name', () => {
    const n = new Naming('trib', 'us-east-1');
    const full = `trib-use1-${LONGEST}-ams-subscription`;
    const name = n.name('iamRole', LONGEST, 'ams-subscription');
    expect(full.length).toBeGreaterThan(64);
    expect(name).toHaveLength(64);
    expect(name.endsWith(`-${hash8(full)}`)).toBe(true);
    expect(name.startsWith('trib-use1-sponsored-ads-campaign')).toBe(true);
  });
});

describe('hashing', () => {
  it('is deterministic', () => {
    const a = new Naming('trib', 'eu-west-1').name('iamRole', LONGEST, 'ams-subscriber');
    const b = new Naming('trib', 'eu-west-1').name('iamRole', LONGEST, 'ams-subscriber');
    expect(a).toBe(b);
    expect(hash8('x')).toBe(hash8('x'));
    expect(hash8('x')).toMatch(/^[0-9a-f]{8}$/);
    expect(fit('short', 64)).toBe('short');
  });

  it('is collision-free: names that share a long beginning differ after shortening', () => {
    const n = new Naming('trib', 'us-west-2');
    for (const kind of ['lambda', 'iamRole', 'firehose', 'sqs', 's3BucketPrefix', 'alb', 'targetGroup', 'eventRule'] as NameKind[]) {
      const purposes = ['ams-subscription', 'ams-subscriber', 'fanout', 'confirm', 'ingress', 'ingress-dlq', 'confirm-dlq', 'sns-to-firehose', 'firehose', 'undelivered', 'undelivered-dlq'];
      const names = purposes.map((p) => n.name(kind, LONGEST, p));
      expect(new Set(names).size, kind).toBe(purposes.length);
    }
  });

  it('every resource of every AMS stack (all datasets x regions, both variants) has a unique name per kind', () => {
    const purposes = (d: string) => [
      [d, 'ingress'], [d, 'ingress', 'dlq'], [d, 'confirm'], [d, 'confirm', 'dlq'], [d, 'undelivered'], [d, 'undelivered', 'dlq'],
      [d, 'fanout'], [d, 'sns-to-firehose'], [d, 'firehose'], [d, 'ams-subscription'], [d, 'ams-subscriber'], [d, 'data'],
    ];
    for (const kind of ['iamRole', 'sqs', 'lambda', 'firehose', 'sns'] as NameKind[]) {
      const seen = new Map<string, string>();
      for (const r of ADVERTISING_REGIONS) {
        const n = new Naming('trib', awsRegionOf(r));
        for (const d of AMS_DATASET_IDS) {
          for (const p of purposes(d)) {
            const name = n.name(kind, ...p);
            const key = `${r}:${p.join('/')}`;
            expect(seen.get(name), `${kind} ${name}: ${key} vs ${seen.get(name)}`).toBeUndefined();
            seen.set(name, key);
          }
        }
      }
    }
  });

  it('two deployments (prefixes) never share a name', () => {
    const a = new Naming('prod', 'us-east-1').name('iamRole', LONGEST, 'ams-subscriber');
    const b = new Naming('prod2', 'us-east-1').name('iamRole', LONGEST, 'ams-subscriber');
    expect(a).not.toBe(b);
  });
});

describe('bucket prefixes', () => {
  it('are at most 37 characters, lowercase, end with "-", for every dataset and region', () => {
    for (const region of AWS_REGIONS) {
      const n = new Naming('abcdefghijkl', region);
      for (const d of AMS_DATASET_IDS) {
        const p = n.name('s3BucketPrefix', `ams-${d}`);
        expect(p.length, p).toBeLessThanOrEqual(37);
        expect(p).toMatch(/^[a-z0-9][a-z0-9-]*-$/);
      }
    }
    expect(new Naming('trib', 'us-east-1').name('s3BucketPrefix', 'Mixed_Case.Purpose')).toBe('trib-use1-mixed-case-purpose-');
  });
});

describe('glue identifiers', () => {
  it('are lowercase with underscores and include the dataset, so two dataset stacks in one region never collide', () => {
    const n = new Naming('trib', 'us-east-1');
    expect(n.glue('ams', 'sp-traffic')).toBe('trib_use1_ams_sp_traffic');
    const names = AMS_DATASET_IDS.map((d) => amsGlueNames(n, d).database);
    expect(new Set(names).size).toBe(AMS_DATASET_IDS.length);
    for (const name of names) {
      expect(name).toMatch(/^[a-z0-9_]+$/);
      expect(name.length).toBeLessThanOrEqual(NAME_LIMITS.glueDatabase);
    }
    expect(amsGlueNames(n, 'sp-conversion')).toEqual({ database: 'trib_use1_ams_sp_conversion', table: 'sp_conversion' });
  });
});
