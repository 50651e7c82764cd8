/**
 * `ams subscribe --from-outputs --outputs-file <file>` reads the file `cdktf deploy --outputs-file <file>` writes.
 *
 * Contract (cdktf-cli, packages/@cdktf/cli-core/src/lib/output.ts and cdktf-stack.ts): after a deploy the CLI maps
 * `terraform output -json` through the stack's `"//".outputs` metadata in cdk.tf.json (getConstructIdsForOutputs:
 * `{<stack>: {<construct id>: <terraform output name>}}`) and writes each output's plain value (saveOutputs /
 * unpackTerraformOutput; a sensitive output becomes undefined, i.e. absent, unless
 * --outputs-file-include-sensitive-outputs). The file below is built that way from the REAL synthesized stacks'
 * metadata, with the same plausible deployed values the subscribe tests use.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../config/index.js';
import { parseCdktfOutputsFile, readStackOutputs, type TfOutputs } from '../../cli/ams/outputs.js';
import { AMS_OUTPUTS } from '../../contracts/ams.js';
import { FakeAdsApi, runAms } from '../helpers/fake-ads-api.js';
import { synthConfig, type SynthStack } from '../helpers/synth.js';

const ACCOUNT = '123456789012';

/** Plausible `terraform output -json` of a deployed AMS stack (sqs variant): each output resolved to a value. */
function terraformOutputs(stack: SynthStack): TfOutputs {
  const region = (stack.json.provider?.aws?.[0] as { region: string }).region;
  const value = (v: unknown): string => {
    const m = typeof v === 'string' ? /^\$\{([a-z0-9_]+)\.([^.]+)\.([a-z_]+)\}$/.exec(v) : null;
    if (!m) return String(v);
    const [, type, id, attr] = m;
    const name = String((stack.json.resource?.[type]?.[id] as Record<string, unknown> | undefined)?.name ?? id);
    if (attr !== 'arn') return name;
    return type === 'aws_sqs_queue' ? `arn:aws:sqs:${region}:${ACCOUNT}:${name}` : `arn:aws:${type.replace(/^aws_/, '')}:${region}:${ACCOUNT}:${name}`;
  };
  return Object.fromEntries(Object.entries(stack.json.output ?? {}).map(([k, o]) => [k, { value: value(o.value), type: 'string', sensitive: false }]));
}

/** What cdktf-cli writes for these stacks: its construct-id mapping from cdk.tf.json, then the plain values. */
function cdktfOutputsFile(stacks: SynthStack[], sensitive: string[] = []): Record<string, Record<string, unknown>> {
  const file: Record<string, Record<string, unknown>> = {};
  for (const s of stacks) {
    const mapping = (s.json['//'] as { outputs: Record<string, Record<string, string>> }).outputs;
    const tf = terraformOutputs(s);
    for (const [stackName, ids] of Object.entries(mapping)) {
      file[stackName] = Object.fromEntries(
        Object.entries(ids).map(([constructId, outputName]) => [constructId, sensitive.includes(outputName) ? undefined : tf[outputName].value]),
      );
    }
  }
  return JSON.parse(JSON.stringify(file)) as Record<string, Record<string, unknown>>;
}

let fake: FakeAdsApi;
let tmp: string;
let synth: ReturnType<typeof synthConfig>;

beforeAll(async () => {
  fake = await new FakeAdsApi().start();
  tmp = mkdtempSync(join(tmpdir(), 'ams-outputs-file-'));
  synth = synthConfig(configWith({ ams: { datasets: ['sp-traffic'], regions: ['NA', 'EU'], delivery: 'sqs' }, clickstream: { enabled: true, regions: ['us-east-1'] } }));
});
afterAll(async () => {
  await fake.close();
  synth.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cdktf --outputs-file format', () => {
  it('is recognized and read as one entry per AMS stack (other pipelines\' stacks ignored)', async () => {
    const file = join(tmp, 'outputs.json');
    const content = cdktfOutputsFile(synth.stacks);
    expect(Object.keys(content).sort()).toEqual(['ams-sp-traffic-eu', 'ams-sp-traffic-na', 'clickstream-us-east-1']);
    writeFileSync(file, JSON.stringify(content, null, 2));
    const read = await readStackOutputs({ stacks: [], explicit: false, files: [file], cdktfOut: synth.outdir, runTerraform: async () => '{}' });
    expect(read.map((r) => r.stack).sort()).toEqual(['ams-sp-traffic-eu', 'ams-sp-traffic-na']);
    const na = read.find((r) => r.stack === 'ams-sp-traffic-na')!;
    expect(na.outputs![AMS_OUTPUTS.datasetId]).toEqual({ value: 'sp-traffic' });
    expect(na.outputs![AMS_OUTPUTS.queueArn].value).toMatch(/^arn:aws:sqs:us-east-1:123456789012:/);
    // `terraform output -json` files keep their meaning.
    expect(parseCdktfOutputsFile(JSON.stringify(terraformOutputs(synth.stacks[0])))).toBeUndefined();
    expect(parseCdktfOutputsFile(JSON.stringify({ dataset_id: 'sp-traffic' }))).toBeUndefined();
  });

  it('subscribe --from-outputs --outputs-file <cdktf file> creates a subscription per AMS stack in it', async () => {
    const file = join(tmp, 'deploy-outputs.json');
    writeFileSync(file, JSON.stringify(cdktfOutputsFile(synth.stacks), null, 2));
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--outputs-file', file, '--json']);
    expect(r.leaked).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { results: Record<string, string>[] }).results;
    expect(rows.map((x) => [x.stack, x.action]).sort()).toEqual([['ams-sp-traffic-eu', 'created'], ['ams-sp-traffic-na', 'created']]);
    const eu = rows.find((x) => x.stack === 'ams-sp-traffic-eu')!;
    expect(eu.destination).toMatch(/^arn:aws:sqs:eu-west-1:123456789012:/);
  });

  it('a stack whose destination output was left out (sensitive, not included) is reported, not subscribed', async () => {
    const file = join(tmp, 'sensitive.json');
    writeFileSync(file, JSON.stringify(cdktfOutputsFile(synth.stacks, [AMS_OUTPUTS.queueArn])));
    const r = await runAms(fake, ['subscribe', '--from-outputs', '--outputs-file', file, '--stack', 'ams-sp-traffic-na', '--json']);
    expect(r.leaked).toEqual([]);
    expect(r.code).not.toBe(0);
    const rows = (JSON.parse(r.stdout) as { results: Record<string, string>[] }).results;
    expect(rows).toEqual([{ stack: 'ams-sp-traffic-na', action: 'error', detail: `ams-sp-traffic-na: output "${AMS_OUTPUTS.queueArn}" is missing` }]);
  });
});
