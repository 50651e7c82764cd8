/**
 * The contracts between stacks and handlers (contracts/<pipeline>.ts), checked over every stack of the default,
 * full and fargate configurations (and of full and fargate with every optional setting on):
 * - each synthesized Lambda function (and the Buy with Prime Fargate container) sets exactly the variables the
 *   contract of its handler declares: none the handler does not read, every one it reads (optional ones at least
 *   once over the three configurations, test-only ones never);
 * - the contract is the one the handler's entry declares (`export const contract = ...`), and it matches the
 *   handler's source: every local file the entry bundles (esbuild's own list) reads no variable by a literal name,
 *   refers to every contract entry, and a variable set for a bundled library is read by one of the bundled
 *   packages.
 * - every KMS encryption-context condition of the synthesized policies requires the context the Buy with Prime
 *   token service sends (a drift denies every GenerateDataKey and Decrypt).
 * The checks themselves (__tests__/helpers/contracts.ts) are first shown to fail on broken inputs.
 */
import '../../lib/fast-synth.js';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, type TributaryConfig } from '../../config/index.js';
import * as amsContracts from '../../contracts/ams.js';
import * as bwpContracts from '../../contracts/buy-with-prime.js';
import * as clickstreamContracts from '../../contracts/clickstream.js';
import * as clientEventsContracts from '../../contracts/client-events.js';
import type { HandlerEnvContract } from '../../contracts/env.js';
import { CLICKSTREAM_INGEST } from '../../contracts/clickstream.js';
import { tokenContext } from '../../handlers/buy-with-prime/lib/token-service.js';
import { ESBUILD_OPTIONS, handlerEntry, handlerNames, HANDLERS_DIR } from '../../scripts/build-handlers.js';
import { BWP_CONTAINER_NAME } from '../../stacks/buy-with-prime/fargate.js';
import { environmentProblems, literalEnvReads, requiredNames, sourceProblems } from '../helpers/contracts.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';

const ROOT = resolve(HANDLERS_DIR, '..');
const CONFIGS = { default: 'config/default.json', full: 'config/examples/full.json', fargate: 'config/examples/fargate.json' } as const;
/** The settings that make a stack set an optional variable (contract `optional`), applied to full and fargate as well. */
const OPTIONAL_SETTINGS: Record<string, Record<string, unknown>> = {
  buyWithPrime: { verificationIssuer: 'https://verification.example.com' },
  clientEvents: { clientIdClaim: 'custom:clientId' },
};
const CONTRACT_MODULES: Record<string, Record<string, unknown>> = {
  ams: amsContracts,
  'buy-with-prime': bwpContracts,
  clickstream: clickstreamContracts,
  'client-events': clientEventsContracts,
};
/** ECS containers and the entry their image runs (docker/bwp-oauth.Dockerfile: server.ts bundled as server.mjs). */
const CONTAINER_ENTRIES: Record<string, string> = { [BWP_CONTAINER_NAME]: join(HANDLERS_DIR, 'buy-with-prime', 'oauth', 'server.ts') };

/** The contract an entry file declares: `export const contract = X;` with X imported from contracts/<module>.js. */
function declaredContract(entry: string): HandlerEnvContract {
  const src = readFileSync(entry, 'utf8');
  const id = /^export const contract = (\w+);$/m.exec(src)?.[1];
  if (!id) throw new Error(`${relative(ROOT, entry)} declares no contract (export const contract = <contract>;)`);
  const imports = [...src.matchAll(/import \{([^}]*)\} from '(?:\.\.\/)+contracts\/([\w-]+)\.js';/g)];
  const from = imports.find((m) => m[1].split(',').map((s) => s.trim()).includes(id));
  if (!from) throw new Error(`${relative(ROOT, entry)}: contract ${id} is not imported from contracts/`);
  const contract = CONTRACT_MODULES[from[2]]?.[id] as HandlerEnvContract | undefined;
  if (!contract) throw new Error(`${relative(ROOT, entry)}: contracts/${from[2]}.ts exports no ${id}`);
  return contract;
}

interface Bundled {
  /** Local source files the entry bundles, contracts/ excluded. */
  readonly local: { path: string; text: string }[];
  /** Bundled files under node_modules. */
  readonly packages: string[];
}

async function bundledInputs(entry: string): Promise<Bundled> {
  // The options of the real build (scripts/build-handlers.ts), so the inputs are exactly what the zip holds.
  const result = await build({ ...ESBUILD_OPTIONS, entryPoints: [entry], metafile: true, outfile: 'index.mjs', logLevel: 'silent', absWorkingDir: ROOT });
  const inputs = Object.keys(result.metafile!.inputs);
  return {
    local: inputs
      .filter((p) => !p.includes('node_modules/') && !p.startsWith('contracts/') && p.endsWith('.ts'))
      .map((p) => ({ path: p, text: readFileSync(join(ROOT, p), 'utf8') })),
    packages: inputs.filter((p) => p.includes('node_modules/')),
  };
}

describe('contract checks (on broken inputs)', () => {
  const contract = CLICKSTREAM_INGEST;
  const full = Object.fromEntries(Object.values(contract.env).map((n) => [n, 'x']));

  it('pass a complete environment and report an extra, a missing, a test-only and a runtime variable', () => {
    expect(environmentProblems(contract, full, 'ok')).toEqual([]);
    const { STREAM_NAME: _, ...missing } = full;
    expect(environmentProblems(contract, missing, 's')).toEqual(['s: does not set STREAM_NAME, which clickstream-ingest reads']);
    expect(environmentProblems(contract, { ...full, STREM_NAME: 'x' }, 's')).toEqual([
      's: sets STREM_NAME, which clickstream-ingest does not read (not in its contract)',
    ]);
    expect(environmentProblems(contract, { ...full, AWS_REGION: 'x' }, 's')).toEqual(['s: sets AWS_REGION, a variable the Lambda runtime defines']);
    const withTestOnly = clientEventsContracts.CLIENT_EVENTS_AUTHORIZER;
    const set = Object.fromEntries(requiredNames(withTestOnly).map((n) => [n, 'x']));
    expect(environmentProblems(withTestOnly, set, 's')).toEqual([]);
    expect(environmentProblems(withTestOnly, { ...set, JWKS_URI: 'x' }, 's')).toEqual(['s: sets JWKS_URI, a test-only override of client-events-authorizer']);
  });

  it('find literal reads in source, comments aside', () => {
    const src = [
      "const a = process.env.STREAM_NAME; const b = process.env['OTHER'];",
      "requireEnv(process.env, 'THIRD'); intEnv(env, \"FOURTH\", 1, 0, 2); env.FIFTH; env['SIXTH'];",
      '// process.env.IN_A_COMMENT',
      '/* env.IN_A_BLOCK */ requireEnv(env, E.streamName); process.env[E.rejectsQueueUrl];',
    ].join('\n');
    expect(literalEnvReads(src)).toEqual(['FIFTH', 'FOURTH', 'OTHER', 'SIXTH', 'STREAM_NAME', 'THIRD']);
  });

  it('report a literal read outside the contract, one around it, and a contract entry nothing refers to', () => {
    const keys = Object.keys(contract.env).map((k) => `E.${k}`).join(' ');
    expect(sourceProblems(contract, [{ path: 'a.ts', text: keys }])).toEqual([]);
    expect(sourceProblems(contract, [{ path: 'a.ts', text: `${keys} process.env.DEBUG_MODE` }])).toEqual([
      'a.ts: reads DEBUG_MODE, which is not in the contract of clickstream-ingest',
    ]);
    expect(sourceProblems(contract, [{ path: 'a.ts', text: `${keys} requireEnv(env, 'STREAM_NAME')` }])).toEqual([
      "a.ts: reads STREAM_NAME by a literal name (use the contract's constant)",
    ]);
    expect(sourceProblems(contract, [{ path: 'a.ts', text: keys.replace('E.putMaxAttempts', '') }])).toEqual([
      'clickstream-ingest: no source reads PUT_MAX_ATTEMPTS (contract key "putMaxAttempts")',
    ]);
    expect(sourceProblems(contract, [{ path: 'a.ts', text: `${keys} process.env.AWS_LAMBDA_FUNCTION_NAME` }])).toEqual([]);
  });
});

describe('contracts/ and what loads it', () => {
  const CDKTF = /node_modules\/(cdktf|constructs|@cdktf)\//;
  /** Per entry file, the cdktf files its bundle holds (one esbuild run for all entries). */
  const cdktfInputs = async (entries: string[]): Promise<Map<string, string[]>> => {
    const { metafile } = await build({
      entryPoints: entries, bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, outdir: 'out', logLevel: 'silent', absWorkingDir: ROOT,
    });
    const found = new Map<string, string[]>();
    for (const out of Object.values(metafile!.outputs)) {
      if (out.entryPoint) found.set(resolve(ROOT, out.entryPoint), Object.keys(out.inputs).filter((p) => CDKTF.test(p)));
    }
    return found;
  };

  it('contracts/*.ts and the CLIs load no cdktf (the CLIs and handlers share contracts/ without the synth toolchain)', async () => {
    const files = [
      ...readdirSync(join(ROOT, 'contracts')).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'contracts', f)),
      ...readdirSync(join(ROOT, 'cli'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'cli', f)),
    ];
    expect(files.length).toBeGreaterThan(10);
    const found = await cdktfInputs(files);
    expect([...found.keys()].sort()).toEqual([...files].sort());
    expect([...found].flatMap(([f, inputs]) => inputs.map((p) => `${relative(ROOT, f)} loads ${p}`))).toEqual([]);
  });

  it('the check sees cdktf when a file loads it', async () => {
    const base = join(ROOT, 'stacks', 'base.ts');
    expect((await cdktfInputs([base])).get(base)?.length).toBeGreaterThan(0);
  });
});

describe('stacks and modules', () => {
  it('name no variable of a contract by a literal (they set environment with the contract keys)', () => {
    const contracts = Object.values(CONTRACT_MODULES).flatMap((m) => Object.values(m)).filter(
      (v): v is HandlerEnvContract => !!v && typeof v === 'object' && 'env' in v && 'zip' in v,
    );
    const names = [...new Set(contracts.flatMap((c) => [...Object.values(c.env), ...Object.keys(c.library ?? {})]))];
    expect(names).toContain('STREAM_NAME');
    const literal = new RegExp(`(['"\`]|\\b)(${names.join('|')})(['"\`]|\\s*:)`, 'g');
    const found: string[] = [];
    for (const dir of ['stacks', 'modules']) {
      for (const f of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.ts'))) {
        const code = readFileSync(join(ROOT, dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
        for (const m of code.matchAll(literal)) found.push(`${dir}/${f}: ${m[2]}`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe('handler entries and their contracts', () => {
  const entries = [
    ...handlerNames().map((zip) => ({ zip, entry: handlerEntry(zip) })),
    ...Object.values(CONTAINER_ENTRIES).map((entry) => ({ zip: undefined, entry })),
  ];

  it.each(entries.map((e) => [relative(ROOT, e.entry), e] as const))('%s declares its own contract and its source keeps to it', async (_, { zip, entry }) => {
    const contract = declaredContract(entry);
    if (zip) expect(contract.zip).toBe(zip);
    const { local, packages } = await bundledInputs(entry);
    expect(local.map((f) => f.path)).toContain(relative(ROOT, entry));
    expect(sourceProblems(contract, local)).toEqual([]);
    // A variable set for a bundled library: some bundled file of that package (or its dependencies) reads it.
    for (const [name, library] of Object.entries(contract.library ?? {})) {
      const readers = packages.filter((p) => readFileSync(join(ROOT, p), 'utf8').includes(name));
      expect(packages.some((p) => p.includes(`node_modules/${library}/`)), `${library} is bundled into ${relative(ROOT, entry)}`).toBe(true);
      expect(readers.length, `a bundled package reads ${name}`).toBeGreaterThan(0);
    }
  });
});

interface Deployed {
  /** "<config>: <stack>/<resource id>[/<container>]" */
  readonly where: string;
  /** The entry it runs: a handler zip name, or "container:<name>". */
  readonly runs: string;
  readonly env: Record<string, string>;
}

/** The environment of every Lambda function and ECS container of every stack `config` turns on. */
function deployed(configName: string, stacks: readonly SynthStack[]): Deployed[] {
  const out: Deployed[] = [];
  for (const stack of stacks) {
    for (const [id, fn] of Object.entries(resources(stack, 'aws_lambda_function'))) {
      const env = (fn.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
      out.push({ where: `${configName}: ${stack.name}/${id}`, runs: basename(String(fn.filename), '.zip'), env });
    }
    for (const [id, task] of Object.entries(resources(stack, 'aws_ecs_task_definition'))) {
      for (const c of JSON.parse(String(task.container_definitions)) as { name: string; environment?: { name: string; value: string }[] }[]) {
        const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
        out.push({ where: `${configName}: ${stack.name}/${id}/${c.name}`, runs: `container:${c.name}`, env });
      }
    }
  }
  return out;
}

/** `file` with every optional setting on (merged into its sections). */
function withOptionalSettings(file: string): TributaryConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [section, settings] of Object.entries(OPTIONAL_SETTINGS)) raw[section] = { ...raw[section], ...settings };
  return parseConfig(raw);
}

/** Every `kms:EncryptionContext:<key>` condition in the IAM and key policies of `stacks`: [key, allowed values]. */
function encryptionContextConditions(stacks: readonly SynthStack[]): [string, unknown][] {
  const found: [string, unknown][] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.trimStart().startsWith('{')) {
      try {
        walk(JSON.parse(v));
      } catch {
        // not a policy document
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (k.startsWith('kms:EncryptionContext:')) found.push([k.slice('kms:EncryptionContext:'.length), inner]);
        else walk(inner);
      }
    }
  };
  for (const stack of stacks) walk(stack.json.resource ?? {});
  return found;
}

describe('stacks of the default, full and fargate configurations (and full, fargate with every optional setting)', () => {
  let all: Deployed[] = [];
  let kmsConditions: [string, unknown][] = [];
  const contracts = new Map<string, HandlerEnvContract>();
  beforeAll(() => {
    for (const zip of handlerNames()) contracts.set(zip, declaredContract(handlerEntry(zip)));
    for (const [name, entry] of Object.entries(CONTAINER_ENTRIES)) contracts.set(`container:${name}`, declaredContract(entry));
    const configs: [string, TributaryConfig][] = [
      ...Object.entries(CONFIGS).map(([name, file]) => [name, loadConfig(file)] as [string, TributaryConfig]),
      ['full, optional settings', withOptionalSettings(CONFIGS.full)],
      ['fargate, optional settings', withOptionalSettings(CONFIGS.fargate)],
    ];
    for (const [name, config] of configs) {
      const { stacks, cleanup } = synthConfig(config);
      try {
        all.push(...deployed(name, stacks));
        kmsConditions.push(...encryptionContextConditions(stacks));
      } finally {
        cleanup();
      }
    }
  });
  afterAll(() => {
    all = [];
    kmsConditions = [];
  });

  it('require, in every KMS encryption-context condition, the context the token service sends (else KMS denies every call)', () => {
    const sent = tokenContext('installation-1');
    expect(kmsConditions.length).toBeGreaterThan(0);
    for (const [key, allowed] of kmsConditions) {
      expect(Object.keys(sent)).toContain(key);
      expect(allowed).toBe(sent[key]);
    }
  });

  it('set, for every Lambda function and container, no variable its handler does not read and every one it reads', () => {
    const problems: string[] = [];
    for (const d of all) {
      const contract = contracts.get(d.runs);
      if (!contract) problems.push(`${d.where}: runs ${d.runs}, which has no entry declaring a contract`);
      else problems.push(...environmentProblems(contract, d.env, `${d.where} (${d.runs})`));
    }
    expect(problems).toEqual([]);
    // Every handler and the container are deployed by at least one of the three configurations.
    expect([...new Set(all.map((d) => d.runs))].sort()).toEqual([...contracts.keys()].sort());
  });

  it('set each optional variable when its setting is on (one no stack ever sets is test-only)', () => {
    const unset: string[] = [];
    for (const [runs, contract] of contracts) {
      for (const name of contract.optional ?? []) {
        if (!all.some((d) => d.runs === runs && name in d.env)) unset.push(`${runs}: ${name}`);
      }
    }
    expect(unset).toEqual([]);
  });
});
