import { blocks, readPolicy, resourcesOf, type Statement } from '../../model.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

/** Resource types and the attributes holding an IAM policy document (identity, trust and resource policies). */
export const POLICY_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_iam_role_policy: ['policy'],
  aws_iam_policy: ['policy'],
  aws_iam_user_policy: ['policy'],
  aws_iam_group_policy: ['policy'],
  aws_iam_role: ['assume_role_policy'],
  aws_sqs_queue_policy: ['policy'],
  aws_sqs_queue: ['policy'],
  aws_sns_topic_policy: ['policy'],
  aws_sns_topic: ['policy'],
  aws_s3_bucket_policy: ['policy'],
  aws_kms_key: ['policy'],
  aws_secretsmanager_secret_policy: ['policy'],
  aws_secretsmanager_secret: ['policy'],
  aws_cloudwatch_event_bus_policy: ['policy'],
  aws_cloudwatch_log_resource_policy: ['policy_document'],
  aws_ecr_repository_policy: ['policy'],
  aws_api_gateway_rest_api_policy: ['policy'],
  aws_api_gateway_rest_api: ['policy'],
  aws_kinesis_resource_policy: ['policy'],
  aws_dynamodb_resource_policy: ['policy'],
  aws_glue_resource_policy: ['policy'],
};

/** In a KMS key policy, Resource "*" means "this key" (AWS requires it), so only actions are checked there. */
const RESOURCE_STAR_MEANS_SELF = new Set(['aws_kms_key']);

export function wildcardProblems(s: Statement, resourceStarIsSelf: boolean): string[] {
  if (s.Effect !== 'Allow') return [];
  const problems: string[] = [];
  const where = s.Sid ? `statement ${s.Sid}` : 'a statement';
  const wildActions = s.Action.filter((a) => typeof a === 'string' && a.includes('*'));
  if (wildActions.length) problems.push(`${where} allows wildcard actions ${wildActions.join(', ')}`);
  if (s.NotAction.length) problems.push(`${where} allows NotAction (every other action)`);
  if (!resourceStarIsSelf && s.Resource.includes('*')) problems.push(`${where} allows Resource "*"`);
  if (!resourceStarIsSelf && s.NotResource.length) problems.push(`${where} allows NotResource (every other resource)`);
  return problems;
}

function policiesOf(stack: PolicyStack, type: string, body: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = (POLICY_ATTRIBUTES[type] ?? []).filter((a) => body[a] !== undefined).map((a) => [a, body[a]]);
  if (type === 'aws_iam_role') {
    blocks(body.inline_policy).forEach((p, i) => out.push([`inline_policy[${i}]`, p.policy]));
  }
  return out;
}

/**
 * No Allow statement grants `*` actions (any action with a `*`, e.g. "*", "sqs:*", "s3:Get*", or NotAction), and
 * none grants Resource "*" (or NotResource) unless the resource carries a suppression with a written reason
 * (the cases where AWS offers no resource-level permission, e.g. xray:PutTraceSegments).
 */
export const iamNoWildcard: Rule = {
  id: 'iam-no-wildcard',
  service: 'iam',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_63', 'CKV_AWS_355'],
  cdkNag: ['AwsSolutions-IAM5', 'Serverless-LambdaStarPermissions'],
  appliesTo: [],
  explanation:
    'Least privilege (IAM user guide, "Security best practices in IAM"): no action wildcards, and Resource "*" only where the action supports no resource-level permission, written down as a suppression.',
  description:
    'No Allow statement in identity, trust or resource policies has a wildcard action, and none has Resource "*" ' +
    'unless suppressed with the reason AWS requires it.',
  subjects(stack) {
    const out: string[] = [];
    for (const type of Object.keys(POLICY_ATTRIBUTES)) {
      for (const [id, body] of resourcesOf(stack, type)) if (policiesOf(stack, type, body).length) out.push(`${type}.${id}`);
    }
    return out;
  },
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const type of Object.keys(POLICY_ATTRIBUTES)) {
      for (const [id, body] of resourcesOf(stack, type)) {
        for (const [attr, value] of policiesOf(stack, type, body)) {
          const doc = readPolicy(stack, value);
          if (!doc.ok) {
            findings.push({ type, id, message: `${attr}: ${doc.reason}` });
            continue;
          }
          for (const s of doc.statements) {
            for (const p of wildcardProblems(s, RESOURCE_STAR_MEANS_SELF.has(type))) findings.push({ type, id, message: `${attr}: ${p}` });
          }
        }
      }
    }
    return findings;
  },
};
