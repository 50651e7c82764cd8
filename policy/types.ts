/**
 * Types shared by the policy rules (policy/rules/*.ts) and the runner (policy/index.ts). A rule reads the
 * synthesized Terraform JSON of one stack (its cdk.tf.json) and reports findings, in the style of cdk-nag.
 */

/** The synthesized Terraform JSON of a stack (the parts the rules read). */
export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[] | Record<string, unknown>>;
  output?: Record<string, unknown>;
  terraform?: Record<string, unknown>;
  [k: string]: unknown;
}

/** A stack to check: its name (e.g. "ams-sp-traffic-na", "clickstream-us-east-1") and its Terraform JSON. */
export interface PolicyStack {
  readonly name: string;
  readonly json: TfJson;
}

/** What a rule reports: the resource (`<type>.<logical id>`, or a stack-level pseudo address) and why. */
export interface RuleFinding {
  /** Terraform resource type, e.g. "aws_sqs_queue"; "provider" or "stack" for stack-level findings. */
  readonly type: string;
  /** Logical id of the resource in the stack JSON (or the provider name). */
  readonly id: string;
  readonly message: string;
}

/** error: an unsuppressed finding fails `make test`; warning: reported (informational controls), never a failure. */
export type Level = 'error' | 'warning';

/**
 * The packs a rule belongs to, selectable in policy/index.ts `rulesOf(...packs)`: `core` (the rules every stack has
 * met since the first release), `security` (issue 16: TLS-only queues and topics, confused-deputy conditions,
 * AWS-managed policies, API throttling, KMS key policy and rotation), `informational` (controls reported as
 * `met / total` that are deployment choices, not failures).
 */
export type PackName = 'core' | 'security' | 'informational';

/** A resource address `<type>.<logical id>` ("provider.aws" for the stack's provider). */
export type Address = string;

export interface Rule {
  /** Kebab-case id, used by policy/suppress.ts `suppress(resource, id, reason)` and policy/pending-issue-16.json. */
  readonly id: string;
  /** The AWS service folder the rule lives in: policy/rules/<service>/<id>.ts. */
  readonly service: string;
  readonly level: Level;
  readonly pack: PackName;
  /** What a compliant resource looks like, in one or two sentences. */
  readonly description: string;
  /** Why the control matters and where its contract comes from (AWS documentation, provider docs). */
  readonly explanation: string;
  /** The checkov check ids that test the same control (empty when none corresponds). */
  readonly checkov: readonly string[];
  /** The cdk-nag rule ids (`<pack>-<rule>`) that test the same control (empty when none corresponds). */
  readonly cdkNag: readonly string[];
  /** Resource types whose every resource the control applies to (the `total` of the report), unless `subjects` is given. */
  readonly appliesTo: readonly string[];
  /** The addresses the control applies to in `stack`, when they are not simply every resource of `appliesTo`. */
  subjects?(stack: PolicyStack): Address[];
  check(stack: PolicyStack): RuleFinding[];
}

/** A finding as the runner reports it: with the rule and stack, and the suppression reason when suppressed. */
export interface Finding extends RuleFinding {
  readonly ruleId: string;
  readonly stack: string;
  readonly level: Level;
  /** The written reason when the resource carries a suppression for this rule; undefined = a failure (level error). */
  readonly suppressed?: string;
  /** Set when the suppression comes from policy/pending-issue-16.json (known debt) rather than from the resource. */
  readonly pending?: boolean;
}
