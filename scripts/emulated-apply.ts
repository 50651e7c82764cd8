/**
 * Emulated-apply tier (issue 15): every chosen stack is applied against moto (an AWS API emulator, server mode, on
 * 127.0.0.1 and a free port), planned a second time (which must be empty) and destroyed, in a throwaway copy of its
 * synthesized folder (never in cdktf.out). Smoke data goes through the applied resources where moto delivers it
 * (scripts/emulate-smoke.ts). What moto cannot do is in ONE list (EMULATOR_GAPS in scripts/emulate-lib.ts) and is
 * reported per resource, never counted as a pass.
 *
 *   tsx scripts/emulated-apply.ts [--target <synth dir>[:<stack>,<stack>...]]... [--jobs N] [--no-smoke] [--keep]
 *                                 [--report <file.json>]
 *
 * Needs terraform and the moto venv (.tools/venv-moto, built by the Makefile from tools/requirements-moto.txt).
 * Without python3/venv or terraform the tier says so loudly and exits 0 (skipped); everything else that goes
 * wrong exits 1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, freemem, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DUMMY_CREDENTIALS,
  EMULATOR_GAPS,
  emulatorOverride,
  planChanges,
  prepareConfig,
  withoutDeletionProtection,
  terraformErrors,
  unfinishedResources,
  type PlannedChange,
  type TerraformError,
  type TfConfig,
} from './emulate-lib.js';
import { findPythonTool, skipBanner } from './python-tools.js';
import { findMirror, writeCliConfig } from './tf-env.js';
import { signedJsonRequest, smokeFor, type SmokeResult } from './emulate-smoke.js';
import { createHash } from 'node:crypto';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    jobs: { type: 'string' },
    'no-smoke': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});

const ROOT = process.cwd();
const TOOLS = resolve(ROOT, '.tools');
/** Seconds per terraform command; several moto failures hang instead of failing. */
const TIMEOUTS = {
  init: Number(process.env.EMULATE_TIMEOUT_INIT ?? 180),
  apply: Number(process.env.EMULATE_TIMEOUT_APPLY ?? 480),
  plan: Number(process.env.EMULATE_TIMEOUT_PLAN ?? 240),
  destroy: Number(process.env.EMULATE_TIMEOUT_DESTROY ?? 420),
  small: 60,
};

const children = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}
function stopAll(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
}
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`emulated-apply: ${sig}; stopping moto and terraform`);
    stopAll();
    process.exit(130);
  });
}

interface RunResult {
  code: number;
  output: string;
  timedOut: boolean;
  seconds: number;
}

/** Runs a command in its own process group; on timeout the whole group (terraform + provider) is killed. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutSeconds: number, onData?: (chunk: string) => void): Promise<RunResult> {
  const started = performance.now();
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(child);
    let output = '';
    let timedOut = false;
    const collect = (d: Buffer) => {
      output += d;
      onData?.(String(d));
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 10_000).unref();
    }, timeoutSeconds * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      res({ code: 127, output: String(err), timedOut, seconds: (performance.now() - started) / 1000 });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      res({ code: timedOut ? 124 : (code ?? 1), output, timedOut, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

interface Moto {
  endpoint: string;
  logFile: string;
  stop(): Promise<void>;
}

async function startMoto(bin: string, logFile: string): Promise<Moto> {
  const port = await freePort();
  const log = createWriteStream(logFile);
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/data.json`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 60 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    endpoint,
    logFile,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) return res();
        child.once('close', () => res());
        killGroup(child, 'SIGTERM');
        setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
      }),
  };
}

/** An ACM certificate issued by moto in `region` (ACM RequestCertificate, JSON protocol, signed). */
async function requestCertificate(endpoint: string, region: string): Promise<string> {
  const body = JSON.stringify({ DomainName: 'emulated.example.com', ValidationMethod: 'DNS' });
  const signed = await signedJsonRequest(endpoint, region, 'acm', 'CertificateManager.RequestCertificate', body);
  const res = await fetch(endpoint, { method: 'POST', headers: signed, body });
  if (!res.ok) throw new Error(`moto ACM RequestCertificate: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return ((await res.json()) as { CertificateArn: string }).CertificateArn;
}

interface StackReport {
  target: string;
  stack: string;
  status: 'PASS' | 'GAPS' | 'FAIL';
  resourcesInConfig: number;
  omitted: { address: string; reason: string }[];
  omittedOutputs: string[];
  substituted: { address: string; reason: string; with: Record<string, unknown> }[];
  applied: number;
  applyErrors: TerraformError[];
  hung: string[];
  secondPlan: 'clean' | 'known emulator drift' | 'diff' | 'not run';
  changes: PlannedChange[];
  smoke?: SmokeResult;
  forgotten: { address: string; reason: string }[];
  /** Deletion protection turned off before destroy. */
  unprotected: string[];
  destroyed: number;
  remaining: string[];
  problems: string[];
  seconds: Record<string, number>;
}

async function emulateStack(target: string, stackDir: string, workRoot: string, endpoint: string, env: NodeJS.ProcessEnv, smoke: boolean): Promise<StackReport> {
  const stack = basename(stackDir);
  const work = join(workRoot, basename(target), stack);
  mkdirSync(work, { recursive: true });
  if (existsSync(join(stackDir, 'assets'))) cpSync(join(stackDir, 'assets'), join(work, 'assets'), { recursive: true });
  const original = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as TfConfig;
  const region = String(original.provider?.aws?.[0]?.region ?? 'us-east-1');
  const needsCertificate = Object.values(original.resource?.aws_lb_listener ?? {}).some((l) => typeof l.certificate_arn === 'string');
  const prepared = prepareConfig(original, {
    suffix: createHash('sha256').update(`${target}/${stack}`).digest('hex').slice(0, 8),
    certificateArn: needsCertificate ? await requestCertificate(endpoint, region) : undefined,
  });
  writeFileSync(join(work, 'cdk.tf.json'), JSON.stringify(prepared.config, null, 2));
  writeFileSync(join(work, 'zz_emulator_override.tf.json'), JSON.stringify(emulatorOverride(prepared.config, endpoint), null, 2));

  const rep: StackReport = {
    target,
    stack,
    status: 'FAIL',
    resourcesInConfig: Object.values(original.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0),
    omitted: [...prepared.omitted],
    omittedOutputs: [...prepared.omittedOutputs],
    substituted: [...prepared.substituted],
    applied: 0,
    applyErrors: [],
    hung: [],
    secondPlan: 'not run',
    changes: [],
    forgotten: [],
    unprotected: [],
    destroyed: 0,
    remaining: [],
    problems: [],
    seconds: {},
  };
  const logPath = join(work, 'emulate.log');
  const log = (s: string) => writeFileSync(logPath, s, { flag: 'a' });
  const tf = async (step: string, args: string[], timeout: number): Promise<RunResult> => {
    log(`$ terraform ${args.join(' ')}\n`);
    const r = await run('terraform', [...args], work, env, timeout, log);
    rep.seconds[step] = Math.round((rep.seconds[step] ?? 0) + r.seconds);
    log(`\n-> ${r.seconds.toFixed(1)} s, exit ${r.code}${r.timedOut ? ', TIMED OUT' : ''}\n`);
    return r;
  };
  const stateList = async (): Promise<string[]> => {
    const r = await tf('state', ['state', 'list'], TIMEOUTS.small);
    return r.code === 0 ? r.output.split('\n').filter((l) => l.trim() && !l.startsWith('data.')) : [];
  };

  let init = await tf('init', ['init', '-input=false', '-no-color'], TIMEOUTS.init);
  if (init.code !== 0 && /Failed to install provider/.test(init.output)) init = await tf('init', ['init', '-input=false', '-no-color'], TIMEOUTS.init);
  if (init.code !== 0) {
    rep.problems.push(`terraform init failed: ${terraformErrors(init.output).map((e) => e.message).join('; ') || init.output.slice(-400)}`);
    return finish(rep, logPath);
  }

  const apply = await tf('apply', ['apply', '-auto-approve', '-input=false', '-no-color'], TIMEOUTS.apply);
  // The state only changes again at state rm / destroy: this one listing serves the counts and the forget step.
  const applied = await stateList();
  rep.applied = applied.length;
  if (apply.code !== 0) {
    rep.applyErrors = terraformErrors(apply.output);
    if (apply.timedOut) {
      rep.hung = unfinishedResources(apply.output);
      rep.problems.push(`apply timed out after ${TIMEOUTS.apply} s; unfinished: ${rep.hung.join(', ') || 'unknown'}`);
    } else {
      rep.problems.push(`apply failed (${rep.applyErrors.length} error(s))`);
    }
  } else {
    const plan = await tf('plan', ['plan', '-input=false', '-no-color', '-detailed-exitcode', '-out=second.tfplan'], TIMEOUTS.plan);
    const smokeTest = smoke ? smokeFor(stack) : undefined;
    // One `terraform show -json` of the saved plan gives both its changes and (prior_state, the refreshed state in
    // the format of `terraform show -json`) the applied state the smoke test reads: the provider schema loads once.
    let planJson: { prior_state?: unknown } | undefined;
    if (plan.code === 2 || (plan.code === 0 && smokeTest)) {
      const show = await tf('show', ['show', '-json', 'second.tfplan'], TIMEOUTS.small);
      if (show.code === 0) planJson = JSON.parse(show.output) as { prior_state?: unknown };
      else rep.problems.push(`terraform show -json second.tfplan failed: ${terraformErrors(show.output).map((e) => e.message).join('; ') || show.output.slice(-400)}`);
    }
    if (plan.code === 0) rep.secondPlan = 'clean';
    else if (plan.code === 2) {
      rep.changes = planJson ? planChanges(planJson as Parameters<typeof planChanges>[0]) : [];
      const unknown = rep.changes.filter((c) => !c.knownDrift);
      rep.secondPlan = unknown.length || rep.changes.length === 0 ? 'diff' : 'known emulator drift';
      if (rep.secondPlan === 'diff') {
        rep.problems.push(
          `second plan not empty: ${unknown.map((c) => `${c.address} [${c.actions.join('/')}] ${c.attributes.join(', ')}`).join('; ') || 'output changes only'}`,
        );
      }
    } else {
      rep.problems.push(`second plan failed${plan.timedOut ? ' (timed out)' : ''}: ${terraformErrors(plan.output).map((e) => e.message).join('; ')}`);
    }

    if (smokeTest && planJson) {
      const started = performance.now();
      try {
        if (!planJson.prior_state) throw new Error('the saved plan has no prior_state (nothing applied?)');
        rep.smoke = await smokeTest({ endpoint, state: planJson.prior_state, stack });
      } catch (err) {
        rep.smoke = { name: 'smoke', ok: false, details: [`smoke test threw: ${(err as Error).stack ?? err}`] };
      }
      rep.seconds.smoke = Math.round((performance.now() - started) / 1000);
      if (!rep.smoke.ok) rep.problems.push(`smoke data: ${rep.smoke.details.join('; ')}`);
    }
  }

  // moto cannot delete these: out of the state before destroy, reported as not destroyed.
  const inState = new Set(applied);
  const forget = prepared.forget.filter((f) => inState.has(f.address));
  if (forget.length) {
    // One `state rm` for all of them (each terraform start costs seconds).
    const r = await tf('state', ['state', 'rm', '-no-color', ...forget.map((f) => f.address)], TIMEOUTS.small);
    if (r.code === 0) rep.forgotten.push(...forget);
    else rep.problems.push(`could not remove ${forget.map((f) => f.address).join(', ')} from the state before destroy: ${r.output.slice(-400)}`);
  }
  // Deletion protection (e.g. the Buy with Prime token table) refuses the destroy, on AWS as in moto: turned off
  // first with a targeted apply, as a user tearing the stack down would.
  const unprotect = withoutDeletionProtection(prepared.config);
  const protectedInState = unprotect.addresses.filter((a) => inState.has(a));
  if (protectedInState.length) {
    writeFileSync(join(work, 'cdk.tf.json'), JSON.stringify(unprotect.config, null, 2));
    const r = await tf('unprotect', ['apply', '-auto-approve', '-input=false', '-no-color', ...protectedInState.map((a) => `-target=${a}`)], TIMEOUTS.apply);
    if (r.code === 0) rep.unprotected = protectedInState;
    else rep.problems.push(`turning deletion protection off failed: ${terraformErrors(r.output).map((e) => e.message).join('; ')}`);
  }
  // What the listing after apply held, less what state rm took out (the targeted apply adds or removes nothing).
  const before = inState.size - rep.forgotten.length;
  // -refresh=false: the second plan has just refreshed every resource (and the targeted apply wrote what it
  // changed), so destroy's own refresh would read the same resources again; the deletes are the same either way.
  let destroy = await tf('destroy', ['destroy', '-auto-approve', '-input=false', '-no-color', '-refresh=false'], TIMEOUTS.destroy);
  if (destroy.code !== 0) {
    rep.problems.push(
      `destroy ${destroy.timedOut ? `timed out (unfinished: ${unfinishedResources(destroy.output).join(', ')})` : 'failed'}: ${terraformErrors(destroy.output)
        .map((e) => `${e.address ?? ''} ${e.message}`)
        .join('; ')}`,
    );
    destroy = await tf('destroy', ['destroy', '-auto-approve', '-input=false', '-no-color', '-refresh=false'], TIMEOUTS.destroy);
  }
  rep.remaining = await stateList();
  rep.destroyed = before - rep.remaining.length;
  if (rep.remaining.length) rep.problems.push(`left in the state after destroy: ${rep.remaining.join(', ')}`);
  return finish(rep, logPath);
}

function finish(rep: StackReport, logPath: string): StackReport {
  const gaps = rep.omitted.length > 0 || rep.substituted.length > 0 || rep.forgotten.length > 0 || rep.secondPlan === 'known emulator drift';
  rep.status = rep.problems.length ? 'FAIL' : gaps ? 'GAPS' : 'PASS';
  if (rep.status === 'FAIL') rep.problems.push(`full terraform log: ${logPath}`);
  return rep;
}

function printStack(r: StackReport): void {
  const plan = r.secondPlan === 'known emulator drift' ? `known emulator drift (${r.changes.length})` : r.secondPlan;
  const smoke = r.smoke ? `, smoke ${r.smoke.ok ? 'ok' : 'FAILED'}` : '';
  const secs = Object.values(r.seconds).reduce((a, b) => a + b, 0);
  console.log(
    `${r.status.padEnd(4)} ${r.target}/${r.stack}: ${r.applied}/${r.resourcesInConfig - r.omitted.length} applied` +
      `${r.omitted.length ? ` (${r.omitted.length} omitted: emulator gap)` : ''}${r.substituted.length ? ` (${r.substituted.length} with substituted arguments: emulator gap)` : ''}, second plan ${plan}${smoke}, ` +
      `${r.destroyed} destroyed${r.forgotten.length ? ` (${r.forgotten.length} not destroyable in moto, removed from state)` : ''} (${secs} s)`,
  );
  for (const o of r.omitted) console.log(`       gap: ${o.address} not applied: ${o.reason}`);
  for (const o of r.substituted) console.log(`       gap: ${o.address} applied with ${JSON.stringify(o.with)}: ${o.reason}`);
  for (const o of r.omittedOutputs) console.log(`       gap: output ${o} left out (refers to an omitted resource)`);
  if (r.unprotected.length) console.log(`       deletion protection turned off before destroy: ${r.unprotected.join(', ')}`);
  for (const f of r.forgotten) console.log(`       gap: ${f.address} not destroyed: ${f.reason}`);
  for (const c of r.changes) console.log(`       ${c.knownDrift ? 'drift' : 'DIFF '}: ${c.address} [${c.actions.join('/')}] ${c.attributes.join(', ')}${c.knownDrift ? ` (moto: ${c.knownDrift})` : ''}`);
  for (const e of r.applyErrors) console.log(`       ERROR: ${e.address ?? ''} ${e.message}`);
  if (r.smoke) for (const d of r.smoke.details) console.log(`       smoke: ${d}`);
  for (const p of r.problems) console.log(`       PROBLEM: ${p}`);
}

async function main(): Promise<void> {
  const tfProbe = spawnSync('terraform', ['version'], { stdio: 'ignore' });
  if (tfProbe.status !== 0) {
    console.log(skipBanner('emulated apply', 'terraform is not installed or not on PATH'));
    return;
  }
  const moto = findPythonTool('moto', 'moto_server');
  if (!moto.ok) {
    if (moto.skip) {
      console.log(skipBanner('emulated apply', moto.reason));
      return;
    }
    throw new Error(moto.reason);
  }

  const targets = (values.target?.length ? values.target : ['cdktf.out']).map((t) => {
    const [dir, list] = t.split(':');
    const stacksDir = resolve(ROOT, dir, 'stacks');
    if (!existsSync(stacksDir)) throw new Error(`${stacksDir} does not exist: synthesize first`);
    const all = readdirSync(stacksDir).filter((n) => existsSync(join(stacksDir, n, 'cdk.tf.json'))).sort();
    const names = list ? list.split(',').filter(Boolean) : all;
    const unknown = names.filter((n) => !all.includes(n));
    if (unknown.length) throw new Error(`no synthesized stack ${unknown.join(', ')} in ${stacksDir}; have: ${all.join(', ')}`);
    return names.map((n) => ({ target: dir, dir: join(stacksDir, n) }));
  });
  const jobsList = targets.flat();

  const workRoot = mkdtempSync(join(tmpdir(), 'tributary-emulate-'));
  const motoServer = await startMoto(moto.bin, join(workRoot, 'moto.log'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: writeCliConfig(TOOLS, process.env.TF_PLUGIN_CACHE_DIR || join(TOOLS, 'terraform-plugin-cache'), findMirror()),
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKey,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    // As in the offline tier (scripts/tf-env.ts): terraform and the provider collect garbage less often, for less
    // CPU (every terraform command here starts the 700 MB provider and loads its schema).
    GOGC: process.env.GOGC || '400',
  };
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'TF_CLI_ARGS', 'TF_CLI_ARGS_apply', 'TF_CLI_ARGS_plan']) delete env[k];
  process.env.AWS_ACCESS_KEY_ID = DUMMY_CREDENTIALS.accessKey;
  process.env.AWS_SECRET_ACCESS_KEY = DUMMY_CREDENTIALS.secretKey;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;

  // ~0.6 GB per terraform + provider; 2 stacks at a time on 2 cores measured fastest here.
  const byMemory = Math.max(1, Math.floor(freemem() / (1200 * 1024 * 1024)));
  const jobs = Math.max(1, Number(values.jobs ?? Math.min(byMemory, Math.max(2, availableParallelism()))));
  console.log(
    `emulated apply: ${jobsList.length} stack(s), ${jobs} at a time, moto ${moto.bin} on ${motoServer.endpoint}; work dir ${workRoot}\n` +
      `known emulator gaps (scripts/emulate-lib.ts): ${EMULATOR_GAPS.map((g) => g.type + (g.condition ? ` (${g.condition})` : '')).join(', ')}`,
  );
  const started = performance.now();
  const results: StackReport[] = [];
  const queue = [...jobsList];
  try {
    await Promise.all(
      Array.from({ length: Math.min(jobs, queue.length) }, async () => {
        for (let j = queue.shift(); j; j = queue.shift()) {
          const r = await emulateStack(j.target, j.dir, workRoot, motoServer.endpoint, env, !values['no-smoke']);
          results.push(r);
          printStack(r);
        }
      }),
    );
  } finally {
    await motoServer.stop();
  }

  const count = (s: StackReport['status']) => results.filter((r) => r.status === s).length;
  const sum = (f: (r: StackReport) => number) => results.reduce((n, r) => n + f(r), 0);
  console.log(
    `\nemulated apply totals: ${sum((r) => r.applied)} resources applied, ${sum((r) => r.destroyed)} destroyed, ` +
      `${sum((r) => r.omitted.length)} omitted and ${sum((r) => r.forgotten.length)} not destroyable (emulator gaps), ` +
      `${sum((r) => r.changes.filter((c) => c.knownDrift).length)} known emulator drifts, in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (values.report) writeFileSync(values.report, JSON.stringify(results, null, 2));
  const failed = count('FAIL');
  if (!failed && !values.keep) rmSync(workRoot, { recursive: true, force: true });
  else console.log(`work dir kept: ${workRoot} (moto log: ${motoServer.logFile})`);
  if (count('GAPS')) console.log(`${count('GAPS')} stack(s) applied with the emulator gaps listed above (not counted as passed)`);
  // Not in the 'N passed, N failed' form on purpose: a stack applied with listed gaps is neither a pass nor a failure.
  console.log(`emulated-apply: ${count('PASS')} clean, ${count('GAPS')} with listed emulator gaps, ${failed} failed`);
  if (failed) process.exit(1);
}

main().catch((err) => {
  console.error(`emulated-apply: ${(err as Error).message}`);
  stopAll();
  process.exit(1);
});
