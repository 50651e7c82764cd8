/**
 * Offline Terraform check tier: plans every synthesized stack (or those named) with dummy credentials, without
 * an AWS account, and without writing anything into the synthesized output.
 *
 *   tsx scripts/tf-check.ts [--jobs N] [--shard-size S] [--outdir cdktf.out] [--validate-only] [stack ...]
 *
 * - Read only on <outdir>/stacks/<stack>/: every stack becomes `module.<stack>` of a generated root module in a
 *   throwaway folder (os.tmpdir(), removed afterwards; TF_CHECK_KEEP=1 keeps it). The copy drops the backend
 *   (root-only) and rewrites asset paths to ${path.module}/assets/... (a symlink to the stack's assets folder).
 *   Stacks with equal provider blocks (apart from default_tags) share one root provider with dummy keys and
 *   skip_credentials_validation / skip_requesting_account_id / skip_metadata_api_check / skip_region_validation;
 *   each stack's default_tags are checked against the provider's schema (`terraform providers schema -json`, run
 *   once beside the first plan). All other blocks are planned with the arguments synth wrote. The layout, and why
 *   providers are shared, is scripts/tf-layout.ts.
 * - Stacks are sharded by resource count into root modules, --jobs of them planned at a time (default: CPU cores);
 *   a root module holds at most --shard-size stacks (default: what ~60 % of free memory allows, see
 *   SHARD_BASE_MEMORY). Each is one `terraform init` + one `terraform plan -json` (plan validates; no separate
 *   validate step; --validate-only runs validate instead).
 * - A passing shard must have planned every resource every stack declares (checked per stack). Errors are mapped
 *   from module.<stack> addresses and stacks/<stack>/ file ranges back to the stack and resource. A failing shard
 *   names the stacks it held; its other stacks are planned again without the failing ones (a failure no
 *   diagnostic locates is narrowed down by halving the shard), so every stack ends with its own ok or FAIL.
 * - Provider: one shared plugin cache (.tools/terraform-plugin-cache), the machine's filesystem mirror of
 *   hashicorp/aws when there is one (no network), the public registry otherwise (scripts/tf-env.ts).
 * - No terraform, or no mirror and no registry: fails with the reason, unless TF_CHECK_ALLOW_SKIP=1, which prints
 *   a loud SKIPPED line and exits 0.
 * This is a check, not a review plan: it always plans against an empty state with dummy keys.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, freemem, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { diagnosticModule, diagnosticResource, formatDiagnostic, parseTfJson, type TfDiagnostic } from './tf-diagnostics.js';
import { findMirror, offlineEnv, run, terraformBinary, unavailableReason, writeCliConfig, type RunResult } from './tf-env.js';
import { balance, checkProviderBlock, declaredResources, moduleName, sharedProvider, writeShard, type SchemaBlock, type ShardStack, type TfJson } from './tf-layout.js';

const { values, positionals } = parseArgs({
  options: {
    'validate-only': { type: 'boolean', default: false },
    jobs: { type: 'string' },
    'shard-size': { type: 'string' },
    outdir: { type: 'string', default: 'cdktf.out' },
  },
  allowPositionals: true,
});

const ROOT = process.cwd();
const STACKS_DIR = resolve(ROOT, values.outdir!, 'stacks');
const TOOLS = resolve(ROOT, '.tools');
const PLUGIN_CACHE = process.env.TF_PLUGIN_CACHE_DIR || join(TOOLS, 'terraform-plugin-cache');
/**
 * Memory of one root module being planned: terraform itself, which grows with the configuration, and one provider
 * process per distinct provider block (one per region here). Summed RSS of every terraform and provider process,
 * GOGC=400, the 69 default stacks: one root module 2.6 GB at peak, two root modules 4.6 GB together, one stack
 * alone 1.5 GB (with the schema read beside it). Estimated generously as 2 GB + 30 MB per stack.
 */
const GB = 1024 ** 3;
const SHARD_BASE_MEMORY = 2 * GB;
const STACK_MEMORY = 0.03 * GB;

interface StackResult {
  ok: boolean;
  messages: string[];
}

const results = new Map<string, StackResult>();
let shardCounter = 0;

function display(path: string): string {
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? path : rel;
}

function fail(stack: string, message: string): void {
  const r = results.get(stack) ?? { ok: false, messages: [] };
  r.ok = false;
  r.messages.push(message);
  results.set(stack, r);
}

/** At most `n` terraform processes at a time. */
function limiter(n: number): <T>(f: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (f) => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await f();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

async function main(): Promise<void> {
  if (!existsSync(STACKS_DIR)) throw new Error(`${STACKS_DIR} does not exist: run "make synth" first`);
  const all = readdirSync(STACKS_DIR).filter((n) => existsSync(join(STACKS_DIR, n, 'cdk.tf.json'))).sort();
  const unknown = positionals.filter((p) => !all.includes(p));
  if (unknown.length) throw new Error(`no synthesized stack named ${unknown.join(', ')} in ${display(STACKS_DIR)}; have: ${all.join(', ')}`);
  const names = positionals.length ? [...new Set(positionals)] : all;
  if (names.length === 0) throw new Error(`no synthesized stacks in ${display(STACKS_DIR)}: run "make synth" first`);

  const mirror = findMirror();
  const reason = await unavailableReason(mirror);
  if (reason) {
    if (process.env.TF_CHECK_ALLOW_SKIP === '1') {
      const bar = '!'.repeat(100);
      console.error(`${bar}\n!! terraform check tier NOT RUN: ${reason}\n!! (TF_CHECK_ALLOW_SKIP=1 is set, so this is not a failure)\n${bar}`);
      console.log(`SKIPPED terraform check tier (${names.length} stacks not planned): ${reason}`);
      return;
    }
    throw new Error(`${reason}\n(set TF_CHECK_ALLOW_SKIP=1 to skip this tier with a SKIPPED line instead of failing)`);
  }

  const tf = terraformBinary();
  const env = offlineEnv(writeCliConfig(TOOLS, PLUGIN_CACHE, mirror), PLUGIN_CACHE);
  const stacks: ShardStack[] = names.map((name, i) => ({
    name,
    module: moduleName(name, i),
    dir: join(STACKS_DIR, name),
    json: readStack(name),
    owners: [],
  }));
  const weight = (s: ShardStack) => declaredResources(s.json).all.length + 5;

  // --jobs root modules are planned at a time (default: one per core); each holds at most as many stacks as ~60 %
  // of the free memory allows (--shard-size overrides), so a large config on a small machine gets more, smaller
  // root modules planned in turn instead of running out of memory.
  const jobs = Math.max(1, Number(values.jobs ?? availableParallelism()));
  if (!Number.isInteger(jobs)) throw new Error(`--jobs must be a whole number, got ${values.jobs}`);
  const perJob = (freemem() * 0.6) / Math.min(jobs, stacks.length);
  const fits = Math.max(1, Math.floor((perJob - SHARD_BASE_MEMORY) / STACK_MEMORY));
  const shardSize = Number(values['shard-size'] ?? Math.min(fits, Math.ceil(stacks.length / jobs)));
  if (!Number.isInteger(shardSize) || shardSize < 1) throw new Error(`--shard-size must be a whole number >= 1, got ${values['shard-size']}`);
  const shards = balance(stacks, Math.max(jobs, Math.ceil(stacks.length / shardSize)), weight);
  const step = values['validate-only'] ? 'validate' : 'plan';
  console.log(
    `terraform ${step} (offline check, dummy credentials): ${stacks.length} stacks as modules of ${shards.length} root module${shards.length > 1 ? 's' : ''}, ${Math.min(jobs, shards.length)} at a time, provider from ${mirror ? `mirror ${mirror}` : 'the registry'}`,
  );

  const work = mkdtempSync(join(tmpdir(), 'tributary-tf-check-'));
  const cleanup = () => {
    if (process.env.TF_CHECK_KEEP === '1') console.log(`kept the generated root modules in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cleanup();
      process.exit(130);
    });
  }

  const limit = limiter(jobs);
  // The first init fills the plugin cache; the others wait for it and then link from it.
  let cacheFilled: () => void = () => {};
  const cacheReady = new Promise<void>((r) => (cacheFilled = r));
  let first = true;
  // The provider schema, read once from the first initialized root module, for the stacks' own default_tags.
  let schemaRun: Promise<RunResult> | undefined;
  const sharedBlocks = new Map(stacks.map((s) => [s, sharedProvider(s.json)]));
  const needsSchema = [...sharedBlocks.values()].some(Boolean);

  async function init(dir: string): Promise<RunResult> {
    const isFirst = first;
    first = false;
    if (!isFirst) await cacheReady;
    const args = ['init', '-input=false', '-no-color', ...(values['validate-only'] ? ['-backend=false'] : [])];
    let r = await run(tf, args, dir, env);
    if (r.code !== 0 && /Failed to install provider|file exists/.test(r.stdout + r.stderr)) {
      // Another init was writing the same plugin cache entry at that moment: once more, now that it is there.
      r = await run(tf, args, dir, env);
    }
    if (isFirst) cacheFilled();
    return r;
  }

  async function checkGroup(group: ShardStack[], why: string): Promise<void> {
    const n = ++shardCounter;
    const dir = join(work, `shard-${n}`);
    let started = performance.now();
    const label = `shard ${n} (${group.length} stack${group.length > 1 ? 's' : ''}${why ? `, ${why}` : ''})`;
    let providers = 0;
    const { initResult, planResult } = await limit(async () => {
      started = performance.now();
      ({ providers } = writeShard(dir, group));
      const initResult = await init(dir);
      if (initResult.code !== 0) return { initResult, planResult: undefined };
      if (needsSchema) schemaRun ??= run(tf, ['providers', 'schema', '-json'], dir, env);
      const args = values['validate-only']
        ? ['validate', '-json', '-no-color']
        : ['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false', '-json'];
      return { initResult, planResult: await run(tf, args, dir, env) };
    });
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const held = group.map((s) => s.name).join(', ');
    const byModule = new Map(group.map((s) => [s.module, s]));

    if (!planResult) {
      // init failed: name the stack if its output does, else narrow it down.
      const text = `${initResult.stdout}\n${initResult.stderr}`.trim();
      const named = group.filter((s) => text.includes(`module.${s.module}`) || text.includes(`stacks/${s.module}/`));
      console.log(`${label}: terraform init failed after ${secs} s; it held ${held}`);
      return settle(group, named, text);
    }

    const parsed = parseTfJson(planResult.stdout);
    const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
    const warnings = parsed.diagnostics.filter((d) => d.severity === 'warning');
    for (const w of dedupe(warnings)) {
      const mod = diagnosticModule(w);
      const s = mod ? byModule.get(mod) : undefined;
      console.log(`warn ${formatDiagnostic(w, s?.name, diagnosticResource(w, s?.owners)).split('\n')[0]}`);
    }
    if (planResult.code === 0 && errors.length === 0) {
      console.log(`${label}: ${step} ok in ${secs} s with ${providers} provider configuration${providers > 1 ? 's' : ''}${parsed.summary ? ` (${parsed.summary})` : ''}`);
      for (const s of group) {
        if (!values['validate-only']) {
          const { all, counted } = declaredResources(s.json);
          const planned = parsed.planned.get(s.module) ?? new Set<string>();
          const missing = all.filter((a) => !planned.has(a) && !counted.has(a));
          if (missing.length) {
            fail(s.name, `terraform planned no change for ${missing.length} declared resource(s) of stack ${s.name}: ${missing.join(', ')}`);
            console.log(`FAIL ${s.name}`);
            continue;
          }
          console.log(`ok   ${s.name} (${planned.size} resources planned)`);
        } else console.log(`ok   ${s.name}`);
        results.set(s.name, { ok: true, messages: [] });
      }
      return;
    }

    // Failed: which stacks did the diagnostics name?
    const named = new Map<ShardStack, TfDiagnostic[]>();
    const unplaced: TfDiagnostic[] = [];
    for (const d of errors) {
      const mod = diagnosticModule(d);
      const s = mod ? byModule.get(mod) : undefined;
      if (s) named.set(s, [...(named.get(s) ?? []), d]);
      else unplaced.push(d);
    }
    console.log(`${label}: ${step} failed after ${secs} s; it held ${held}`);
    for (const [s, diags] of named) {
      for (const d of dedupe(diags)) fail(s.name, formatDiagnostic(d, s.name, diagnosticResource(d, s.owners), display(join(s.dir, 'cdk.tf.json'))));
    }
    const rawText = [
      ...unplaced.map((d) => formatDiagnostic(d, undefined, d.address)),
      ...parsed.other,
      planResult.stderr.trim(),
      errors.length === 0 ? `terraform exited with ${planResult.code} without an error diagnostic` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return settle(group, [...named.keys()], rawText);
  }

  /**
   * After a failed shard: the stacks its diagnostics named have failed; the others are unconfirmed (Terraform stops
   * at the first failing phase) and are planned again without them. A failure nothing locates is narrowed down by
   * halving the shard until a single stack holds it.
   */
  async function settle(group: ShardStack[], named: ShardStack[], rawText: string): Promise<void> {
    for (const s of named) console.log(`FAIL ${s.name}`);
    if (named.length === 0 && group.length === 1) {
      fail(group[0].name, rawText || 'terraform failed without saying why');
      console.log(`FAIL ${group[0].name}`);
      return;
    }
    if (named.length > 0 && rawText) for (const s of named) fail(s.name, `also reported in the same run, not located in a stack:\n${rawText}`);
    const rest = group.filter((s) => !named.includes(s));
    if (rest.length === 0) return;
    if (named.length > 0) {
      await checkGroup(rest, `again without ${named.map((s) => s.name).join(', ')}`);
      return;
    }
    const half = Math.ceil(rest.length / 2);
    await Promise.all([checkGroup(rest.slice(0, half), 'half of a failing shard'), checkGroup(rest.slice(half), 'half of a failing shard')]);
  }

  /** Each stack's own provider block (default_tags included) against the provider's schema. */
  async function checkProviderBlocks(): Promise<void> {
    if (!schemaRun) return; // no root module got as far as init: every stack has failed already
    const r = await schemaRun;
    let schema: SchemaBlock | undefined;
    try {
      const all = (JSON.parse(r.stdout) as { provider_schemas: Record<string, { provider: { block: SchemaBlock } }> }).provider_schemas;
      schema = Object.entries(all).find(([source]) => source.endsWith('/hashicorp/aws'))?.[1].provider.block;
    } catch {
      // reported below
    }
    for (const [s, shared] of sharedBlocks) {
      if (!shared) continue;
      const problems = schema
        ? checkProviderBlock(shared.own, schema)
        : [`cannot read the provider schema to check its provider block (terraform providers schema -json exited ${r.code}): ${r.stderr.trim().split('\n')[0]}`];
      if (problems.length === 0) continue;
      if (results.get(s.name)?.ok) console.log(`FAIL ${s.name} (provider block)`);
      fail(s.name, problems.map((p) => `Error: ${p} (stack ${s.name}, ${display(join(s.dir, 'cdk.tf.json'))})`).join('\n'));
    }
  }

  const started = performance.now();
  try {
    await Promise.all(shards.map((g) => checkGroup(g, '')));
    if (needsSchema) await checkProviderBlocks();
  } finally {
    cleanup();
  }
  const failed = names.filter((n) => !results.get(n)?.ok);
  for (const name of failed) {
    const r = results.get(name);
    console.error(`\n----- FAIL ${name} (${display(join(STACKS_DIR, name))}) -----\n${r?.messages.join('\n\n') ?? 'no result (see the shard output above)'}`);
  }
  console.log(`terraform: ${names.length - failed.length} passed, ${failed.length} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (failed.length) {
    console.log(`failed stacks: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

function readStack(name: string): TfJson {
  const file = join(STACKS_DIR, name, 'cdk.tf.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TfJson;
  } catch (err) {
    throw new Error(`stack ${name}: cannot read ${display(file)}: ${(err as Error).message}`);
  }
}

function dedupe(diags: TfDiagnostic[]): TfDiagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const key = `${d.summary}|${d.detail}|${d.address}|${d.range?.filename}:${d.range?.start.line}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

main().catch((err) => {
  console.error(`tf-check: ${(err as Error).message}`);
  process.exit(1);
});
