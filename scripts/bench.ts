/**
 * `make bench`: runs every bench/*.ts module (each exports `run(): Promise<BenchRow[]>`) and prints a table.
 * Figures are measurements on this machine, not pass/fail checks.
 */
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

const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'bench');

const only = process.argv.slice(2);
const files = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

for (const file of files) {
  const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as { run: () => Promise<BenchRow[]> };
  const rows = await mod.run();
  for (const r of rows) {
    const value = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 2 : 1);
    console.log(
      `${r.group.padEnd(14)} ${r.name.padEnd(52)} ${value.padStart(12)} ${r.unit.padEnd(10)} ${(r.goal ?? '').padEnd(12)} ${r.note ?? ''}`,
    );
  }
}
