import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { TributaryConfig } from '../../config/index.js';
import { buildApp } from '../../stacks/index.js';

/** A synthesized stack: its name and its Terraform JSON (cdk.tf.json). */
export interface SynthStack {
  readonly name: string;
  readonly json: TerraformJson;
  readonly dir: string;
}

export interface TerraformJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  provider?: Record<string, Record<string, unknown>[]>;
  terraform?: Record<string, unknown>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  [k: string]: unknown;
}

/**
 * Synthesizes every stack `config` turns on into a temporary folder (for real: the same buildApp as main.ts)
 * and returns the parsed cdk.tf.json of each. Call `cleanup()` when done.
 */
export function synthConfig(config: TributaryConfig): { stacks: SynthStack[]; outdir: string; cleanup: () => void } {
  const outdir = mkdtempSync(join(tmpdir(), 'tributary-synth-'));
  const { app } = buildApp(config, outdir);
  app.synth();
  const stacksDir = join(outdir, 'stacks');
  const stacks = readdirSync(stacksDir)
    .sort()
    .map((name) => ({ name, dir: join(stacksDir, name), json: JSON.parse(readFileSync(join(stacksDir, name, 'cdk.tf.json'), 'utf8')) as TerraformJson }));
  return { stacks, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** All resources of `type` in a stack, keyed by their logical id. */
export function resources(stack: SynthStack, type: string): Record<string, Record<string, unknown>> {
  return stack.json.resource?.[type] ?? {};
}

type Body = Record<string, unknown>;

/** The one resource of `type` in a stack, as [logical id, body]; fails the test when there are none or several. */
export function only(stack: SynthStack, type: string): [string, Body] {
  const all = Object.entries(resources(stack, type));
  expect(all, `${stack.name} ${type}`).toHaveLength(1);
  return all[0];
}

/** The Terraform reference `${type.id.attr}` as synth writes it. */
export const ref = (type: string, id: string, attr: string): string => `\${${type}.${id}.${attr}}`;

/** The statements of an IAM policy document synth wrote as a JSON string. */
export const statements = (policy: unknown): Body[] => (JSON.parse(String(policy)) as { Statement: Body[] }).Statement;
