/**
 * Measuring helpers shared by the bench modules (files starting with "_" are not bench modules).
 *
 * - `cleanEnv`: the environment of every measured child process: only what the caller names, never the parent's
 *   (NODE_EXTRA_CA_CERTS alone makes Node 22 parse every listed certificate when TLS loads, +12-15 ms per SDK
 *   handler; NODE_OPTIONS can add loaders).
 * - `interleaved`: rounds in which every subject runs once, in a rotated order, so drift (another process on the
 *   machine, CPU frequency) hits every subject alike; figures are medians over rounds, and ratios are taken
 *   against a baseline measured in the same rounds.
 * - `callgrindInstructions`: instructions a command executes under valgrind's callgrind (stable under load).
 */
import { spawnSync } from 'node:child_process';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Exactly `vars` (undefined values left out): nothing of the parent's environment. */
export function cleanEnv(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs every subject once per round (order rotated each round, after one untimed warm-up round); ms per subject. */
export async function interleaved(rounds: number, subjects: Record<string, () => unknown>): Promise<Record<string, number[]>> {
  const names = Object.keys(subjects);
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(r, 0)) % names.length];
      const started = process.hrtime.bigint();
      await subjects[name]();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (r >= 0) out[name].push(ms);
    }
  }
  return out;
}

/** Median over rounds of the per-round ratio a/b (both measured in the same round). */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / b[i]));
}

/** True when valgrind is on the PATH. */
export function hasValgrind(): boolean {
  return spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Instructions executed by `command args` under callgrind (`Collected :` in its summary). */
export function callgrindInstructions(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file', command, ...args], {
    env: { ...env, PATH: process.env.PATH },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /Collected\s*:\s*(\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`callgrind of ${command} ${args.join(' ')} failed (${r.status}): ${(r.stderr ?? '').slice(-500)}`);
  return Number(m[1]);
}
