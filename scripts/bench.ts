/**
 * `make bench`: runs every bench/*.ts module (each exports `run(): Promise<BenchRow[]>`) and prints one table,
 * each figure next to its goal (and whether it is met). Figures are measurements on this machine, not checks.
 *
 * Each module runs in its own Node process with a clean environment: PATH, HOME, TMPDIR, LANG and the
 * TF_* / TRIBUTARY_* / BENCH_* variables only. Whatever else the caller's shell exports (NODE_EXTRA_CA_CERTS makes
 * Node parse every listed certificate when TLS loads, NODE_OPTIONS can add loaders) never reaches what is measured.
 * The modules measure child processes with their own clean environment in turn (bench/_measure.ts).
 *
 *   tsx scripts/bench.ts [module-name-part ...] [-- flags]   e.g. tsx scripts/bench.ts handlers -- --callgrind
 * Flags (also BENCH_FLAGS="..."): --callgrind (instruction counts where valgrind exists), --variants,
 * --rounds=N (see bench/handlers.ts).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchRow {
  readonly group: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal, if any, e.g. "< 2000 ms". */
  readonly goal?: string;
  readonly note?: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_DIR = join(ROOT, 'bench');
const MARK = '\u0000bench-rows:';

/** The environment a bench module runs with. */
export function benchEnv(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keep = (k: string): boolean => ['PATH', 'HOME', 'TMPDIR', 'LANG'].includes(k) || /^(TF_|TRIBUTARY_|BENCH_)/.test(k);
  return Object.fromEntries(Object.entries(parent).filter(([k, v]) => v !== undefined && keep(k)));
}

/** "met" / "MISSED" for a numeric goal on the row's own value ("< 2000 ms", ">= 50000"), else undefined. */
export function goalVerdict(r: Pick<BenchRow, 'value' | 'goal'>): string | undefined {
  const m = /^\s*(<=|>=|<|>)\s*([\d.]+)(\s*(?:x\b|%))?/.exec(r.goal ?? '');
  // A ratio or share goal ("<= 1.20x floor", ">= 50% raw loop") is about a ratio the row's note states with its own verdict, not the value.
  if (!m || m[3]) return undefined;
  const limit = Number(m[2]);
  const ok = m[1] === '<' ? r.value < limit : m[1] === '<=' ? r.value <= limit : m[1] === '>' ? r.value > limit : r.value >= limit;
  return ok ? 'met' : 'MISSED';
}

function print(r: BenchRow): void {
  const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 2 : 1);
  const verdict = goalVerdict(r);
  const note = [verdict, r.note].filter(Boolean).join(': ');
  console.log(`${r.group.padEnd(12)} ${r.name.padEnd(64)} ${value.padStart(10)} ${r.unit.padEnd(9)} ${(r.goal ?? '').padEnd(18)} ${note}`);
}

if (process.argv[2] === '--child') {
  // One module, in the clean process the parent started: rows go back on stdout after a marker.
  const file = process.argv[3];
  const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as { run: () => Promise<BenchRow[]> };
  const rows = await mod.run();
  process.stdout.write(`${MARK}${JSON.stringify(rows)}\n`);
  process.exit(0);
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const dash = args.indexOf('--');
  const only = dash < 0 ? args : args.slice(0, dash);
  const flags = dash < 0 ? [] : args.slice(dash + 1);
  const files = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  console.log(`${'group'.padEnd(12)} ${'figure'.padEnd(64)} ${'value'.padStart(10)} ${'unit'.padEnd(9)} ${'goal'.padEnd(18)} note`);
  let failed = 0;
  for (const file of files) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', file, ...flags], {
      cwd: ROOT,
      env: benchEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith(MARK));
    if (r.status !== 0 || !line) {
      failed++;
      console.log(`${file}: failed (exit ${r.status})${r.stdout ? `\n${r.stdout.slice(-2000)}` : ''}`);
      continue;
    }
    for (const row of JSON.parse(line.slice(MARK.length)) as BenchRow[]) print(row);
  }
  if (failed) process.exitCode = 1;
}
