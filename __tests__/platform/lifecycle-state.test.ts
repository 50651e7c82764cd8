/**
 * State is never inside generated output, and one environment per config (issue 10, steps 1-3).
 *
 * Contracts: Terraform's local backend (developer.hashicorp.com/terraform/language/backend/local) resolves `path`
 * against the working directory terraform runs in, which for `make` and for `cdktf deploy` is the stack folder
 * (cdktf's manifest.json `workingDirectory`); Terraform remembers the initialized backend in
 * `.terraform/terraform.tfstate` and stops `init` with "Backend configuration changed" when it differs. The cdktf
 * CLI (packages/@cdktf/cli-core/src/lib/synth-stack.ts) deletes stack folders the app no longer synthesizes,
 * whatever is inside them.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../lib/paths.js';
import { MANIFEST_FILE, type Manifest } from '../../lib/manifest.js';
import { localStatePath, migrateLegacyState } from '../../lib/state.js';
import { hasTerraform, lifecycle, run, synth, tempProject, TSX, writeConfig } from '../helpers/lifecycle.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(): { dir: string; out: string } {
  const dir = tempProject();
  dirs.push(dir);
  return { dir, out: join(dir, 'cdktf.out') };
}

const ONE = { prefix: 'tlc', ams: { datasets: ['sp-traffic'], regions: ['NA'] } };
const TWO = { prefix: 'tlc', ams: { datasets: ['sp-traffic', 'sp-conversion'], regions: ['NA'] } };

function backendPath(out: string, stack: string): string {
  const j = JSON.parse(readFileSync(join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as { terraform: { backend: { local: { path: string } } } };
  return j.terraform.backend.local.path;
}

describe('local state lives outside the output folder', () => {
  it('the backend path is relative, points to state/<prefix>/<stack>.tfstate beside cdktf.out, and make clean keeps it', () => {
    const { dir, out } = project();
    const cfg = writeConfig(dir, 'one.json', ONE);
    const s = synth(cfg, out);
    expect(s.code, s.stderr).toBe(0);
    const path = backendPath(out, 'ams-sp-traffic-na');
    expect(path).toBe('../../../state/tlc/ams-sp-traffic-na.tfstate');
    const statePath = resolve(out, 'stacks', 'ams-sp-traffic-na', path);
    expect(relative(out, statePath).startsWith('..')).toBe(true);
    mkdirSync(resolve(statePath, '..'), { recursive: true });
    writeFileSync(statePath, '{"version":4,"serial":7}');

    // The project's own clean target, run on a copy of the Makefile in the temporary project.
    copyFileSync(fromRoot('Makefile'), join(dir, 'Makefile'));
    mkdirSync(join(dir, 'dist'), { recursive: true });
    const clean = run('make', ['-C', dir, 'clean']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    expect(readFileSync(statePath, 'utf8')).toBe('{"version":4,"serial":7}');
  });

  it('synth moves a state file from the old location, and stops without touching either file when both exist', () => {
    const { dir, out } = project();
    const cfg = writeConfig(dir, 'one.json', ONE);
    expect(synth(cfg, out).code).toBe(0);
    const legacy = join(out, 'stacks', 'ams-sp-traffic-na', 'terraform.ams-sp-traffic-na.tfstate');
    const target = join(dir, 'state', 'tlc', 'ams-sp-traffic-na.tfstate');
    writeFileSync(legacy, '{"serial":1,"old":true}');
    writeFileSync(`${legacy}.backup`, '{"serial":0}');
    const moved = synth(cfg, out);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toMatch(/moved the local state of ams-sp-traffic-na/);
    expect(existsSync(legacy)).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('{"serial":1,"old":true}');
    expect(readFileSync(`${target}.backup`, 'utf8')).toBe('{"serial":0}');

    writeFileSync(legacy, '{"serial":2,"other":true}');
    const conflict = synth(cfg, out);
    expect(conflict.code).toBe(3);
    expect(conflict.stderr).toMatch(/old location\) and .*state\/tlc\/ams-sp-traffic-na\.tfstate \(new location\) both exist/);
    expect(readFileSync(legacy, 'utf8')).toBe('{"serial":2,"other":true}');
    expect(readFileSync(target, 'utf8')).toBe('{"serial":1,"old":true}');
  });

  it('the state of a stack the new config no longer has is moved before its folder is removed', () => {
    const { dir, out } = project();
    expect(synth(writeConfig(dir, 'two.json', TWO), out).code).toBe(0);
    const legacy = join(out, 'stacks', 'ams-sp-conversion-na', 'terraform.ams-sp-conversion-na.tfstate');
    writeFileSync(legacy, '{"serial":5}');
    const s = synth(writeConfig(dir, 'one.json', ONE), out);
    expect(s.code, s.stderr).toBe(0);
    expect(existsSync(join(out, 'stacks', 'ams-sp-conversion-na'))).toBe(false);
    expect(readFileSync(join(dir, 'state', 'tlc', 'ams-sp-conversion-na.tfstate'), 'utf8')).toBe('{"serial":5}');
  });
});

describe('one environment per config', () => {
  it('switching config prunes stale stacks; plan/apply/deploy refuse another config, a changed config or stale output', () => {
    const { dir, out } = project();
    const two = writeConfig(dir, 'two.json', TWO);
    const one = writeConfig(dir, 'one.json', { ...ONE, environment: 'prod' });
    expect(synth(two, out).code).toBe(0);
    expect(existsSync(join(out, 'stacks', 'ams-sp-conversion-na'))).toBe(true);
    const s = synth(one, out);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/removed 1 stack folders .*: ams-sp-conversion-na/);
    expect(existsSync(join(out, 'stacks', 'ams-sp-conversion-na'))).toBe(false);
    const m = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8')) as Manifest;
    expect(m.config.path).toBe(one);
    expect(Object.keys(m.stacks)).toEqual(['ams-sp-traffic-na']);
    expect(m.stacks['ams-sp-traffic-na'].region).toBe('us-east-1');

    const base = ['--outdir', out, '--plans', join(dir, 'plans')];
    expect(lifecycle(['verify', ...base]).code).toBe(0);
    for (const cmd of ['plan', 'apply', 'deploy']) {
      const r = lifecycle([cmd, ...base, '--config', two, '--stacks', 'ams-sp-traffic-na']);
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`was synthesized from ${one}, but you asked for ${two}`);
      expect(r.stderr).toContain(`run: make synth CONFIG=${two}`);
    }

    writeFileSync(one, JSON.stringify({ ...ONE, environment: 'staging' }));
    const changedConfig = lifecycle(['plan', ...base]);
    expect(changedConfig.code).toBe(3);
    expect(changedConfig.stderr).toContain(`${one} changed since ${out} was synthesized from it`);
    expect(synth(one, out).code).toBe(0);

    const stackJson = join(out, 'stacks', 'ams-sp-traffic-na', 'cdk.tf.json');
    const original = readFileSync(stackJson, 'utf8');
    writeFileSync(stackJson, original.replace('"staging"', '"edited"'));
    const stale = lifecycle(['deploy', ...base, '--stacks', 'ams-*']);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(/stack ams-sp-traffic-na: .* differs from what synth wrote/);
    writeFileSync(stackJson, original);

    // What the old offline tier left in a stack folder: terraform would merge it into every later plan.
    const override = join(out, 'stacks', 'ams-sp-traffic-na', 'zz_offline_override.tf.json');
    writeFileSync(override, JSON.stringify({ terraform: { backend: { local: { path: 'offline.tfstate' } } } }));
    const merged = lifecycle(['plan', ...base]);
    expect(merged.code).toBe(3);
    expect(merged.stderr).toMatch(/zz_offline_override\.tf\.json in .* would be merged/);
    expect(synth(one, out).code).toBe(0);
    expect(existsSync(override)).toBe(false);
    expect(lifecycle(['verify', ...base]).code).toBe(0);

    // make without CONFIG synthesizes the remembered config again, not config/default.json.
    const dry = run('make', ['-n', '-C', fromRoot(), 'synth', `OUTDIR=${out}`], { env: { CONFIG: '', TRIBUTARY_CONFIG: '' } });
    expect(dry.stdout).toContain(`TRIBUTARY_CONFIG=${one} CDKTF_OUTDIR=${out} node`);
    const fresh = run('make', ['-n', '-C', fromRoot(), 'synth', `OUTDIR=${join(dir, 'nothing-here')}`], { env: { CONFIG: '', TRIBUTARY_CONFIG: '' } });
    expect(fresh.stdout).toContain(`TRIBUTARY_CONFIG=config/default.json CDKTF_OUTDIR=${join(dir, 'nothing-here')} node`);
  });
});

const tf = hasTerraform();
const MIRROR = ['/opt/tf-plugins', '/usr/share/terraform/plugins'].find((d) => existsSync(join(d, 'registry.terraform.io/hashicorp/aws')));
if (!tf || !MIRROR) console.warn(`lifecycle-state: skipping the terraform init tests: ${!tf ? 'terraform is not on PATH' : 'no hashicorp/aws filesystem mirror'}`);

describe.skipIf(!tf || !MIRROR)('with the real terraform binary', () => {
  it('after the old offline plan left its backend in a stack folder, synth cleans it and the deploy init succeeds', { timeout: 180_000 }, () => {
    const { dir, out } = project();
    const cfg = writeConfig(dir, 'one.json', ONE);
    expect(synth(cfg, out).code).toBe(0);
    const stack = join(out, 'stacks', 'ams-sp-traffic-na');
    const rc = join(dir, 'terraformrc');
    writeFileSync(rc, `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`);
    const env = { TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: '1' };
    // What `make plan STACK=x` did before: an override with a local offline backend, initialized in place.
    writeFileSync(join(stack, 'zz_offline_override.tf.json'), JSON.stringify({ terraform: { backend: { local: { path: 'offline.tfstate' } } } }));
    const offline = run('terraform', ['init', '-input=false', '-no-color'], { cwd: stack, env });
    expect(offline.code, offline.stderr).toBe(0);
    rmSync(join(stack, 'zz_offline_override.tf.json'));
    // Without the fix the deploy's init stops here.
    const broken = run('terraform', ['init', '-input=false', '-no-color'], { cwd: stack, env });
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/Backend configuration changed/);
    writeFileSync(join(stack, 'zz_offline_override.tf.json'), '{}');

    const s = synth(cfg, out);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toMatch(/removed \d+ files the old offline check left/);
    const init = run('terraform', ['init', '-input=false', '-no-color'], { cwd: stack, env });
    expect(init.code, init.stderr).toBe(0);
    const backend = JSON.parse(readFileSync(join(stack, '.terraform', 'terraform.tfstate'), 'utf8')) as { backend: { config: { path: string } } };
    expect(backend.backend.config.path).toBe('../../../state/tlc/ams-sp-traffic-na.tfstate');
  });

  it('make check (the offline tier in a throwaway copy) leaves the stack folder as synth wrote it; the deploy init then succeeds', { timeout: 240_000 }, () => {
    const { dir, out } = project();
    const cfg = writeConfig(dir, 'one.json', ONE);
    expect(synth(cfg, out).code).toBe(0);
    const snapshot = () => run('sh', ['-c', 'find . -print0 | sort -z | xargs -0 ls -ld --time-style=+ | awk \'{print $1, $5, $NF}\'; find . -type f -print0 | sort -z | xargs -0 sha256sum'], { cwd: out }).stdout;
    const before = snapshot();
    // What make check runs: the selection resolved here, tf-check on the names.
    const names = lifecycle(['select', '--outdir', out, '--stacks', 'ams-sp-*-na']).stdout.trim().split('\n');
    expect(names).toEqual(['ams-sp-traffic-na']);
    const check = run(TSX, [fromRoot('scripts', 'tf-check.ts'), '--outdir', out, ...names]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(snapshot()).toBe(before);
    expect(lifecycle(['verify', '--outdir', out]).code).toBe(0);
    const rc = join(dir, 'terraformrc');
    writeFileSync(rc, `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path = "${MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`);
    const init = run('terraform', ['init', '-input=false', '-no-color'], { cwd: join(out, 'stacks', 'ams-sp-traffic-na'), env: { TF_CLI_CONFIG_FILE: rc } });
    expect(init.code, init.stderr).toBe(0);
  });

  it('a stack initialized with the old state path keeps its resources after the move (no re-init prompt, same state)', { timeout: 120_000 }, () => {
    const { out } = project();
    // A terraform_data stack laid out as synth lays out stacks: built into Terraform, no provider, no network.
    const stack = join(out, 'stacks', 'demo');
    mkdirSync(stack, { recursive: true });
    const config = (path: string) =>
      JSON.stringify({
        terraform: { backend: { local: { path } } },
        resource: { terraform_data: { kept: { input: 'v1' } } },
      });
    writeFileSync(join(stack, 'cdk.tf.json'), config('terraform.demo.tfstate'));
    expect(run('terraform', ['init', '-input=false', '-no-color'], { cwd: stack }).code).toBe(0);
    expect(run('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: stack }).code).toBe(0);
    expect(existsSync(join(stack, 'terraform.demo.tfstate'))).toBe(true);
    // What synth does on the upgrade: move the state (prefix from the previous output) and write the new path.
    migrateLegacyState(out, () => 'tlc');
    writeFileSync(join(stack, 'cdk.tf.json'), config(localStatePath('tlc', 'demo')));
    const init = run('terraform', ['init', '-input=false', '-no-color'], { cwd: stack });
    expect(init.code, init.stderr).toBe(0);
    const plan = run('terraform', ['plan', '-input=false', '-no-color', '-detailed-exitcode'], { cwd: stack });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/No changes/);
  });
});
