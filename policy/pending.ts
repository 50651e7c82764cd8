/**
 * Known debt: findings of the issue-16 rules that today's stacks still have, recorded in one file
 * (policy/pending-issue-16.json) instead of in the resources, so the stacks stay untouched until the fix lands and
 * the remaining debt is visible in one place (the policy report lists it apart from the written suppressions).
 *
 * Entry fields: `rule` (a rule id of policy/rules/), `resource` (a pattern on `<type>.<logical id>`, `*` matches any
 * run of characters), optional `stacks` (a pattern on the stack name, default every stack), `reason` (must start with
 * "pending issue 16: " and say what will fix it). An entry that matches no finding is stale: the policy tests fail
 * on it, so a fix removes its entry in the same change.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PendingEntry {
  readonly rule: string;
  readonly resource: string;
  readonly stacks?: string;
  readonly reason: string;
}

export const PENDING_FILE = join(dirname(fileURLToPath(import.meta.url)), 'pending-issue-16.json');
const REASON_PREFIX = 'pending issue 16: ';

export function patternToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Reads and validates the entries; a malformed entry is an error that names it. `ruleIds`: the known rule ids. */
export function loadPending(file = PENDING_FILE, ruleIds?: readonly string[]): PendingEntry[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { pending?: unknown };
  if (!Array.isArray(raw.pending)) throw new Error(`${file}: expected {"pending": [...]}`);
  return raw.pending.map((e: Record<string, unknown>, i: number) => {
    const where = `${file}: pending[${i}]`;
    if (typeof e.rule !== 'string' || (ruleIds && !ruleIds.includes(e.rule))) throw new Error(`${where}: "rule" must be a rule id of policy/rules/ (got ${String(e.rule)})`);
    if (typeof e.resource !== 'string' || !/^[a-z0-9_*]+\.[A-Za-z0-9_*-]+$/.test(e.resource)) {
      throw new Error(`${where}: "resource" must be a <type>.<logical id> pattern, e.g. aws_iam_role.firehose_role_*`);
    }
    if (e.stacks !== undefined && typeof e.stacks !== 'string') throw new Error(`${where}: "stacks" must be a pattern string`);
    if (typeof e.reason !== 'string' || !e.reason.startsWith(REASON_PREFIX) || e.reason.length < REASON_PREFIX.length + 20) {
      throw new Error(`${where}: "reason" must read "${REASON_PREFIX}<what will fix it>"`);
    }
    return { rule: e.rule, resource: e.resource, ...(e.stacks ? { stacks: e.stacks as string } : {}), reason: e.reason };
  });
}

/** The entry that covers a finding of `rule` on `address` in `stack`, if any. */
export function matchPending(entries: readonly PendingEntry[], rule: string, stack: string, address: string): PendingEntry | undefined {
  return entries.find(
    (e) => e.rule === rule && patternToRegExp(e.resource).test(address) && (e.stacks === undefined || patternToRegExp(e.stacks).test(stack)),
  );
}
