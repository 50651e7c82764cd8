/**
 * Tributary's cdktf app: loads and validates the config (config/default.json, or the file named by
 * TRIBUTARY_CONFIG), then synthesizes every configured stack to cdktf.out/stacks/<name>/cdk.tf.json.
 * Run it with `make synth` (plain tsx, no cdktf CLI) or through `cdktf synth|deploy`.
 */
import './lib/fast-synth.js';
import { loadConfig } from './config/index.js';
import { buildApp } from './stacks/index.js';

const started = performance.now();
let config;
try {
  config = loadConfig();
} catch (err) {
  console.error(`tributary: ${(err as Error).message}`);
  process.exit(2);
}
const { app, stacks } = buildApp(config, process.env.CDKTF_OUTDIR || 'cdktf.out');
app.synth();
if (!process.env.CDKTF_CONTEXT_JSON) {
  // Under `cdktf synth/deploy` the CLI prints its own summary.
  console.log(`synthesized ${stacks.length} stacks into ${app.outdir} in ${Math.round(performance.now() - started)} ms`);
}
