/**
 * Offline Terraform check tier (scripts/tf-check.ts, issues 10 and 17).
 *
 * Contracts:
 * - Issue 10: after the check every <outdir>/stacks/<stack>/ is byte-identical to what synth wrote (the old tier
 *   left zz_offline_override.tf.json, .terraform/ and offline.tfplan there, which broke the user's `terraform init`).
 * - Terraform itself (1.11, run for real, no AWS call): a root provider passed in with the module call's
 *   `providers` map serves every stack of its region, and a module may instead keep its own provider block
 *   (developer.hashicorp.com/terraform/language/modules/develop/providers); a backend is root-only
 *   (language/settings/backends); file functions resolve relative paths against the working directory
 *   (language/functions/file), hence ${path.module}; an argument the provider schema lacks is an error ("Extraneous JSON object property" in JSON syntax).
 * - The provider block's schema: __tests__/fixtures/terraform/aws-provider-config-schema.json, taken from
 *   `terraform providers schema -json` of hashicorp/aws 5.100.0 (the tier itself reads the live schema).
 * - The -json diagnostics and planned_change shapes: Terraform's machine-readable UI
 *   (developer.hashicorp.com/terraform/internals/machine-readable-ui); the fixtures below copy that shape.
 * Tests that need terraform skip with a printed reason where it is not installed.
 */
import '../../lib/fast-synth.js';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import { diagnosticModule, diagnosticResource, parseTfJson } from '../../scripts/tf-diagnostics.js';
import {
  balance,
  checkProviderBlock,
  declaredResources,
  lineOwners,
  moduleJson,
  moduleName,
  rewriteAssetPaths,
  sharedProvider,
  writeShard,
  type SchemaBlock,
  type ShardStack,
  type TfJson,
} from '../../scripts/tf-layout.js';
import { synthConfig } from '../helpers/synth.js';

const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasTerraform) console.warn('tf-check.test.ts: terraform is NOT installed; the tests that run the tier are SKIPPED');

function tfCheck(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/tf-check.ts', ...args], {
    cwd: fromRoot(),
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Every path under `dir` (files, folders, symlinks) with its content hash: any write shows up. */
function treeHash(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `link:${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir:${st.mode}`;
        walk(p, r);
      } else out[r] = `${st.mode}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

// Three AMS stacks in three regions (NA -> us-east-1, EU -> eu-west-1, FE -> us-west-2), with the S3 backend a
// real deploy would use: the check must plan them offline without it.
let synth: ReturnType<typeof synthConfig>;
beforeAll(() => {
  synth = synthConfig(
    configWith({
      ams: { enabled: true, regions: ['NA', 'EU', 'FE'], datasets: ['sp-traffic'] },
      backend: { type: 's3', bucket: 'tributary-state-test', region: 'us-east-1' },
    }),
  );
});
afterAll(() => synth?.cleanup());

describe('tf-check layout (pure)', () => {
  it('rewrites cdktf asset paths, in plain strings and inside function calls, and nothing else', () => {
    const p = 'assets/fan-out_code_82BA688B/12C66E4CB9432440B096BE0B2467D139/ams-fan-out.zip';
    expect(rewriteAssetPaths(p)).toBe(`\${path.module}/${p}`);
    expect(rewriteAssetPaths(`\${filebase64sha256("${p}")}`)).toBe(`\${filebase64sha256("\${path.module}/${p}")}`);
    expect(rewriteAssetPaths('assets/not-an-asset-key/')).toBe('assets/not-an-asset-key/');
    expect(rewriteAssetPaths('s3://bucket/assets/x_1/12C66E4CB9432440B096BE0B2467D139')).toBe('s3://bucket/assets/x_1/12C66E4CB9432440B096BE0B2467D139');
  });

  it('a stack copy has no backend, keeps its provider region and default_tags, adds the offline settings', () => {
    const stack = synth.stacks.find((s) => s.name === 'ams-sp-traffic-eu')!;
    expect(stack.json.terraform?.backend).toBeDefined();
    const copy = moduleJson(stack.json as TfJson);
    expect(copy.terraform?.backend).toBeUndefined();
    expect(copy.terraform?.required_providers).toEqual(stack.json.terraform?.required_providers);
    const [aws] = copy.provider!.aws as Record<string, unknown>[];
    const [orig] = stack.json.provider!.aws;
    expect(aws.region).toBe('eu-west-1');
    expect(aws.default_tags).toEqual(orig.default_tags);
    expect(aws).toMatchObject({ skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, skip_region_validation: true });
    // Every resource is still there with its arguments; only asset paths differ.
    const strip = (j: unknown) => JSON.stringify(j).replaceAll('${path.module}/', '');
    expect(strip(copy.resource)).toBe(JSON.stringify(stack.json.resource));
    expect(JSON.stringify(copy.resource)).toContain('${path.module}/assets/');
  });

  it('stacks of one region share one root provider with the offline settings; their copies carry no provider block', () => {
    const stacks: ShardStack[] = ['ams-sp-traffic-na', 'ams-sp-traffic-eu', 'ams-sp-traffic-fe'].map((name) => {
      const stack = synth.stacks.find((s) => s.name === name)!;
      return { name, module: name, dir: join(synth.outdir, 'stacks', name), json: stack.json as TfJson, owners: [] };
    });
    // A second NA stack (same provider block apart from default_tags) shares the NA provider.
    const twin = JSON.parse(JSON.stringify(stacks[0].json)) as TfJson;
    (twin.provider!.aws as Record<string, unknown>[])[0].default_tags = [{ tags: { 'tributary:stack': 'twin' } }];
    stacks.push({ name: 'twin-na', module: 'twin-na', dir: join(synth.outdir, 'stacks', 'ams-sp-traffic-na'), json: twin, owners: [] });
    expect(sharedProvider(twin)!.key).toBe(sharedProvider(stacks[0].json)!.key);
    expect(sharedProvider(stacks[1].json)!.key).not.toBe(sharedProvider(stacks[0].json)!.key);

    const root = mkdtempSync(join(tmpdir(), 'tributary-tf-layout-'));
    try {
      expect(writeShard(root, stacks)).toEqual({ providers: 3 });
      const main = JSON.parse(readFileSync(join(root, 'main.tf.json'), 'utf8'));
      const blocks = main.provider.aws as Record<string, unknown>[];
      expect(blocks.map((b) => b.region)).toEqual(['us-east-1', 'eu-west-1', 'us-west-2']);
      for (const b of blocks) {
        expect(b).toMatchObject({ skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, skip_region_validation: true });
        expect(b.default_tags).toBeUndefined();
      }
      expect(main.module['ams-sp-traffic-na'].providers).toEqual({ aws: 'aws.shared_1' });
      expect(main.module['twin-na'].providers).toEqual({ aws: 'aws.shared_1' });
      expect(main.module['ams-sp-traffic-fe'].providers).toEqual({ aws: 'aws.shared_3' });
      expect(main.terraform.required_providers.aws).toEqual((stacks[0].json.terraform!.required_providers as Record<string, unknown>).aws);
      const copy = JSON.parse(readFileSync(join(root, 'stacks', 'ams-sp-traffic-eu', 'cdk.tf.json'), 'utf8')) as TfJson;
      expect(copy.provider).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a stack with an aliased or a second provider block keeps its own providers', () => {
    const stack = synth.stacks[0].json as TfJson;
    const [block] = stack.provider!.aws as Record<string, unknown>[];
    expect(sharedProvider({ ...stack, provider: { aws: [{ ...block, alias: 'east' }] } })).toBeUndefined();
    expect(sharedProvider({ ...stack, provider: { aws: [block, { ...block, alias: 'east' }] } })).toBeUndefined();
    expect(sharedProvider({ ...stack, provider: { aws: [block], archive: [{}] } })).toBeUndefined();
  });

  it("checks a stack's own provider block (default_tags included) against the provider's schema", () => {
    const { block: schema } = JSON.parse(readFileSync(fromRoot('__tests__', 'fixtures', 'terraform', 'aws-provider-config-schema.json'), 'utf8')) as { block: SchemaBlock };
    for (const s of synth.stacks) {
      const shared = sharedProvider(s.json as TfJson)!;
      expect(shared.own.default_tags, s.name).toBeDefined();
      expect(checkProviderBlock(shared.own, schema), s.name).toEqual([]);
    }
    const tags = (t: unknown) => ({ region: 'us-east-1', default_tags: t });
    expect(checkProviderBlock(tags([{ tags: { a: 'b' }, colour: 'red' }]), schema)).toEqual([
      'provider.aws.default_tags[0]: the provider schema has no argument or block "colour" here',
    ]);
    expect(checkProviderBlock(tags([{ tags: { a: { b: 'c' } } }]), schema)).toEqual(['provider.aws.default_tags[0].tags: {"a":{"b":"c"}} is not a ["map","string"]']);
    expect(checkProviderBlock(tags([{ tags: ['a'] }]), schema)).toHaveLength(1);
    expect(checkProviderBlock({ region: 'us-east-1', max_retries: 'many', regoin: 'x' }, schema)).toEqual([
      'provider.aws.max_retries: "many" is not a "number"',
      'provider.aws: the provider schema has no argument or block "regoin" here',
    ]);
    // Expressions are only known at plan time.
    expect(checkProviderBlock({ region: '${var.region}', max_retries: '${var.retries}' }, schema)).toEqual([]);
  });

  it('maps a line of the copy back to its resource, and terraform -json diagnostics to their module', () => {
    const stack = synth.stacks.find((s) => s.name === 'ams-sp-traffic-na')!;
    const text = JSON.stringify(moduleJson(stack.json as TfJson), null, 2);
    const owners = lineOwners(text);
    const [queueType, queues] = Object.entries(stack.json.resource!).find(([t]) => t === 'aws_sqs_queue')!;
    const queueId = Object.keys(queues)[0];
    const line = text.split('\n').findIndex((l) => l.includes(`"${queueId}": {`)) + 2;
    expect(owners[line - 1]).toBe(`${queueType}.${queueId}`);
    // Shapes as terraform plan -json prints them (machine-readable UI).
    const stream = [
      JSON.stringify({ '@level': 'error', type: 'diagnostic', diagnostic: { severity: 'error', summary: 'Unsupported argument', detail: 'An argument named "x" is not expected here.', range: { filename: 'stacks/ams-sp-traffic-na/cdk.tf.json', start: { line } } } }),
      JSON.stringify({ '@level': 'error', type: 'diagnostic', diagnostic: { severity: 'error', summary: 'Invalid value', address: 'module.ams-sp-traffic-eu.aws_sqs_queue.q' } }),
      JSON.stringify({ type: 'planned_change', change: { resource: { module: 'module.ams-sp-traffic-fe', resource_type: 'aws_sqs_queue', resource_name: 'q', resource_key: null }, action: 'create' } }),
      'panic: not json',
    ].join('\n');
    const parsed = parseTfJson(stream);
    expect(parsed.diagnostics.map(diagnosticModule)).toEqual(['ams-sp-traffic-na', 'ams-sp-traffic-eu']);
    expect(diagnosticResource(parsed.diagnostics[0], owners)).toBe(`${queueType}.${queueId}`);
    expect(diagnosticResource(parsed.diagnostics[1])).toBe('aws_sqs_queue.q');
    expect([...parsed.planned.get('ams-sp-traffic-fe')!]).toEqual(['aws_sqs_queue.q']);
    expect(parsed.other).toEqual(['panic: not json']);
  });

  it('shards balance by resource count and module names are the stack names', () => {
    const shards = balance([5, 1, 4, 2, 3], 2, (n) => n);
    expect(shards.map((s) => s.reduce((a, b) => a + b, 0)).sort()).toEqual([7, 8]);
    expect(moduleName('ams-sp-traffic-na', 0)).toBe('ams-sp-traffic-na');
    expect(moduleName('1bad.name', 3)).toMatch(/^stack_3_/);
    expect(declaredResources(synth.stacks[0].json as TfJson).all.length).toBeGreaterThan(10);
  });
});

describe('tf-check command', () => {
  it('an unknown stack name is an error that lists the stacks there are', () => {
    const r = tfCheck(['--outdir', synth.outdir, 'ams-nope-na']);
    expect(r.status).toBe(1);
    expect(r.out).toContain('no synthesized stack named ams-nope-na');
    expect(r.out).toContain('ams-sp-traffic-eu, ams-sp-traffic-fe, ams-sp-traffic-na');
  });

  it('without terraform it fails with the reason, or prints SKIPPED and exits 0 when TF_CHECK_ALLOW_SKIP=1', () => {
    const missing = { TF_CHECK_TERRAFORM: join(tmpdir(), 'no-such-terraform') };
    // Whatever the caller's environment says (make test sets TF_CHECK_ALLOW_SKIP=1 for its own tier runs).
    const failed = tfCheck(['--outdir', synth.outdir], { ...missing, TF_CHECK_ALLOW_SKIP: undefined });
    expect(failed.status).toBe(1);
    expect(failed.out).toMatch(/no-such-terraform" is not installed/);
    expect(failed.out).toContain('TF_CHECK_ALLOW_SKIP=1');
    const skipped = tfCheck(['--outdir', synth.outdir], { ...missing, TF_CHECK_ALLOW_SKIP: '1' });
    expect(skipped.status).toBe(0);
    expect(skipped.out).toMatch(/^SKIPPED terraform check tier \(3 stacks not planned\)/m);
  });

  it.skipIf(!hasTerraform)('plans stacks of two regions in one root module and leaves every stack folder byte-identical', { timeout: 240_000 }, () => {
    const before = treeHash(synth.outdir);
    const r = tfCheck(['--outdir', synth.outdir, '--jobs', '1', 'ams-sp-traffic-na', 'ams-sp-traffic-eu']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('2 stacks as modules of 1 root module');
    for (const name of ['ams-sp-traffic-na', 'ams-sp-traffic-eu']) {
      const n = declaredResources(synth.stacks.find((s) => s.name === name)!.json as TfJson).all.length;
      expect(r.out).toContain(`ok   ${name} (${n} resources planned)`);
    }
    expect(r.out).toContain('terraform: 2 passed, 0 failed');
    expect(treeHash(synth.outdir)).toEqual(before);
  });

  it.skipIf(!hasTerraform)("a stack's default_tags that the provider schema refuses fail that stack, named; the others pass", { timeout: 240_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'tributary-tf-check-tags-'));
    try {
      cpSync(synth.outdir, outdir, { recursive: true });
      const file = join(outdir, 'stacks', 'ams-sp-traffic-fe', 'cdk.tf.json');
      const fe = JSON.parse(readFileSync(file, 'utf8')) as TfJson;
      (fe.provider!.aws as Record<string, unknown>[])[0].default_tags = [{ tags: { owner: { team: 'data' } } }];
      writeFileSync(file, JSON.stringify(fe, null, 2));
      const r = tfCheck(['--outdir', outdir, '--jobs', '1']);
      expect(r.status, r.out).toBe(1);
      expect(r.out).toContain('Error: provider.aws.default_tags[0].tags: {"owner":{"team":"data"}} is not a ["map","string"] (stack ams-sp-traffic-fe');
      expect(r.out).toContain('with 3 provider configurations');
      expect(r.out).toContain('terraform: 2 passed, 1 failed');
      expect(r.out).toContain('failed stacks: ams-sp-traffic-fe');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasTerraform)('an invalid argument and a missing asset each fail their own stack, named with the resource; the third stack passes', { timeout: 240_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'tributary-tf-check-bad-'));
    try {
      cpSync(synth.outdir, outdir, { recursive: true });
      // NA: an argument aws_sqs_queue does not have.
      const naFile = join(outdir, 'stacks', 'ams-sp-traffic-na', 'cdk.tf.json');
      const na = JSON.parse(readFileSync(naFile, 'utf8')) as TfJson;
      const queueId = Object.keys(na.resource!.aws_sqs_queue)[0];
      na.resource!.aws_sqs_queue[queueId].not_an_sqs_argument = true;
      writeFileSync(naFile, JSON.stringify(na, null, 2));
      // EU: a Lambda zip synth referenced is gone.
      const euAssets = join(outdir, 'stacks', 'ams-sp-traffic-eu', 'assets');
      const assetDir = readdirSync(euAssets)[0];
      const hashDir = readdirSync(join(euAssets, assetDir))[0];
      const zip = readdirSync(join(euAssets, assetDir, hashDir))[0];
      rmSync(join(euAssets, assetDir, hashDir, zip));

      const before = treeHash(outdir);
      const r = tfCheck(['--outdir', outdir, '--jobs', '1']);
      expect(r.status, r.out).toBe(1);
      // In JSON syntax Terraform words an unknown argument "Extraneous JSON object property" (HCL: "Unsupported argument").
      expect(r.out).toMatch(new RegExp(`Error: (Extraneous JSON object property|Unsupported argument) \\(stack ams-sp-traffic-na, resource aws_sqs_queue\\.${queueId}\\)`));
      expect(r.out).toContain('not_an_sqs_argument');
      expect(r.out).toMatch(/Error: .*\(stack ams-sp-traffic-eu, resource aws_lambda_function\.[^)]+\)/);
      expect(r.out).toContain(zip);
      expect(r.out).toMatch(/it held ams-sp-traffic-\w+, ams-sp-traffic-\w+, ams-sp-traffic-\w+/);
      expect(r.out).toMatch(/ok {3}ams-sp-traffic-fe \(\d+ resources planned\)/);
      expect(r.out).toContain('terraform: 1 passed, 2 failed');
      expect(r.out).toContain('failed stacks: ams-sp-traffic-eu, ams-sp-traffic-na');
      expect(treeHash(outdir)).toEqual(before);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
