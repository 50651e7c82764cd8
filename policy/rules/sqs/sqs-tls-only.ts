import { referencedIds, resourcesOf } from '../../model.js';
import { deniesInsecureTransportOn } from '../../tls.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

/** The policy documents that apply to queue `qid`: its aws_sqs_queue_policy resources and its inline `policy`. */
export function queuePolicies(stack: PolicyStack, qid: string): unknown[] {
  const q = stack.json.resource?.aws_sqs_queue?.[qid];
  const out: unknown[] = resourcesOf(stack, 'aws_sqs_queue_policy')
    .filter(([, p]) => referencedIds(p.queue_url, 'aws_sqs_queue').includes(qid))
    .map(([, p]) => p.policy);
  if (q?.policy !== undefined) out.push(q.policy);
  return out;
}

/** Every SQS queue has a queue policy that denies every SQS action to everyone without TLS. */
export const sqsTlsOnly: Rule = {
  id: 'sqs-tls-only',
  service: 'sqs',
  level: 'error',
  pack: 'security',
  checkov: [],
  cdkNag: ['AwsSolutions-SQS4'],
  appliesTo: ['aws_sqs_queue'],
  description:
    'Every SQS queue has a queue policy (aws_sqs_queue_policy or the inline policy) with a Deny of "sqs:*" (or "*") to ' +
    'Principal "*" on the queue when aws:SecureTransport is false.',
  explanation:
    'SQS accepts HTTP requests unless the queue policy refuses them; the SQS developer guide ("Amazon SQS security best ' +
    'practices": enforce encryption of data in transit) gives this Deny statement. modules/tls-only.ts writes it.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id] of resourcesOf(stack, 'aws_sqs_queue')) {
      const policies = queuePolicies(stack, id);
      if (deniesInsecureTransportOn(stack, policies, ['sqs:*', '*'], 'aws_sqs_queue', id)) continue;
      findings.push({
        type: 'aws_sqs_queue',
        id,
        message: policies.length
          ? 'queue policy does not deny sqs:* to everyone when aws:SecureTransport is false'
          : 'queue has no queue policy denying non-TLS requests',
      });
    }
    return findings;
  },
};
