/**
 * `make test`'s runner: the tiers of make test (the Makefile's tier-* targets) side by side where they do not depend
 * on each other, their output printed tier by tier in a fixed order as if they had run one after the other.
 *
 *   node --experimental-strip-types scripts/test-run.ts [--only <tier>,<tier>...]
 *                                       (what make test runs; --only for trying the runner on a few tiers)
 *
 * Why: most of make test's wall time was waiting, not CPU. The emulated apply (~3 min) sits in the AWS provider's
 * fixed propagation timers, the Python venvs in pip downloads; run one after the other they left the cores idle. Here
 * the venvs install from the start (beside npm ci), the emulated apply starts as soon as the synthesized output and the moto venv
 * exist, and typecheck, vitest, the policy report, the Terraform check and checkov use the cores meanwhile (at
 * nice 10, so the critical chain install -> moto venv -> emulated apply gets the CPU when it needs it). Every
 * tier still runs in full (nothing is skipped when another fails, except what needs a failed tier's output).
 *
 * Output: the tier at the head of the order streams live; the others are kept (in memory) and printed when their
 * turn comes, so every tier's output stays in one piece and the last tier (checkov) ends the run with its totals.
 * Before that block, one line gives each tier's wall time. Exit status: 1 when any tier failed (or could not run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

interface Tier {
  readonly name: string;
  /** The Makefile target that runs it. */
  readonly target: string;
  /** The tiers whose output this one needs: it does not run when one of them failed. */
  readonly needs: readonly string[];
  /** Tiers that only go first because both use every core: this one runs after them whatever their result. */
  readonly cpuAfter?: readonly string[];
  /**
   * Run at lower CPU priority (nice 10): tiers off the critical path. The longest chain is install -> moto venv ->
   * emulated apply (which waits on the provider's timers between short bursts of CPU); niced, the CPU-heavy tiers
   * beside it fill the idle cores without holding that chain back.
   */
  readonly nice?: boolean;
}

/**
 * In print order. The venvs need nothing but python3 and pip, so they install while npm ci runs (this runner needs
 * only Node 22: it runs with Node's own type stripping, before node_modules exists). vitest runs after build because
 * tests read the built handler zips. tf-check waits for vitest and checkov for tf-check because each
 * of them uses every core (vitest one worker per core, terraform one root module per core, checkov batches side by
 * side): together they would only slow each other down and need more memory at once. The emulated apply is the long
 * wait that runs beside them; the moto venv it needs installs first, the checkov venv (needed last) after it.
 */
const TIERS: readonly Tier[] = [
  { name: 'install', target: 'tier-install', needs: [] },
  { name: 'build', target: 'build', needs: ['install'] },
  { name: 'typecheck', target: 'typecheck', needs: ['install'], nice: true },
  { name: 'synth', target: 'tier-synth', needs: ['build'] },
  { name: 'vitest', target: 'tier-vitest', needs: ['build'], nice: true },
  { name: 'policy-report', target: 'tier-policy-report', needs: ['synth'], nice: true },
  { name: 'tf-check', target: 'tier-tf-check', needs: ['synth'], cpuAfter: ['vitest'], nice: true },
  { name: 'venv-moto', target: 'tier-venv-moto', needs: [] },
  { name: 'venv-checkov', target: 'tier-venv-checkov', needs: [], cpuAfter: ['venv-moto'], nice: true },
  { name: 'emulated-apply', target: 'tier-emulated-apply', needs: ['synth', 'venv-moto'] },
  { name: 'checkov', target: 'tier-checkov', needs: ['synth', 'venv-checkov'], cpuAfter: ['tf-check'], nice: true },
];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only ? new Set(values.only.split(',')) : undefined;
const tiers = only ? TIERS.filter((t) => only.has(t.name)) : TIERS;
if (only) {
  const unknown = [...only].filter((n) => !TIERS.some((t) => t.name === n));
  if (unknown.length) {
    console.error(`test-run: no tier ${unknown.join(', ')}; tiers: ${TIERS.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }
}

type State = 'waiting' | 'running' | 'passed' | 'failed' | 'not run';
interface Run {
  readonly tier: Tier;
  state: State;
  chunks: string[];
  printed: number;
  seconds: number;
  code?: number;
  why?: string;
}
const order: Run[] = tiers.map((tier) => ({ tier, state: 'waiting', chunks: [], printed: 0, seconds: 0 }));
const runs = new Map(order.map((r) => [r.tier.name, r]));
const last = order[order.length - 1];
const started = performance.now();
// The tiers write into pipes; on a terminal they keep their colours.
const CHILD_ENV: NodeJS.ProcessEnv = process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env;
const HAS_NICE = spawnSync('nice', ['true'], { stdio: 'ignore' }).status === 0;
const children = new Set<ReturnType<typeof spawn>>();

/** Prints what is due: the head tier's output as it comes; a finished tier's whole output when it becomes the head. */
let head = 0;
function flush(): void {
  while (head < order.length) {
    const r = order[head];
    // The last tier's output waits for the timing line (its totals end the run).
    if (r === last && r.state !== 'passed' && r.state !== 'failed' && r.state !== 'not run') return;
    if (r === last) printTimings();
    for (; r.printed < r.chunks.length; r.printed++) process.stdout.write(r.chunks[r.printed]);
    if (r.state === 'waiting' || r.state === 'running') return;
    if (r.state === 'not run') process.stdout.write(`test-run: ${r.tier.name} NOT RUN: ${r.why}\n`);
    head++;
  }
}

function printTimings(): void {
  const parts = order.map((r) => `${r.tier.name} ${r.state === 'not run' ? 'not run' : `${r.seconds.toFixed(0)} s${r.state === 'failed' ? ' FAILED' : ''}`}`);
  process.stdout.write(`\ntest-run: ${parts.join(', ')} (tiers side by side; ${((performance.now() - started) / 1000).toFixed(0)} s so far)\n`);
}

function start(r: Run): void {
  r.state = 'running';
  const t0 = performance.now();
  // make echoes each command of the target's recipe as it did when make test ran them one by one.
  const make = ['make', '--no-print-directory', r.tier.target];
  const [cmd, ...args] = r.tier.nice && HAS_NICE ? ['nice', '-n', '10', ...make] : make;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
  children.add(child);
  const collect = (d: Buffer) => {
    r.chunks.push(String(d));
    flush();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('error', (err) => r.chunks.push(`test-run: could not start make ${r.tier.target}: ${err.message}\n`));
  child.on('close', (code, signal) => {
    children.delete(child);
    r.seconds = (performance.now() - t0) / 1000;
    r.code = code ?? 1;
    r.state = code === 0 ? 'passed' : 'failed';
    if (code !== 0) r.chunks.push(`test-run: ${r.tier.name} FAILED (make ${r.tier.target} exited ${signal ?? code})\n`);
    schedule();
  });
}

function schedule(): void {
  for (const r of order) {
    if (r.state !== 'waiting') continue;
    const needs = r.tier.needs.map((n) => runs.get(n)).filter((d): d is Run => d !== undefined);
    const broken = needs.find((d) => d.state === 'failed' || d.state === 'not run');
    if (broken) {
      r.state = 'not run';
      r.why = `${broken.tier.name} ${broken.state === 'failed' ? 'failed' : 'did not run'}`;
      continue;
    }
    const before = [...needs, ...(r.tier.cpuAfter ?? []).map((n) => runs.get(n)).filter((d): d is Run => d !== undefined)];
    if (before.every((d) => d.state === 'passed' || d.state === 'failed' || d.state === 'not run')) start(r);
  }
  flush();
  if (order.every((r) => r.state !== 'waiting' && r.state !== 'running')) {
    const failed = order.filter((r) => r.state !== 'passed');
    process.exitCode = failed.length ? 1 : 0;
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const c of children) c.kill(sig);
    process.exit(130);
  });
}
schedule();
