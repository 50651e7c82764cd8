/**
 * The deploy lifecycle behind `make plan|apply|deploy|destroy|check` (docs/deploy.md). Every command first checks
 * that `<outdir>` holds what synth wrote for the config asked for (lib/manifest.ts) and refuses otherwise.
 *
 *   tsx scripts/lifecycle.ts select  [selectors]                 stack names, one per line (for make check)
 *   tsx scripts/lifecycle.ts regions [selectors]                 JSON list of the selected stacks' AWS regions (CI matrix)
 *   tsx scripts/lifecycle.ts verify  [selectors]                 only the check
 *   tsx scripts/lifecycle.ts plan    [selectors] [--jobs N]      init + plan -out per stack with your credentials and
 *                                                                the configured backend; plan JSON; one summary
 *   tsx scripts/lifecycle.ts apply   [selectors]                 applies exactly the saved plans, non-interactively;
 *                                                                refuses a plan whose stack changed since planning
 *   tsx scripts/lifecycle.ts deploy  [selectors]                 init + interactive terraform apply per stack
 *   tsx scripts/lifecycle.ts destroy [selectors]                 init + interactive terraform destroy per stack
 *
 * Common options: --config FILE (default: the config cdktf.out was synthesized from), --outdir cdktf.out,
 * --plans plans. Selectors: --stacks 'ams-*-na other' (globs), --region us-east-1, --changed-since <git ref>.
 * Exit codes: 0 ok, 1 terraform failed, 2 usage, 3 refused (mismatch, stale plan, nothing to do that was asked).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { changedSince } from '../lib/changed.js';
import { ManifestMismatchError, verifySynth, type Manifest } from '../lib/manifest.js';
import { summarize, summarizeStack, toMarkdown, type PlanJson, type StackSummary } from '../lib/plan-summary.js';
import { hasSelectors, selectStacks, SelectionError, splitPatterns } from '../lib/selection.js';

export class Refusal extends Error {}

interface Options {
  config?: string;
  outdir: string;
  plans: string;
  stacks: string[];
  region?: string;
  changedSince?: string;
  jobs?: number;
}

function parse(argv: string[]): { command: string; o: Options } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      outdir: { type: 'string', default: 'cdktf.out' },
      plans: { type: 'string', default: 'plans' },
      stacks: { type: 'string', multiple: true },
      region: { type: 'string' },
      'changed-since': { type: 'string' },
      jobs: { type: 'string' },
    },
    allowPositionals: true,
  });
  const [command, ...rest] = positionals;
  if (!command) throw new SelectionError('usage: lifecycle <select|regions|verify|plan|apply|deploy|destroy> [options] (see the header of scripts/lifecycle.ts)');
  return {
    command,
    o: {
      config: values.config || undefined,
      outdir: values.outdir!,
      plans: values.plans!,
      stacks: [...(values.stacks ?? []).flatMap(splitPatterns), ...rest],
      region: values.region || undefined,
      changedSince: values['changed-since'] || undefined,
      jobs: values.jobs ? Number(values.jobs) : undefined,
    },
  };
}

/** The manifest (verified for the selected stacks) and the selected names. */
export function resolveSelection(o: Options): { manifest: Manifest; names: string[]; removed: string[] } {
  const manifest = verifySynth(o.outdir, o.config);
  let changed: Set<string> | undefined;
  let removed: string[] = [];
  if (o.changedSince) {
    const r = changedSince(o.changedSince, { manifest, configPath: o.config ?? manifest.config.path });
    changed = r.changed;
    removed = r.removed;
  }
  const names = selectStacks(manifest, { stacks: o.stacks, region: o.region, changed });
  return { manifest, names, removed };
}

const TF_ENV: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };

function terraform(args: string[], cwd: string, interactive = false): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((res) => {
    const child = spawn(process.env.TERRAFORM_BIN || 'terraform', args, {
      cwd,
      env: interactive ? { ...TF_ENV, TF_INPUT: '1' } : TF_ENV,
      stdio: interactive ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout?.on('data', (d) => {
      output += d;
      stdout += d;
    });
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', (err) => res({ code: 127, output: `${String(err)}: is terraform (>= 1.10) on PATH?`, stdout }));
    child.on('close', (code) => res({ code: code ?? 1, output, stdout }));
  });
}

function stackDir(o: Options, name: string): string {
  return resolve(o.outdir, 'stacks', name);
}

interface PlanMeta {
  stack: string;
  /** The stack's manifest hash when it was planned: apply refuses when it differs. */
  hash: string;
  config: { path: string; sha256: string };
  prefix: string;
  region: string;
  plannedAt: string;
}

const PLAN_FILE_PATTERN = /\.(tfplan|plan\.json|meta\.json|lock\.hcl|log|applied)$|^summary\.(md|json)$/;

async function inPool<T>(items: readonly string[], jobs: number, fn: (name: string) => Promise<T>): Promise<T[]> {
  const queue = [...items];
  const out: T[] = [];
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, async () => {
    for (let n = queue.shift(); n; n = queue.shift()) out.push(await fn(n));
  }));
  return out;
}

/** About 0.6 GB per terraform + provider process (docs/deploy.md); leave headroom. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(Math.floor(freemem() / (900 * 1024 * 1024)), availableParallelism() + 1, 8));
}

async function initStack(dir: string): Promise<{ code: number; output: string; stdout: string }> {
  return terraform(['init', '-input=false', '-no-color'], dir);
}

async function plan(o: Options): Promise<number> {
  const { manifest, names, removed } = resolveSelection(o);
  const plansDir = resolve(o.plans);
  mkdirSync(plansDir, { recursive: true });
  // The plan set is replaced as a whole: apply applies exactly what this run planned.
  for (const f of readdirSync(plansDir)) if (PLAN_FILE_PATTERN.test(f)) rmSync(join(plansDir, f), { force: true });
  if (removed.length) console.log(`note: ${o.changedSince} synthesizes stacks this config no longer has (destroy them yourself if deployed): ${removed.join(', ')}`);
  if (!names.length) {
    console.log('plan: no stack selected (nothing changed?)');
    writeSummary(o, manifest, []);
    return 0;
  }
  const jobs = o.jobs ?? defaultJobs();
  console.log(`plan: ${names.length} stacks of ${manifest.config.path} (prefix ${manifest.prefix}), ${jobs} at a time -> ${o.plans}/`);
  const planOne = async (name: string): Promise<StackSummary> => {
    const dir = stackDir(o, name);
    const planFile = join(plansDir, `${name}.tfplan`);
    let log = '';
    const step = async (args: string[]) => {
      const r = args[0] === 'init' ? await initStack(dir) : await terraform(args, dir);
      log += `$ terraform ${args.join(' ')}\n${r.output}\n`;
      return r;
    };
    const fail = (what: string, output: string): StackSummary => {
      writeFileSync(join(plansDir, `${name}.log`), log);
      const first = output.split('\n').map((l) => l.replace(/^[╷│╵]\s*/, '').trim()).find((l) => l.startsWith('Error:')) ?? output.trim().split('\n').pop() ?? '';
      console.log(`FAIL ${name}: ${what}: ${first} (log: ${o.plans}/${name}.log)`);
      return { stack: name, add: 0, change: 0, destroy: 0, replace: 0, forget: 0, outputChanges: 0, stateful: [], policy: [], error: `${what}: ${first}` };
    };
    let r = await step(['init']);
    if (r.code !== 0) return fail('terraform init failed', r.output);
    r = await step(['plan', '-input=false', '-no-color', `-out=${planFile}`]);
    if (r.code !== 0) return fail('terraform plan failed', r.output);
    r = await terraform(['show', '-json', '-no-color', planFile], dir);
    if (r.code !== 0) return fail('terraform show -json failed', r.output);
    writeFileSync(join(plansDir, `${name}.plan.json`), r.stdout);
    writeFileSync(join(plansDir, `${name}.log`), log);
    if (existsSync(join(dir, '.terraform.lock.hcl'))) copyFileSync(join(dir, '.terraform.lock.hcl'), join(plansDir, `${name}.lock.hcl`));
    const meta: PlanMeta = {
      stack: name, hash: manifest.stacks[name].hash, config: manifest.config, prefix: manifest.prefix,
      region: manifest.stacks[name].region, plannedAt: new Date().toISOString(),
    };
    writeFileSync(join(plansDir, `${name}.meta.json`), `${JSON.stringify(meta, null, 2)}\n`);
    const s = summarizeStack(name, JSON.parse(r.stdout) as PlanJson);
    console.log(`ok   ${name}: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy${s.stateful.length ? `  !! ${s.stateful.length} STATEFUL replaced/deleted` : ''}`);
    return s;
  };
  // The first stack alone: with TF_PLUGIN_CACHE_DIR set, its init fills the provider cache the others then share.
  const results = [await planOne(names[0]), ...(await inPool(names.slice(1), jobs, planOne))];
  const md = writeSummary(o, manifest, results);
  console.log(`\n${md}`);
  const failed = results.filter((x) => x.error).length;
  console.log(
    `summary: ${o.plans}/summary.md and ${o.plans}/summary.json; ` +
      (failed ? `${failed} stack(s) failed: fix them and plan again (make apply would apply only the others)` : 'apply exactly these plans with: make apply'),
  );
  return failed ? 1 : 0;
}

function writeSummary(o: Options, manifest: Manifest, results: StackSummary[]): string {
  const summary = summarize(results);
  const sel = [o.stacks.length ? `STACKS=${o.stacks.join(',')}` : '', o.region ? `REGION=${o.region}` : '', o.changedSince ? `CHANGED_SINCE=${o.changedSince}` : '']
    .filter(Boolean)
    .join(' ');
  const md = toMarkdown(summary, {
    title: `Terraform plan: ${manifest.config.path} (prefix \`${manifest.prefix}\`, ${manifest.environment})`,
    context: `Planned against the configured ${manifest.backend} backend${sel ? `; selection ${sel}` : ''}.`,
  });
  writeFileSync(join(o.plans, 'summary.md'), md);
  writeFileSync(join(o.plans, 'summary.json'), `${JSON.stringify({ config: manifest.config, prefix: manifest.prefix, ...summary }, null, 2)}\n`);
  return md;
}

/** The saved plans that apply would apply, checked against the current synth; throws Refusal listing every problem. */
export function checkSavedPlans(o: Options, manifest: Manifest, selected?: ReadonlySet<string>): PlanMeta[] {
  const plansDir = resolve(o.plans);
  const metas = existsSync(plansDir)
    ? readdirSync(plansDir).filter((f) => f.endsWith('.meta.json')).sort()
        .map((f) => JSON.parse(readFileSync(join(plansDir, f), 'utf8')) as PlanMeta)
        .filter((m) => existsSync(join(plansDir, `${m.stack}.tfplan`)))
        .filter((m) => !selected || selected.has(m.stack))
    : [];
  if (!metas.length) throw new Refusal(`no saved plan to apply in ${o.plans}/${selected ? ' for the selected stacks' : ''}: run make plan first`);
  const problems: string[] = [];
  for (const m of metas) {
    const now = manifest.stacks[m.stack];
    if (m.config.path !== manifest.config.path || m.config.sha256 !== manifest.config.sha256) {
      problems.push(`${m.stack}: planned from ${m.config.path} (sha256 ${m.config.sha256.slice(0, 12)}), but ${o.outdir} now holds ${manifest.config.path} (sha256 ${manifest.config.sha256.slice(0, 12)})`);
    } else if (!now) problems.push(`${m.stack}: planned, but the current synth has no such stack`);
    else if (now.hash !== m.hash) problems.push(`${m.stack}: its synthesized configuration changed since it was planned (${m.plannedAt})`);
  }
  if (problems.length) {
    throw new Refusal(`refusing to apply: these saved plans are not for what is synthesized now:\n  - ${problems.join('\n  - ')}\nrun make plan again and review the new summary`);
  }
  return metas;
}

async function apply(o: Options): Promise<number> {
  const manifest = verifySynth(o.outdir, o.config);
  const selected = hasSelectors({ stacks: o.stacks, region: o.region, changed: o.changedSince ? new Set() : undefined })
    ? new Set(resolveSelection(o).names)
    : undefined;
  const metas = checkSavedPlans(o, manifest, selected);
  verifySynth(o.outdir, o.config, metas.map((m) => m.stack));
  const plansDir = resolve(o.plans);
  console.log(`apply: ${metas.length} saved plans of ${manifest.config.path}: ${metas.map((m) => m.stack).join(', ')}`);
  let failed = 0;
  // One stack at a time, in name order: the output stays readable and a failure stops nothing else.
  for (const m of metas) {
    const dir = stackDir(o, m.stack);
    const lock = join(plansDir, `${m.stack}.lock.hcl`);
    if (!existsSync(join(dir, '.terraform.lock.hcl')) && existsSync(lock)) copyFileSync(lock, join(dir, '.terraform.lock.hcl'));
    const init = await initStack(dir);
    if (init.code !== 0) {
      console.log(`FAIL ${m.stack}: terraform init\n${init.output}`);
      failed++;
      continue;
    }
    console.log(`\n----- ${m.stack} -----`);
    const r = await terraform(['apply', '-input=false', '-no-color', join(plansDir, `${m.stack}.tfplan`)], dir, false);
    process.stdout.write(r.output);
    if (r.code !== 0) {
      failed++;
      continue;
    }
    // Applied once: a saved plan is not applied twice.
    renameSync(join(plansDir, `${m.stack}.tfplan`), join(plansDir, `${m.stack}.tfplan.applied`));
  }
  console.log(`apply: ${metas.length - failed} applied, ${failed} failed`);
  return failed ? 1 : 0;
}

async function interactive(o: Options, what: 'apply' | 'destroy'): Promise<number> {
  const { manifest, names } = resolveSelection(o);
  if (!names.length) throw new Refusal(`${what === 'apply' ? 'deploy' : 'destroy'}: no stack selected`);
  if (!hasSelectors({ stacks: o.stacks, region: o.region, changed: o.changedSince ? new Set() : undefined })) {
    throw new Refusal(`${what === 'apply' ? 'deploy' : 'destroy'} needs a selection: STACKS='<names or globs>' and/or REGION=<aws region> (${Object.keys(manifest.stacks).length} stacks in ${o.outdir})`);
  }
  for (const name of names) {
    console.log(`\n----- ${name} (${manifest.stacks[name].region}) -----`);
    const init = await initStack(stackDir(o, name));
    if (init.code !== 0) {
      process.stdout.write(init.output);
      return 1;
    }
    const r = await terraform([what, '-input=true'], stackDir(o, name), true);
    if (r.code !== 0) return 1;
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const { command, o } = parse(argv);
  switch (command) {
    case 'select': {
      const { names } = resolveSelection(o);
      if (names.length) process.stdout.write(`${names.join('\n')}\n`);
      return 0;
    }
    case 'regions': {
      const { manifest, names } = resolveSelection(o);
      process.stdout.write(`${JSON.stringify([...new Set(names.map((n) => manifest.stacks[n].region))].sort())}\n`);
      return 0;
    }
    case 'verify': {
      const { manifest, names } = resolveSelection(o);
      console.log(`ok: ${o.outdir} holds ${manifest.config.path} as synthesized (${names.length} stacks selected)`);
      return 0;
    }
    case 'plan':
      return plan(o);
    case 'apply':
      return apply(o);
    case 'deploy':
      return interactive(o, 'apply');
    case 'destroy':
      return interactive(o, 'destroy');
    default:
      throw new SelectionError(`unknown command ${command}: select, regions, verify, plan, apply, deploy or destroy`);
  }
}

if (process.argv[1] && /lifecycle\.[mc]?[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      const e = err as Error;
      console.error(`${e instanceof ManifestMismatchError || e instanceof Refusal || e instanceof SelectionError ? '' : 'lifecycle: '}${e.message}`);
      process.exit(e instanceof SelectionError && /^usage|^unknown/.test(e.message) ? 2 : e instanceof ManifestMismatchError || e instanceof Refusal || e instanceof SelectionError ? 3 : 1);
    },
  );
}
