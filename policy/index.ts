/**
 * Policy checks in the style of cdk-nag over synthesized Terraform JSON. Each rule lives in its own file under
 * policy/rules/<service>/ and carries an id, a level (error/warning), a pack, an explanation and the checkov and
 * cdk-nag ids of the same control. Packs: `core` (RULES, the default), `security` (issue 16) and `informational`
 * (controls reported as met/total, never failures); `rulesOf(...)` selects them, ALL_RULES is every pack.
 *
 * `checkStack` runs rules over one stack, `checkAll` over many. A finding on a resource that carries a suppression for
 * the rule (policy/suppress.ts) is reported with the suppression's reason instead of failing; a finding covered by
 * policy/pending-issue-16.json (known debt, policy/pending.ts) likewise, marked `pending`. `evaluate` also counts, per
 * rule, how many resources meet the control (scripts/policy-report.ts prints it).
 */
import { suppressionOf } from './model.js';
import { loadPending, matchPending, type PendingEntry } from './pending.js';
import { apigatewayRestWaf } from './rules/apigateway/apigateway-rest-waf.js';
import { apigatewayThrottling } from './rules/apigateway/apigateway-throttling.js';
import { cognitoMfa } from './rules/cognito/cognito-mfa.js';
import { dynamodbDeletionProtection } from './rules/dynamodb/dynamodb-deletion-protection.js';
import { dynamodbPitrSse } from './rules/dynamodb/dynamodb-pitr-sse.js';
import { nameLimits } from './rules/general/name-limits.js';
import { providerRegion } from './rules/general/provider-region.js';
import { iamNoAwsManagedPolicies } from './rules/iam/iam-no-aws-managed-policies.js';
import { iamNoWildcard } from './rules/iam/iam-no-wildcard.js';
import { iamServicePrincipalConditions } from './rules/iam/iam-service-principal-conditions.js';
import { kinesisEncrypted } from './rules/kinesis/kinesis-encrypted.js';
import { kmsKeyPolicy } from './rules/kms/kms-key-policy.js';
import { kmsKeyRotation } from './rules/kms/kms-key-rotation.js';
import { lambdaFailurePath } from './rules/lambda/lambda-failure-path.js';
import { lambdaLogRetention } from './rules/lambda/lambda-log-retention.js';
import { lambdaReservedConcurrency } from './rules/lambda/lambda-reserved-concurrency.js';
import { lambdaTracing } from './rules/lambda/lambda-tracing.js';
import { logGroupKms } from './rules/logs/log-group-kms.js';
import { logGroupRetention } from './rules/logs/log-group-retention.js';
import { s3AccessLogging } from './rules/s3/s3-access-logging.js';
import { s3BlockPublicAccess } from './rules/s3/s3-block-public-access.js';
import { s3Encryption } from './rules/s3/s3-encryption.js';
import { s3TlsOnly } from './rules/s3/s3-tls-only.js';
import { s3Versioning } from './rules/s3/s3-versioning.js';
import { snsEncrypted } from './rules/sns/sns-encrypted.js';
import { snsTlsOnly } from './rules/sns/sns-tls-only.js';
import { sqsDlq } from './rules/sqs/sqs-dlq.js';
import { sqsSse } from './rules/sqs/sqs-sse.js';
import { sqsTlsOnly } from './rules/sqs/sqs-tls-only.js';
import { sqsVisibilityTimeout } from './rules/sqs/sqs-visibility-timeout.js';
import type { Address, Finding, PackName, PolicyStack, Rule } from './types.js';

export type { Address, Finding, Level, PackName, PolicyStack, Rule, RuleFinding, TfJson } from './types.js';
export { suppress } from './suppress.js';
export type { PendingEntry } from './pending.js';

export const PACKS: Readonly<Record<PackName, readonly Rule[]>> = {
  core: [
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
  ],
  security: [sqsTlsOnly, snsTlsOnly, iamServicePrincipalConditions, iamNoAwsManagedPolicies, apigatewayThrottling, kmsKeyPolicy, kmsKeyRotation],
  informational: [
    lambdaTracing,
    lambdaReservedConcurrency,
    s3Versioning,
    s3AccessLogging,
    logGroupKms,
    dynamodbDeletionProtection,
    apigatewayRestWaf,
    cognitoMfa,
  ],
};

/** The default rule set: the core pack (what every stack test has always checked). */
export const RULES: readonly Rule[] = PACKS.core;

/** Every rule of every pack. */
export const ALL_RULES: readonly Rule[] = [...PACKS.core, ...PACKS.security, ...PACKS.informational];

/** The rules of the named packs, in pack order. */
export function rulesOf(...packs: PackName[]): Rule[] {
  for (const p of packs) if (!PACKS[p]) throw new Error(`unknown policy pack "${p}"; packs are ${Object.keys(PACKS).join(', ')}`);
  return packs.flatMap((p) => PACKS[p]);
}

let defaultPending: PendingEntry[] | undefined;
/** policy/pending-issue-16.json, read once. */
export function pendingEntries(): PendingEntry[] {
  defaultPending ??= loadPending(undefined, ALL_RULES.map((r) => r.id));
  return defaultPending;
}

export interface CheckOptions {
  /** Known-debt entries applied to findings (default: policy/pending-issue-16.json). */
  readonly pending?: readonly PendingEntry[];
}

/** Runs `rules` (default: the core pack) over one stack; suppressed findings carry their reason in `suppressed`. */
export function checkStack(stack: PolicyStack, rules: readonly Rule[] = RULES, options: CheckOptions = {}): Finding[] {
  const pending = options.pending ?? pendingEntries();
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const f of rule.check(stack)) {
      const body = stack.json.resource?.[f.type]?.[f.id];
      const reason = suppressionOf(body, rule.id);
      const base = { ...f, ruleId: rule.id, level: rule.level, stack: stack.name };
      if (reason) {
        findings.push({ ...base, suppressed: reason });
        continue;
      }
      const entry = matchPending(pending, rule.id, stack.name, `${f.type}.${f.id}`);
      findings.push(entry ? { ...base, suppressed: entry.reason, pending: true } : base);
    }
  }
  return findings;
}

export function checkAll(stacks: readonly PolicyStack[], rules: readonly Rule[] = RULES, options: CheckOptions = {}): Finding[] {
  return stacks.flatMap((s) => checkStack(s, rules, options));
}

/** Findings that fail the check: level error and not suppressed. */
export function failures(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.suppressed === undefined && f.level !== 'warning');
}

/** One line per finding: `[rule] stack type.id: message (suppressed: reason)`. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map(
      (f) =>
        `[${f.ruleId}${f.level === 'warning' ? ' (warning)' : ''}] ${f.stack} ${f.type}.${f.id}: ${f.message}` +
        `${f.suppressed ? ` (${f.pending ? 'pending' : 'suppressed'}: ${f.suppressed})` : ''}`,
    )
    .join('\n');
}

/** The addresses a rule applies to in a stack: its `subjects`, or every resource of its `appliesTo` types. */
export function subjectsOf(rule: Rule, stack: PolicyStack): Address[] {
  if (rule.subjects) return rule.subjects(stack);
  return rule.appliesTo.flatMap((type) => Object.keys(stack.json.resource?.[type] ?? {}).map((id) => `${type}.${id}`));
}

/** Per rule: how many resources it applies to and how each fares (a resource counts once, by its worst finding). */
export interface ControlResult {
  readonly rule: Rule;
  readonly total: number;
  /** No finding at all. */
  readonly met: number;
  /** Findings, all suppressed in the resource with a written reason. */
  readonly suppressed: number;
  /** Findings, all covered by suppressions or pending-issue-16.json entries, at least one of the latter. */
  readonly pending: number;
  /** At least one unsuppressed finding (a failure for an error-level rule, "not met" for a warning). */
  readonly failing: number;
}

export interface Evaluation {
  readonly findings: Finding[];
  readonly controls: ControlResult[];
  /** Pending entries with the number of findings each covers (0 = stale). */
  readonly pendingUse: { entry: PendingEntry; findings: number }[];
}

/** Runs `rules` over `stacks` and counts, per rule, the resources that meet it. */
export function evaluate(stacks: readonly PolicyStack[], rules: readonly Rule[] = ALL_RULES, options: CheckOptions = {}): Evaluation {
  const pending = options.pending ?? pendingEntries();
  const findings: Finding[] = [];
  const controls: ControlResult[] = [];
  const counts = new Map<Rule, { total: number; met: number; suppressed: number; pending: number; failing: number }>();
  for (const r of rules) counts.set(r, { total: 0, met: 0, suppressed: 0, pending: 0, failing: 0 });
  for (const stack of stacks) {
    const stackFindings = checkStack(stack, rules, { pending });
    findings.push(...stackFindings);
    for (const rule of rules) {
      const mine = stackFindings.filter((f) => f.ruleId === rule.id);
      const addresses = new Set([...subjectsOf(rule, stack), ...mine.map((f) => `${f.type}.${f.id}`)]);
      const c = counts.get(rule)!;
      for (const a of addresses) {
        const at = mine.filter((f) => `${f.type}.${f.id}` === a);
        c.total++;
        if (!at.length) c.met++;
        else if (at.some((f) => f.suppressed === undefined)) c.failing++;
        else if (at.some((f) => f.pending)) c.pending++;
        else c.suppressed++;
      }
    }
  }
  for (const r of rules) controls.push({ rule: r, ...counts.get(r)! });
  const pendingUse = pending.filter((e) => rules.some((r) => r.id === e.rule)).map((entry) => ({
    entry,
    findings: findings.filter((f) => f.pending && matchPending(pending, f.ruleId, f.stack, `${f.type}.${f.id}`) === entry).length,
  }));
  return { findings, controls, pendingUse };
}
