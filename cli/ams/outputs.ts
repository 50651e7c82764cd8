/**
 * Reads the deployed AMS stacks' Terraform outputs for `subscribe --from-outputs`, in the shape
 * `terraform output -json` prints ({name: {value, type, sensitive}}), from one of:
 *   - `terraform output -json` run in cdktf.out/stacks/<stack> (default; needs `terraform init` there, which
 *     `make deploy` does),
 *   - `--outputs-file <file>` (repeatable): one stack's `terraform output -json`, or the file `cdktf deploy
 *     --outputs-file <file>` writes: a JSON object keyed by stack name, each holding that stack's outputs as
 *     `{name: value}` (cdktf-cli's saveOutputs; sensitive outputs are left out unless
 *     --outputs-file-include-sensitive-outputs); stacks in it that are not AMS stacks are ignored,
 *   - `--outputs-dir <dir>` holding `<stack>.json` per stack.
 * Each stack's outputs become a subscription target: dataset, advertising region and destination, checked for
 * ARNs of the right kind in the right AWS region.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ADVERTISING_REGIONS, AMS_DATASET_IDS, awsRegionOf, type AdvertisingRegion } from '../../contracts/ams.js';
import { AMS_OUTPUTS } from '../../contracts/ams.js';
import { ARN_KINDS, ARN_PATTERNS, type Destination } from './api.js';
import { ConfigurationError } from './errors.js';

export type TfOutputs = Record<string, { value?: unknown; type?: unknown; sensitive?: boolean }>;

export interface StackTarget {
  readonly stack: string;
  readonly dataSetId: string;
  readonly region: AdvertisingRegion;
  readonly delivery: 'sqs' | 'firehose';
  readonly destination: Destination;
  readonly destinationArn: string;
}

export interface StackOutputs {
  readonly stack: string;
  readonly outputs?: TfOutputs;
  /** Why there are no usable outputs (not synthesized, not deployed, terraform failed...). */
  readonly skipped?: string;
}

function value(stack: string, outputs: TfOutputs, name: string): string {
  const o = outputs[name];
  if (!o || o.value === undefined || o.value === null) throw new ConfigurationError(`${stack}: output "${name}" is missing`);
  if (typeof o.value !== 'string') throw new ConfigurationError(`${stack}: output "${name}" must be a string, got ${typeof o.value}`);
  return o.value;
}

function arn(stack: string, outputs: TfOutputs, name: string, kind: keyof typeof ARN_PATTERNS, awsRegion?: string): string {
  const v = value(stack, outputs, name);
  const m = ARN_PATTERNS[kind].exec(v);
  if (!m) throw new ConfigurationError(`${stack}: output "${name}" is not ${ARN_KINDS[kind]}: ${JSON.stringify(v)}`);
  if (awsRegion && m[1] !== awsRegion) {
    throw new ConfigurationError(`${stack}: output "${name}" is in ${m[1]}, but Amazon publishes this advertising region's data to ${awsRegion}`);
  }
  return v;
}

/** Turns one stack's outputs into a subscription target, or throws naming the stack and output. */
export function targetFromOutputs(stack: string, outputs: TfOutputs): StackTarget {
  const dataSetId = value(stack, outputs, AMS_OUTPUTS.datasetId);
  if (!AMS_DATASET_IDS.includes(dataSetId)) throw new ConfigurationError(`${stack}: output "${AMS_OUTPUTS.datasetId}" names an unknown dataset ${JSON.stringify(dataSetId)}`);
  const region = value(stack, outputs, AMS_OUTPUTS.advertisingRegion) as AdvertisingRegion;
  if (!ADVERTISING_REGIONS.includes(region)) {
    throw new ConfigurationError(`${stack}: output "${AMS_OUTPUTS.advertisingRegion}" must be one of ${ADVERTISING_REGIONS.join(', ')}, got ${JSON.stringify(region)}`);
  }
  const delivery = value(stack, outputs, AMS_OUTPUTS.delivery);
  const awsRegion = awsRegionOf(region);
  if (delivery === 'sqs') {
    const queueArn = arn(stack, outputs, AMS_OUTPUTS.queueArn, 'sqs', awsRegion);
    return { stack, dataSetId, region, delivery, destination: { sqsDestination: { queueArn } }, destinationArn: queueArn };
  }
  if (delivery === 'firehose') {
    const deliveryStreamArn = arn(stack, outputs, AMS_OUTPUTS.deliveryStreamArn, 'firehose', awsRegion);
    const subscriberRoleArn = arn(stack, outputs, AMS_OUTPUTS.subscriberRoleArn, 'role');
    const subscriptionRoleArn = arn(stack, outputs, AMS_OUTPUTS.subscriptionRoleArn, 'role');
    return {
      stack, dataSetId, region, delivery,
      destination: { firehoseDestination: { deliveryStreamArn, subscriberRoleArn, subscriptionRoleArn } },
      destinationArn: deliveryStreamArn,
    };
  }
  throw new ConfigurationError(`${stack}: output "${AMS_OUTPUTS.delivery}" must be sqs or firehose, got ${JSON.stringify(delivery)}`);
}

export function parseOutputsJson(text: string, where: string): TfOutputs {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new ConfigurationError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) {
    throw new ConfigurationError(`${where} must be the object \`terraform output -json\` prints ({"name": {"value": ...}})`);
  }
  for (const [k, v] of Object.entries(j)) {
    if (!v || typeof v !== 'object' || !('value' in v)) {
      throw new ConfigurationError(`${where}: "${k}" is not in the \`terraform output -json\` shape ({"value": ..., "type": ..., "sensitive": ...})`);
    }
  }
  return j as TfOutputs;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`cannot read outputs file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readJsonFile(file: string): TfOutputs {
  return parseOutputsJson(readText(file), `outputs file ${file}`);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The file `cdktf deploy|output --outputs-file` writes: `{"<stack>": {"<output>": <value>, ...}, ...}` (outputs of
 * constructs nested below the stack would be one object deeper; ours are all at stack level). Undefined when the
 * text is not in that shape (then it is read as `terraform output -json`).
 */
export function parseCdktfOutputsFile(text: string): { stack: string; outputs: TfOutputs }[] | undefined {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(j) || Object.keys(j).length === 0) return undefined;
  const stacks = Object.entries(j);
  // `terraform output -json` entries are {value, type, sensitive}; cdktf's are a stack's {name: value} map.
  if (!stacks.every(([, v]) => isPlainObject(v) && !('value' in v))) return undefined;
  return stacks.map(([stack, outs]) => ({
    stack,
    outputs: Object.fromEntries(
      Object.entries(outs as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && !isPlainObject(v))
        .map(([name, v]) => [name, { value: v }]),
    ) as TfOutputs,
  }));
}

export type TerraformRunner = (cwd: string) => Promise<string>;

/** `terraform output -json` in `cwd` ($TERRAFORM_BIN or terraform on PATH). */
export function terraformRunner(env: Readonly<Record<string, string | undefined>>): TerraformRunner {
  const bin = env.TERRAFORM_BIN || 'terraform';
  return (cwd) =>
    new Promise((resolve, reject) => {
      execFile(
        bin,
        ['output', '-json', '-no-color'],
        { cwd, env: { ...env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' } as NodeJS.ProcessEnv, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
        (err, stdout, stderr) => {
          if (err) {
            const code = (err as NodeJS.ErrnoException).code;
            const lines = String(stderr)
              .split('\n')
              .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').replace(/^[╷│╵]\s*/, '').trim())
              .filter(Boolean);
            const first = lines.find((l) => l.startsWith('Error: ')) ?? lines[0];
            reject(new Error(code === 'ENOENT' ? `${bin} is not on PATH (set TERRAFORM_BIN, or use --outputs-dir)` : `terraform output failed: ${first ?? err.message}`));
          } else resolve(String(stdout));
        },
      );
    });
}

export interface ReadOutputsOptions {
  /** Stack names to read (from --stack or the config). */
  readonly stacks: readonly string[];
  /** Explicitly requested stacks (--stack): a missing one is an error rather than "skipped". */
  readonly explicit: boolean;
  readonly files?: readonly string[];
  readonly dir?: string;
  /** cdktf.out folder for the default mode. */
  readonly cdktfOut: string;
  readonly runTerraform: TerraformRunner;
}

/** Outputs per stack; stacks without usable outputs come back with `skipped` and the reason. */
export async function readStackOutputs(o: ReadOutputsOptions): Promise<StackOutputs[]> {
  if (o.files && o.files.length > 0) {
    // cdktf's outputs file: every AMS stack in it (by name, or by its dataset_id output).
    // `terraform output -json`: one stack per file; its name comes from dataset_id/advertising_region or the file name.
    return o.files.flatMap((f) => {
      const cdktf = parseCdktfOutputsFile(readText(f));
      if (cdktf) {
        return cdktf
          .filter((s) => s.stack.startsWith('ams-') || AMS_OUTPUTS.datasetId in s.outputs)
          .filter((s) => !o.explicit || o.stacks.includes(s.stack));
      }
      const outputs = readJsonFile(f);
      const ds = outputs[AMS_OUTPUTS.datasetId]?.value;
      const rg = outputs[AMS_OUTPUTS.advertisingRegion]?.value;
      const stack = typeof ds === 'string' && typeof rg === 'string' ? `ams-${ds}-${rg.toLowerCase()}` : basename(f).replace(/\.json$/, '');
      return [{ stack, outputs }].filter((s) => !o.explicit || o.stacks.includes(s.stack));
    });
  }
  if (o.dir) {
    if (!existsSync(o.dir) || !statSync(o.dir).isDirectory()) throw new ConfigurationError(`--outputs-dir ${o.dir} is not a folder`);
    const present = new Set(readdirSync(o.dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)));
    return o.stacks.map((stack) => {
      if (!present.has(stack)) {
        if (o.explicit) throw new ConfigurationError(`${join(o.dir!, `${stack}.json`)} does not exist`);
        return { stack, skipped: `no ${stack}.json in ${o.dir}` };
      }
      return { stack, outputs: readJsonFile(join(o.dir!, `${stack}.json`)) };
    });
  }
  const results: StackOutputs[] = [];
  for (const stack of o.stacks) {
    const dir = join(o.cdktfOut, 'stacks', stack);
    if (!existsSync(join(dir, 'cdk.tf.json'))) {
      if (o.explicit) throw new ConfigurationError(`${dir} does not hold a synthesized stack: run make synth`);
      results.push({ stack, skipped: 'not synthesized (run make synth)' });
      continue;
    }
    try {
      const outputs = parseOutputsJson(await o.runTerraform(dir), `terraform output -json in ${dir}`);
      if (Object.keys(outputs).length === 0) results.push({ stack, skipped: `not deployed: no outputs (make deploy STACK=${stack})` });
      else results.push({ stack, outputs });
    } catch (err) {
      results.push({ stack, skipped: (err as Error).message });
    }
  }
  return results;
}
