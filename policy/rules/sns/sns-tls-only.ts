import { referencedIds, resourcesOf } from '../../model.js';
import { deniesInsecureTransportOn } from '../../tls.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

/** The policy documents that apply to topic `tid`: its aws_sns_topic_policy resources and its inline `policy`. */
export function topicPolicies(stack: PolicyStack, tid: string): unknown[] {
  const t = stack.json.resource?.aws_sns_topic?.[tid];
  const out: unknown[] = resourcesOf(stack, 'aws_sns_topic_policy')
    .filter(([, p]) => referencedIds(p.arn, 'aws_sns_topic').includes(tid))
    .map(([, p]) => p.policy);
  if (t?.policy !== undefined) out.push(t.policy);
  return out;
}

/** Every SNS topic has a topic policy that denies sns:Publish to everyone without TLS. */
export const snsTlsOnly: Rule = {
  id: 'sns-tls-only',
  service: 'sns',
  level: 'error',
  pack: 'security',
  checkov: [],
  cdkNag: ['AwsSolutions-SNS3'],
  appliesTo: ['aws_sns_topic'],
  description:
    'Every SNS topic has a topic policy (aws_sns_topic_policy or the inline policy) with a Deny of "sns:Publish" (or ' +
    '"sns:*", "*") to Principal "*" on the topic when aws:SecureTransport is false.',
  explanation:
    'SNS accepts publishes over HTTP unless the topic policy refuses them; the SNS developer guide ("Amazon SNS security ' +
    'best practices": enforce encryption of data in transit) gives this Deny statement. Stricter than cdk-nag SNS3, ' +
    'which accepts any KMS-encrypted topic without the statement.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id] of resourcesOf(stack, 'aws_sns_topic')) {
      const policies = topicPolicies(stack, id);
      if (deniesInsecureTransportOn(stack, policies, ['sns:publish', 'sns:*', '*'], 'aws_sns_topic', id)) continue;
      findings.push({
        type: 'aws_sns_topic',
        id,
        message: policies.length
          ? 'topic policy does not deny sns:Publish to everyone when aws:SecureTransport is false'
          : 'topic has no topic policy denying non-TLS publishes',
      });
    }
    return findings;
  },
};
