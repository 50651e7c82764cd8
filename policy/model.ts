/**
 * Helpers for reading synthesized Terraform JSON: resources by type, references between resources (Terraform
 * expressions such as "${aws_sqs_queue.ingress_queue_ABC123.arn}", also inside JSON policy strings), literal
 * values behind references, nested blocks (cdktf writes single blocks as objects, Terraform accepts lists) and
 * IAM policy documents (JSON strings or aws_iam_policy_document data sources).
 */
import type { PolicyStack } from './types.js';

export type Body = Record<string, unknown>;

/** A reference found in an expression: `[data.]<type>.<id>[.<attr>]`. */
export interface Ref {
  readonly data: boolean;
  readonly type: string;
  readonly id: string;
  readonly attr?: string;
}

/** Every resource of `type` in the stack as [logical id, body] pairs. */
export function resourcesOf(stack: PolicyStack, type: string): [string, Body][] {
  return Object.entries(stack.json.resource?.[type] ?? {});
}

export function resource(stack: PolicyStack, type: string, id: string): Body | undefined {
  return stack.json.resource?.[type]?.[id];
}

export function dataSource(stack: PolicyStack, type: string, id: string): Body | undefined {
  return stack.json.data?.[type]?.[id];
}

/** Every (type, id, body) of the stack. */
export function allResources(stack: PolicyStack): [string, string, Body][] {
  const out: [string, string, Body][] = [];
  for (const [type, byId] of Object.entries(stack.json.resource ?? {})) {
    for (const [id, body] of Object.entries(byId)) out.push([type, id, body]);
  }
  return out;
}

const INTERPOLATION = /\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g;
const REFERENCE = /(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?/g;
const NOT_RESOURCE_ROOTS = new Set(['var', 'local', 'module', 'each', 'count', 'path', 'terraform', 'self']);

/** All references inside the `${...}` interpolations of every string in `value` (searched recursively). */
export function refsIn(value: unknown): Ref[] {
  const out: Ref[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return;
      for (const m of v.matchAll(INTERPOLATION)) {
        for (const r of m[1].matchAll(REFERENCE)) {
          const [, data, type, id, attr] = r;
          if (!data && NOT_RESOURCE_ROOTS.has(type)) continue;
          if (!type.includes('_')) continue; // provider resource types always carry a prefix such as aws_
          out.push({ data: !!data, type, id, attr });
        }
      }
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) if (k !== '//') visit(child);
    }
  };
  visit(value);
  return out;
}

/** Whether `value` references resource `type`.`id` (any attribute). */
export function refersTo(value: unknown, type: string, id: string): boolean {
  return refsIn(value).some((r) => !r.data && r.type === type && r.id === id);
}

/** Logical ids of resources of `type` referenced by `value`. */
export function referencedIds(value: unknown, type: string): string[] {
  return [...new Set(refsIn(value).filter((r) => !r.data && r.type === type).map((r) => r.id))];
}

/** A nested block: cdktf writes single blocks as objects, Terraform JSON also accepts a list of them. */
export function block(value: unknown): Body | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && typeof v === 'object' ? (v as Body) : undefined;
}

export function blocks(value: unknown): Body[] {
  if (Array.isArray(value)) return value.filter((v): v is Body => !!v && typeof v === 'object');
  return value && typeof value === 'object' ? [value as Body] : [];
}

export function asArray<T = unknown>(value: unknown): T[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

/**
 * The literal text of a string attribute: interpolations that reference another resource's literal string
 * attribute are substituted (so "/aws/lambda/${aws_lambda_function.f.function_name}" resolves); returns
 * undefined when some part stays unknown (computed attributes, functions).
 */
export function literal(stack: PolicyStack, value: unknown, depth = 0): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  if (!value.includes('${')) return value;
  if (depth > 5) return undefined;
  let unknown = false;
  const out = value.replace(INTERPOLATION, (_all, expr: string) => {
    const m = /^\s*([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(expr);
    const target = m ? resource(stack, m[1], m[2]) : undefined;
    const resolved = target ? literal(stack, target[m![3]], depth + 1) : undefined;
    if (resolved === undefined) unknown = true;
    return resolved ?? '';
  });
  return unknown ? undefined : out;
}

/** The literal parts of a string (interpolations removed): a lower bound of its final length. */
export function literalParts(value: string): string {
  return value.replace(INTERPOLATION, '');
}

/** Suppression reason recorded by policy/suppress.ts on a resource body for `ruleId`. */
export function suppressionOf(body: Body | undefined, ruleId: string): string | undefined {
  const comment = body?.['//'] as Body | undefined;
  const suppressions = comment?.tributary_suppressions as Record<string, unknown> | undefined;
  const reason = suppressions?.[ruleId];
  return typeof reason === 'string' && reason.trim().length > 0 ? reason : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// IAM policy documents

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly NotAction: string[];
  readonly Resource: string[];
  readonly NotResource: string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export type PolicyDoc = { ok: true; statements: Statement[] } | { ok: false; reason: string };

function normalizeStatement(s: Body): Statement {
  return {
    Sid: typeof s.Sid === 'string' ? s.Sid : undefined,
    Effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
    Action: asArray<string>(s.Action),
    NotAction: asArray<string>(s.NotAction),
    Resource: asArray<string>(s.Resource),
    NotResource: asArray<string>(s.NotResource),
    Principal: s.Principal,
    Condition: s.Condition as Statement['Condition'],
  };
}

/** Converts an aws_iam_policy_document data source (statement blocks) into statements. */
function fromPolicyDocument(body: Body): Statement[] {
  return blocks(body.statement).map((s) => {
    const condition: Record<string, Record<string, unknown>> = {};
    for (const c of blocks(s.condition)) {
      const test = String(c.test);
      condition[test] = { ...(condition[test] ?? {}), [String(c.variable)]: c.values };
    }
    return {
      Sid: typeof s.sid === 'string' ? s.sid : undefined,
      Effect: s.effect === 'Deny' ? 'Deny' : 'Allow',
      Action: asArray<string>(s.actions),
      NotAction: asArray<string>(s.not_actions),
      Resource: asArray<string>(s.resources),
      NotResource: asArray<string>(s.not_resources),
      Principal: s.principals,
      Condition: Object.keys(condition).length ? condition : undefined,
    };
  });
}

/**
 * Reads a policy attribute: a JSON string (cdktf writes JSON.stringify output with interpolated references),
 * or a reference to an aws_iam_policy_document data source. Anything else (e.g. a jsonencode() expression)
 * cannot be read and is reported as such, so no policy escapes the checks unnoticed.
 */
export function readPolicy(stack: PolicyStack, value: unknown): PolicyDoc {
  if (value === undefined || value === null) return { ok: true, statements: [] };
  if (typeof value === 'object') return docFromObject(value as Body);
  if (typeof value !== 'string') return { ok: false, reason: `policy is ${typeof value}, not a JSON document` };
  const doc = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/.exec(value.trim());
  if (doc) {
    const body = dataSource(stack, 'aws_iam_policy_document', doc[1]);
    if (!body) return { ok: false, reason: `policy references a missing aws_iam_policy_document ${doc[1]}` };
    return { ok: true, statements: fromPolicyDocument(body) };
  }
  try {
    return docFromObject(JSON.parse(value) as Body);
  } catch {
    // Terraform evaluates the ${...} interpolations before the text is JSON, and an interpolation may itself hold
    // quotes (e.g. "${element(split(\":\", aws_kms_key.k.arn), 4)}"): parse with each one stood in by a token.
    const parsed = parseWithInterpolations(value);
    if (parsed !== undefined) return docFromObject(parsed as Body);
    return { ok: false, reason: 'policy is not a JSON document the checks can read (write it with JSON.stringify)' };
  }
}

function parseWithInterpolations(text: string): unknown {
  if (!text.includes('${')) return undefined;
  const saved: string[] = [];
  const masked = text.replace(INTERPOLATION, (all) => `@@tf${saved.push(all) - 1}@@`);
  const restore = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/@@tf(\d+)@@/g, (_m, i: string) => saved[Number(i)]);
    if (Array.isArray(v)) return v.map(restore);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [restore(k) as string, restore(x)]));
    return v;
  };
  try {
    return restore(JSON.parse(masked));
  } catch {
    return undefined;
  }
}

function docFromObject(doc: Body): PolicyDoc {
  if (!doc || typeof doc !== 'object') return { ok: false, reason: 'policy is not a JSON object' };
  const st = doc.Statement;
  if (st === undefined) return { ok: false, reason: 'policy has no Statement' };
  return { ok: true, statements: asArray<Body>(st).map(normalizeStatement) };
}

/** True when the condition block requires aws:SecureTransport to be false (the TLS-only deny). */
export function deniesInsecureTransport(s: Statement): boolean {
  if (s.Effect !== 'Deny') return false;
  const bool = s.Condition?.Bool ?? s.Condition?.BoolIfExists;
  const v = bool?.['aws:SecureTransport'];
  return asArray(v).some((x) => x === false || x === 'false');
}

/** The service principals (`*.amazonaws.com`) a statement's Principal names. */
export function servicePrincipals(s: Statement): string[] {
  const p = s.Principal;
  let services: unknown[] = [];
  if (Array.isArray(p)) {
    // aws_iam_policy_document principals blocks: [{ type: "Service", identifiers: [...] }]
    for (const b of p as Body[]) if (b && b.type === 'Service') services.push(...asArray(b.identifiers));
  } else if (p && typeof p === 'object') {
    const b = p as Body;
    if (b.type === 'Service') services = asArray(b.identifiers);
    else services = asArray(b.Service);
  }
  return services.filter((x): x is string => typeof x === 'string' && /\.amazonaws\.com(\.cn)?$/.test(x));
}

/** The condition keys a statement tests (lower case, any operator), e.g. "aws:sourcearn". */
export function conditionKeys(s: Statement): Set<string> {
  const keys = new Set<string>();
  for (const byKey of Object.values(s.Condition ?? {})) for (const k of Object.keys(byKey ?? {})) keys.add(k.toLowerCase());
  return keys;
}
