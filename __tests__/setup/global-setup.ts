import { buildHandlers } from '../../scripts/build-handlers.js';

/** Synth tests reference the handler zips, so build them once (unchanged zips are not rewritten). */
export default async function setup(): Promise<void> {
  await buildHandlers();
}
