import { blocks, conditionKeys, readPolicy, resourcesOf, servicePrincipals, type Body } from '../../model.js';
import type { Address, PolicyStack, Rule, RuleFinding } from '../../types.js';
import { POLICY_ATTRIBUTES } from './iam-no-wildcard.js';

/** Trust and resource policies: the policy attributes of iam-no-wildcard, plus key policies written apart. */
const RESOURCE_POLICY_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  ...POLICY_ATTRIBUTES,
  aws_kms_key_policy: ['policy'],
};

/** The condition keys AWS's confused-deputy guidance names; either one binds the service's request to our resources. */
export const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn'];

/**
 * Service principals whose role trust is not checked. Lambda execution roles: a function can only be given a role
 * through iam:PassRole by a principal of the role's own account, and the Lambda developer guide's execution-role
 * page gives no aws:SourceArn/aws:SourceAccount trust condition (issue 16's review left the 151 execution roles out
 * for that reason).
 */
export const TRUST_EXEMPT_SERVICES = ['lambda.amazonaws.com'];

interface Hit {
  readonly type: string;
  readonly id: string;
  readonly message?: string;
}

function scan(stack: PolicyStack): Hit[] {
  const hits: Hit[] = [];
  for (const [type, attrs] of Object.entries(RESOURCE_POLICY_ATTRIBUTES)) {
    for (const [id, body] of resourcesOf(stack, type)) {
      const values: [string, unknown][] = attrs.filter((a) => body[a] !== undefined).map((a) => [a, body[a]]);
      if (type === 'aws_iam_role') blocks(body.inline_policy).forEach((p, i) => values.push([`inline_policy[${i}]`, p.policy]));
      let subject = false;
      for (const [attr, value] of values) {
        const doc = readPolicy(stack, value);
        if (!doc.ok) continue; // iam-no-wildcard reports unreadable documents
        doc.statements.forEach((s, i) => {
          if (s.Effect !== 'Allow') return;
          let services = servicePrincipals(s);
          if (attr === 'assume_role_policy') services = services.filter((p) => !TRUST_EXEMPT_SERVICES.includes(p));
          if (!services.length) return;
          subject = true;
          const keys = conditionKeys(s);
          if (SOURCE_KEYS.some((k) => keys.has(k))) return;
          hits.push({
            type,
            id,
            message: `${attr}: ${s.Sid ? `statement ${s.Sid}` : `statement ${i + 1}`} allows ${services.join(', ')} with no aws:SourceAccount or aws:SourceArn condition`,
          });
        });
      }
      if (subject) hits.push({ type, id });
    }
  }
  for (const [id, p] of resourcesOf(stack, 'aws_lambda_permission') as [string, Body][]) {
    if (typeof p.principal !== 'string' || !/\.amazonaws\.com$/.test(p.principal)) continue;
    hits.push({ type: 'aws_lambda_permission', id });
    if (p.source_arn === undefined && p.source_account === undefined) {
      hits.push({ type: 'aws_lambda_permission', id, message: `permission for ${p.principal} has neither source_arn nor source_account` });
    }
  }
  return hits;
}

/**
 * Every Allow statement for an AWS service principal, in a role trust policy or a resource policy, carries
 * aws:SourceAccount or aws:SourceArn (and every aws_lambda_permission for a service has source_arn or
 * source_account).
 */
export const iamServicePrincipalConditions: Rule = {
  id: 'iam-service-principal-conditions',
  service: 'iam',
  level: 'error',
  pack: 'security',
  checkov: ['CKV_AWS_364'],
  cdkNag: [],
  appliesTo: [],
  description:
    'Every Allow statement that trusts an AWS service principal (*.amazonaws.com) in a role trust policy or a resource ' +
    'policy (queue, topic, bucket, key, ...) has an aws:SourceAccount or aws:SourceArn condition; every ' +
    'aws_lambda_permission for a service principal has source_arn or source_account. Lambda execution-role trust is exempt.',
  explanation:
    "AWS's cross-service confused-deputy guidance (IAM user guide, \"The confused deputy problem\", and each service's " +
    '"Cross-service confused deputy prevention" page: SNS, Firehose, EventBridge, API Gateway, VPC Flow Logs, ECS, ' +
    'CloudWatch) asks for aws:SourceArn and/or aws:SourceAccount so that the service acts on our resources only for ' +
    'requests from our own account or resource. checkov CKV_AWS_364 covers the aws_lambda_permission part.',
  subjects(stack): Address[] {
    return [...new Set(scan(stack).map((h) => `${h.type}.${h.id}`))];
  },
  check(stack) {
    return scan(stack)
      .filter((h): h is Required<Hit> => h.message !== undefined)
      .map((h): RuleFinding => ({ type: h.type, id: h.id, message: h.message }));
  },
};
