/**
 * The cdktf CLI's app (cdktf.json "app"): rebuilds the handler zips whose code changed, then synthesizes, so
 * `cdktf synth`/`cdktf deploy` never ship stale Lambda code. build-handlers skips zips whose bytes did not change
 * (one esbuild bundle per handler, no cdktf ARCHIVE assets), so an unchanged tree costs only the bundling time.
 *
 *   npx tsx scripts/cdktf-app.ts      (what `cdktf synth|deploy|diff` run; also works by hand)
 */
import { buildHandlers } from './build-handlers.js';

const built = await buildHandlers();
const rebuilt = built.filter((b) => b.changed).map((b) => b.name);
if (rebuilt.length) console.error(`tributary: rebuilt handler zips: ${rebuilt.join(', ')}`);
await import('../main.js');
