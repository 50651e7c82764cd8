/**
 * Growth curve of the offline Terraform check tier (scripts/tf-check.ts): wall time, CPU time and peak RSS of one
 * process for 1, 10, 40 and 80 stacks (TF_BENCH_SIZES overrides), picked evenly from the 69 default-config stacks
 * and the 11 full-example stacks, synthesized now from dist/synth/main.mjs (TF_BENCH_BASELINE=<folder holding
 * default/ and full/ synth outputs> measures those instead, e.g. an older synth). The measured process gets a
 * clean environment. Goals (issue 17): 80 stacks < 60 s on 2 cores, growth < 0.5 s/stack.
 * CPU is shared on the machines this runs on: each row notes the load average before the run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../lib/paths.js';
import type { BenchRow } from '../scripts/bench.js';

interface Measure {
  readonly stacks: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMb: number;
  readonly load: string;
}

function cleanEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TF_PROVIDER_MIRROR', 'TF_PLUGIN_CACHE_DIR', 'TF_CHECK_TERRAFORM'];
  return Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]]));
}

/** Stack folders of the default and full configs: from the baseline, or synthesized now. */
function sources(work: string): { default: string; full: string } {
  const base = process.env.TF_BENCH_BASELINE;
  if (base && existsSync(join(base, 'default', 'stacks')) && existsSync(join(base, 'full', 'stacks'))) {
    return { default: join(base, 'default', 'stacks'), full: join(base, 'full', 'stacks') };
  }
  if (!existsSync(fromRoot('dist', 'synth', 'main.mjs'))) throw new Error('no dist/synth/main.mjs: run "make build" first');
  const out = { default: join(work, 'src-default'), full: join(work, 'src-full') };
  for (const [dir, config] of [[out.default, undefined], [out.full, fromRoot('config', 'examples', 'full.json')]] as const) {
    const r = spawnSync(process.execPath, [fromRoot('dist', 'synth', 'main.mjs')], {
      env: { ...cleanEnv(), CDKTF_OUTDIR: dir, ...(config ? { TRIBUTARY_CONFIG: config } : {}) },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
  }
  return { default: join(out.default, 'stacks'), full: join(out.full, 'stacks') };
}

function measure(outdir: string, stacks: number): Measure {
  const load = loadavg().map((l) => l.toFixed(1)).join('/');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, '--import', 'tsx', fromRoot('scripts', 'tf-check.ts'), '--outdir', outdir], {
    cwd: fromRoot(),
    env: cleanEnv(),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`tf-check failed on ${stacks} stacks:\n${r.stdout}\n${r.stderr}`);
  const [wall, user, sys, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { stacks, wallS: wall, cpuS: user + sys, rssMb: kb / 1024, load };
}

export async function run(): Promise<BenchRow[]> {
  const group = 'terraform';
  if (spawnSync(process.env.TF_CHECK_TERRAFORM || 'terraform', ['version']).status !== 0) {
    return [{ group, name: 'SKIPPED: terraform is not installed', value: 0, unit: '' }];
  }
  if (!existsSync('/usr/bin/time')) return [{ group, name: 'SKIPPED: /usr/bin/time is not installed', value: 0, unit: '' }];
  const work = mkdtempSync(join(tmpdir(), 'tributary-bench-tf-'));
  try {
    const src = sources(work);
    const pool = [
      ...readdirSync(src.default).sort().map((n) => ({ dir: join(src.default, n), name: n })),
      // The full config repeats some AMS stack names: prefixed so both are planned.
      ...readdirSync(src.full).sort().map((n) => ({ dir: join(src.full, n), name: `full-${n}` })),
    ];
    const sizes = (process.env.TF_BENCH_SIZES ?? '1,10,40,80').split(',').map(Number).filter((n) => n > 0 && n <= pool.length);
    const measures: Measure[] = [];
    for (const size of sizes) {
      const outdir = join(work, `n${size}`);
      mkdirSync(join(outdir, 'stacks'), { recursive: true });
      // Evenly spread over the pool, so every size mixes the configs' stacks.
      for (let i = 0; i < size; i++) {
        const s = pool[Math.floor((i * pool.length) / size)];
        symlinkSync(s.dir, join(outdir, 'stacks', s.name), 'dir');
      }
      measures.push(measure(outdir, size));
    }
    const rows: BenchRow[] = measures.map((m) => ({
      group,
      name: `check tier: ${m.stacks} stack${m.stacks > 1 ? 's' : ''}, wall`,
      value: m.wallS,
      unit: 's',
      goal: m.stacks === 80 ? '< 60 s' : undefined,
      note: `CPU ${m.cpuS.toFixed(1)} s, peak RSS of one process ${Math.round(m.rssMb)} MB, ${availableParallelism()} cores, load ${m.load}`,
    }));
    const big = measures.filter((m) => m.stacks >= 10);
    if (big.length >= 2) {
      const [a, b] = [big[0], big[big.length - 1]];
      rows.push({
        group,
        name: `check tier: growth per stack (${a.stacks} -> ${b.stacks} stacks), wall`,
        value: (b.wallS - a.wallS) / (b.stacks - a.stacks),
        unit: 's/stack',
        goal: '< 0.5 s/stack',
      });
      rows.push({
        group,
        name: `check tier: growth per stack (${a.stacks} -> ${b.stacks} stacks), CPU`,
        value: (b.cpuS - a.cpuS) / (b.stacks - a.stacks),
        unit: 's/stack',
        note: 'the per-stack tier this replaced used ~7.9 s CPU per stack',
      });
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
