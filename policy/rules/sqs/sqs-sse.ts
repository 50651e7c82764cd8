import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every SQS queue is encrypted at rest: SQS-managed SSE or a KMS key. */
export const sqsSse: Rule = {
  id: 'sqs-sse',
  service: 'sqs',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_27'],
  cdkNag: ['AwsSolutions-SQS2'],
  appliesTo: ['aws_sqs_queue'],
  explanation:
    'Messages at rest are encrypted by SQS (SSE-SQS) or with a KMS key; AWS recommends server-side encryption for every queue holding data (SQS developer guide, "Encryption at rest").',
  description: 'Every SQS queue has server-side encryption (sqs_managed_sse_enabled or kms_master_key_id).',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, q] of resourcesOf(stack, 'aws_sqs_queue')) {
      if (q.sqs_managed_sse_enabled === true || (typeof q.kms_master_key_id === 'string' && q.kms_master_key_id !== '')) continue;
      findings.push({ type: 'aws_sqs_queue', id, message: 'queue has no server-side encryption (set sqs_managed_sse_enabled or kms_master_key_id)' });
    }
    return findings;
  },
};
