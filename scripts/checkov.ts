/**
 * checkov tier (issue 15): checkov's terraform_json framework over the cdk.tf.json of every synthesized stack.
 * A failed check counts as skipped only when policy/checkov-skips.json explains it (check id + stack + resource,
 * with a reason); any other failure fails the run. Prints passed/failed/skipped per stack and in total.
 *
 *   tsx scripts/checkov.ts [--target <synth dir>]... [--batches N] [--report <file.json>]
 *
 * The files go to checkov in a few batches run side by side (each checkov process costs seconds of start-up).
 * Results are read per file: the same logical ids in different stacks stay apart. Needs the checkov venv
 * (.tools/venv-checkov, from tools/requirements-checkov.txt); without python3/venv the tier says so loudly and exits 0.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCheckovSkips, matchCheckovSkip, type CheckovSkip } from '../policy/checkov-skips.js';
import { findPythonTool, skipBanner } from './python-tools.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    batches: { type: 'string' },
    report: { type: 'string' },
  },
});

const ROOT = process.cwd();

interface CheckovCheck {
  check_id: string;
  check_name: string;
  file_path: string;
  file_line_range: [number, number];
  resource: string;
  guideline?: string | null;
}
interface CheckovReport {
  check_type: string;
  results: { passed_checks?: CheckovCheck[]; failed_checks?: CheckovCheck[]; skipped_checks?: CheckovCheck[] };
  summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
}

interface StackFile {
  target: string;
  stack: string;
  file: string; // relative to ROOT
  /** logical id -> [type, first line, last line] of each resource block. */
  blocks: Map<string, { type: string; from: number; to: number }[]>;
}

/** Where each resource block of a cdk.tf.json starts and ends (line numbers as checkov reports them). */
function resourceBlocks(text: string): StackFile['blocks'] {
  const json = JSON.parse(text) as { resource?: Record<string, Record<string, unknown>> };
  const lines = text.split('\n');
  const blocks: StackFile['blocks'] = new Map();
  let type: string | undefined;
  let inResource = false;
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)"([^"]+)": \{$/.exec(lines[i]);
    if (!m) continue;
    const depth = m[1].length / 2;
    if (depth === 1) inResource = m[2] === 'resource';
    else if (inResource && depth === 2) type = m[2];
    else if (inResource && depth === 3 && type && json.resource?.[type]?.[m[2]]) {
      const close = lines.findIndex((l, j) => j > i && l === `${m[1]}}` || (j > i && l === `${m[1]}},`));
      const list = blocks.get(m[2]) ?? [];
      list.push({ type, from: i + 1, to: close + 1 });
      blocks.set(m[2], list);
    }
  }
  return blocks;
}

/** `<type>.<logical id>` of a checkov result (terraform_json names some resources "resource.<id>"). */
function addressOf(f: StackFile, c: CheckovCheck): string {
  const dot = c.resource.indexOf('.');
  const type = c.resource.slice(0, dot);
  const id = c.resource.slice(dot + 1);
  if (type !== 'resource') return c.resource;
  const candidates = f.blocks.get(id) ?? [];
  const hit = candidates.length === 1 ? candidates[0] : candidates.find((b) => b.from <= c.file_line_range[0] && c.file_line_range[0] <= b.to);
  return hit ? `${hit.type}.${id}` : c.resource;
}

function runCheckov(bin: string, files: string[]): Promise<CheckovReport[]> {
  return new Promise((res, rej) => {
    const args = [...files.flatMap((f) => ['-f', f]), '--framework', 'terraform_json', '-o', 'json', '--skip-download', '--compact'];
    const child = spawn(bin, args, { cwd: ROOT, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false', LOG_LEVEL: 'ERROR' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => {
      // checkov exits 1 when a check fails; anything else, or no JSON, is a broken run.
      if (code !== 0 && code !== 1) return rej(new Error(`checkov exited ${code}: ${err.slice(-2000)}`));
      try {
        const parsed = JSON.parse(out) as CheckovReport | CheckovReport[];
        res(Array.isArray(parsed) ? parsed : [parsed]);
      } catch {
        rej(new Error(`checkov printed no JSON report (exit ${code}): ${(err || out).slice(-2000)}`));
      }
    });
  });
}

interface StackTotals {
  target: string;
  stack: string;
  passed: number;
  failed: { check: string; name: string; address: string; lines: [number, number] }[];
  skipped: { check: string; address: string; reason: string }[];
}

async function main(): Promise<void> {
  const checkov = findPythonTool('checkov', 'checkov');
  if (!checkov.ok) {
    if (checkov.skip) {
      console.log(skipBanner('checkov', checkov.reason));
      return;
    }
    throw new Error(checkov.reason);
  }
  const skips = loadCheckovSkips();
  const targets = values.target?.length ? values.target : ['cdktf.out'];
  const files: StackFile[] = [];
  for (const target of targets) {
    const dir = resolve(ROOT, target, 'stacks');
    if (!existsSync(dir)) throw new Error(`${dir} does not exist: synthesize first`);
    for (const stack of readdirSync(dir).sort()) {
      const file = join(dir, stack, 'cdk.tf.json');
      if (!existsSync(file)) continue;
      files.push({ target, stack, file: relative(ROOT, file), blocks: resourceBlocks(readFileSync(file, 'utf8')) });
    }
  }
  if (!files.length) throw new Error(`no synthesized stacks under ${targets.join(', ')}`);
  const batches = Math.max(1, Math.min(files.length, Number(values.batches ?? Math.max(2, availableParallelism()))));
  const started = performance.now();
  const groups = Array.from({ length: batches }, (_, i) => files.filter((_, j) => j % batches === i));
  const reports = (await Promise.all(groups.map((g) => runCheckov(checkov.bin, g.map((f) => f.file))))).flat();

  const byFile = new Map<string, StackFile>(files.map((f) => [`/${f.file}`, f]));
  const fileOf = (c: CheckovCheck): StackFile => {
    const f = byFile.get(c.file_path) ?? byFile.get(`/${c.file_path.replace(/^\//, '')}`) ?? files.find((x) => c.file_path.endsWith(x.file));
    if (!f) throw new Error(`checkov reported a file this run did not pass: ${c.file_path}`);
    return f;
  };
  const totals = new Map<string, StackTotals>(files.map((f) => [f.file, { target: f.target, stack: f.stack, passed: 0, failed: [], skipped: [] }]));
  const used = new Set<CheckovSkip>();
  let parsingErrors = 0;
  for (const r of reports) {
    if (r.check_type !== 'terraform_json') continue;
    parsingErrors += r.summary?.parsing_errors ?? 0;
    for (const c of r.results.passed_checks ?? []) totals.get(fileOf(c).file)!.passed++;
    for (const c of r.results.failed_checks ?? []) {
      const f = fileOf(c);
      const address = addressOf(f, c);
      const skip = matchCheckovSkip(skips, c.check_id, f.stack, address);
      const t = totals.get(f.file)!;
      if (skip) {
        used.add(skip);
        t.skipped.push({ check: c.check_id, address, reason: skip.reason });
      } else t.failed.push({ check: c.check_id, name: c.check_name, address, lines: c.file_line_range });
    }
  }

  const all = [...totals.values()];
  for (const t of all) {
    console.log(`${t.failed.length ? 'FAIL' : 'ok  '} ${t.target}/${t.stack}: ${t.passed} passed, ${t.failed.length} failed, ${t.skipped.length} skipped`);
    for (const f of t.failed) console.log(`       ${f.check} ${f.address} (cdk.tf.json lines ${f.lines.join('-')}): ${f.name}`);
  }
  const sum = (k: (t: StackTotals) => number) => all.reduce((n, t) => n + k(t), 0);
  const passed = sum((t) => t.passed);
  const failed = sum((t) => t.failed.length);
  const skipped = sum((t) => t.skipped.length);
  const perCheck = new Map<string, number>();
  for (const t of all) for (const s of t.skipped) perCheck.set(s.check, (perCheck.get(s.check) ?? 0) + 1);
  console.log(
    `\ncheckov: ${files.length} stacks in ${batches} batch(es), ${((performance.now() - started) / 1000).toFixed(0)} s; skipped per check (policy/checkov-skips.json): ` +
      [...perCheck].sort().map(([c, n]) => `${c} ${n}`).join(', '),
  );
  const unused = skips.filter((s) => !used.has(s));
  for (const s of unused) console.log(`note: checkov skip ${s.check} ${s.resource}${s.stacks ? ` (stacks ${s.stacks})` : ''} matched nothing in this run`);
  if (parsingErrors) console.log(`checkov reported ${parsingErrors} parsing error(s)`);
  if (values.report) writeFileSync(values.report, JSON.stringify(all, null, 2));
  console.log(`checkov: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (failed || parsingErrors) {
    console.log('each failure: fix it (modules/), or add a skip with its reason to policy/checkov-skips.json');
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(`checkov tier: ${(err as Error).message}`);
  process.exit(1);
});
