/**
 * `ams subscribe --from-outputs` against the local fake Ads API, fed with Terraform outputs derived from the REAL
 * synthesized AMS stacks (synthConfig + configWith, both delivery variants): the output names come from each
 * stack's cdk.tf.json and every reference is filled with a plausible value of the right shape (ARNs built from the
 * resources' names in the stack's region). Covers --outputs-dir, --outputs-file, the default `terraform output
 * -json` per stack folder (also with the real terraform binary on initialized folders holding local state),
 * skipping live subscriptions, replacing dead ones, --dry-run, bad outputs, and the terraform runner itself.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { terraformRunner, type TfOutputs } from '../../cli/ams/outputs.js';
import { AMS_OUTPUTS } from '../../stacks/ams/stack.js';
import { FakeAdsApi, runAms, type CliRun } from '../helpers/fake-ads-api.js';
import { synthConfig, type SynthStack } from '../helpers/synth.js';
import { fromRoot } from '../../lib/paths.js';

const ACCOUNT = '123456789012';
const AMS = { datasets: ['sp-traffic', 'adsp-traffic'], regions: ['NA', 'EU'] };

/** What `terraform output -json` would print for a deployed stack: every output of cdk.tf.json, references resolved. */
function deployedOutputs(stack: SynthStack): TfOutputs {
  const region = (stack.json.provider?.aws?.[0] as { region: string }).region;
  const resolve = (v: unknown): string => {
    if (typeof v !== 'string') return JSON.stringify(v);
    const m = /^\$\{([a-z0-9_]+)\.([^.]+)\.([a-z_]+)\}$/.exec(v);
    if (!m) return v;
    const [, type, id, attr] = m;
    const res = stack.json.resource?.[type]?.[id] as Record<string, unknown> | undefined;
    expect(res, `${stack.name}: ${v} refers to a resource of the stack`).toBeDefined();
    const name = String(res!.name ?? res!.bucket_prefix ?? id);
    if (attr === 'arn') {
      const arns: Record<string, string> = {
        aws_sqs_queue: `arn:aws:sqs:${region}:${ACCOUNT}:${name}`,
        aws_sns_topic: `arn:aws:sns:${region}:${ACCOUNT}:${name}`,
        aws_kinesis_firehose_delivery_stream: `arn:aws:firehose:${region}:${ACCOUNT}:deliverystream/${name}`,
        aws_iam_role: `arn:aws:iam::${ACCOUNT}:role/${name}`,
      };
      return arns[type] ?? `arn:aws:${type.replace(/^aws_/, '')}:${region}:${ACCOUNT}:${name}`;
    }
    if (type === 'aws_s3_bucket') return `${name}20260101000000000000000001`;
    return name;
  };
  return Object.fromEntries(Object.entries(stack.json.output ?? {}).map(([k, o]) => [k, { sensitive: false, type: 'string', value: resolve(o.value) }]));
}

interface Synth {
  stacks: SynthStack[];
  outdir: string;
  cleanup: () => void;
  outputs: Record<string, TfOutputs>;
  dir: string;
  config: string;
}

let fake: FakeAdsApi;
let tmp: string;
const synths: Record<'sqs' | 'firehose', Synth> = {} as never;

beforeAll(async () => {
  fake = await new FakeAdsApi().start();
  tmp = mkdtempSync(join(tmpdir(), 'ams-subscribe-'));
  for (const delivery of ['sqs', 'firehose'] as const) {
    const s = synthConfig(configWith({ ams: { ...AMS, delivery } }));
    const outputs = Object.fromEntries(s.stacks.map((st) => [st.name, deployedOutputs(st)]));
    const dir = join(tmp, `outputs-${delivery}`);
    mkdirSync(dir);
    for (const [name, o] of Object.entries(outputs)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(o, null, 2));
    const config = join(tmp, `config-${delivery}.json`);
    writeFileSync(config, JSON.stringify({ ams: { ...AMS, delivery } }));
    synths[delivery] = { ...s, outputs, dir, config };
  }
});
afterAll(async () => {
  await fake.close();
  for (const s of Object.values(synths)) s.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  fake.subscriptions.length = 0;
  fake.requests.length = 0;
  fake.faults.length = 0;
});

const DSP = ['--ads-account-id', 'ENTITY1FAKEDSP'];
const subscribe = (delivery: 'sqs' | 'firehose', extra: string[] = [], o: Parameters<typeof runAms>[2] = {}) =>
  runAms(fake, ['subscribe', '--from-outputs', '--outputs-dir', synths[delivery].dir, '--config', synths[delivery].config, ...DSP, ...extra], o);
const rows = (r: CliRun) => {
  expect(r.leaked).toEqual([]);
  return JSON.parse(r.stdout).results as Record<string, string>[];
};

describe('outputs of the real synthesized stacks', () => {
  it('carry the names the CLI reads, for both delivery variants', () => {
    const sqs = synths.sqs.outputs['ams-sp-traffic-na'];
    expect(Object.keys(sqs)).toEqual(expect.arrayContaining([AMS_OUTPUTS.datasetId, AMS_OUTPUTS.advertisingRegion, AMS_OUTPUTS.delivery, AMS_OUTPUTS.queueArn]));
    expect(sqs[AMS_OUTPUTS.queueArn].value).toMatch(/^arn:aws:sqs:us-east-1:123456789012:trib-use1-/);
    const fh = synths.firehose.outputs['ams-sp-traffic-eu'];
    expect(Object.keys(fh)).toEqual(expect.arrayContaining([AMS_OUTPUTS.deliveryStreamArn, AMS_OUTPUTS.subscriberRoleArn, AMS_OUTPUTS.subscriptionRoleArn]));
    expect(fh[AMS_OUTPUTS.deliveryStreamArn].value).toMatch(/^arn:aws:firehose:eu-west-1:123456789012:deliverystream\//);
    expect(synths.sqs.stacks.map((s) => s.name)).toEqual(['ams-adsp-traffic-eu', 'ams-adsp-traffic-na', 'ams-sp-traffic-eu', 'ams-sp-traffic-na']);
  });
});

describe('subscribe --from-outputs (sqs delivery)', () => {
  it('creates one subscription per stack with its queue, on the DSP path for adsp-*, and prints a table', async () => {
    const r = await subscribe('sqs');
    expect(r.leaked).toEqual([]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const posts = fake.adsRequests().filter((q) => q.method === 'POST');
    expect(posts.map((p) => p.path).sort()).toEqual(['/eu/dsp/streams/subscriptions', '/eu/streams/subscriptions', '/na/dsp/streams/subscriptions', '/na/streams/subscriptions']);
    for (const p of posts) {
      const body = JSON.parse(p.body);
      const stack = `ams-${body.dataSetId}-${p.path.slice(1, 3)}`;
      expect(body.destination).toEqual({ sqsDestination: { queueArn: synths.sqs.outputs[stack][AMS_OUTPUTS.queueArn].value } });
      expect(body.notes).toBe(`tributary ${stack}`);
    }
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STACK +DATASET +REGION +ACTION +SUBSCRIPTION +STATUS +DETAIL$/);
    expect(lines.filter((l) => / created +amzn1\.fead\.cs1\.fake\d+ +PENDING_CONFIRMATION/.test(l))).toHaveLength(4);
    expect(lines.at(-1)).toBe('4 created, 0 already subscribed, 0 skipped, 0 error(s)');
    // one list per region and family, not one per stack
    expect(fake.adsRequests().filter((q) => q.method === 'GET' && q.path.endsWith('/subscriptions'))).toHaveLength(4);
  });

  it('running it again creates nothing: ACTIVE and PENDING_CONFIRMATION (and PROVISIONING) are left alone', async () => {
    await subscribe('sqs');
    fake.subscriptions[0].status = 'ACTIVE';
    fake.subscriptions[1].status = 'PROVISIONING';
    fake.requests.length = 0;
    const r = await subscribe('sqs', ['--json']);
    expect(r.code).toBe(0);
    const res = rows(r);
    expect(res.map((x) => x.action)).toEqual(['exists', 'exists', 'exists', 'exists']);
    expect(JSON.parse(r.stdout).summary).toEqual({ created: 0, exists: 4, wouldCreate: 0, skipped: 0, errors: 0 });
    expect(fake.adsRequests().filter((q) => q.method === 'POST')).toHaveLength(0);
    expect(fake.subscriptions).toHaveLength(4);
  });

  it('replaces a SUSPENDED subscription with a new one (a new client request token), then leaves it alone', async () => {
    await subscribe('sqs');
    const old = fake.subscriptions.find((s) => s.dataSetId === 'sp-traffic' && s.region === 'na')!;
    old.status = 'SUSPENDED';
    const res = rows(await subscribe('sqs', ['--json']));
    const row = res.find((x) => x.stack === 'ams-sp-traffic-na')!;
    expect(row).toMatchObject({ action: 'created', status: 'PENDING_CONFIRMATION', detail: `replaces ${old.subscriptionId} (SUSPENDED)` });
    expect(row.subscriptionId).not.toBe(old.subscriptionId);
    const fresh = fake.subscriptions.find((s) => s.subscriptionId === row.subscriptionId)!;
    expect(fresh.clientRequestToken).not.toBe(old.clientRequestToken);
    expect(res.filter((x) => x.action === 'exists')).toHaveLength(3);
    expect(rows(await subscribe('sqs', ['--json'])).map((x) => x.action)).toEqual(['exists', 'exists', 'exists', 'exists']);
    expect(fake.subscriptions).toHaveLength(5);
  });

  it('--dry-run says what it would create and sends no POST', async () => {
    const res = rows(await subscribe('sqs', ['--dry-run', '--json']));
    expect(res.map((x) => x.action)).toEqual(['would create', 'would create', 'would create', 'would create']);
    expect(fake.adsRequests().filter((q) => q.method === 'POST')).toHaveLength(0);
  });

  it('--stack limits it to the named stacks', async () => {
    const res = rows(await subscribe('sqs', ['--stack', 'ams-sp-traffic-eu', '--json']));
    expect(res).toEqual([expect.objectContaining({ stack: 'ams-sp-traffic-eu', dataSetId: 'sp-traffic', region: 'EU', action: 'created' })]);
  });

  it('notes another live subscription delivering the same dataset elsewhere', async () => {
    fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'na', destination: { sqsDestination: { queueArn: 'arn:aws:sqs:us-east-1:999999999999:legacy' } } });
    const res = rows(await subscribe('sqs', ['--stack', 'ams-sp-traffic-na', '--json']));
    expect(res[0].action).toBe('created');
    expect(res[0].detail).toMatch(/already delivers sp-traffic to arn:aws:sqs:us-east-1:999999999999:legacy/);
  });
});

describe('subscribe --from-outputs (firehose delivery)', () => {
  it('creates firehoseDestination subscriptions with the stream and both roles from the outputs', async () => {
    const r = await subscribe('firehose', ['--stack', 'ams-sp-traffic-eu,ams-adsp-traffic-na', '--json']);
    expect(r.code).toBe(0);
    expect(rows(r).map((x) => x.action)).toEqual(['created', 'created']);
    const post = fake.adsRequests().find((q) => q.method === 'POST' && q.path === '/eu/streams/subscriptions')!;
    const o = synths.firehose.outputs['ams-sp-traffic-eu'];
    expect(JSON.parse(post.body).destination).toEqual({
      firehoseDestination: {
        deliveryStreamArn: o[AMS_OUTPUTS.deliveryStreamArn].value,
        subscriberRoleArn: o[AMS_OUTPUTS.subscriberRoleArn].value,
        subscriptionRoleArn: o[AMS_OUTPUTS.subscriptionRoleArn].value,
      },
    });
    expect(fake.adsRequests().some((q) => q.method === 'POST' && q.path === '/na/dsp/streams/subscriptions')).toBe(true);
  });

  it('--outputs-file takes one stack\'s `terraform output -json`', async () => {
    const res = rows(await runAms(fake, ['subscribe', '--from-outputs', '--outputs-file', join(synths.firehose.dir, 'ams-sp-traffic-na.json'), '--json']));
    expect(res).toEqual([expect.objectContaining({ stack: 'ams-sp-traffic-na', action: 'created', destination: synths.firehose.outputs['ams-sp-traffic-na'][AMS_OUTPUTS.deliveryStreamArn].value })]);
  });
});

describe('default: terraform output -json in cdktf.out/stacks/<stack>', () => {
  it('runs in every configured stack folder; undeployed and failing stacks are skipped with the reason', async () => {
    const s = synths.sqs;
    const seen: string[] = [];
    const runTerraform = async (cwd: string) => {
      seen.push(cwd);
      const stack = basename(cwd);
      if (stack === 'ams-adsp-traffic-eu') return '{}';
      if (stack === 'ams-adsp-traffic-na') throw new Error('terraform output failed: Backend initialization required, please run "terraform init"');
      return JSON.stringify(s.outputs[stack]);
    };
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--cdktf-out', s.outdir, '--config', s.config, ...DSP], { runTerraform });
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(0);
    expect(seen.sort()).toEqual(s.stacks.map((st) => join(s.outdir, 'stacks', st.name)).sort());
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('ams-adsp-traffic-eu'))).toMatch(/skipped .*not deployed: no outputs \(make deploy STACK=ams-adsp-traffic-eu\)/);
    expect(lines.find((l) => l.startsWith('ams-adsp-traffic-na'))).toMatch(/skipped .*Backend initialization required/);
    expect(lines.filter((l) => / created /.test(l))).toHaveLength(2);
  });

  it('a stack that was never synthesized is skipped; one asked for by name is an error (exit 2)', async () => {
    const empty = join(tmp, 'empty-out');
    mkdirSync(join(empty, 'stacks'), { recursive: true });
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--cdktf-out', empty, '--config', synths.sqs.config, '--json'], { runTerraform: async () => '{}' });
    expect(r.code).toBe(0);
    expect(rows(r).every((x) => x.action === 'skipped' && x.detail === 'not synthesized (run make synth)')).toBe(true);
    const named = await runAms(fake, ['subscribe', '--from-outputs', '--cdktf-out', empty, '--stack', 'ams-sp-traffic-na']);
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`${join(empty, 'stacks', 'ams-sp-traffic-na')} does not hold a synthesized stack: run make synth`);
  });

  it('the runner calls terraform output -json in the folder ($TERRAFORM_BIN), and explains a missing binary', async () => {
    const bin = join(tmp, 'fake-terraform');
    writeFileSync(bin, '#!/bin/sh\nprintf \'{"args":{"value":"%s %s"},"cwd":{"value":"%s"}}\' "$1" "$2" "$(pwd)"\n');
    chmodSync(bin, 0o755);
    const out = JSON.parse(await terraformRunner({ ...process.env, TERRAFORM_BIN: bin })(tmp));
    expect(out).toEqual({ args: { value: 'output -json' }, cwd: { value: tmp } });
    const failing = join(tmp, 'failing-terraform');
    writeFileSync(failing, '#!/bin/sh\necho "There are some problems with the CLI configuration:" >&2\necho "\u2502 Error: Backend initialization required, please run \\"terraform init\\"" >&2\nexit 1\n');
    chmodSync(failing, 0o755);
    await expect(terraformRunner({ ...process.env, TERRAFORM_BIN: failing })(tmp)).rejects.toThrow('terraform output failed: Error: Backend initialization required, please run "terraform init"');
    await expect(terraformRunner({ ...process.env, TERRAFORM_BIN: join(tmp, 'nope') })(tmp)).rejects.toThrow(/is not on PATH \(set TERRAFORM_BIN, or use --outputs-dir\)/);
  });
});

describe('bad outputs', () => {
  it('a queue in the wrong AWS region or a non-ARN is reported per stack (exit 4); the others still subscribe', async () => {
    const dir = join(tmp, 'bad-outputs');
    mkdirSync(dir, { recursive: true });
    const good = synths.sqs.outputs['ams-sp-traffic-na'];
    const wrongRegion = structuredClone(synths.sqs.outputs['ams-sp-traffic-eu']);
    wrongRegion[AMS_OUTPUTS.queueArn].value = 'arn:aws:sqs:us-east-1:123456789012:misplaced';
    const notArn = structuredClone(synths.sqs.outputs['ams-adsp-traffic-na']);
    notArn[AMS_OUTPUTS.queueArn].value = 'https://sqs.us-east-1.amazonaws.com/123456789012/q';
    writeFileSync(join(dir, 'ams-sp-traffic-na.json'), JSON.stringify(good));
    writeFileSync(join(dir, 'ams-sp-traffic-eu.json'), JSON.stringify(wrongRegion));
    writeFileSync(join(dir, 'ams-adsp-traffic-na.json'), JSON.stringify(notArn));
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--outputs-dir', dir, '--config', synths.sqs.config, ...DSP, '--json']);
    expect(r.code).toBe(4);
    const res = rows(r);
    expect(res.find((x) => x.stack === 'ams-sp-traffic-na')!.action).toBe('created');
    expect(res.find((x) => x.stack === 'ams-sp-traffic-eu')).toMatchObject({
      action: 'error',
      detail: 'ams-sp-traffic-eu: output "destination_queue_arn" is in us-east-1, but Amazon publishes this advertising region\'s data to eu-west-1',
    });
    expect(res.find((x) => x.stack === 'ams-adsp-traffic-na')!.detail).toMatch(/output "destination_queue_arn" is not an SQS queue ARN/);
    expect(res.find((x) => x.stack === 'ams-adsp-traffic-eu')).toMatchObject({ action: 'skipped', detail: `no ams-adsp-traffic-eu.json in ${dir}` });
  });

  it('a file that is not `terraform output -json` is a usage error naming it', async () => {
    const f = join(tmp, 'not-outputs.json');
    writeFileSync(f, JSON.stringify({ dataset_id: 'sp-traffic' }));
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--outputs-file', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`outputs file ${f}: "dataset_id" is not in the \`terraform output -json\` shape`);
    writeFileSync(f, '{not json');
    expect((await runAms(fake, ['subscribe', '--from-outputs', '--outputs-file', f])).stderr).toContain(`outputs file ${f} is not valid JSON`);
    expect((await runAms(fake, ['subscribe'])).stderr).toContain('--from-outputs is required');
  });
});

describe('credentials', () => {
  it('missing credentials stop subscribe once with exit 2, before any request', async () => {
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--outputs-dir', synths.sqs.dir, '--config', synths.sqs.config], { credentialsInEnv: false });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ams subscribe: no Amazon Ads credentials: no credentials\.yml found/);
    expect(fake.requests).toHaveLength(0);
  });
});

/** The hashicorp/aws filesystem mirror `terraform init` can use offline (as scripts/tf-check.ts looks for it). */
const mirror = [process.env.TF_PROVIDER_MIRROR, '/opt/tf-plugins', '/usr/share/terraform/plugins', join(process.env.HOME ?? '/root', '.terraform.d', 'plugins')]
  .filter((p): p is string => !!p)
  .find((p) => existsSync(join(p, 'registry.terraform.io', 'hashicorp', 'aws')));
const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
if (!hasTerraform || !mirror) console.warn('cli-ams-subscribe.test.ts: no terraform or no hashicorp/aws mirror; the real `terraform output` test is skipped');

describe('with the real terraform binary', () => {
  it.skipIf(!hasTerraform || !mirror)('reads `terraform output -json` of initialized stack folders holding local state', { timeout: 120_000 }, async () => {
    const s = synthConfig(configWith({ ams: { ...AMS, delivery: 'sqs' } }));
    let statePath: string | undefined;
    try {
      const rc = join(tmp, 'terraformrc');
      writeFileSync(
        rc,
        // Link from the shared plugin cache instead of reinstalling into it (see scripts/tf-check.ts): other test
        // files run terraform init at the same time.
        `disable_checkpoint = true\nplugin_cache_may_break_dependency_lock_file = true\nprovider_installation {\n  filesystem_mirror {\n    path = "${mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
      );
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TF_CLI_CONFIG_FILE: rc, TF_PLUGIN_CACHE_DIR: fromRoot('.tools', 'terraform-plugin-cache') };
      mkdirSync(env.TF_PLUGIN_CACHE_DIR, { recursive: true });
      // Deployed: ams-sp-traffic-na (state holding the outputs); initialized but empty: ams-sp-traffic-eu;
      // never initialized: the DSP stacks.
      for (const name of ['ams-sp-traffic-na', 'ams-sp-traffic-eu']) {
        const dir = join(s.outdir, 'stacks', name);
        const init = spawnSync('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env, encoding: 'utf8' });
        expect(init.status, init.stderr).toBe(0);
      }
      const na = s.stacks.find((st) => st.name === 'ams-sp-traffic-na')!;
      const outputs = Object.fromEntries(Object.entries(deployedOutputs(na)).map(([k, o]) => [k, { value: o.value, type: 'string' }]));
      // The local backend's path as synthesized (relative to the stack folder), wherever the state layout puts it.
      statePath = join(na.dir, String((na.json.terraform as { backend: { local: { path: string } } }).backend.local.path));
      mkdirSync(dirname(statePath), { recursive: true });
      writeFileSync(
        statePath,
        JSON.stringify({ version: 4, terraform_version: '1.10.0', serial: 1, lineage: '6f1c2e3d-0000-4000-8000-000000000001', outputs, resources: [], check_results: null }),
      );
      const r = await runAms(fake, ['subscribe', '--from-outputs', '--cdktf-out', s.outdir, '--config', synths.sqs.config, ...DSP, '--json'], { env });
      expect(r.leaked).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      const res = rows(r);
      expect(res.find((x) => x.stack === 'ams-sp-traffic-na')).toMatchObject({ action: 'created', destination: outputs[AMS_OUTPUTS.queueArn].value });
      expect(res.find((x) => x.stack === 'ams-sp-traffic-eu')).toMatchObject({ action: 'skipped', detail: 'not deployed: no outputs (make deploy STACK=ams-sp-traffic-eu)' });
      expect(res.find((x) => x.stack === 'ams-adsp-traffic-na')!.detail).toMatch(/^terraform output failed: Error: Backend initialization required/);
    } finally {
      s.cleanup();
      // The state may live beside the output folder rather than in it: remove the file this test wrote.
      if (statePath) rmSync(statePath, { force: true });
    }
  });
});
