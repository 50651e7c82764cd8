/**
 * Reads a CloudFormation YAML template (short-form intrinsics included) and instantiates the parts the tests need:
 * policy documents with `Ref`, `Fn::Sub`, `Fn::Join`, `Fn::FindInMap` and `Fn::GetAtt` evaluated for given
 * parameters, so a template's statements can be compared with a synthesized Terraform stack.
 *
 * The YAML is parsed with the failsafe schema (every scalar a string): templates write account ids unquoted
 * (`Account: 055588217351`), which a YAML 1.2 core-schema parser would read as a number without its leading zero.
 */
import { readFileSync } from 'node:fs';
import { parse, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

type Json = unknown;
export interface CfnTemplate {
  readonly Parameters?: Record<string, { AllowedValues?: string[]; Default?: string }>;
  readonly Mappings?: Record<string, Record<string, Record<string, string>>>;
  readonly Resources: Record<string, { Type: string; Properties: Record<string, Json> }>;
}

const SHORT_FORMS: Record<string, string> = {
  Ref: 'Ref', Sub: 'Fn::Sub', GetAtt: 'Fn::GetAtt', Join: 'Fn::Join', FindInMap: 'Fn::FindInMap', Select: 'Fn::Select',
  Split: 'Fn::Split', If: 'Fn::If', Equals: 'Fn::Equals', Not: 'Fn::Not', And: 'Fn::And', Or: 'Fn::Or',
  Base64: 'Fn::Base64', GetAZs: 'Fn::GetAZs', ImportValue: 'Fn::ImportValue', Condition: 'Condition',
};

function cfnTags(): (ScalarTag | CollectionTag)[] {
  return Object.entries(SHORT_FORMS).flatMap(([short, long]): (ScalarTag | CollectionTag)[] => [
    { tag: `!${short}`, resolve: (s: string) => ({ [long]: long === 'Fn::GetAtt' ? s.split('.') : s }) },
    { tag: `!${short}`, collection: 'seq', resolve: (seq) => ({ [long]: (seq as YAMLSeq).toJSON() }) } as CollectionTag,
    { tag: `!${short}`, collection: 'map', resolve: (map) => ({ [long]: (map as YAMLMap).toJSON() }) } as CollectionTag,
  ]);
}

export function readCfnTemplate(file: string): CfnTemplate {
  return parse(readFileSync(file, 'utf8'), { schema: 'failsafe', customTags: cfnTags() }) as CfnTemplate;
}

export interface EvalContext {
  /** Parameter values and pseudo parameters (e.g. AWS::Region). */
  readonly params: Readonly<Record<string, string>>;
  /** What `Fn::GetAtt [resource, attribute]` stands for in the stack compared with. */
  readonly getAtt: (resource: string, attribute: string) => string;
  /** What `Ref resource` stands for, for logical ids that are resources. */
  readonly refResource?: (resource: string) => string;
}

/** Evaluates the intrinsic functions in `node` for the template's mappings and `ctx`. */
export function evaluate(t: CfnTemplate, node: Json, ctx: EvalContext): Json {
  const ev = (n: Json): Json => evaluate(t, n, ctx);
  const str = (n: Json): string => {
    const v = ev(n);
    if (typeof v !== 'string') throw new Error(`expected a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const ref = (name: string): string => {
    if (name in ctx.params) return ctx.params[name];
    if (t.Resources[name] && ctx.refResource) return ctx.refResource(name);
    throw new Error(`no value for Ref ${name}`);
  };
  if (Array.isArray(node)) return node.map(ev);
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, Json>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [k] = keys;
    const a = o[k];
    switch (k) {
      case 'Ref':
        return ref(str(a));
      case 'Fn::GetAtt': {
        const [res, attr] = Array.isArray(a) ? a.map(str) : str(a).split('.');
        return ctx.getAtt(res, attr);
      }
      case 'Fn::Join': {
        const [sep, list] = a as [Json, Json[]];
        return (ev(list) as Json[]).map((x) => str(x)).join(str(sep));
      }
      case 'Fn::FindInMap': {
        const [map, k1, k2] = (a as Json[]).map(str);
        const v = t.Mappings?.[map]?.[k1]?.[k2];
        if (v === undefined) throw new Error(`no mapping ${map}.${k1}.${k2}`);
        return String(v).trim();
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(a) ? [str(a[0]), (a[1] ?? {}) as Record<string, Json>] : [str(a), {}];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => (name in vars ? str(vars[name]) : ref(name)));
      }
      default:
        if (k.startsWith('Fn::')) throw new Error(`intrinsic ${k} is not supported here`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, ev(o[k])]));
}

/** One IAM grant, flattened: who (for trust/resource policies), which action, on what. */
export interface Grant {
  readonly principal?: string;
  readonly action: string;
  readonly resource?: string;
  readonly sid?: string;
  readonly condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Flattens the Allow statements of a policy document (object or JSON text) into grants. */
export function grantsOf(doc: Json): Grant[] {
  const d = (typeof doc === 'string' ? JSON.parse(doc) : doc) as { Statement: Json };
  return list(d.Statement as Record<string, Json>[])
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => {
      const principal = s.Principal as Record<string, string | string[]> | undefined;
      const principals = principal ? Object.entries(principal).flatMap(([kind, v]) => list(v).map((p) => `${kind}:${String(p).trim()}`)) : [undefined];
      const resources = s.Resource === undefined ? [undefined] : list(s.Resource as string | string[]).map((r) => String(r).trim());
      return principals.flatMap((p) =>
        list(s.Action as string | string[]).flatMap((action) =>
          resources.map((resource) => ({
            principal: p, action: String(action).trim(), resource, sid: s.Sid as string | undefined,
            condition: s.Condition as Grant['condition'],
          })),
        ),
      );
    });
}
