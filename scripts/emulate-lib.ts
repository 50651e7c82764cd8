/**
 * The pure parts of the emulated-apply tier (scripts/emulated-apply.ts): the ONE list of what the emulator (moto in
 * server mode) cannot do with our resource types, the known emulator-side diffs of a second plan, the provider
 * override that points a throwaway copy of a stack at moto, and the readers of terraform's output.
 *
 * Sources of the entries: /work/shared/reference/moto-terraform-notes.md (measured with moto 5.2.1 + hashicorp/aws
 * 5.100.0, causes re-checked in moto's source) and this tier's own runs against the pinned moto
 * (tools/requirements-moto.txt). An entry is never a pass: the report lists every resource it touched.
 */

export type TfResources = Record<string, Record<string, Record<string, unknown>>>;
export interface TfConfig {
  resource?: TfResources;
  output?: Record<string, unknown>;
  provider?: Record<string, Record<string, unknown>[]>;
  terraform?: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * What moto cannot do, per resource type:
 * - `omit`: the resource is left out of the throwaway copy, with every resource and output that refers to it
 *   (each is reported by address): applying it hangs or fails in moto.
 * - `forget-before-destroy`: applied and re-planned like the rest, then removed from the state before
 *   `terraform destroy` (moto cannot delete it; the destroy would hang). Reported as not destroyed.
 * - `substitute`: applied with the arguments moto cannot take replaced (reported with the replacement), so what
 *   refers to it is still applied.
 */
export interface EmulatorGap {
  readonly type: string;
  readonly handling: 'omit' | 'forget-before-destroy' | 'substitute';
  /** For `substitute`: the arguments that replace the resource's own in the copy (reported with the reason). */
  readonly substitute?: (resource: Record<string, unknown>, logicalId: string, fixtures: EmulatorFixtures) => Record<string, unknown>;
  /** Which resources of the type are affected; all when absent. */
  readonly applies?: (resource: Record<string, unknown>) => boolean;
  readonly condition?: string;
  readonly reason: string;
}

/** What the tier creates in moto before an apply, standing in for inputs the user or a partner brings. */
export interface EmulatorFixtures {
  /** A certificate issued by moto's ACM in the stack's region (for certificate_arn inputs). */
  readonly certificateArn?: string;
  /** Unique per stack run (names of substituted resources must not collide between stacks in one moto). */
  readonly suffix: string;
}

export const EMULATOR_GAPS: readonly EmulatorGap[] = [
  {
    type: 'aws_sqs_queue_redrive_allow_policy',
    handling: 'omit',
    reason:
      'moto does not implement the RedriveAllowPolicy queue attribute (never returned by GetQueueAttributes): the create waits ~20 min for it, then the stack cannot be planned or destroyed and the DLQ policy is erased',
  },
  {
    type: 'aws_cloudwatch_event_bus',
    handling: 'substitute',
    applies: (r) => typeof r.event_source_name === 'string',
    condition: 'partner event bus (event_source_name)',
    substitute: (_r, id, f) => ({ name: `emulated-${id}-${f.suffix}`.replace(/[^A-Za-z0-9._-]/g, '-'), event_source_name: null }),
    reason:
      'applied as a custom bus without event_source_name: a partner bus needs the partner event source, which only the partner (Amazon) creates, and moto cannot read the tags of a bus whose name contains "/"; its rules, targets, alarms and queue policies are applied against the custom bus',
  },
  {
    type: 'aws_lb_listener',
    handling: 'substitute',
    applies: (r) => typeof r.certificate_arn === 'string' && !r.certificate_arn.includes('${'),
    condition: 'certificate_arn from the config',
    substitute: (_r, _id, f) => ({ certificate_arn: f.certificateArn ?? null }),
    reason:
      'applied with a certificate the tier requested from moto\'s ACM: the configured certificate (config certificateArn) is one the user brings, and moto answers CertificateNotFound for any certificate it did not issue',
  },
  {
    type: 'aws_appautoscaling_target',
    handling: 'omit',
    reason: 'moto has no Application Auto Scaling tag actions: the provider retries TagResource/ListTagsForResource (HTTP 500) forever',
  },
  {
    type: 'aws_apigatewayv2_domain_name',
    handling: 'omit',
    reason: 'the provider waits for the domain status AVAILABLE, which moto never reports',
  },
  {
    type: 'aws_athena_named_query',
    handling: 'forget-before-destroy',
    reason: 'moto does not implement DeleteNamedQuery: the destroy hangs (and holds back the workgroup, database and bucket)',
  },
  {
    type: 'aws_api_gateway_account',
    handling: 'forget-before-destroy',
    applies: (r) => r.reset_on_delete === true,
    condition: 'reset_on_delete',
    reason: 'resetting the account settings on delete fails in moto (HTTP 500, retried until the timeout)',
  },
];

/**
 * Attributes that differ on the second plan because of moto, not our configuration. A change on the second plan is
 * "known emulator drift" only when every attribute it changes is listed for its type; it is still reported, never a
 * clean plan.
 */
export interface EmulatorDrift {
  readonly type: string;
  readonly attributes: readonly string[];
  readonly reason: string;
}

export const EMULATOR_DRIFT: readonly EmulatorDrift[] = [
  { type: 'aws_lambda_function', attributes: ['logging_config'], reason: 'moto ignores LoggingConfig on CreateFunction and returns none' },
  {
    type: 'aws_sqs_queue',
    attributes: ['redrive_policy'],
    reason: 'moto returns RedrivePolicy re-serialized with spaces, which the provider reads as a different document',
  },
  {
    type: 'aws_sqs_queue_policy',
    attributes: ['policy'],
    reason: 'moto erases the queue policy when it sets RedrivePolicy on the queue (the redrive drift above)',
  },
  { type: 'aws_kinesis_stream', attributes: ['tags', 'tags_all'], reason: 'moto drops the tags given to CreateStream' },
  { type: 'aws_api_gateway_authorizer', attributes: ['identity_validation_expression'], reason: 'moto drops identityValidationExpression on create' },
  {
    type: 'aws_ecs_service',
    attributes: ['availability_zone_rebalancing', 'enable_ecs_managed_tags', 'health_check_grace_period_seconds'],
    reason: 'moto does not return these fields of the created service (they settle after a second apply)',
  },
  { type: 'aws_vpc_security_group_ingress_rule', attributes: ['description'], reason: 'moto drops the description of a group-referencing rule on create' },
  { type: 'aws_vpc_security_group_egress_rule', attributes: ['description'], reason: 'moto drops the description of a group-referencing rule on create' },
];

export function gapFor(type: string, resource: Record<string, unknown>): EmulatorGap | undefined {
  return EMULATOR_GAPS.find((g) => g.type === type && (!g.applies || g.applies(resource)));
}

export interface OmittedResource {
  readonly address: string;
  readonly reason: string;
  /** The gap resource this one depends on (absent for the gap resource itself). */
  readonly because?: string;
}

export interface PreparedConfig {
  readonly config: TfConfig;
  readonly omitted: readonly OmittedResource[];
  readonly omittedOutputs: readonly string[];
  /** Resources applied with replaced arguments (`substitute` gaps). */
  readonly substituted: readonly { address: string; reason: string; with: Record<string, unknown> }[];
  /** Addresses to remove from the state before destroy (`forget-before-destroy` gaps). */
  readonly forget: readonly { address: string; reason: string }[];
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `value` (any JSON) refers to `address` (type.name) in an interpolation or a depends_on entry. */
export function refersTo(value: unknown, address: string): boolean {
  return new RegExp(`(?<![\\w-])${escapeRe(address)}(?![\\w-])`).test(JSON.stringify(value));
}

/**
 * Leaves the `omit` gaps out of a copy of a synthesized stack, with everything that refers to them (transitively),
 * and lists the `forget-before-destroy` ones. The input is not modified.
 */
export function prepareConfig(original: TfConfig, fixtures: EmulatorFixtures = { suffix: 'x' }): PreparedConfig {
  const config = JSON.parse(JSON.stringify(original)) as TfConfig;
  const resources = config.resource ?? {};
  const omitted: OmittedResource[] = [];
  const forget: { address: string; reason: string }[] = [];
  const substituted: { address: string; reason: string; with: Record<string, unknown> }[] = [];
  const gone = new Set<string>();
  for (const [type, byName] of Object.entries(resources)) {
    for (const [name, r] of Object.entries(byName)) {
      const gap = gapFor(type, r);
      if (!gap) continue;
      const address = `${type}.${name}`;
      const what = gap.condition ? `${gap.type} (${gap.condition})` : gap.type;
      if (gap.handling === 'omit') {
        omitted.push({ address, reason: `${what}: ${gap.reason}` });
        gone.add(address);
      } else if (gap.handling === 'substitute') {
        const replaced = gap.substitute!(r, name, fixtures);
        for (const [k, v] of Object.entries(replaced)) {
          if (v === null) delete r[k];
          else r[k] = v;
        }
        substituted.push({ address, reason: `${what}: ${gap.reason}`, with: replaced });
      } else {
        forget.push({ address, reason: `${what}: ${gap.reason}` });
      }
    }
  }
  // Everything that refers to an omitted resource cannot be applied either.
  for (let changed = gone.size > 0; changed; ) {
    changed = false;
    for (const [type, byName] of Object.entries(resources)) {
      for (const [name, r] of Object.entries(byName)) {
        const address = `${type}.${name}`;
        if (gone.has(address)) continue;
        const cause = [...gone].find((g) => refersTo(r, g));
        if (cause) {
          gone.add(address);
          omitted.push({ address, reason: `refers to ${cause}, which the emulator cannot apply`, because: cause });
          changed = true;
        }
      }
    }
  }
  for (const address of gone) {
    const dot = address.indexOf('.');
    const type = address.slice(0, dot);
    delete resources[type][address.slice(dot + 1)];
    if (Object.keys(resources[type]).length === 0) delete resources[type];
  }
  const omittedOutputs: string[] = [];
  for (const [name, out] of Object.entries(config.output ?? {})) {
    if ([...gone].some((g) => refersTo(out, g))) {
      omittedOutputs.push(name);
      delete config.output![name];
    }
  }
  return { config, omitted, omittedOutputs, substituted, forget: forget.filter((f) => !gone.has(f.address)) };
}

/** Deletion protection a user turns off before `terraform destroy` (AWS refuses the delete otherwise, moto too). */
const DELETION_PROTECTION: readonly { type: string; attribute: string; on: unknown; off: unknown }[] = [
  { type: 'aws_dynamodb_table', attribute: 'deletion_protection_enabled', on: true, off: false },
  { type: 'aws_cognito_user_pool', attribute: 'deletion_protection', on: 'ACTIVE', off: 'INACTIVE' },
  { type: 'aws_lb', attribute: 'enable_deletion_protection', on: true, off: false },
];

/** The copy with deletion protection off, and the addresses where it was on (to apply before destroy). */
export function withoutDeletionProtection(config: TfConfig): { config: TfConfig; addresses: string[] } {
  const copy = JSON.parse(JSON.stringify(config)) as TfConfig;
  const addresses: string[] = [];
  for (const p of DELETION_PROTECTION) {
    for (const [name, r] of Object.entries(copy.resource?.[p.type] ?? {})) {
      if (r[p.attribute] === p.on) {
        r[p.attribute] = p.off;
        addresses.push(`${p.type}.${name}`);
      }
    }
  }
  return { config: copy, addresses };
}

/** Endpoint keys (hashicorp/aws 5.x `endpoints` block) of every service our stacks use, all pointed at moto. */
export const ENDPOINT_SERVICES = [
  'acm', 'apigateway', 'apigatewayv2', 'appautoscaling', 'athena', 'cloudwatch', 'cognitoidp', 'dynamodb', 'ec2', 'ecr',
  'ecs', 'elbv2', 'events', 'firehose', 'glue', 'iam', 'kinesis', 'kms', 'lambda', 'logs', 's3', 'secretsmanager',
  'servicediscovery', 'sns', 'sqs', 'ssm', 'sts', 'wafv2',
] as const;

export const DUMMY_CREDENTIALS = { accessKey: 'AKIAEMULATEDAPPLY000', secretKey: 'emulated-apply-dummy-secret' } as const;

/**
 * The override file written into the throwaway copy: a local backend in the copy, and every aws provider block
 * (matched by alias) pointed at moto with dummy credentials and path-style S3.
 */
export function emulatorOverride(config: TfConfig, endpoint: string, statePath = 'emulated.tfstate'): Record<string, unknown> {
  const endpoints = Object.fromEntries(ENDPOINT_SERVICES.map((s) => [s, endpoint]));
  const providers = (config.provider?.aws ?? [{}]).map((p) => ({
    ...(p.alias ? { alias: p.alias } : {}),
    access_key: DUMMY_CREDENTIALS.accessKey,
    secret_key: DUMMY_CREDENTIALS.secretKey,
    s3_use_path_style: true,
    skip_metadata_api_check: true,
    endpoints: [endpoints],
  }));
  return { terraform: { backend: { local: { path: statePath } } }, provider: { aws: providers } };
}

function isEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly actions: readonly string[];
  /** Top-level attributes that change (for create/delete: none listed). */
  readonly attributes: readonly string[];
  /** Why this is moto's doing, when every changed attribute is a known emulator drift of the type. */
  readonly knownDrift?: string;
}

interface PlanJson {
  resource_changes?: {
    address: string;
    type: string;
    mode?: string;
    change: { actions: string[]; before?: Record<string, unknown> | null; after?: Record<string, unknown> | null; after_unknown?: Record<string, unknown> };
  }[];
  output_changes?: Record<string, { actions: string[] }>;
}

/** The changes of a `terraform show -json <plan>`, with the attributes each one changes and known drift marked. */
export function planChanges(plan: PlanJson): PlannedChange[] {
  const out: PlannedChange[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode === 'data') continue;
    const { actions, before, after, after_unknown: unknown } = rc.change;
    if (actions.length === 1 && (actions[0] === 'no-op' || actions[0] === 'read')) continue;
    const attributes = new Set<string>();
    if (before && after) {
      for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (!isEqual(before[k], after[k]) || (unknown && unknown[k])) attributes.add(k);
      }
    }
    const attrs = [...attributes].sort();
    const drift = EMULATOR_DRIFT.find(
      (d) => d.type === rc.type && actions.join(',') === 'update' && attrs.length > 0 && (d.attributes.includes('*') || attrs.every((a) => d.attributes.includes(a))),
    );
    out.push({ address: rc.address, type: rc.type, actions, attributes: attrs, ...(drift ? { knownDrift: drift.reason } : {}) });
  }
  return out;
}

export interface TerraformError {
  readonly address?: string;
  readonly message: string;
}

/** The `Error:` diagnostics of terraform's (no-color) output, each with the resource address it names. */
export function terraformErrors(output: string): TerraformError[] {
  const text = output.replace(/^[│╷╵]\s?/gm, '');
  const errors: TerraformError[] = [];
  const re = /^Error: (.*)$/gm;
  const starts = [...text.matchAll(re)];
  starts.forEach((m, i) => {
    const block = text.slice(m.index!, i + 1 < starts.length ? starts[i + 1].index : undefined);
    const address = /^\s*with ([^,\s]+),/m.exec(block)?.[1];
    const detail = block
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() && !/^\s*(with |on |\d+:)/.test(l))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    const message = `${m[1].trim()}${detail ? ` ${detail}` : ''}`;
    errors.push({ ...(address ? { address } : {}), message: message.length > 600 ? `${message.slice(0, 600)}...` : message });
  });
  return errors;
}

/** Resources terraform had started creating/modifying/destroying and not finished when the output ends (a hang). */
export function unfinishedResources(output: string): string[] {
  const started = new Map<string, true>();
  for (const line of output.split('\n')) {
    const m = /^([\w.\-[\]"]+): (Creating|Modifying|Destroying|Still creating|Still modifying|Still destroying)\.\.\./.exec(line);
    if (m) started.set(m[1], true);
    const done = /^([\w.\-[\]"]+): (Creation|Modifications|Destruction) complete/.exec(line);
    if (done) started.delete(done[1]);
  }
  return [...started.keys()];
}

/** The number of managed resources in `terraform state list` output. */
export function countStateResources(stateList: string): number {
  return stateList.split('\n').filter((l) => l.trim() && !l.startsWith('data.')).length;
}
