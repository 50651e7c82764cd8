import { asArray, deniesInsecureTransport, readPolicy, refersTo, type Body, type Statement } from './model.js';
import type { PolicyStack } from './types.js';

/** Whether a statement's Principal is everyone: "*", {"AWS": "*"} or a policy-document principals block of "*". */
export function principalIsEveryone(p: unknown): boolean {
  if (p === '*') return true;
  for (const b of asArray<Body>(p)) {
    if (!b || typeof b !== 'object') continue;
    if (asArray(b.AWS).includes('*')) return true;
    if ((b.type === 'AWS' || b.type === '*') && asArray(b.identifiers).includes('*')) return true;
  }
  return false;
}

/**
 * Whether one of `policies` (resource policy documents of the resource `type`.`id`) denies, to everyone, the
 * `actions` (any of them: e.g. "sqs:*" or "*") when aws:SecureTransport is false, on the resource itself
 * (Resource references it or is "*").
 */
export function deniesInsecureTransportOn(
  stack: PolicyStack,
  policies: readonly unknown[],
  actions: readonly string[],
  type: string,
  id: string,
): boolean {
  const wanted = actions.map((a) => a.toLowerCase());
  const covers = (s: Statement): boolean =>
    deniesInsecureTransport(s) &&
    principalIsEveryone(s.Principal) &&
    s.Action.some((a) => typeof a === 'string' && wanted.includes(a.toLowerCase())) &&
    (s.Resource.length === 0 || s.Resource.includes('*') || refersTo(s.Resource, type, id));
  return policies.some((p) => {
    const doc = readPolicy(stack, p);
    return doc.ok && doc.statements.some(covers);
  });
}
