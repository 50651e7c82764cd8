import { expect } from 'vitest';
import { checkAll, failures, formatFindings, type PolicyStack } from '../../policy/index.js';
import type { Finding } from '../../policy/types.js';

/**
 * The suppression every Lambda function with active tracing carries (modules/lambda-function.ts): its separate
 * tracing policy grants the X-Ray write actions on Resource "*", which AWS requires for them.
 */
export function isTracingSuppression(f: Finding): boolean {
  return f.ruleId === 'iam-no-wildcard' && f.type === 'aws_iam_role_policy' && /_tracing-policy_/.test(f.id) && f.suppressed !== undefined;
}

/**
 * Every policy rule passes over `stacks`, and the only suppressions besides the tracing one are of the rules in
 * `suppressedRules` (e.g. sns-encrypted, which every alerts topic carries).
 */
export function expectPolicyClean(stacks: readonly PolicyStack[], suppressedRules: readonly string[]): void {
  const findings = checkAll(stacks);
  expect(failures(findings), formatFindings(failures(findings))).toEqual([]);
  expect(new Set(findings.filter((f) => !isTracingSuppression(f)).map((f) => f.ruleId))).toEqual(new Set(suppressedRules));
}
