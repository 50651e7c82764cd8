/**
 * cdk-nag style rule tests: `ruleCases(id, { compliant, nonCompliant })` declares numbered cases
 * ("rule X: compliant 1..n", "rule X: non-compliant 1..n"), each a small hand-built Terraform JSON stack.
 *
 * Fixture shape: resource types and argument names are those of the hashicorp/aws provider's resource docs
 * (registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/<type>), written the way cdktf synthesizes
 * them (a single nested block as an object, a repeated one as a list; Terraform accepts both), with references as
 * "${<type>.<id>.<attr>}" interpolations. They are not copied from our stacks: each case states the shape it stands for.
 * Every fixture is checked against the argument and block names of the provider's own schema
 * (fixtures/aws-provider-schema.json, written by fixtures/refresh-provider-schema.ts from `terraform providers schema`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../lib/paths.js';
import { ALL_RULES, checkStack, type Finding, type PolicyStack, type Rule } from '../../policy/index.js';

export type Res = Record<string, Record<string, Record<string, unknown>>>;

/** A stack JSON with one provider in the region its name ends with (test-us-east-1 by default) and `resource`. */
export function stack(resource: Res, name = 'test-us-east-1', extra: Record<string, unknown> = {}): PolicyStack {
  return { name, json: { provider: { aws: [{ region: 'us-east-1' }] }, resource, ...extra } };
}

export function merge(...parts: Res[]): Res {
  const out: Res = {};
  for (const p of parts) for (const [t, byId] of Object.entries(p)) out[t] = { ...(out[t] ?? {}), ...byId };
  return out;
}

export function rule(id: string): Rule {
  const r = ALL_RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
}

/** Runs one rule over a stack, with no pending-issue-16 entries (so the rule's own verdict shows). */
export function run(id: string, s: PolicyStack): Finding[] {
  return checkStack(s, [rule(id)], { pending: [] });
}

/** A JSON policy document string, as cdktf writes JSON.stringify output. */
export const policy = (...Statement: unknown[]): string => JSON.stringify({ Version: '2012-10-17', Statement });

export interface Case {
  readonly title: string;
  readonly stack: PolicyStack;
}

export interface NonCompliantCase extends Case {
  /** The `<type>.<id>` addresses the rule must report (in any order, each at least once). */
  readonly findings: readonly string[];
  /** Optional: a pattern every finding's message must match. */
  readonly message?: RegExp;
}

interface ShapeBlock {
  readonly a: string[];
  readonly b?: Record<string, ShapeBlock>;
}
let providerSchema: { version: string; resources: Record<string, ShapeBlock>; dataSources: Record<string, ShapeBlock> } | undefined;
/** Meta-arguments and the comment key Terraform accepts on every resource. */
const META = new Set(['//', 'depends_on', 'lifecycle', 'provider', 'count', 'for_each']);

/** The `<type>.<argument path>` names of a fixture stack that the hashicorp/aws provider schema does not have. */
export function unknownArguments(s: PolicyStack): string[] {
  providerSchema ??= JSON.parse(readFileSync(fromRoot('__tests__', 'policy', 'fixtures', 'aws-provider-schema.json'), 'utf8'));
  const out: string[] = [];
  const walk = (shape: ShapeBlock, body: unknown, path: string): void => {
    if (!body || typeof body !== 'object') return;
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (META.has(k) || shape.a.includes(k)) continue;
      const nested = shape.b?.[k];
      if (nested) (Array.isArray(v) ? v : [v]).forEach((item) => walk(nested, item, `${path}.${k}`));
      else out.push(`${path}.${k}`);
    }
  };
  for (const [kind, byType, shapes] of [
    ['resource', s.json.resource, providerSchema!.resources],
    ['data', s.json.data, providerSchema!.dataSources],
  ] as const) {
    for (const [type, byId] of Object.entries(byType ?? {})) {
      const shape = shapes[type];
      if (!shape) {
        out.push(`${kind} type ${type} (not in fixtures/aws-provider-schema.json: run fixtures/refresh-provider-schema.ts)`);
        continue;
      }
      for (const body of Object.values(byId)) walk(shape, body, type);
    }
  }
  return out;
}

/** Declares the numbered compliant / non-compliant cases of rule `id` (at least one of each). */
export function ruleCases(id: string, cases: { compliant: readonly Case[]; nonCompliant: readonly NonCompliantCase[] }): void {
  if (!cases.compliant.length || !cases.nonCompliant.length) throw new Error(`rule ${id} needs compliant and non-compliant cases`);
  describe(`rule ${id}`, () => {
    it('fixtures use only arguments and blocks of the hashicorp/aws provider schema', () => {
      for (const c of [...cases.compliant, ...cases.nonCompliant]) expect(unknownArguments(c.stack), c.title).toEqual([]);
    });
    cases.compliant.forEach((c, i) => {
      it(`compliant ${i + 1}: ${c.title}`, () => {
        const found = run(id, c.stack);
        expect(found, found.map((f) => f.message).join('\n')).toEqual([]);
      });
    });
    cases.nonCompliant.forEach((c, i) => {
      it(`non-compliant ${i + 1}: ${c.title}`, () => {
        const found = run(id, c.stack);
        expect([...new Set(found.map((f) => `${f.type}.${f.id}`))].sort()).toEqual([...new Set(c.findings)].sort());
        expect(found.every((f) => f.suppressed === undefined)).toBe(true);
        if (c.message) for (const f of found) expect(f.message).toMatch(c.message);
      });
    });
  });
}
