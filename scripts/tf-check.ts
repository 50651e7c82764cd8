/**
 * Offline Terraform tier: for every synthesized stack (or those named), `terraform init -backend=false`,
 * `terraform validate` and `terraform plan` with dummy credentials, several stacks at a time, sharing one
 * provider plugin cache. Uses the machine's filesystem mirror of hashicorp/aws when there is one (no
 * network needed) and the public registry otherwise. Fails if any stack fails.
 *
 *   tsx scripts/tf-check.ts [--validate-only] [--jobs N] [--outdir cdktf.out] [stack ...]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  options: {
    'validate-only': { type: 'boolean', default: false },
    jobs: { type: 'string' },
    outdir: { type: 'string', default: 'cdktf.out' },
  },
  allowPositionals: true,
});

const ROOT = process.cwd();
const STACKS_DIR = resolve(ROOT, values.outdir!, 'stacks');
const TOOLS = resolve(ROOT, '.tools');
const PLUGIN_CACHE = process.env.TF_PLUGIN_CACHE_DIR || join(TOOLS, 'terraform-plugin-cache');
const PROVIDER = 'registry.terraform.io/hashicorp/aws';
const MIRROR_CANDIDATES = [
  process.env.TF_PROVIDER_MIRROR,
  '/opt/tf-plugins',
  '/usr/share/terraform/plugins',
  '/usr/local/share/terraform/plugins',
  join(process.env.HOME ?? '/root', '.terraform.d', 'plugins'),
  join(process.env.HOME ?? '/root', '.local', 'share', 'terraform', 'plugins'),
].filter((p): p is string => !!p);

function findMirror(): string | undefined {
  return MIRROR_CANDIDATES.find((dir) => existsSync(join(dir, PROVIDER)));
}

/** A CLI config: the filesystem mirror for hashicorp/aws when present, the registry for the rest. */
function writeCliConfig(mirror: string | undefined): string {
  mkdirSync(TOOLS, { recursive: true });
  mkdirSync(PLUGIN_CACHE, { recursive: true });
  const path = join(TOOLS, 'terraformrc');
  const installation = mirror
    ? `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["${PROVIDER}"]\n  }\n  direct {\n    exclude = ["${PROVIDER}"]\n  }\n}\n`
    : '';
  // Without a lock file (synthesized stacks have none) Terraform >= 1.4 ignores the cache and installs the provider
  // into it again on every init, so parallel inits race on the cache directory ("mkdir ...: file exists"). Letting
  // it link from the cache is safe here: the cache is filled from the same mirror or registry, and the lock file it
  // writes stays in the throwaway synthesized folder.
  writeFileSync(
    path,
    `plugin_cache_dir = "${PLUGIN_CACHE}"\nplugin_cache_may_break_dependency_lock_file = true\ndisable_checkpoint = true\n${installation}`,
  );
  return path;
}

/**
 * Makes plan possible without an AWS account or remote state: an override file merged into the provider block
 * (dummy credentials, no AWS calls at plan time) that also replaces any backend with a local one inside the
 * stack folder, so a stack configured for an S3 backend is planned offline too.
 */
function writeOfflineOverride(dir: string): void {
  writeFileSync(
    join(dir, 'zz_offline_override.tf.json'),
    JSON.stringify(
      {
        terraform: { backend: { local: { path: 'offline.tfstate' } } },
        provider: {
          aws: [
            {
              skip_credentials_validation: true,
              skip_requesting_account_id: true,
              skip_metadata_api_check: true,
              skip_region_validation: true,
              access_key: 'AKIAOFFLINEPLAN00000',
              secret_key: 'offline-plan-dummy-secret',
            },
          ],
        },
      },
      null,
      2,
    ),
  );
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => res({ code: 127, output: String(err) }));
    child.on('close', (code) => res({ code: code ?? 1, output }));
  });
}

async function checkStack(name: string, env: NodeJS.ProcessEnv): Promise<{ name: string; ok: boolean; log: string; ms: number }> {
  const dir = join(STACKS_DIR, name);
  const started = performance.now();
  writeOfflineOverride(dir);
  const steps: [string, string[]][] = [
    // With --validate-only no backend is needed; plan needs one, which the override makes local.
    ['init', ['init', ...(values['validate-only'] ? ['-backend=false'] : []), '-input=false', '-no-color']],
    ['validate', ['validate', '-no-color']],
  ];
  if (!values['validate-only']) {
    steps.push(['plan', ['plan', '-input=false', '-no-color', '-lock=false', '-refresh=false', '-out=offline.tfplan']]);
  }
  let log = '';
  for (const [step, args] of steps) {
    let r = await run('terraform', args, dir, env);
    log += `$ terraform ${args.join(' ')}\n${r.output}\n`;
    if (step === 'init' && r.code !== 0 && /Failed to install provider/.test(r.output)) {
      // Another init was writing the same plugin cache entry at that moment: once more, now that it is there.
      r = await run('terraform', args, dir, env);
      log += `$ terraform ${args.join(' ')}   (retry)\n${r.output}\n`;
    }
    if (r.code !== 0) return { name, ok: false, log: `${step} failed\n${log}`, ms: performance.now() - started };
  }
  return { name, ok: true, log, ms: performance.now() - started };
}

async function main(): Promise<void> {
  if (!existsSync(STACKS_DIR)) throw new Error(`${STACKS_DIR} does not exist: run "make synth" first`);
  const probe = await run('terraform', ['version'], ROOT, process.env);
  if (probe.code !== 0) throw new Error('terraform is not installed or not on PATH: install Terraform >= 1.10 (or set PATH)');
  const all = readdirSync(STACKS_DIR).filter((n) => existsSync(join(STACKS_DIR, n, 'cdk.tf.json'))).sort();
  const unknown = positionals.filter((p) => !all.includes(p));
  if (unknown.length) throw new Error(`no synthesized stack named ${unknown.join(', ')}; have: ${all.join(', ')}`);
  const names = positionals.length ? positionals : all;

  const mirror = findMirror();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: writeCliConfig(mirror),
    TF_PLUGIN_CACHE_DIR: PLUGIN_CACHE,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'AKIAOFFLINEPLAN00000',
    AWS_SECRET_ACCESS_KEY: 'offline-plan-dummy-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;

  // About 600 MB per terraform process; leave headroom.
  const byMemory = Math.max(1, Math.floor(freemem() / (900 * 1024 * 1024)));
  const jobs = Number(values.jobs ?? Math.min(byMemory, Math.max(2, availableParallelism() + 1)));
  console.log(
    `terraform ${values['validate-only'] ? 'validate' : 'validate + plan'}: ${names.length} stacks, ${jobs} at a time, provider from ${mirror ? `mirror ${mirror}` : 'the registry'}`,
  );

  // The first init fills the plugin cache; the rest link from it.
  const queue = [...names];
  const results: Awaited<ReturnType<typeof checkStack>>[] = [];
  const first = queue.shift()!;
  results.push(await checkStack(first, env));
  report(results[0]);
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const r = await checkStack(name, env);
        results.push(r);
        report(r);
      }
    }),
  );
  const failed = results.filter((r) => !r.ok);
  for (const f of failed) console.error(`\n----- ${f.name} -----\n${f.log}`);
  console.log(`terraform: ${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) process.exit(1);
}

function report(r: { name: string; ok: boolean; ms: number }): void {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${(r.ms / 1000).toFixed(1)} s)`);
}

main().catch((err) => {
  console.error(`tf-check: ${(err as Error).message}`);
  process.exit(1);
});
