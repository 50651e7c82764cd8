/**
 * Synthesizes shared modules in a small stack of their own (modules-us-east-1, naming prefix "trib", one alerts
 * topic) and reads the result: the helpers of __tests__/platform/*-module tests.
 */
import { expect } from 'vitest';
import { TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Alerts } from '../../modules/alarms.js';
import { Naming } from '../../modules/naming.js';
import { checkStack, failures, formatFindings, RULES } from '../../policy/index.js';
import type { TfJson } from '../../policy/types.js';

export type Res = Record<string, Record<string, unknown>>;

export interface ModuleCtx {
  stack: TerraformStack;
  naming: Naming;
  alerts: Alerts;
}

export const MODULE_STACK = 'modules-us-east-1';

/** The Terraform JSON of a stack `build` fills, with the "//" comments (suppressions) Testing.synth strips. */
export function synthModules(build: (ctx: ModuleCtx) => void): TfJson {
  const app = Testing.app();
  const stack = new TerraformStack(app, MODULE_STACK);
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const naming = new Naming('trib', 'us-east-1');
  const alerts = new Alerts(stack, 'alerts', { naming });
  build({ stack, naming, alerts });
  return JSON.parse(JSON.stringify(stack.toTerraform())) as TfJson;
}

/** Every resource of `type`, by logical id. */
export function of(json: TfJson, type: string): Res {
  return (json.resource?.[type] ?? {}) as Res;
}

/** The one resource of `type` whose logical id contains `idPart`. */
export function only(json: TfJson, type: string, idPart: string): Record<string, unknown> {
  const hits = Object.entries(of(json, type)).filter(([id]) => id.includes(idPart));
  expect(hits, `${type} *${idPart}*`).toHaveLength(1);
  return hits[0][1];
}

/** A Terraform reference to `attr` of the one resource of `type` whose logical id contains `idPart`. */
export const ref = (type: string, json: TfJson, idPart: string, attr: string): string => {
  const id = Object.keys(of(json, type)).find((k) => k.includes(idPart));
  return `\${${type}.${id}.${attr}}`;
};

/** Fails with the findings when any policy rule fails on the stack. */
export function policyClean(json: TfJson): void {
  const f = failures(checkStack({ name: MODULE_STACK, json }, RULES));
  expect(f, formatFindings(f)).toEqual([]);
}

export const statementsOf = (policy: unknown) => (JSON.parse(String(policy)) as { Statement: Record<string, unknown>[] }).Statement;
