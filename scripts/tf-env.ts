/**
 * Terraform environment of the offline tier: the binary (TF_CHECK_TERRAFORM, default `terraform` on PATH; `tofu`
 * works too), the provider source (a filesystem mirror of hashicorp/aws when this machine has one, the public
 * registry otherwise), one CLI config and one shared plugin cache, and the dummy-credential environment.
 * CLI config keys: developer.hashicorp.com/terraform/cli/config/config-file (provider_installation,
 * plugin_cache_dir, plugin_cache_may_break_dependency_lock_file, disable_checkpoint).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROVIDER = 'registry.terraform.io/hashicorp/aws';

export function terraformBinary(): string {
  return process.env.TF_CHECK_TERRAFORM || 'terraform';
}

export function mirrorCandidates(): string[] {
  return [
    process.env.TF_PROVIDER_MIRROR,
    '/opt/tf-plugins',
    '/usr/share/terraform/plugins',
    '/usr/local/share/terraform/plugins',
    join(process.env.HOME ?? '/root', '.terraform.d', 'plugins'),
    join(process.env.HOME ?? '/root', '.local', 'share', 'terraform', 'plugins'),
  ].filter((p): p is string => !!p);
}

export function findMirror(): string | undefined {
  return mirrorCandidates().find((dir) => existsSync(join(dir, PROVIDER)));
}

/** A CLI config: the filesystem mirror for hashicorp/aws when present, the registry for the rest. */
export function writeCliConfig(toolsDir: string, pluginCache: string, mirror: string | undefined): string {
  mkdirSync(toolsDir, { recursive: true });
  mkdirSync(pluginCache, { recursive: true });
  const path = join(toolsDir, 'terraformrc');
  const installation = mirror
    ? `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["${PROVIDER}"]\n  }\n  direct {\n    exclude = ["${PROVIDER}"]\n  }\n}\n`
    : '';
  // Generated root modules have no lock file, so Terraform >= 1.4 would ignore the cache and install the provider
  // into it again on every init (parallel inits then race on the cache directory). Linking from the cache is safe
  // here: it is filled from the same mirror or registry, and the lock file it writes is thrown away with the folder.
  writeFileSync(
    path,
    `plugin_cache_dir = "${pluginCache}"\nplugin_cache_may_break_dependency_lock_file = true\ndisable_checkpoint = true\n${installation}`,
  );
  return path;
}

/**
 * Environment for every terraform process: dummy credentials only, no profile, no metadata service. GOGC=400
 * (unless set) for terraform and the provider processes it starts (they inherit its environment): both hold the
 * large hashicorp/aws schema and spend much of a plan in the Go garbage collector. Measured on a 10-stack root
 * module: CPU 15.2 s -> 12.3 s (-20 %), summed anonymous memory 1.0 -> 1.4 GB; GOGC=800 saved 5 % more for
 * +30 % memory, GOGC=off grew one process to 1.5 GB.
 */
export function offlineEnv(cliConfig: string, pluginCache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_PLUGIN_CACHE_DIR: pluginCache,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'AKIAOFFLINEPLAN00000',
    AWS_SECRET_ACCESS_KEY: 'offline-plan-dummy-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    GOGC: process.env.GOGC || '400',
  };
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'TF_DATA_DIR', 'TF_WORKSPACE']) {
    delete env[k];
  }
  for (const k of Object.keys(env)) if (k.startsWith('TF_CLI_ARGS')) delete env[k];
  return env;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => res({ code: 127, stdout, stderr: stderr + String(err) }));
    child.on('close', (code) => res({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Why the tier cannot run here, or undefined when it can: no terraform binary, or no provider mirror and no
 * reachable registry.
 */
export async function unavailableReason(mirror: string | undefined): Promise<string | undefined> {
  const bin = terraformBinary();
  const probe = await run(bin, ['version'], process.cwd(), process.env);
  if (probe.code !== 0) {
    return `"${bin}" is not installed or not on PATH (${(probe.stderr || probe.stdout).trim().split('\n')[0]}): install Terraform >= 1.10, or set TF_CHECK_TERRAFORM`;
  }
  if (mirror) return undefined;
  try {
    const r = await fetch('https://registry.terraform.io/v1/providers/hashicorp/aws/versions', { signal: AbortSignal.timeout(8000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return undefined;
  } catch (err) {
    return `no filesystem mirror of ${PROVIDER} (looked in ${mirrorCandidates().join(', ')}; set TF_PROVIDER_MIRROR) and the Terraform registry is unreachable (${(err as Error).message})`;
  }
}
