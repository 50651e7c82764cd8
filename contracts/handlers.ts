/**
 * Where each Lambda's code lives and what its zip is called. A handler is the folder
 * handlers/<pipeline>/<function>/ with an index.ts; `make build` bundles it into dist/handlers/<zip>.zip, where
 * <zip> is the pipeline's zip prefix and the folder name ("ams" + "fan-out" -> "ams-fan-out"). Stacks name a
 * handler by its zip name. The zip names predate the per-pipeline folders and name the Lambda assets in every
 * synthesized stack, so they never change.
 */
export const HANDLER_PIPELINES = {
  ams: 'ams',
  'buy-with-prime': 'bwp',
  clickstream: 'clickstream',
  'client-events': 'client-events',
} as const;

export type HandlerPipeline = keyof typeof HANDLER_PIPELINES;

/** The zip name of handlers/<pipeline>/<fn>/. */
export function handlerZipName(pipeline: HandlerPipeline, fn: string): string {
  return `${HANDLER_PIPELINES[pipeline]}-${fn}`;
}

/** The folder (relative to handlers/) of the handler zipped as `zipName`, or undefined for an unknown name. */
export function handlerFolder(zipName: string): string | undefined {
  for (const [pipeline, prefix] of Object.entries(HANDLER_PIPELINES)) {
    if (zipName.startsWith(`${prefix}-`)) return `${pipeline}/${zipName.slice(prefix.length + 1)}`;
  }
  return undefined;
}
