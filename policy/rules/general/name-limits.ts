import { NAME_LIMITS } from '../../../modules/naming.js';
import { literal, literalParts, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

interface NameSpec {
  readonly attr: string;
  readonly max: number;
  /** Characters AWS accepts (checked when the name is fully known). */
  readonly pattern?: RegExp;
  readonly hint?: string;
}

/** S3 bucket names (a full name, not a prefix): 3-63 characters. */
const S3_BUCKET_NAME = 63;
/** IAM role name_prefix: Terraform appends 26 characters to a role name of at most 64. */
const IAM_ROLE_NAME_PREFIX = NAME_LIMITS.iamRole - 26;

const LOWER_BUCKET = { pattern: /^[a-z0-9][a-z0-9.-]*$/, hint: 'lowercase letters, digits, "." and "-"' };
const LAMBDA_LIKE = { pattern: /^[A-Za-z0-9_-]+$/, hint: 'letters, digits, "-" and "_"' };
const QUEUE_LIKE = { pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/, hint: 'letters, digits, "-" and "_" (optional .fifo)' };
const STREAM_LIKE = { pattern: /^[A-Za-z0-9_.-]+$/, hint: 'letters, digits, ".", "-" and "_"' };
const GLUE = { pattern: /^[a-z0-9_]+$/, hint: 'lowercase letters, digits and "_" (Athena-compatible)' };

/** Resource type -> the name attributes and their AWS limits (from modules/naming.ts NAME_LIMITS). */
export const NAME_SPECS: Readonly<Record<string, readonly NameSpec[]>> = {
  aws_lambda_function: [{ attr: 'function_name', max: NAME_LIMITS.lambda, ...LAMBDA_LIKE }],
  aws_iam_role: [
    { attr: 'name', max: NAME_LIMITS.iamRole, pattern: /^[\w+=,.@-]+$/, hint: 'letters, digits and +=,.@-_' },
    { attr: 'name_prefix', max: IAM_ROLE_NAME_PREFIX, pattern: /^[\w+=,.@-]+$/, hint: 'letters, digits and +=,.@-_' },
  ],
  aws_iam_policy: [{ attr: 'name', max: NAME_LIMITS.iamPolicy, pattern: /^[\w+=,.@-]+$/, hint: 'letters, digits and +=,.@-_' }],
  aws_iam_role_policy: [{ attr: 'name', max: NAME_LIMITS.iamPolicy, pattern: /^[\w+=,.@-]+$/, hint: 'letters, digits and +=,.@-_' }],
  aws_kinesis_firehose_delivery_stream: [{ attr: 'name', max: NAME_LIMITS.firehose, ...STREAM_LIKE }],
  aws_sqs_queue: [{ attr: 'name', max: NAME_LIMITS.sqs, ...QUEUE_LIKE }],
  aws_sns_topic: [{ attr: 'name', max: NAME_LIMITS.sns, ...QUEUE_LIKE }],
  aws_s3_bucket: [
    { attr: 'bucket', max: S3_BUCKET_NAME, ...LOWER_BUCKET },
    { attr: 'bucket_prefix', max: NAME_LIMITS.s3BucketPrefix, ...LOWER_BUCKET },
  ],
  aws_cloudwatch_log_group: [{ attr: 'name', max: NAME_LIMITS.logGroup, pattern: /^[A-Za-z0-9_.#/-]+$/, hint: 'letters, digits and _-./#' }],
  aws_cloudwatch_metric_alarm: [{ attr: 'alarm_name', max: NAME_LIMITS.alarm }],
  aws_cloudwatch_composite_alarm: [{ attr: 'alarm_name', max: NAME_LIMITS.alarm }],
  aws_glue_catalog_database: [{ attr: 'name', max: NAME_LIMITS.glueDatabase, ...GLUE }],
  aws_glue_catalog_table: [{ attr: 'name', max: NAME_LIMITS.glueTable, ...GLUE }],
  aws_athena_named_query: [{ attr: 'name', max: NAME_LIMITS.athenaQuery }],
  aws_athena_workgroup: [{ attr: 'name', max: NAME_LIMITS.athenaWorkgroup, ...STREAM_LIKE }],
  aws_kinesis_stream: [{ attr: 'name', max: NAME_LIMITS.kinesis, ...STREAM_LIKE }],
  aws_dynamodb_table: [{ attr: 'name', max: NAME_LIMITS.dynamodb, ...STREAM_LIKE }],
  aws_cloudwatch_event_bus: [{ attr: 'name', max: NAME_LIMITS.eventBus, pattern: /^[A-Za-z0-9_./-]+$/, hint: 'letters, digits and _-./' }],
  aws_cloudwatch_event_rule: [{ attr: 'name', max: NAME_LIMITS.eventRule, ...STREAM_LIKE }],
  aws_cloudwatch_event_connection: [{ attr: 'name', max: NAME_LIMITS.connection, ...STREAM_LIKE }],
  aws_cloudwatch_event_api_destination: [{ attr: 'name', max: NAME_LIMITS.apiDestination, ...STREAM_LIKE }],
  aws_api_gateway_rest_api: [{ attr: 'name', max: NAME_LIMITS.apiGateway }],
  aws_apigatewayv2_api: [{ attr: 'name', max: NAME_LIMITS.apiGateway }],
  aws_cognito_user_pool: [{ attr: 'name', max: NAME_LIMITS.cognitoUserPool }],
  aws_secretsmanager_secret: [{ attr: 'name', max: NAME_LIMITS.secret }],
  aws_kms_alias: [{ attr: 'name', max: NAME_LIMITS.kmsAlias }],
  aws_ecr_repository: [{ attr: 'name', max: NAME_LIMITS.ecr }],
  aws_ecs_cluster: [{ attr: 'name', max: NAME_LIMITS.ecs }],
  aws_ecs_service: [{ attr: 'name', max: NAME_LIMITS.ecs }],
  aws_lb: [{ attr: 'name', max: NAME_LIMITS.alb }],
  aws_lb_target_group: [{ attr: 'name', max: NAME_LIMITS.targetGroup }],
};

/**
 * Every name is within its AWS limit and uses the characters AWS accepts. Names made of references are
 * resolved where the referenced value is literal; otherwise their literal part is a lower bound of the length.
 */
export const nameLimits: Rule = {
  id: 'name-limits',
  service: 'general',
  level: 'error',
  pack: 'core',
  checkov: [],
  cdkNag: [],
  appliesTo: [],
  explanation:
    'A name over its AWS limit, or with characters AWS refuses, fails only at apply time; checking the synthesized names catches it offline.',
  description: 'Every resource name is within its AWS length limit (modules/naming.ts NAME_LIMITS) and character rules.',
  subjects(stack) {
    const out: string[] = [];
    for (const [type, specs] of Object.entries(NAME_SPECS)) {
      for (const [id, body] of resourcesOf(stack, type)) if (specs.some((s) => typeof body[s.attr] === 'string')) out.push(`${type}.${id}`);
    }
    return out;
  },
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [type, specs] of Object.entries(NAME_SPECS)) {
      for (const [id, body] of resourcesOf(stack, type)) {
        for (const spec of specs) {
          const raw = body[spec.attr];
          if (typeof raw !== 'string') continue;
          const name = literal(stack, raw);
          const length = name?.length ?? literalParts(raw).length;
          if (length > spec.max) {
            findings.push({ type, id, message: `${spec.attr} "${name ?? raw}" is ${length} characters; the AWS limit is ${spec.max}` });
          }
          if (name !== undefined && spec.pattern && !spec.pattern.test(name)) {
            findings.push({ type, id, message: `${spec.attr} "${name}" uses characters AWS refuses: allowed are ${spec.hint}` });
          }
        }
      }
    }
    return findings;
  },
};
