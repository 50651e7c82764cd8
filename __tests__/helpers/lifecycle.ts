import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../../lib/paths.js';

export const TSX = fromRoot('node_modules', '.bin', 'tsx');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command (default cwd: the project root) with extra environment. */
export function run(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', ...o.env };
  delete env.CDKTF_CONTEXT_JSON;
  const r = spawnSync(cmd, args, { cwd: o.cwd ?? fromRoot(), env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

let synthBundle: string | undefined;
/**
 * main.ts bundled exactly as `make build` bundles it for `make synth` (the Makefile's own esbuild command, read from
 * `make -n build`, with another --outfile), once per test process. Running the bundle costs about a third of the CPU
 * of `tsx main.ts`, which transpiles the whole project on every run. It lives in dist/ so that cdktf and constructs
 * (kept external) resolve from node_modules as they do for dist/synth/main.mjs.
 */
export function synthProgram(): string {
  if (synthBundle) return synthBundle;
  const dry = run('make', ['-n', '--no-print-directory', '-C', fromRoot(), 'build']);
  const command = dry.stdout.split('\n').find((l) => /^node_modules\/\.bin\/esbuild main\.ts .*--outfile=\S+$/.test(l));
  if (!command) throw new Error(`no esbuild command for main.ts in the output of make -n build:\n${dry.stdout}${dry.stderr}`);
  const out = fromRoot('dist', 'test-synth', `main-${process.pid}.mjs`);
  mkdirSync(fromRoot('dist', 'test-synth'), { recursive: true });
  const r = run('sh', ['-c', command.replace(/--outfile=\S+$/, `--outfile='${out}'`)]);
  if (r.code !== 0) throw new Error(`bundling main.ts failed: ${r.stderr}`);
  process.on('exit', () => rmSync(out, { force: true }));
  return (synthBundle = out);
}

/** The real synth program (main.ts as `make synth` runs it: the esbuild bundle) into `outdir` with `config`. */
export function synth(config: string, outdir: string): Run {
  return run(process.execPath, [synthProgram()], { env: { TRIBUTARY_CONFIG: config, CDKTF_OUTDIR: outdir } });
}

/** scripts/lifecycle.ts, the program behind make plan/apply/deploy/check selection. */
export function lifecycle(args: string[], env?: NodeJS.ProcessEnv): Run {
  return run(TSX, [fromRoot('scripts', 'lifecycle.ts'), ...args], { env });
}

/** A temporary project-like folder: `<tmp>/cdktf.out` is the output folder, `<tmp>/state` the state root. */
export function tempProject(prefix = 'tributary-lifecycle-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a small config (one AMS dataset in NA unless told otherwise) and returns its path. */
export function writeConfig(dir: string, name: string, raw: Record<string, unknown>): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(raw, null, 2));
  return p;
}

export function hasTerraform(): boolean {
  return spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
}
