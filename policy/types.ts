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

export interface Rule {
  /** Kebab-case id, used by policy/suppress.ts `suppress(resource, id, reason)`. */
  readonly id: string;
  readonly description: string;
  check(stack: PolicyStack): RuleFinding[];
}

/** A finding as the runner reports it: with the rule and stack, and the suppression reason when suppressed. */
export interface Finding extends RuleFinding {
  readonly ruleId: string;
  readonly stack: string;
  /** The written reason when the resource carries a suppression for this rule; undefined = a failure. */
  readonly suppressed?: string;
}
