/**
 * make test's runner (scripts/test-run.ts, issue 17): the tiers run side by side where independent, yet the output
 * reads as if they had run one after the other, the last tier's totals end it and the exit status is non-zero when
 * any tier failed. Run here against a Makefile of stand-in tiers (each target prints, sleeps, exits as told) in a
 * temporary folder: the runner only ever runs `make <target>` in its working directory.
 *
 * Contract: GNU make runs the named target's recipe and exits 2 when a recipe command fails (make(1), EXIT STATUS).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../lib/paths.js';

const TIERS = ['tier-install', 'build', 'typecheck', 'tier-synth', 'tier-vitest', 'tier-policy-report', 'tier-tf-check', 'tier-venv-moto', 'tier-venv-checkov', 'tier-emulated-apply', 'tier-checkov'];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A Makefile whose targets log start/end times to events.log and print three lines each, with pauses. */
function project(recipes: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-test-run-'));
  dirs.push(dir);
  const rule = (t: string) =>
    `${t}:\n\t@echo "start ${t} $$(date +%s%N) $$(nice)" >> events.log\n` +
    (recipes[t] ?? `\t@echo "${t} line 1"; sleep 0.3; echo "${t} line 2"; sleep 0.3; echo "${t} totals"`) +
    `\n\t@echo "end ${t} $$(date +%s%N)" >> events.log\n`;
  writeFileSync(join(dir, 'Makefile'), `.PHONY: ${TIERS.join(' ')}\n${TIERS.map(rule).join('\n')}`);
  return dir;
}

function runner(cwd: string, args: string[] = []) {
  const r = spawnSync(process.execPath, ['--experimental-strip-types', fromRoot('scripts', 'test-run.ts'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function events(dir: string): Map<string, { start: number; end: number; nice: number }> {
  const m = new Map<string, { start: number; end: number; nice: number }>();
  for (const line of readFileSync(join(dir, 'events.log'), 'utf8').trim().split('\n')) {
    const [what, target, ns, niceness] = line.split(' ');
    const e = m.get(target) ?? { start: 0, end: 0, nice: 0 };
    e[what as 'start' | 'end'] = Number(BigInt(ns) / 1_000_000n);
    if (what === 'start') e.nice = Number(niceness);
    m.set(target, e);
  }
  return m;
}

describe('scripts/test-run.ts', () => {
  it('runs independent tiers side by side, prints each tier in one piece in the fixed order, checkov totals last', () => {
    const dir = project();
    const r = runner(dir);
    expect(r.code, r.out + r.err).toBe(0);
    const lines = r.out.trim().split('\n').filter((l) => / line \d|totals$/.test(l));
    // Each tier's three lines together, tiers in the runner's order.
    expect(lines).toEqual(TIERS.flatMap((t) => [`${t} line 1`, `${t} line 2`, `${t} totals`]));
    expect(r.out.trim().split('\n').at(-1)).toBe('tier-checkov totals');
    expect(r.out).toMatch(/^test-run: install \d+ s, build \d+ s, .*checkov \d+ s \(tiers side by side; \d+ s so far\)$/m);

    const e = events(dir);
    const overlap = (a: string, b: string) => e.get(a)!.start < e.get(b)!.end && e.get(b)!.start < e.get(a)!.end;
    // The venvs install beside npm ci; the emulated apply runs beside vitest and tf-check.
    expect(overlap('tier-venv-moto', 'tier-install')).toBe(true);
    expect(overlap('tier-emulated-apply', 'tier-vitest') || overlap('tier-emulated-apply', 'tier-tf-check')).toBe(true);
    // Dependencies: nothing before install but the venvs; synth after build; emulated after synth and the moto venv.
    expect(e.get('build')!.start).toBeGreaterThanOrEqual(e.get('tier-install')!.end);
    expect(e.get('tier-synth')!.start).toBeGreaterThanOrEqual(e.get('build')!.end);
    expect(e.get('tier-emulated-apply')!.start).toBeGreaterThanOrEqual(Math.max(e.get('tier-synth')!.end, e.get('tier-venv-moto')!.end));
    // The tiers that use every core take turns.
    expect(e.get('tier-tf-check')!.start).toBeGreaterThanOrEqual(e.get('tier-vitest')!.end);
    expect(e.get('tier-checkov')!.start).toBeGreaterThanOrEqual(e.get('tier-tf-check')!.end);
    // The critical chain (install, build, synth, moto venv, emulated apply) keeps the runner's priority; the rest is niced.
    const base = Number(spawnSync('nice', { encoding: 'utf8' }).stdout);
    for (const t of ['tier-install', 'build', 'tier-synth', 'tier-venv-moto', 'tier-emulated-apply']) expect(e.get(t)!.nice, t).toBe(base);
    for (const t of ['typecheck', 'tier-vitest', 'tier-policy-report', 'tier-tf-check', 'tier-venv-checkov', 'tier-checkov']) expect(e.get(t)!.nice, t).toBe(Math.min(19, base + 10));
  });

  it('a failed tier fails the run; what needs its output is reported NOT RUN, every other tier still runs', () => {
    const dir = project({ 'tier-synth': '\t@echo "tier-synth broke"; exit 3', 'tier-vitest': '\t@echo "tier-vitest line 1"; exit 1' });
    const r = runner(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('test-run: synth FAILED (make tier-synth exited 2)');
    expect(r.out).toContain('test-run: vitest FAILED (make tier-vitest exited 2)');
    for (const t of ['policy-report', 'tf-check', 'emulated-apply', 'checkov']) expect(r.out).toContain(`test-run: ${t} NOT RUN: synth failed`);
    const e = events(dir);
    for (const t of ['tier-install', 'build', 'typecheck', 'tier-venv-moto', 'tier-venv-checkov']) expect(e.get(t)?.end, t).toBeGreaterThan(0);
    expect(e.has('tier-emulated-apply')).toBe(false);
    expect(r.out).toMatch(/vitest \d+ s FAILED/);
  });

  it('--only runs the named tiers (dependencies outside the selection are not waited for); unknown names exit 2', () => {
    const dir = project();
    const r = runner(dir, ['--only', 'tier-nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('test-run: no tier tier-nope; tiers: install, build');
    const ok = runner(dir, ['--only', 'synth,checkov']);
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect([...events(dir).keys()]).toEqual(['tier-synth', 'tier-checkov']);
    expect(ok.out.trim().split('\n').at(-1)).toBe('tier-checkov totals');
  });
});
