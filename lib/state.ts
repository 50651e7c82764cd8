/**
 * Where local Terraform state lives, and the move of state files out of generated output.
 *
 * Local state is kept beside the synth output folder, never inside it: `<folder holding cdktf.out>/state/<prefix>/
 * <stack>.tfstate` (for the default layout: `state/<prefix>/<stack>.tfstate` at the project root, git-ignored).
 * The backend block names it relative to the stack folder (`../../../state/<prefix>/<stack>.tfstate`), the
 * folder terraform and `cdktf deploy` run in, so the synthesized JSON does not depend on where the project is.
 * `make clean`, a re-synth and cdktf's removal of stack folders no longer in the app never touch it.
 *
 * Before this layout, state was `<outdir>/stacks/<stack>/terraform.<stack>.tfstate`. `migrateLegacyState` moves
 * such a file (and its `.backup`) to the new place, and stops with a message instead when the new place already
 * holds a state file or when the stack's prefix is unknown: state is never overwritten and never deleted.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, copyFileSync, unlinkSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { shortRegion } from '../modules/naming.js';

/** Folder name of the state root, beside the synth output folder. */
export const STATE_DIR_NAME = 'state';

/** The backend `path` of a stack's local state, relative to its stack folder `<outdir>/stacks/<stack>`. */
export function localStatePath(prefix: string, stack: string): string {
  return `../../../${STATE_DIR_NAME}/${prefix}/${stack}.tfstate`;
}

/** Absolute path of the state root for an output folder: `<parent of outdir>/state`. */
export function stateRoot(outdir: string): string {
  return join(dirname(resolve(outdir)), STATE_DIR_NAME);
}

/** Absolute path of a stack's local state file for an output folder. */
export function stateFile(outdir: string, prefix: string, stack: string): string {
  return resolve(outdir, 'stacks', stack, localStatePath(prefix, stack));
}

/** Where releases before this layout kept a stack's local state. */
export function legacyStateFile(outdir: string, stack: string): string {
  return join(resolve(outdir), 'stacks', stack, `terraform.${stack}.tfstate`);
}

export class StateMigrationError extends Error {}

export interface MovedState {
  readonly stack: string;
  readonly from: string;
  readonly to: string;
}

function move(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    copyFileSync(from, to);
    if (statSync(to).size !== statSync(from).size) throw new StateMigrationError(`copy of ${from} to ${to} is incomplete; ${from} was kept`);
    unlinkSync(from);
  }
}

/**
 * Terraform remembers the backend it was initialized with in `.terraform/terraform.tfstate`. When that is the
 * legacy local path, the next `terraform init` would stop with "Backend configuration changed"; the state has
 * been moved by us, so the remembered local backend is forgotten (the file holds no resource state, only the
 * backend settings) and the next init uses the new path.
 */
function forgetLegacyLocalBackend(stackDir: string, stack: string): boolean {
  const file = join(stackDir, '.terraform', 'terraform.tfstate');
  if (!existsSync(file)) return false;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { backend?: { type?: string; config?: { path?: string } } };
    if (j.backend?.type === 'local' && j.backend.config?.path === `terraform.${stack}.tfstate`) {
      unlinkSync(file);
      return true;
    }
  } catch {
    // Not ours to judge: leave it, terraform init will say what it thinks.
  }
  return false;
}

/**
 * Moves every legacy state file found under `<outdir>/stacks/*` to `state/<prefix>/<stack>.tfstate`.
 * `prefixOf(stack)` gives the prefix the stack was synthesized with (undefined when unknown). Throws
 * StateMigrationError, before moving anything, when a target exists or a prefix is unknown.
 */
export function migrateLegacyState(outdir: string, prefixOf: (stack: string) => string | undefined): MovedState[] {
  const stacksDir = join(resolve(outdir), 'stacks');
  if (!existsSync(stacksDir)) return [];
  const moves: { stack: string; from: string; to: string }[] = [];
  const problems: string[] = [];
  const rel = (p: string) => relative(process.cwd(), p) || p;
  for (const stack of readdirSync(stacksDir).sort()) {
    const legacy = legacyStateFile(outdir, stack);
    const files = [legacy, `${legacy}.backup`].filter((f) => existsSync(f));
    if (files.length === 0) continue;
    const prefix = prefixOf(stack);
    if (!prefix) {
      problems.push(
        `${rel(legacy)} holds the state of stack ${stack}, which the config being synthesized does not have, and no earlier ` +
          `manifest names its prefix. Synthesize once with the config it belongs to (make synth CONFIG=<that config>) to move it, ` +
          `or move it yourself to ${rel(join(stateRoot(outdir), '<prefix>', `${stack}.tfstate`))}.`,
      );
      continue;
    }
    const target = stateFile(outdir, prefix, stack);
    for (const from of files) {
      const to = from === legacy ? target : `${target}.backup`;
      if (existsSync(to)) {
        problems.push(
          `${rel(from)} (old location) and ${rel(to)} (new location) both exist for stack ${stack}; nothing was moved. ` +
            `Keep the one that matches what is deployed (terraform show in each), move the other away, and synthesize again.`,
        );
      } else moves.push({ stack, from, to });
    }
  }
  if (problems.length) throw new StateMigrationError(`local state needs your decision:\n  - ${problems.join('\n  - ')}`);
  for (const m of moves) {
    move(m.from, m.to);
    forgetLegacyLocalBackend(join(stacksDir, m.stack), m.stack);
  }
  return moves;
}

/**
 * The prefix a stack folder was last synthesized with, read from its cdk.tf.json (the alerts topic every stack has
 * is named `<prefix>-<short region>-alerts` in older outputs and `<prefix>-<short region>-<stack>-alerts` since each
 * stack has its own topic, modules/naming.ts). Undefined when the folder has no such output.
 */
export function prefixOfSynthesizedStack(stackDir: string): string | undefined {
  const file = join(stackDir, 'cdk.tf.json');
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as {
      resource?: Record<string, Record<string, { name?: unknown }>>;
      provider?: { aws?: { region?: unknown }[] };
    };
    const region = j.provider?.aws?.[0]?.region;
    const short = typeof region === 'string' && /^[a-z]{2}-[a-z]+-\d+$/.test(region) ? shortRegion(region) : '[a-z0-9]+';
    const re = new RegExp(`^([a-z][a-z0-9-]*?)-${short}-(?:[a-z0-9-]+-)?alerts$`);
    for (const topic of Object.values(j.resource?.aws_sns_topic ?? {})) {
      const m = typeof topic.name === 'string' ? re.exec(topic.name) : null;
      if (m) return m[1];
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Removes what the old offline tier (`make plan` before the offline checks ran in a throwaway copy) left in stack
 * folders: its override file (dummy credentials, a local backend) that terraform would merge into every later
 * plan, its saved plan and dummy state, and terraform's memory of that backend. Returns the files removed.
 */
export function removeOfflineLeftovers(outdir: string): string[] {
  const stacksDir = join(resolve(outdir), 'stacks');
  if (!existsSync(stacksDir)) return [];
  const removed: string[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const dir = join(stacksDir, stack);
    for (const f of ['zz_offline_override.tf.json', 'offline.tfplan', 'offline.tfstate', 'offline.tfstate.backup']) {
      if (existsSync(join(dir, f))) {
        unlinkSync(join(dir, f));
        removed.push(join(dir, f));
      }
    }
    const backendFile = join(dir, '.terraform', 'terraform.tfstate');
    if (existsSync(backendFile)) {
      try {
        const j = JSON.parse(readFileSync(backendFile, 'utf8')) as { backend?: { type?: string; config?: { path?: string } } };
        if (j.backend?.type === 'local' && j.backend.config?.path === 'offline.tfstate') {
          unlinkSync(backendFile);
          removed.push(backendFile);
        }
      } catch {
        // leave it
      }
    }
  }
  return removed;
}
