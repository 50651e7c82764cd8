import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

/** The real synth program (main.ts, as `make synth` and the cdktf app run it) into `outdir` with `config`. */
export function synth(config: string, outdir: string): Run {
  return run(TSX, [fromRoot('main.ts')], { env: { TRIBUTARY_CONFIG: config, CDKTF_OUTDIR: outdir } });
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
