/**
 * Tributary's synth manifest, `<outdir>/tributary-manifest.json` (beside cdktf's own manifest.json, which the
 * cdktf CLI reads and which stays as cdktf writes it): which config file was synthesized (path and sha256), its
 * prefix, and every stack with its AWS region and the sha256 of its synthesized files (cdk.tf.json and assets/).
 *
 * plan/apply/deploy compare it with the config asked for and with the stack folders on disk, and refuse when
 * they differ, so a deploy never runs on another environment's output or on a half-updated folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

export const MANIFEST_FILE = 'tributary-manifest.json';
export const MANIFEST_VERSION = 1;

export interface ManifestStack {
  /** AWS region of the stack's provider. */
  readonly region: string;
  /** sha256 over the stack's cdk.tf.json and assets/ (see hashStackDir). */
  readonly hash: string;
}

export interface Manifest {
  readonly version: number;
  readonly config: { readonly path: string; readonly sha256: string };
  readonly prefix: string;
  readonly environment: string;
  readonly backend: 'local' | 's3';
  readonly stacks: Readonly<Record<string, ManifestStack>>;
}

/** A config path as recorded: relative to the project root when inside it, absolute otherwise. */
export function configPathForManifest(path: string): string {
  const abs = resolve(path);
  const rel = relative(PROJECT_ROOT, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split(sep).join('/') : abs;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileSha256(path: string): string {
  return sha256(readFileSync(path));
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

/**
 * The hash of what synth wrote for one stack: cdk.tf.json and every file under assets/ (name and content), in
 * sorted order. Files terraform adds (.terraform/, .terraform.lock.hcl) do not count.
 */
export function hashStackDir(stackDir: string): string {
  const files = ['cdk.tf.json', ...listFiles(join(stackDir, 'assets')).map((f) => `assets/${f}`)].sort();
  const h = createHash('sha256');
  for (const f of files) {
    const p = join(stackDir, f);
    h.update(`${f}\0${existsSync(p) ? fileSha256(p) : 'missing'}\n`);
  }
  return h.digest('hex');
}

export function manifestPath(outdir: string): string {
  return join(outdir, MANIFEST_FILE);
}

export function readManifest(outdir: string): Manifest | undefined {
  const p = manifestPath(outdir);
  if (!existsSync(p)) return undefined;
  const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
  if (m.version !== MANIFEST_VERSION || !m.stacks || !m.config) throw new Error(`${p} is not a manifest this version understands: run make synth`);
  return m;
}

export interface SynthesizedStackInfo {
  readonly name: string;
  readonly region: string;
}

/** Writes the manifest for what synth just wrote (atomically). */
export function writeManifest(
  outdir: string,
  o: { configPath: string; prefix: string; environment: string; backend: 'local' | 's3'; stacks: readonly SynthesizedStackInfo[] },
): Manifest {
  const stacks: Record<string, ManifestStack> = {};
  for (const s of [...o.stacks].sort((a, b) => a.name.localeCompare(b.name))) {
    stacks[s.name] = { region: s.region, hash: hashStackDir(join(outdir, 'stacks', s.name)) };
  }
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    config: { path: configPathForManifest(o.configPath), sha256: fileSha256(o.configPath) },
    prefix: o.prefix,
    environment: o.environment,
    backend: o.backend,
    stacks,
  };
  const p = manifestPath(outdir);
  writeFileSync(`${p}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${p}.tmp`, p);
  return manifest;
}

/**
 * Removes `<outdir>/stacks/<name>` folders of stacks that are not in `keep`. State is never inside them (see
 * lib/state.ts, which moves legacy state out before this runs); a folder that still holds a *.tfstate file is
 * kept and reported.
 */
export function pruneStaleStacks(outdir: string, keep: ReadonlySet<string>): { removed: string[]; kept: string[] } {
  const stacksDir = join(outdir, 'stacks');
  const removed: string[] = [];
  const kept: string[] = [];
  if (!existsSync(stacksDir)) return { removed, kept };
  for (const name of readdirSync(stacksDir).sort()) {
    const dir = join(stacksDir, name);
    if (keep.has(name) || !statSync(dir).isDirectory()) continue;
    if (listFiles(dir).some((f) => /\.tfstate(\.backup)?$/.test(f) && !f.startsWith('.terraform/'))) {
      kept.push(name);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return { removed, kept };
}

export class ManifestMismatchError extends Error {}

/** Terraform configuration or variable files in a stack folder besides cdk.tf.json: terraform would load them too. */
export function extraTerraformFiles(stackDir: string): string[] {
  if (!existsSync(stackDir)) return [];
  return readdirSync(stackDir)
    .filter((f) => f !== 'cdk.tf.json' && /\.(tf|tf\.json|tfvars|tfvars\.json)$/.test(f))
    .sort();
}

/**
 * Checks that `<outdir>` holds exactly what synth wrote for `configPath` (or, when configPath is undefined, for
 * the config the manifest names: the remembered environment). Returns the manifest; throws
 * ManifestMismatchError with the reasons and the command that fixes them.
 */
export function verifySynth(outdir: string, configPath: string | undefined, stacks?: readonly string[]): Manifest {
  const m = readManifest(outdir);
  const fix = (cfg: string) => `run: make synth CONFIG=${cfg}`;
  if (!m) {
    throw new ManifestMismatchError(
      `${manifestPath(outdir)} does not exist: ${outdir} was not synthesized by this version; ${fix(configPath ?? '<your config>')}`,
    );
  }
  const asked = configPath ?? resolve(PROJECT_ROOT, m.config.path);
  const problems: string[] = [];
  if (configPath && resolve(configPath) !== resolve(PROJECT_ROOT, m.config.path)) {
    problems.push(`${outdir} was synthesized from ${m.config.path}, but you asked for ${configPathForManifest(configPath)}`);
  } else if (!existsSync(asked)) {
    problems.push(`the config ${m.config.path} that ${outdir} was synthesized from does not exist any more`);
  } else if (fileSha256(asked) !== m.config.sha256) {
    problems.push(`${m.config.path} changed since ${outdir} was synthesized from it`);
  }
  const names = stacks ?? Object.keys(m.stacks);
  for (const name of names) {
    const s = m.stacks[name];
    if (!s) {
      problems.push(`stack ${name} is not in ${m.config.path}'s synth output`);
      continue;
    }
    const dir = join(outdir, 'stacks', name);
    if (!existsSync(join(dir, 'cdk.tf.json'))) problems.push(`stack ${name}: ${dir}/cdk.tf.json is missing`);
    else if (hashStackDir(dir) !== s.hash) problems.push(`stack ${name}: ${dir} differs from what synth wrote (stale or edited output)`);
    const extra = extraTerraformFiles(dir);
    if (extra.length) {
      problems.push(`stack ${name}: ${extra.join(', ')} in ${dir} would be merged into the configuration terraform runs (an offline-check override?): remove them`);
    }
  }
  if (problems.length) {
    throw new ManifestMismatchError(
      `refusing: what is synthesized is not what was asked for:\n  - ${problems.slice(0, 20).join('\n  - ')}` +
        `${problems.length > 20 ? `\n  - ... and ${problems.length - 20} more` : ''}\n${fix(configPath ? configPathForManifest(configPath) : m.config.path)}`,
    );
  }
  return m;
}
