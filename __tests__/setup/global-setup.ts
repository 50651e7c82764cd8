import { buildHandlers, handlerNames } from '../../scripts/build-handlers.js';

/**
 * Synth tests reference the handler zips, so build them once (unchanged zips are not rewritten). A handler
 * that does not build is reported here and left out; the synth tests that need its zip then fail with a
 * message naming it.
 */
export default async function setup(): Promise<void> {
  const results = await Promise.allSettled(handlerNames().map((name) => buildHandlers([name])));
  for (const r of results) {
    if (r.status === 'rejected') console.error(`handler build failed: ${(r.reason as Error).message}`);
  }
}
