/** Synth wall time and peak RSS for the default config, measured on the bundled synth program (as `make synth` runs it). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../lib/paths.js';
import type { BenchRow } from '../scripts/bench.js';

function timed(env: NodeJS.ProcessEnv): { ms: number; rssMb: number; stacks: number } {
  const outdir = mkdtempSync(join(tmpdir(), 'tributary-bench-synth-'));
  try {
    // GNU time reports the peak RSS of the whole process.
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, fromRoot('dist', 'synth', 'main.mjs')], {
      env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
    const [secs, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    const stacks = Number(/synthesized (\d+) stacks/.exec(r.stdout)?.[1] ?? 0);
    return { ms: secs * 1000, rssMb: kb / 1024, stacks };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  if (!existsSync(fromRoot('dist', 'synth', 'main.mjs'))) throw new Error('run "make build" first');
  if (!existsSync('/usr/bin/time')) return [{ group: 'synth', name: 'skipped: /usr/bin/time is not installed', value: 0, unit: '' }];
  const runs = [timed({}), timed({}), timed({})].sort((a, b) => a.ms - b.ms);
  const median = runs[1];
  const full = timed({ TRIBUTARY_CONFIG: fromRoot('config', 'examples', 'full.json') });
  return [
    { group: 'synth', name: `default config: ${median.stacks} stacks, wall (median of 3)`, value: median.ms, unit: 'ms', goal: '< 2000 ms' },
    { group: 'synth', name: 'default config: peak RSS', value: Math.round(median.rssMb), unit: 'MB', goal: '< 250 MB' },
    { group: 'synth', name: `full example config: ${full.stacks} stacks, wall`, value: full.ms, unit: 'ms' },
    { group: 'synth', name: 'full example config: peak RSS', value: Math.round(full.rssMb), unit: 'MB' },
  ];
}
