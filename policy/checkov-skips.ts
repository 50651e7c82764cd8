/**
 * The checkov checks we do not meet on purpose, each with its written reason (policy/checkov-skips.json). The
 * checkov tier (scripts/checkov.ts) counts a failed check as skipped only when an entry here matches its check id,
 * stack and resource; any other failure fails the tier. Our own rules (policy/rules/) carry their suppressions in
 * the resources; checkov's live here because its checks are not ours to change.
 *
 * Entry fields: `check` (a checkov id, e.g. CKV_AWS_18), `resource` (a pattern on `<type>.<logical id>`, `*` matches
 * any run of characters), optional `stacks` (a pattern on the stack name, default every stack), `reason` (why the
 * check does not apply or is accepted; at least a sentence).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CheckovSkip {
  readonly check: string;
  readonly resource: string;
  readonly stacks?: string;
  readonly reason: string;
}

export const CHECKOV_SKIPS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'checkov-skips.json');

function patternToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Reads and validates the skips; a malformed entry is an error that names it. */
export function loadCheckovSkips(file = CHECKOV_SKIPS_FILE): CheckovSkip[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { skips?: unknown };
  if (!Array.isArray(raw.skips)) throw new Error(`${file}: expected {"skips": [...]}`);
  return raw.skips.map((s: Record<string, unknown>, i: number) => {
    const where = `${file}: skips[${i}]`;
    if (typeof s.check !== 'string' || !/^CKV2?_[A-Z0-9]+_\d+$/.test(s.check)) throw new Error(`${where}: "check" must be a checkov id like CKV_AWS_18`);
    if (typeof s.resource !== 'string' || !/^[a-z0-9_*]+\.[A-Za-z0-9_*-]+$/.test(s.resource)) {
      throw new Error(`${where}: "resource" must be a <type>.<logical id> pattern, e.g. aws_s3_bucket.*`);
    }
    if (s.stacks !== undefined && typeof s.stacks !== 'string') throw new Error(`${where}: "stacks" must be a pattern string`);
    if (typeof s.reason !== 'string' || s.reason.trim().length < 20) throw new Error(`${where}: "reason" must say why (at least a sentence)`);
    return { check: s.check, resource: s.resource, ...(s.stacks ? { stacks: s.stacks as string } : {}), reason: s.reason };
  });
}

/** The entry that explains a failed check, if any. */
export function matchCheckovSkip(skips: readonly CheckovSkip[], check: string, stack: string, address: string): CheckovSkip | undefined {
  return skips.find(
    (s) => s.check === check && patternToRegExp(s.resource).test(address) && (s.stacks === undefined || patternToRegExp(s.stacks).test(stack)),
  );
}
