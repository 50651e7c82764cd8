import { asArray, resourcesOf } from '../../model.js';
import type { Address, PolicyStack, Rule, RuleFinding } from '../../types.js';

/** An AWS managed policy ARN: arn:<partition>:iam::aws:policy/... (the partition may be an interpolation). */
export const AWS_MANAGED_POLICY_ARN = /^arn:(?:\$\{[^}]*\}|[a-z-]+):iam::aws:policy\//;

/** Resource types that attach managed policies, and the attribute holding the ARN(s). */
const ATTACHMENTS: Readonly<Record<string, string>> = {
  aws_iam_role_policy_attachment: 'policy_arn',
  aws_iam_user_policy_attachment: 'policy_arn',
  aws_iam_group_policy_attachment: 'policy_arn',
  aws_iam_policy_attachment: 'policy_arn',
  aws_iam_role_policy_attachments_exclusive: 'policy_arns',
  aws_iam_role: 'managed_policy_arns',
};

function attachments(stack: PolicyStack): [string, string, string[]][] {
  const out: [string, string, string[]][] = [];
  for (const [type, attr] of Object.entries(ATTACHMENTS)) {
    for (const [id, body] of resourcesOf(stack, type)) {
      if (body[attr] === undefined) continue;
      out.push([type, id, asArray(body[attr]).filter((a): a is string => typeof a === 'string')]);
    }
  }
  return out;
}

/** No IAM role, user or group gets an AWS managed policy, unless the attachment is suppressed with its reason. */
export const iamNoAwsManagedPolicies: Rule = {
  id: 'iam-no-aws-managed-policies',
  service: 'iam',
  level: 'error',
  pack: 'security',
  checkov: [],
  cdkNag: ['AwsSolutions-IAM4'],
  appliesTo: [],
  description:
    'No aws_iam_*_policy_attachment, aws_iam_role_policy_attachments_exclusive or aws_iam_role.managed_policy_arns ' +
    'attaches an AWS managed policy (arn:<partition>:iam::aws:policy/...) unless suppressed with a written reason.',
  explanation:
    'AWS managed policies are written for every customer and change when AWS updates them; they usually grant more ' +
    'than one role needs (e.g. log reads on "*"), and iam-no-wildcard cannot see them because their documents are not ' +
    'in the stack (IAM user guide, "Get started with AWS managed policies and move toward least-privilege ' +
    "permissions\"). checkov's CKV_AWS_274 and CKV2_AWS_56 forbid only AdministratorAccess and IAMFullAccess, so they " +
    'do not correspond.',
  // Every role is a subject (met while nothing attaches an AWS managed policy to it), with every attachment: a stack
  // without any attachment still counts its roles as meeting the control.
  subjects(stack): Address[] {
    const roles = resourcesOf(stack, 'aws_iam_role').map(([id]) => `aws_iam_role.${id}`);
    return [...new Set([...roles, ...attachments(stack).map(([type, id]) => `${type}.${id}`)])];
  },
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [type, id, arns] of attachments(stack)) {
      const managed = arns.filter((a) => AWS_MANAGED_POLICY_ARN.test(a));
      if (managed.length) findings.push({ type, id, message: `attaches the AWS managed ${managed.map((a) => a.replace(/^.*:policy\//, '')).join(', ')}` });
    }
    return findings;
  },
};
