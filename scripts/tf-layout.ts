/**
 * Layout of the offline Terraform tier (scripts/tf-check.ts): turns synthesized stacks into child modules of
 * generated root modules in a throwaway folder, without writing anything into the synthesized folders.
 *
 * Terraform facts this relies on (developer.hashicorp.com/terraform/language):
 * - modules/develop/providers: a child module may keep its own `provider` block ("legacy" but supported) as long
 *   as the module call has no count/for_each/depends_on; each stack keeps its own provider, so its own region.
 * - settings/backends: a backend is only read in the root module, so the copy drops it.
 * - The offline provider settings are merged into the copy's provider blocks (they win over the stack's own values,
 *   as an override file would). An override file (files/override) was tried first: Terraform 1.11 then reports each
 *   child's provider as a "Redundant empty provider block" (the merged JSON body reads as empty to that check,
 *   configs/provider_validation.go), although region and default_tags stay in effect (measured with aws_region).
 * - functions/file + expressions/references (path.module): relative paths in file functions resolve against the
 *   working directory of the run (the root module), so a stack's "assets/..." paths are rewritten to
 *   "${path.module}/assets/..." in the copy; the assets themselves are reached through a symlink to the stack's
 *   own assets folder (read only).
 * - Providers (issue 17): every provider configuration is its own plugin process, which loads the AWS provider's
 *   schema and configures itself: about 1 s of CPU and 0.12 GB each, measured on 20 stacks (16.5 s with a provider
 *   per stack, 8.4 s with one per region). Stacks whose only provider is one unaliased `aws` block therefore share
 *   one root provider per distinct block (region and every other argument equal), passed in with the module call's
 *   `providers` map (modules/develop/providers#passing-providers-explicitly). A stack's own `default_tags` (they
 *   name the stack, so they differ for each) cannot ride along on a shared provider: they are checked against the
 *   provider's own schema (`terraform providers schema -json`) by checkProviderBlock instead. Any other provider
 *   shape keeps the stack's own block.
 */
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Terraform JSON as cdktf writes it (cdk.tf.json). */
export type TfJson = Record<string, unknown> & {
  terraform?: Record<string, unknown>;
  provider?: Record<string, Record<string, unknown>[] | Record<string, unknown>>;
  resource?: Record<string, Record<string, Record<string, unknown>>>;
};

/** Dummy credentials and no AWS calls at plan time (the same settings the old per-folder tier used). */
export const OFFLINE_AWS_SETTINGS = {
  access_key: 'AKIAOFFLINEPLAN00000',
  secret_key: 'offline-plan-dummy-secret',
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
} as const;

/**
 * cdktf asset paths: `assets/<construct>_<hash8>/<HASH32>` (a FILE asset adds `/<file name>`). Only strings of this
 * shape are rewritten, at the start of a string or right after a quote inside an expression
 * (`${filebase64sha256("assets/...")}`), so an S3 key or a description that merely says "assets/" is left alone.
 */
const ASSET_PATH = /(^|")(assets\/[^"/\s]+\/[0-9A-F]{32})(?=[/"]|$)/g;

export function rewriteAssetPaths(value: string): string {
  return value.replace(ASSET_PATH, (_m, lead: string, path: string) => `${lead}\${path.module}/${path}`);
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

/**
 * The stack as a child module: no backend (root-only), asset paths relative to the module, the offline settings in
 * every aws provider block (each keeps its region, alias, default_tags and the rest), or, with `providerFromRoot`, no
 * provider block (the module call passes a shared one in). Every other block is as synth wrote it.
 */
export function moduleJson(stack: TfJson, providerFromRoot = false): TfJson {
  const copy = mapStrings(stack, rewriteAssetPaths) as TfJson;
  if (copy.terraform) {
    const { backend: _backend, cloud: _cloud, ...rest } = copy.terraform;
    copy.terraform = rest;
  }
  if (providerFromRoot) {
    delete copy.provider;
    return copy;
  }
  const aws = copy.provider?.aws;
  if (aws) {
    copy.provider!.aws = Array.isArray(aws) ? aws.map((b) => ({ ...b, ...OFFLINE_AWS_SETTINGS })) : { ...aws, ...OFFLINE_AWS_SETTINGS };
  }
  return copy;
}

/** JSON with object keys sorted at every level: equal configurations give equal keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * When the stack can use a shared root provider (its only provider is one unaliased `aws` block): its own block
 * (`own`, default_tags included), the block the shared provider is made of (`block`: without default_tags) and the
 * key equal blocks share. Undefined when the stack keeps its own block.
 */
export function sharedProvider(stack: TfJson): { key: string; block: Record<string, unknown>; own: Record<string, unknown> } | undefined {
  const providers = stack.provider ?? {};
  if (Object.keys(providers).length !== 1 || !providers.aws) return undefined;
  const blocks = Array.isArray(providers.aws) ? providers.aws : [providers.aws];
  if (blocks.length !== 1 || 'alias' in blocks[0]) return undefined;
  const { default_tags: _defaultTags, ...block } = blocks[0];
  return { key: canonical(block), block, own: blocks[0] };
}

/** The provider configuration block of `terraform providers schema -json` (the parts this check reads). */
export interface SchemaBlock {
  attributes?: Record<string, { type?: unknown; required?: boolean }>;
  block_types?: Record<string, { nesting_mode: string; block: SchemaBlock; min_items?: number; max_items?: number }>;
}

/** Does a JSON value fit a Terraform type (cty type JSON: "string", ["map", "string"], ...)? Expressions fit any. */
function fitsType(value: unknown, type: unknown): boolean {
  if (typeof value === 'string' && value.includes('${')) return true;
  if (value === null) return true;
  if (type === 'dynamic') return true;
  if (type === 'string') return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (type === 'number') return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)));
  if (type === 'bool') return typeof value === 'boolean' || value === 'true' || value === 'false';
  if (Array.isArray(type)) {
    const [kind, inner] = type as [string, unknown];
    if (kind === 'map') return typeof value === 'object' && !Array.isArray(value) && Object.values(value as object).every((x) => fitsType(x, inner));
    if (kind === 'list' || kind === 'set') return Array.isArray(value) && value.every((x) => fitsType(x, inner));
    if (kind === 'object') {
      const fields = inner as Record<string, unknown>;
      return typeof value === 'object' && !Array.isArray(value) && Object.entries(value as object).every(([k, x]) => k in fields && fitsType(x, fields[k]));
    }
  }
  return false;
}

/**
 * What Terraform would refuse in a provider block, checked against the provider's own schema: arguments the
 * schema lacks, values of the wrong type, nested blocks given the wrong number of times, missing required arguments.
 * Returns one message per problem (empty when the block is valid).
 */
export function checkProviderBlock(block: Record<string, unknown>, schema: SchemaBlock, path = 'provider.aws'): string[] {
  const errors: string[] = [];
  const attributes = schema.attributes ?? {};
  const blockTypes = schema.block_types ?? {};
  for (const [key, value] of Object.entries(block)) {
    if (key === 'alias' && path === 'provider.aws') continue;
    if (key in attributes) {
      if (!fitsType(value, attributes[key].type)) errors.push(`${path}.${key}: ${JSON.stringify(value)} is not a ${JSON.stringify(attributes[key].type)}`);
    } else if (key in blockTypes) {
      const t = blockTypes[key];
      const items = Array.isArray(value) ? value : [value];
      if (t.max_items !== undefined && items.length > t.max_items) errors.push(`${path}.${key}: at most ${t.max_items} block(s), got ${items.length}`);
      if (t.min_items !== undefined && items.length < t.min_items) errors.push(`${path}.${key}: at least ${t.min_items} block(s), got ${items.length}`);
      items.forEach((item, i) => {
        if (!item || typeof item !== 'object' || Array.isArray(item)) errors.push(`${path}.${key}[${i}]: a block must be an object`);
        else errors.push(...checkProviderBlock(item as Record<string, unknown>, t.block, `${path}.${key}[${i}]`));
      });
    } else errors.push(`${path}: the provider schema has no argument or block "${key}" here`);
  }
  for (const [key, a] of Object.entries(attributes)) if (a.required && !(key in block)) errors.push(`${path}: the argument "${key}" is required`);
  return errors;
}

/** Managed resource addresses (type.name) a stack declares; `counted` holds those with count/for_each. */
export function declaredResources(stack: TfJson): { all: string[]; counted: Set<string> } {
  const all: string[] = [];
  const counted = new Set<string>();
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, body] of Object.entries(byName ?? {})) {
      const addr = `${type}.${name}`;
      all.push(addr);
      if (body && typeof body === 'object' && ('count' in body || 'for_each' in body)) counted.add(addr);
    }
  }
  return { all: all.sort(), counted };
}

/**
 * For pretty-printed JSON (JSON.stringify(x, null, 2)): the configuration object each line belongs to
 * ("aws_sqs_queue.q", "data.aws_region.r", "output.o", "provider.aws", ...), so a diagnostic that carries only a
 * file range still names its resource. Index 0 is line 1.
 */
export function lineOwners(text: string): (string | undefined)[] {
  const path: string[] = [];
  return text.split('\n').map((line) => {
    const m = /^( *)"((?:[^"\\]|\\.)*)":/.exec(line);
    if (m) {
      const depth = m[1].length / 2 - 1;
      path.length = Math.max(0, depth);
      path[depth] = JSON.parse(`"${m[2]}"`) as string;
    } else if (/^ *[}\]],?$/.test(line)) {
      const depth = line.indexOf(line.trim()) / 2;
      path.length = Math.min(path.length, Math.max(0, depth));
    }
    const [top, a, b] = path;
    if (top === 'resource' && a && b) return `${a}.${b}`;
    if (top === 'data' && a && b) return `data.${a}.${b}`;
    if ((top === 'output' || top === 'variable' || top === 'locals' || top === 'module') && a) return `${top}.${a}`;
    if (top === 'provider' && a) return `provider.${a}`;
    return top;
  });
}

/** A stack name Terraform accepts as a module name as it is (so diagnostics read module.<stack>), else a safe one. */
export function moduleName(stack: string, index: number): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(stack) ? stack : `stack_${index}_${stack.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export interface ShardStack {
  /** Stack name (folder under <outdir>/stacks). */
  readonly name: string;
  /** Module name in the generated root module (also its folder under stacks/ there). */
  readonly module: string;
  /** The synthesized stack folder (read only). */
  readonly dir: string;
  readonly json: TfJson;
  /** Line -> configuration object of the module's cdk.tf.json copy. */
  owners: (string | undefined)[];
}

/**
 * Writes one generated root module into `root`: main.tf.json calling each stack as `module.<name>` from
 * ./stacks/<name>, each holding the rewritten cdk.tf.json and a symlink to the stack's assets folder, and the
 * shared provider blocks. Returns how many provider configurations (plugin processes) the plan will start.
 */
export function writeShard(root: string, stacks: ShardStack[]): { providers: number } {
  mkdirSync(join(root, 'stacks'), { recursive: true });
  const modules: Record<string, { source: string; providers?: Record<string, string> }> = {};
  const shared = new Map<string, Record<string, unknown>>();
  let ownProviders = 0;
  let requiredAws: unknown;
  for (const s of stacks) {
    const dir = join(root, 'stacks', s.module);
    mkdirSync(dir, { recursive: true });
    const provider = sharedProvider(s.json);
    if (!provider) ownProviders++;
    const text = `${JSON.stringify(moduleJson(s.json, provider !== undefined), null, 2)}\n`;
    writeFileSync(join(dir, 'cdk.tf.json'), text);
    s.owners = lineOwners(text);
    if (existsSync(join(s.dir, 'assets'))) symlinkSync(join(s.dir, 'assets'), join(dir, 'assets'), 'dir');
    modules[s.module] = { source: `./stacks/${s.module}` };
    if (provider) {
      if (!shared.has(provider.key)) shared.set(provider.key, { ...provider.block, ...OFFLINE_AWS_SETTINGS, alias: `shared_${shared.size + 1}` });
      modules[s.module].providers = { aws: `aws.${shared.get(provider.key)!.alias as string}` };
      requiredAws ??= (s.json.terraform?.required_providers as Record<string, unknown> | undefined)?.aws;
    }
  }
  const main: Record<string, unknown> = { '//': 'Generated by scripts/tf-check.ts for an offline plan; thrown away after the run.' };
  if (shared.size) {
    main.terraform = { required_providers: { aws: requiredAws ?? { source: 'hashicorp/aws' } } };
    main.provider = { aws: [...shared.values()] };
  }
  main.module = modules;
  writeFileSync(join(root, 'main.tf.json'), `${JSON.stringify(main, null, 2)}\n`);
  return { providers: shared.size + ownProviders };
}

/** Splits stacks into `n` shards of about equal resource count (largest first onto the lightest shard). */
export function balance<T>(items: T[], n: number, weight: (t: T) => number): T[][] {
  const shards = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, () => ({ w: 0, items: [] as T[] }));
  for (const it of [...items].sort((a, b) => weight(b) - weight(a))) {
    const lightest = shards.reduce((a, b) => (b.w < a.w ? b : a));
    lightest.items.push(it);
    lightest.w += weight(it);
  }
  return shards.map((s) => s.items).filter((s) => s.length > 0);
}
