/**
 * Bundles every handlers/<pipeline>/<function>/index.ts with esbuild (ESM, node22, AWS SDK bundled) and writes a
 * deterministic dist/handlers/<zip name>.zip (contracts/handlers.ts names it, e.g. handlers/ams/fan-out ->
 * ams-fan-out.zip) (one entry, index.mjs, fixed timestamp): the same source always gives
 * the same bytes, so Terraform's source_code_hash only changes when the code does. Zips whose bytes did not
 * change are not rewritten.
 *
 *   tsx scripts/build-handlers.ts [zip name ...]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinModules, createRequire } from 'node:module';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { ZipFile } from 'yazl';
import { HANDLER_PIPELINES, handlerFolder, handlerZipName, type HandlerPipeline } from '../contracts/handlers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HANDLERS_DIR = join(ROOT, 'handlers');
export const OUT_DIR = join(ROOT, 'dist', 'handlers');
/** Every zip entry carries this timestamp (DOS time cannot go before 1980). */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

/**
 * The zip names of every handler: each handlers/<pipeline>/<function>/ folder with an index.ts. A pipeline folder
 * that contracts/handlers.ts does not know is an error (its zips would have no name).
 */
export function handlerNames(): string[] {
  const names: string[] = [];
  for (const p of readdirSync(HANDLERS_DIR, { withFileTypes: true })) {
    if (!p.isDirectory()) continue;
    const functions = readdirSync(join(HANDLERS_DIR, p.name), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(HANDLERS_DIR, p.name, d.name, 'index.ts')));
    if (functions.length === 0) continue;
    if (!(p.name in HANDLER_PIPELINES)) {
      throw new Error(`handlers/${p.name}/ holds Lambda handlers but contracts/handlers.ts gives the pipeline no zip prefix`);
    }
    for (const d of functions) names.push(handlerZipName(p.name as HandlerPipeline, d.name));
  }
  return names.sort();
}

/** The entry file of the handler zipped as `name`. */
export function handlerEntry(name: string): string {
  const folder = handlerFolder(name);
  const entry = folder && join(HANDLERS_DIR, folder, 'index.ts');
  if (!entry || !existsSync(entry)) throw new Error(`no handler is zipped as ${name} (handlers/<pipeline>/<function>/index.ts)`);
  return entry;
}

/**
 * Node built-ins are loaded through `require` (the banner's `createRequire`), never as ES modules. On Node 22 an
 * ES-module import of a built-in (`import http from 'node:http'`, also `await import('node:http')`) builds a
 * module namespace from every export, which runs node:http's lazy getters and loads the bundled undici
 * (nodejs/node#59686: about 12 % of an SDK handler's import). Each static or dynamic import of a built-in becomes
 * a tiny CommonJS module `module.exports = require('node:x')`; esbuild's interop then reads named imports as
 * properties when they are used.
 */
export const builtinsThroughRequire: Plugin = {
  name: 'builtins-through-require',
  setup(b) {
    const names = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/\\^$*+?.()|[\]{}-]/g, '\\$&'));
    const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import' ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-require' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-require' }, (args) => ({ contents: builtinModuleSource(args.path), loader: 'js' }));
  },
};

/**
 * Built-ins loaded on first use instead of at import. node:crypto costs about 20 M instructions to load (a fifth
 * of `node -e 0`), and the SDK-free transform imports it only through Powertools Logger, whose `randomInt` runs
 * only when debug-log sampling is configured.
 */
export const LAZY_BUILTINS: ReadonlySet<string> = new Set(['crypto']);

/**
 * The CommonJS stand-in for a built-in: `module.exports = require('node:x')`, or for a lazy one an object with a
 * getter per export of the built-in (names read from this Node, the runtime's major version), each requiring it on
 * first access. esbuild's ESM interop copies getters as getters, so `import { randomInt } from 'node:crypto'`
 * loads node:crypto when randomInt is first read, not when the bundle is imported.
 */
export function builtinModuleSource(name: string): string {
  const id = JSON.stringify(`node:${name}`);
  if (!LAZY_BUILTINS.has(name)) return `module.exports = require(${id});`;
  const keys = Object.keys(createRequire(import.meta.url)(`node:${name}`) as object).filter((k) => k !== 'default');
  const getters = keys.map((k) => `get ${JSON.stringify(k)}() { return load()[${JSON.stringify(k)}]; }`).join(',\n');
  return `let loaded;\nconst load = () => (loaded ??= require(${id}));\nmodule.exports = {\n${getters}\n};`;
}

/**
 * Lambda supplies a function's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime), so a
 * handler bundle needs only the environment provider: every SDK client's default chain
 * (`@aws-sdk/credential-provider-node`: env, SSO, ini, process, web identity, container and instance metadata,
 * about 125 KB) is replaced by handlers/shared/env-credentials.ts. Only handler bundles get this; the CLIs and the
 * tests run the source with the full chain.
 */
export const ENV_CREDENTIALS_MODULE = join(HANDLERS_DIR, 'shared', 'env-credentials.ts');
export const environmentCredentialsOnly: Plugin = {
  name: 'environment-credentials-only',
  setup(b) {
    b.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: ENV_CREDENTIALS_MODULE }));
  },
};

export const ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  legalComments: 'none',
  treeShaking: true,
  write: false,
  charset: 'utf8',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [builtinsThroughRequire, environmentCredentialsOnly],
};

export async function bundle(name: string): Promise<Buffer> {
  const result = await build({ ...ESBUILD_OPTIONS, entryPoints: [handlerEntry(name)], outfile: 'index.mjs' });
  return Buffer.from(result.outputFiles![0].contents);
}

export function zip(files: { name: string; data: Buffer }[]): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const z = new ZipFile();
    for (const f of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
      z.addBuffer(f.data, f.name, { mtime: FIXED_MTIME, mode: 0o100644, compress: true });
    }
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolvePromise(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
    z.end();
  });
}

export interface BuiltHandler {
  name: string;
  bundleBytes: number;
  zipBytes: number;
  path: string;
  changed: boolean;
}

export async function buildHandlers(names = handlerNames()): Promise<BuiltHandler[]> {
  mkdirSync(OUT_DIR, { recursive: true });
  return Promise.all(
    names.map(async (name) => {
      const code = await bundle(name);
      const data = await zip([{ name: 'index.mjs', data: code }]);
      const path = join(OUT_DIR, `${name}.zip`);
      const changed = !existsSync(path) || !readFileSync(path).equals(data);
      if (changed) {
        // Write then rename: a reader (terraform, a test, another build) never sees half a zip.
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, data);
        renameSync(tmp, path);
      }
      return { name, bundleBytes: code.length, zipBytes: data.length, path, changed };
    }),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  const started = performance.now();
  const built = await buildHandlers(names.length ? names : undefined);
  for (const b of built) {
    console.log(`${b.changed ? 'built    ' : 'unchanged'} ${b.name.padEnd(28)} bundle ${(b.bundleBytes / 1024).toFixed(1)} KB  zip ${(b.zipBytes / 1024).toFixed(1)} KB`);
  }
  console.log(`${built.length} handler zips in ${Math.round(performance.now() - started)} ms -> ${OUT_DIR}`);
}
