import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every SNS topic is encrypted with KMS (kms_master_key_id), unless suppressed with a reason. */
export const snsEncrypted: Rule = {
  id: 'sns-encrypted',
  service: 'sns',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_26'],
  cdkNag: ['HIPAA.Security-SNSEncryptedKMS', 'NIST.800.53.R5-SNSEncryptedKMS'],
  appliesTo: ['aws_sns_topic'],
  explanation:
    'Messages stored by SNS are encrypted with a KMS key (SNS developer guide, "Encryption at rest").',
  description: 'Every SNS topic has kms_master_key_id set (server-side encryption).',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, t] of resourcesOf(stack, 'aws_sns_topic')) {
      if (typeof t.kms_master_key_id === 'string' && t.kms_master_key_id !== '') continue;
      findings.push({ type: 'aws_sns_topic', id, message: 'topic is not encrypted (set kms_master_key_id)' });
    }
    return findings;
  },
};
