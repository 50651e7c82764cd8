/**
 * CHANGED_SINCE=<git ref>: the stacks whose synthesized output differs from what that ref's tree synthesizes.
 * Synth is deterministic (fixed zip timestamps, relative paths), so equal hashes mean equal Terraform input.
 * The ref's tree is checked out with `git worktree add` into a temporary folder under the OS temp dir,
 * synthesized there with the same config (its version of the file at that ref when the config is inside the
 * repository), and the worktree is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { hashStackDir, type Manifest } from './manifest.js';
import { PROJECT_ROOT } from './paths.js';

export interface ChangedStacks {
  /** Stacks of the current synth whose output differs from the ref's, or that the ref does not have. */
  readonly changed: Set<string>;
  /** Stacks the ref synthesizes that the current config no longer has (nothing to plan; destroy them yourself). */
  readonly removed: string[];
}

function run(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { cwd, env: env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${(r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').slice(-5).join('\n')}`);
  }
  return r.stdout;
}

export function changedSince(ref: string, o: { manifest: Manifest; configPath: string; root?: string }): ChangedStacks {
  const root = o.root ?? PROJECT_ROOT;
  run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], root);
  const tmp = mkdtempSync(join(tmpdir(), 'tributary-changed-'));
  const tree = join(tmp, 'tree');
  run('git', ['worktree', 'add', '--detach', '--quiet', tree, ref], root);
  try {
    if (!existsSync(join(tree, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
    const absConfig = resolve(o.configPath);
    const rel = relative(root, absConfig);
    const inside = rel && !rel.startsWith('..') && !isAbsolute(rel);
    const refConfig = inside ? join(tree, rel) : absConfig;
    const out = join(tree, 'cdktf.out');
    if (existsSync(refConfig)) {
      const tsx = join(root, 'node_modules', '.bin', 'tsx');
      const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_CONFIG: refConfig, CDKTF_OUTDIR: out };
      delete env.CDKTF_CONTEXT_JSON;
      if (existsSync(join(tree, 'scripts', 'build-handlers.ts'))) run(tsx, ['scripts/build-handlers.ts'], tree, env);
      run(tsx, ['main.ts'], tree, env);
    }
    const refStacks = existsSync(join(out, 'stacks')) ? readdirSync(join(out, 'stacks')).filter((n) => existsSync(join(out, 'stacks', n, 'cdk.tf.json'))) : [];
    const refHashes = new Map(refStacks.map((n) => [n, hashStackDir(join(out, 'stacks', n))]));
    const changed = new Set(Object.entries(o.manifest.stacks).filter(([n, s]) => refHashes.get(n) !== s.hash).map(([n]) => n));
    const removed = refStacks.filter((n) => !(n in o.manifest.stacks)).sort();
    return { changed, removed };
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', tree], { cwd: root });
    rmSync(tmp, { recursive: true, force: true });
    spawnSync('git', ['worktree', 'prune'], { cwd: root });
  }
}
