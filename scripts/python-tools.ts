/**
 * The pinned Python tools (moto, checkov) live in venvs under .tools/ that the Makefile builds from
 * tools/requirements-*.txt. This finds a tool's executable, or says why the tier cannot run: no python3 with venv on
 * the machine (the tier is skipped, loudly), or python3 is there but the venv was not built (an error: run make).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const VENVS = {
  moto: { dir: '.tools/venv-moto', requirements: 'tools/requirements-moto.txt' },
  checkov: { dir: '.tools/venv-checkov', requirements: 'tools/requirements-checkov.txt' },
} as const;

export type PythonTool =
  | { readonly ok: true; readonly bin: string }
  | { readonly ok: false; readonly skip: boolean; readonly reason: string };

/** True when `python3 -m venv` can work here (python3 on PATH with the venv and ensurepip modules). */
export function pythonWithVenv(): boolean {
  const r = spawnSync('python3', ['-c', 'import venv, ensurepip'], { stdio: 'ignore' });
  return r.status === 0;
}

export function findPythonTool(venv: keyof typeof VENVS, executable: string, root = process.cwd()): PythonTool {
  const { dir, requirements } = VENVS[venv];
  const bin = resolve(root, dir, 'bin', executable);
  if (existsSync(bin) && existsSync(join(resolve(root, dir), '.installed'))) return { ok: true, bin };
  if (!pythonWithVenv()) {
    return {
      ok: false,
      skip: true,
      reason: `python3 with the venv module is not installed on this machine, so ${executable} (pinned in ${requirements}) cannot be installed`,
    };
  }
  return { ok: false, skip: false, reason: `${bin} is missing: run "make ${dir}/.installed" (installs ${requirements})` };
}

/** A loud banner for a tier that cannot run here. */
export function skipBanner(tier: string, reason: string): string {
  const line = '!'.repeat(100);
  return `${line}\n!! ${tier} SKIPPED: ${reason}.\n!! Install python3 with venv (Debian: apt-get install python3-venv) to run it.\n${line}`;
}
