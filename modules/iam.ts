/**
 * The one place that builds IAM documents for this project: service roles (trust policies), inline policies, and
 * resource-policy statements that let an AWS service principal act on our resources. Every statement for a service
 * principal gets the confused-deputy conditions AWS documents for that service: `aws:SourceAccount` always (our own
 * account) and `aws:SourceArn` where the source resource is known (topic, rule, delivery stream, flow log, task
 * definition, alarm). See "The confused deputy problem" in the IAM User Guide and each service's guidance below.
 *
 * Our account id comes from an ARN the stack owns (`element(split(":", <arn>), 4)` in the stack-level local
 * `account_id`), never from `data.aws_caller_identity`, which would break the offline plan.
 */
import { Fn, TerraformLocal, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';

/** An IAM policy statement as JSON (Action/Resource may be strings or lists). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, unknown>;
}

/** A policy document (Version 2012-10-17) of `statements` exactly as given (resource and key policies). */
export function policyJson(statements: readonly unknown[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** A policy document (Version 2012-10-17); statements without an Effect are Allow. */
export function policyDocument(statements: readonly (PolicyStatement | Record<string, unknown>)[]): string {
  return policyJson(statements.map((s) => ({ Effect: 'Allow', ...s })));
}

/** Service principals this project trusts, with the confused-deputy guard AWS documents for each. */
export type ServicePrincipal =
  | 'sns.amazonaws.com'
  | 'firehose.amazonaws.com'
  | 'events.amazonaws.com'
  | 'apigateway.amazonaws.com'
  | 'vpc-flow-logs.amazonaws.com'
  | 'ecs-tasks.amazonaws.com'
  | 'lambda.amazonaws.com'
  | 'cloudwatch.amazonaws.com'
  | 'logging.s3.amazonaws.com'
  | `logs.${string}.amazonaws.com`;

/** The guidance entry of a principal (the regional CloudWatch Logs principals share one). */
type GuidanceKey = Exclude<ServicePrincipal, `logs.${string}.amazonaws.com`> | 'logs.<region>.amazonaws.com';
function guidanceKey(service: ServicePrincipal): GuidanceKey {
  return /^logs\.[a-z0-9-]+\.amazonaws\.com$/.test(service) ? 'logs.<region>.amazonaws.com' : (service as GuidanceKey);
}

/**
 * How a service's requests carry the confused-deputy keys, for a role it assumes (`trust`) and for a resource policy
 * that lets it act on our resource (`resource`):
 * - `documented`: AWS documents aws:SourceAccount/aws:SourceArn for this use: StringEquals / ArnEquals (ArnLike for a
 *   pattern).
 * - `ifExists`: AWS documents no value for them in this use, so a request without the key is not refused
 *   (StringEqualsIfExists / ArnEqualsIfExists); a request that carries another account or source is.
 * - `none`: the service documents no such key for this use: no condition (it could only break the service), and the
 *   comment says why.
 */
export type KeyMode = 'documented' | 'ifExists' | 'none';

export interface ServiceGuidance {
  readonly trust: KeyMode;
  readonly resource: KeyMode;
  /** Firehose's documented trust policy pins sts:ExternalId to the account id. */
  readonly externalIdIsAccount?: boolean;
  /** Where the guidance comes from (AWS documentation pages). */
  readonly source: string;
}

export const SERVICE_GUIDANCE: Readonly<Record<GuidanceKey, ServiceGuidance>> = {
  // Amazon EventBridge User Guide, "Using IAM policy conditions in Amazon EventBridge": aws:SourceAccount is the
  // account the rule is in, aws:SourceArn the ARN of the rule sending the event; for the target role's trust policy
  // and for SQS/SNS resource policies of targets and dead-letter queues.
  'events.amazonaws.com': {
    trust: 'documented',
    resource: 'documented',
    source: 'EventBridge User Guide: Using IAM policy conditions in Amazon EventBridge (aws:SourceAccount, aws:SourceArn = the rule)',
  },
  // Amazon VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs": the trust policy example conditions
  // aws:SourceAccount and ArnLike aws:SourceArn arn:aws:ec2:<region>:<account>:vpc-flow-log/<flow-log-id>.
  'vpc-flow-logs.amazonaws.com': { trust: 'documented', resource: 'none', source: 'VPC User Guide: IAM role for publishing flow logs to CloudWatch Logs' },
  // Amazon ECS Developer Guide, "Amazon ECS task IAM role": the trust relationship example conditions aws:SourceAccount
  // and ArnLike aws:SourceArn arn:aws:ecs:<region>:<account>:*. The task execution role page shows no condition: the
  // execution role uses the IfExists forms (ServiceRoleProps.ifExists).
  'ecs-tasks.amazonaws.com': { trust: 'documented', resource: 'none', source: 'ECS Developer Guide: Amazon ECS task IAM role (trust relationship conditions)' },
  // Amazon CloudWatch User Guide, "Using Amazon SNS topics for alarm actions": the topic access policy conditions
  // aws:SourceAccount and ArnLike aws:SourceArn arn:aws:cloudwatch:<region>:<account>:alarm:<name>.
  'cloudwatch.amazonaws.com': { trust: 'none', resource: 'documented', source: 'CloudWatch User Guide: Amazon SNS topics for alarm actions (confused-deputy conditions)' },
  // Amazon Data Firehose Developer Guide, "Allow Firehose to assume an IAM role": the documented trust policy conditions
  // sts:ExternalId = the account id. aws:SourceAccount/aws:SourceArn (the delivery stream) are not documented for
  // Firehose's AssumeRole, so they are added only as IfExists.
  'firehose.amazonaws.com': {
    trust: 'ifExists',
    resource: 'none',
    externalIdIsAccount: true,
    source: 'Firehose Developer Guide: Allow Firehose to assume an IAM role (sts:ExternalId = account id)',
  },
  // Amazon SNS Developer Guide: a queue subscribed to a topic conditions aws:SourceArn = the topic ("Sending Amazon SNS
  // messages to an Amazon SQS queue"), so resource policies use the documented forms. The Firehose subscription role
  // ("Prerequisites for subscribing Firehose delivery streams to Amazon SNS topics") trusts sns.amazonaws.com with no
  // documented key value: IfExists there (SNS acting for another account's or another topic is refused).
  'sns.amazonaws.com': { trust: 'ifExists', resource: 'documented', source: 'SNS Developer Guide: SQS subscriptions (aws:SourceArn = topic); Firehose subscription role prerequisites' },
  // Amazon API Gateway Developer Guide (CloudWatch logging role, AWS service integration credentials): the trust policy
  // examples carry no condition and no key value is documented: IfExists.
  'apigateway.amazonaws.com': { trust: 'ifExists', resource: 'none', source: 'API Gateway Developer Guide: CloudWatch logging role and AWS integration credentials (no condition documented)' },
  // Amazon CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the key policy allows
  // logs.<region>.amazonaws.com with ArnLike kms:EncryptionContext:aws:logs:arn (the caller adds it); no
  // aws:SourceAccount value is documented for its KMS calls: IfExists.
  'logs.<region>.amazonaws.com': { trust: 'none', resource: 'ifExists', source: 'CloudWatch Logs User Guide: Encrypt log data using AWS KMS (key policy)' },
  // Amazon S3 User Guide, "Permissions for log delivery" (server access logging): the target bucket's policy allows
  // logging.s3.amazonaws.com s3:PutObject with aws:SourceArn = the source bucket(s) and aws:SourceAccount = their owner.
  'logging.s3.amazonaws.com': { trust: 'none', resource: 'documented', source: 'S3 User Guide: Enabling Amazon S3 server access logging (permissions for log delivery)' },
  // AWS Lambda Developer Guide, "Defining Lambda function permissions with an execution role": the trust policy is
  // lambda.amazonaws.com with no condition; Lambda documents no aws:SourceArn/aws:SourceAccount value for assuming the
  // execution role (its aws:SourceArn guidance is for resource policies on the function, set here through
  // aws_lambda_permission source_arn). The function's own calls are identified by lambda:SourceFunctionArn.
  'lambda.amazonaws.com': { trust: 'none', resource: 'none', source: 'Lambda Developer Guide: execution role (no trust-policy condition documented)' },
};

/** ARN parts taken from an ARN the stack owns (no data source: the offline plan keeps working). */
function arnPart(arn: string, index: number): string {
  return Fn.element(Fn.split(':', arn), index);
}

const ACCOUNT_LOCAL = 'account_id';
const PARTITION_LOCAL = 'partition';

/**
 * Registers `arn` (an ARN of a resource this stack creates, in this stack's account) as the stack's source of its
 * account id and partition (locals `account_id` and `partition`), once per stack; later calls keep the first.
 */
export function registerAccountSource(scope: Construct, arn: string): void {
  const stack = TerraformStack.of(scope);
  if (stack.node.tryFindChild(ACCOUNT_LOCAL)) return;
  new TerraformLocal(stack, ACCOUNT_LOCAL, arnPart(arn, 4));
  new TerraformLocal(stack, PARTITION_LOCAL, arnPart(arn, 1));
}

function local(scope: Construct, id: string): string {
  const found = TerraformStack.of(scope).node.tryFindChild(id);
  if (!(found instanceof TerraformLocal)) {
    throw new Error(`${scope.node.path}: no ${id} local in this stack: create the stack's Alerts (or call registerAccountSource) first`);
  }
  return found.asString;
}

/** This stack's account id (`${local.account_id}`). */
export function ownAccount(scope: Construct): string {
  return local(scope, ACCOUNT_LOCAL);
}

/** This stack's partition (`${local.partition}`), e.g. "aws". */
export function ownPartition(scope: Construct): string {
  return local(scope, PARTITION_LOCAL);
}

/** An ARN in this stack's partition and account: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export function ownArn(scope: Construct, service: string, region: string, resource: string): string {
  return `arn:${ownPartition(scope)}:${service}:${region}:${ownAccount(scope)}:${resource}`;
}

export interface SourceConditionProps {
  readonly service: ServicePrincipal;
  /** The account the source resource is in. Default: this stack's account. */
  readonly sourceAccount?: string | readonly string[];
  /** The source resource's ARN (or an ArnLike pattern) when known: topic, rule, stream, flow log, task, alarm. */
  readonly sourceArn?: string | readonly string[];
  /**
   * Use the IfExists forms even where AWS documents the keys for the service, for a use of the service its guidance
   * does not cover (e.g. the ECS task execution role, assumed by the container agent).
   */
  readonly ifExists?: boolean;
}

/**
 * The confused-deputy Condition block for `service` (see SERVICE_GUIDANCE) in a trust policy (`use: "trust"`) or a
 * resource policy (`use: "resource"`): aws:SourceAccount always, aws:SourceArn when given; the plain operators where
 * AWS documents the keys for this use, the IfExists forms where it does not; undefined where it documents none.
 */
export function sourceCondition(scope: Construct, use: 'trust' | 'resource', props: SourceConditionProps): Record<string, Record<string, unknown>> | undefined {
  const guidance = SERVICE_GUIDANCE[guidanceKey(props.service)];
  const mode = guidance[use];
  if (mode === 'none') return undefined;
  const suffix = mode === 'ifExists' || props.ifExists ? 'IfExists' : '';
  const account = props.sourceAccount ?? ownAccount(scope);
  const condition: Record<string, Record<string, unknown>> = {};
  if (use === 'trust' && guidance.externalIdIsAccount) condition.StringEquals = { 'sts:ExternalId': ownAccount(scope) };
  condition[`StringEquals${suffix}`] = { ...condition[`StringEquals${suffix}`], 'aws:SourceAccount': account };
  if (props.sourceArn !== undefined) {
    const arns = typeof props.sourceArn === 'string' ? [props.sourceArn] : props.sourceArn;
    const operator = arns.some((a) => a.includes('*')) ? 'ArnLike' : 'ArnEquals';
    condition[`${operator}${suffix}`] = { 'aws:SourceArn': props.sourceArn };
  }
  return condition;
}

export interface ServiceStatementProps extends SourceConditionProps {
  readonly sid?: string;
  readonly actions: string | readonly string[];
  /** Resource of a resource-policy statement (e.g. the queue or topic ARN); omit in a trust policy. */
  readonly resource?: string | readonly string[];
  /** A resource-policy statement whose Resource the caller adds (e.g. QueueWithDlq's policyStatements). */
  readonly forResourcePolicy?: boolean;
  /** Further conditions of the statement (e.g. a KMS encryption context), merged with the source conditions. */
  readonly condition?: Record<string, Record<string, unknown>>;
}

/**
 * An Allow statement for a service principal with its confused-deputy conditions: a trust statement without
 * `resource`, a resource-policy statement with it.
 */
export function serviceStatement(scope: Construct, props: ServiceStatementProps): Record<string, unknown> {
  const use = props.resource !== undefined || props.forResourcePolicy ? 'resource' : 'trust';
  const source = sourceCondition(scope, use, props);
  const condition = props.condition || source ? mergeConditions(props.condition ?? {}, source ?? {}) : undefined;
  return {
    ...(props.sid !== undefined ? { Sid: props.sid } : {}),
    Effect: 'Allow',
    Principal: { Service: props.service },
    Action: props.actions,
    ...(props.resource !== undefined ? { Resource: props.resource } : {}),
    ...(condition ? { Condition: condition } : {}),
  };
}

export interface ServiceRoleProps extends SourceConditionProps {
  readonly name: string;
  readonly description?: string;
  /** Sid of the trust statement; none by default. */
  readonly sid?: string;
  /** Further trust statements (e.g. a partner's role), added as they are. */
  readonly extraTrust?: readonly Record<string, unknown>[];
}

/** The trust policy of a role `service` assumes, with the confused-deputy conditions for that service. */
export function trustPolicy(scope: Construct, props: Omit<ServiceRoleProps, 'name' | 'description'>): string {
  return policyJson([
    serviceStatement(scope, { ...props, actions: 'sts:AssumeRole' }),
    ...(props.extraTrust ?? []),
  ]);
}

/** A service role: an IamRole whose trust policy lets `service` assume it, with the confused-deputy conditions. */
export function serviceRole(scope: Construct, id: string, props: ServiceRoleProps): IamRole {
  return new IamRole(scope, id, {
    name: props.name,
    description: props.description,
    assumeRolePolicy: trustPolicy(scope, props),
  });
}

/** An inline policy of `role` (name, statements; statements without an Effect are Allow). */
export function inlinePolicy(
  scope: Construct,
  id: string,
  role: IamRole,
  name: string,
  statements: readonly (PolicyStatement | Record<string, unknown>)[] | string,
): IamRolePolicy {
  const policy = typeof statements === 'string' ? statements : policyDocument(statements);
  return new IamRolePolicy(scope, id, { name, role: role.id, policy });
}

function mergeConditions(a: Record<string, Record<string, unknown>>, b: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = { ...a };
  for (const [op, keys] of Object.entries(b)) out[op] = { ...out[op], ...keys };
  return out;
}
