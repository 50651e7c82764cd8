/**
 * Tributary's cdktf app: loads and validates the config (config/default.json, or the file named by
 * TRIBUTARY_CONFIG), then synthesizes every configured stack to <outdir>/stacks/<name>/cdk.tf.json (outdir:
 * CDKTF_OUTDIR, else cdktf.out). Run it with `make synth` (plain node, no cdktf CLI) or through `cdktf synth|deploy`
 * (cdktf.json's app, scripts/cdktf-app.ts, rebuilds stale handler zips first).
 *
 * Around the synth (docs/deploy.md):
 *   1. local state found at the old place inside the output (stacks/<name>/terraform.<name>.tfstate) is moved to
 *      state/<prefix>/<name>.tfstate beside the output folder (lib/state.ts); a conflict stops here, nothing lost;
 *      files the old offline tier left in stack folders (an override with dummy credentials) are removed;
 *   2. stack folders of stacks this config does not have are removed (no state is inside them any more);
 *   3. <outdir>/tributary-manifest.json records the config (path, sha256), its prefix and every stack's region
 *      and content hash, which plan/apply/deploy check (lib/manifest.ts).
 */
import './lib/fast-synth.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from './config/index.js';
import { pruneStaleStacks, writeManifest } from './lib/manifest.js';
import { migrateLegacyState, prefixOfSynthesizedStack, removeOfflineLeftovers } from './lib/state.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './stacks/index.js';

const started = performance.now();
const configPath = process.env.TRIBUTARY_CONFIG || DEFAULT_CONFIG_PATH;
const outdir = process.env.CDKTF_OUTDIR || 'cdktf.out';
const underCdktf = !!process.env.CDKTF_CONTEXT_JSON;
let config;
try {
  config = loadConfig(configPath);
} catch (err) {
  console.error(`tributary: ${(err as Error).message}`);
  process.exit(2);
}
try {
  // Before app.synth() rewrites cdk.tf.json: the old output tells which prefix a legacy state file belongs to.
  const moved = migrateLegacyState(outdir, (name) => prefixOfSynthesizedStack(join(outdir, 'stacks', name)));
  for (const m of moved) console.error(`tributary: moved the local state of ${m.stack}: ${m.from} -> ${m.to}`);
} catch (err) {
  console.error(`tributary: ${(err as Error).message}`);
  process.exit(3);
}
const leftovers = removeOfflineLeftovers(outdir);
if (leftovers.length) console.error(`tributary: removed ${leftovers.length} files the old offline check left in stack folders (override with dummy credentials, offline plan)`);
mkdirSync(outdir, { recursive: true }); // cdktf's App creates only the last level
const { app, stacks } = buildApp(config, outdir);
app.synth();
const { removed, kept } = pruneStaleStacks(outdir, new Set(stacks.map((s) => s.stackName)));
if (removed.length) {
  const list = removed.length > 8 ? `${removed.slice(0, 8).join(', ')} and ${removed.length - 8} more` : removed.join(', ');
  console.error(`tributary: removed ${removed.length} stack folders that ${configPath} does not have: ${list}`);
}
if (kept.length) console.error(`tributary: kept stack folders not in the config because they hold a state file: ${kept.join(', ')}`);
writeManifest(outdir, {
  configPath,
  prefix: config.prefix,
  environment: config.environment,
  backend: config.backend.type,
  stacks: stacks.map((s) => ({ name: s.stackName, region: s.region })),
});
if (!underCdktf) {
  // Under `cdktf synth/deploy` the CLI prints its own summary.
  console.log(`synthesized ${stacks.length} stacks of ${configPath} into ${app.outdir} in ${Math.round(performance.now() - started)} ms`);
}
