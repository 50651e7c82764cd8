/**
 * cdktf CLI parity and CHANGED_SINCE (issue 10, steps 4 and 5), on a copy of the project in a temporary git
 * repository, so a handler can be edited without touching the working tree other tests use.
 *
 * Contracts: the cdktf CLI runs cdktf.json's `app` through a shell in the project folder with CDKTF_OUTDIR set
 * (packages/@cdktf/cli-core/src/lib/synth-stack.ts) and reads `<outdir>/manifest.json`; cdktf names a FILE asset's
 * folder after the hash of its content (cdktf TerraformAsset), so a different zip gives a different path in
 * `filename`/`source_code_hash`. `git worktree add/remove` (git-worktree(1)).
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../lib/paths.js';
import { run, tempProject, TSX } from '../helpers/lifecycle.js';

const COPY = ['main.ts', 'package.json', 'tsconfig.json', 'cdktf.json', 'config', 'contracts', 'lib', 'stacks', 'modules', 'handlers', 'samples', 'policy', 'scripts'];
const CONFIG = 'config/lifecycle-test.json';
const hasGit = run('git', ['--version']).code === 0;
if (!hasGit) console.warn('lifecycle-cdktf: skipping: git is not on PATH');

describe.skipIf(!hasGit)('the cdktf app and CHANGED_SINCE on a copy of the project', () => {
  let root: string;
  const git = (...args: string[]) => {
    const r = run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  /** Runs cdktf.json's app the way the cdktf CLI does: through a shell, in the project folder, with CDKTF_OUTDIR. */
  const cdktfSynth = () => {
    const app = (JSON.parse(readFileSync(join(root, 'cdktf.json'), 'utf8')) as { app: string }).app;
    const r = run('sh', ['-c', app], { cwd: root, env: { CDKTF_OUTDIR: join(root, 'cdktf.out'), TRIBUTARY_CONFIG: CONFIG } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(root, 'cdktf.out', 'manifest.json'))).toBe(true);
  };
  const fanOutAsset = (stack: string) => {
    const j = JSON.parse(readFileSync(join(root, 'cdktf.out', 'stacks', stack, 'cdk.tf.json'), 'utf8')) as {
      resource: { aws_lambda_function: Record<string, { filename: string; source_code_hash: string }> };
    };
    const fn = Object.values(j.resource.aws_lambda_function).find((f) => f.filename.endsWith('/ams-fan-out.zip'))!;
    return { filename: fn.filename, hash: fn.source_code_hash };
  };
  const select = (...args: string[]) => {
    const r = run(TSX, ['scripts/lifecycle.ts', 'select', '--config', CONFIG, ...args], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  };

  beforeAll(() => {
    root = tempProject('tributary-project-copy-');
    for (const f of COPY) cpSync(fromRoot(f), join(root, f), { recursive: true });
    symlinkSync(fromRoot('node_modules'), join(root, 'node_modules'), 'dir');
    writeFileSync(join(root, '.gitignore'), 'node_modules\ndist/\ncdktf.out/\nstate/\nplans/\n');
    writeFileSync(join(root, CONFIG), JSON.stringify({ prefix: 'tcs', ams: { datasets: ['sp-traffic', 'sp-conversion'], regions: ['NA'] } }));
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
  }, 120_000);
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('CHANGED_SINCE picks only the stacks whose synthesized output differs, and removes its worktree', { timeout: 240_000 }, () => {
    cdktfSynth();
    expect(select('--changed-since', 'HEAD')).toEqual([]);
    // A new dataset adds one stack and a line to the region's AMS overview dashboard, which the first dataset's
    // stack owns (ams-sp-traffic-na); the third stack synthesizes byte-identical.
    writeFileSync(join(root, CONFIG), JSON.stringify({ prefix: 'tcs', ams: { datasets: ['sp-traffic', 'sp-conversion', 'sp-budget-recommendations'], regions: ['NA'] } }));
    cdktfSynth();
    expect(select('--changed-since', 'HEAD')).toEqual(['ams-sp-budget-recommendations-na', 'ams-sp-traffic-na']);
    expect(select('--changed-since', 'HEAD', '--stacks', 'ams-sp-c*')).toEqual([]);
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith('tributary-changed-') && existsSync(join(tmpdir(), d, 'tree')))).toEqual([]);
  });

  it('editing a handler changes the zip the cdktf app synthesizes into every stack that uses it', { timeout: 240_000 }, () => {
    // The output of the unedited code: the previous test's last synth when it got that far (one cdktf app run less).
    if (!existsSync(join(root, 'cdktf.out', 'manifest.json'))) cdktfSynth();
    const before = fanOutAsset('ams-sp-traffic-na');
    const entry = join(root, 'handlers', 'ams', 'fan-out', 'index.ts');
    writeFileSync(entry, `${readFileSync(entry, 'utf8')}\nexport const lifecycleTestMarker = 'handler edited';\n`);
    cdktfSynth();
    const after = fanOutAsset('ams-sp-traffic-na');
    expect(after.filename).not.toBe(before.filename);
    expect(after.hash).not.toBe(before.hash);
    const zip = readFileSync(join(root, 'cdktf.out', 'stacks', 'ams-sp-traffic-na', after.filename));
    expect(zip.equals(readFileSync(join(root, 'dist', 'handlers', 'ams-fan-out.zip')))).toBe(true);
    // ... and CHANGED_SINCE sees every stack holding that zip.
    expect(select('--changed-since', 'HEAD', '--stacks', 'ams-sp-traffic-na,ams-sp-conversion-na')).toEqual(['ams-sp-conversion-na', 'ams-sp-traffic-na']);
  });
});
