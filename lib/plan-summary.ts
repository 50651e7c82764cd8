/**
 * One review summary for the saved plans of many stacks, computed from `terraform show -json <planfile>`
 * (Terraform's JSON output format: `resource_changes[]` with `address`, `type`, `mode`, `change.actions`,
 * `action_reason`, `change.before`/`after`; `output_changes`). Counts follow terraform's own "Plan: X to add,
 * Y to change, Z to destroy" (a replacement counts as one add and one destroy). Replacements and deletions of
 * resources that hold data are flagged loudly; IAM and resource-policy changes are listed.
 */

/** Resource types whose deletion or replacement loses data or identity that cannot be recreated. */
export const STATEFUL_TYPES: readonly string[] = [
  'aws_s3_bucket',
  'aws_dynamodb_table',
  'aws_cognito_user_pool',
  'aws_kinesis_stream',
  'aws_sqs_queue',
  'aws_kms_key',
  'aws_cloudwatch_log_group',
  'aws_secretsmanager_secret',
  'aws_ecr_repository',
  'aws_glue_catalog_database',
  'aws_glue_catalog_table',
  'aws_kinesis_firehose_delivery_stream',
];

/** IAM resources and resource policies (types); updates of other resources touching a *policy* attribute count too. */
export function isPolicyType(type: string): boolean {
  return type.startsWith('aws_iam_') || /_policy$|_policy_attachment$|^aws_lambda_permission$/.test(type);
}

export interface PlanJson {
  format_version?: string;
  terraform_version?: string;
  resource_changes?: ResourceChange[];
  output_changes?: Record<string, { actions: string[] }>;
  errored?: boolean;
}

export interface ResourceChange {
  address: string;
  type: string;
  name?: string;
  mode?: string;
  action_reason?: string;
  change: { actions: string[]; before?: unknown; after?: unknown; replace_paths?: unknown[] };
}

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'forget' | 'read' | 'no-op';

export function actionOf(actions: readonly string[]): Action {
  const a = [...actions].sort().join(',');
  if (a === 'create,delete') return 'replace';
  if (a === 'create' || a === 'update' || a === 'delete' || a === 'read' || a === 'forget') return a;
  if (a === 'create,forget') return 'replace';
  return 'no-op';
}

export interface Flagged {
  readonly stack: string;
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  readonly reason?: string;
  /** For policy updates: the changed attributes whose name contains "policy". */
  readonly attributes?: string[];
}

export interface StackSummary {
  readonly stack: string;
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
  readonly forget: number;
  readonly outputChanges: number;
  readonly stateful: Flagged[];
  readonly policy: Flagged[];
  /** Set when the stack could not be planned. */
  readonly error?: string;
}

export interface PlanSummary {
  readonly stacks: StackSummary[];
  readonly totals: { add: number; change: number; destroy: number; replace: number; stacksWithChanges: number };
  /** Stateful resources replaced or deleted, across all stacks. */
  readonly stateful: Flagged[];
  readonly policy: Flagged[];
  readonly failed: string[];
}

function changedPolicyAttributes(before: unknown, after: unknown): string[] {
  if (!before || !after || typeof before !== 'object' || typeof after !== 'object') return [];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((k) => /policy/i.test(k) && JSON.stringify(b[k]) !== JSON.stringify(a[k]))
    .sort();
}

export function summarizeStack(stack: string, plan: PlanJson, statefulTypes: readonly string[] = STATEFUL_TYPES): StackSummary {
  let add = 0, change = 0, destroy = 0, replace = 0, forget = 0;
  const stateful: Flagged[] = [];
  const policy: Flagged[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode && rc.mode !== 'managed') continue;
    const action = actionOf(rc.change.actions);
    if (action === 'create') add++;
    else if (action === 'update') change++;
    else if (action === 'delete') destroy++;
    else if (action === 'forget') forget++;
    else if (action === 'replace') {
      add++;
      destroy++;
      replace++;
    }
    if (action === 'no-op' || action === 'read') continue;
    const base = { stack, address: rc.address, type: rc.type, action, ...(rc.action_reason ? { reason: rc.action_reason } : {}) };
    if ((action === 'replace' || action === 'delete' || action === 'forget') && statefulTypes.includes(rc.type)) stateful.push(base);
    if (isPolicyType(rc.type)) policy.push(base);
    else if (action === 'update') {
      const attrs = changedPolicyAttributes(rc.change.before, rc.change.after);
      if (attrs.length) policy.push({ ...base, attributes: attrs });
    }
  }
  const outputChanges = Object.values(plan.output_changes ?? {}).filter((o) => actionOf(o.actions) !== 'no-op').length;
  return { stack, add, change, destroy, replace, forget, outputChanges, stateful, policy };
}

export function summarize(stacks: readonly StackSummary[]): PlanSummary {
  const sorted = [...stacks].sort((a, b) => a.stack.localeCompare(b.stack));
  const ok = sorted.filter((s) => !s.error);
  return {
    stacks: sorted,
    totals: {
      add: ok.reduce((n, s) => n + s.add, 0),
      change: ok.reduce((n, s) => n + s.change, 0),
      destroy: ok.reduce((n, s) => n + s.destroy, 0),
      replace: ok.reduce((n, s) => n + s.replace, 0),
      stacksWithChanges: ok.filter((s) => s.add + s.change + s.destroy + s.forget + s.outputChanges > 0).length,
    },
    stateful: ok.flatMap((s) => s.stateful),
    policy: ok.flatMap((s) => s.policy),
    failed: sorted.filter((s) => s.error).map((s) => s.stack),
  };
}

const VERB: Record<Action, string> = {
  create: 'create', update: 'update', replace: 'REPLACE', delete: 'DELETE', forget: 'FORGET (removed from state, kept in AWS)', read: 'read', 'no-op': 'no-op',
};

/** Markdown for a pull-request comment or a CI job summary. */
export function toMarkdown(s: PlanSummary, o: { title?: string; context?: string } = {}): string {
  const lines: string[] = [];
  lines.push(`## ${o.title ?? 'Terraform plan'}`);
  if (o.context) lines.push('', o.context);
  lines.push('');
  if (s.stateful.length) {
    lines.push(
      `> [!CAUTION]`,
      `> **${s.stateful.length} resource${s.stateful.length === 1 ? '' : 's'} holding data will be replaced or deleted.** ` +
        `Data in them is lost unless you move it first. Review each one below before applying.`,
      '',
    );
  }
  if (s.failed.length) lines.push(`> [!WARNING]`, `> **${s.failed.length} stack(s) could not be planned:** ${s.failed.join(', ')}`, '');
  const t = s.totals;
  const planned = s.stacks.length - s.failed.length;
  lines.push(
    `**${planned} stack${planned === 1 ? '' : 's'} planned${s.failed.length ? ` (${s.failed.length} failed)` : ''}, ${t.stacksWithChanges} with changes: ` +
      `${t.add} to add, ${t.change} to change, ${t.destroy} to destroy${t.replace ? ` (${t.replace} replacements)` : ''}.**`,
    '',
  );
  if (s.stateful.length) {
    lines.push('### :warning: Stateful resources replaced or deleted', '');
    for (const f of s.stateful) lines.push(`- **${VERB[f.action]}** \`${f.address}\` in \`${f.stack}\`${f.reason ? ` (${f.reason})` : ''}`);
    lines.push('');
  }
  const changed = s.stacks.filter((x) => x.error || x.add + x.change + x.destroy + x.forget + x.outputChanges > 0);
  if (changed.length) {
    lines.push('| stack | add | change | destroy | replace | notes |', '|---|---:|---:|---:|---:|---|');
    for (const x of changed) {
      const notes = x.error
        ? `**plan failed:** ${x.error.split('\n')[0].slice(0, 200)}`
        : [x.stateful.length ? `:warning: ${x.stateful.length} stateful replaced/deleted` : '', x.policy.length ? `${x.policy.length} IAM/policy` : '', x.outputChanges ? `${x.outputChanges} outputs` : '']
            .filter(Boolean)
            .join('; ');
      const n = (v: number) => (x.error ? '-' : String(v));
      lines.push(`| \`${x.stack}\` | ${n(x.add)} | ${n(x.change)} | ${n(x.destroy)} | ${n(x.replace)} | ${notes} |`);
    }
    lines.push('');
  }
  if (s.policy.length) {
    lines.push('### IAM and resource-policy changes', '');
    for (const f of s.policy) {
      lines.push(`- ${VERB[f.action]} \`${f.address}\` in \`${f.stack}\`${f.attributes ? ` (${f.attributes.join(', ')})` : ''}`);
    }
    lines.push('');
  }
  const unchanged = s.stacks.filter((x) => !x.error && x.add + x.change + x.destroy + x.forget + x.outputChanges === 0);
  if (unchanged.length) lines.push(`<details><summary>${unchanged.length} stacks without changes</summary>`, '', unchanged.map((x) => `\`${x.stack}\``).join(', '), '', '</details>', '');
  return `${lines.join('\n')}\n`;
}
