/**
 * Policy checks in the style of cdk-nag over synthesized Terraform JSON. Each rule lives in its own file under
 * policy/rules/; `checkStack` runs them all over one stack, `checkAll` over many. A finding on a resource that
 * carries a suppression for the rule (policy/suppress.ts) is reported with the suppression's reason instead of
 * failing.
 */
import { suppressionOf } from './model.js';
import { dynamodbPitrSse } from './rules/dynamodb-pitr-sse.js';
import { iamNoWildcard } from './rules/iam-no-wildcard.js';
import { kinesisEncrypted } from './rules/kinesis-encrypted.js';
import { lambdaFailurePath } from './rules/lambda-failure-path.js';
import { lambdaLogRetention } from './rules/lambda-log-retention.js';
import { logGroupRetention } from './rules/log-group-retention.js';
import { nameLimits } from './rules/name-limits.js';
import { providerRegion } from './rules/provider-region.js';
import { s3BlockPublicAccess } from './rules/s3-block-public-access.js';
import { s3Encryption } from './rules/s3-encryption.js';
import { s3TlsOnly } from './rules/s3-tls-only.js';
import { snsEncrypted } from './rules/sns-encrypted.js';
import { sqsDlq } from './rules/sqs-dlq.js';
import { sqsSse } from './rules/sqs-sse.js';
import { sqsVisibilityTimeout } from './rules/sqs-visibility-timeout.js';
import type { Finding, PolicyStack, Rule } from './types.js';

export type { Finding, PolicyStack, Rule, RuleFinding, TfJson } from './types.js';
export { suppress } from './suppress.js';

export const RULES: readonly Rule[] = [
  sqsSse,
  sqsDlq,
  s3BlockPublicAccess,
  s3Encryption,
  s3TlsOnly,
  lambdaLogRetention,
  lambdaFailurePath,
  iamNoWildcard,
  sqsVisibilityTimeout,
  nameLimits,
  providerRegion,
  snsEncrypted,
  dynamodbPitrSse,
  kinesisEncrypted,
  logGroupRetention,
];

/** Runs `rules` (default: all) over one stack; suppressed findings carry their reason in `suppressed`. */
export function checkStack(stack: PolicyStack, rules: readonly Rule[] = RULES): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const f of rule.check(stack)) {
      const body = stack.json.resource?.[f.type]?.[f.id];
      const reason = suppressionOf(body, rule.id);
      findings.push({ ...f, ruleId: rule.id, stack: stack.name, ...(reason ? { suppressed: reason } : {}) });
    }
  }
  return findings;
}

export function checkAll(stacks: readonly PolicyStack[], rules: readonly Rule[] = RULES): Finding[] {
  return stacks.flatMap((s) => checkStack(s, rules));
}

/** Findings that are not suppressed (the ones that fail the check). */
export function failures(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.suppressed === undefined);
}

/** One line per finding: `[rule] stack type.id: message (suppressed: reason)`. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map((f) => `[${f.ruleId}] ${f.stack} ${f.type}.${f.id}: ${f.message}${f.suppressed ? ` (suppressed: ${f.suppressed})` : ''}`)
    .join('\n');
}
