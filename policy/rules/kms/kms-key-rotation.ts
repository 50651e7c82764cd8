import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every symmetric customer managed KMS key rotates its key material. */
export const kmsKeyRotation: Rule = {
  id: 'kms-key-rotation',
  service: 'kms',
  level: 'error',
  pack: 'security',
  checkov: ['CKV_AWS_7'],
  cdkNag: ['AwsSolutions-KMS5'],
  appliesTo: [],
  subjects: (stack) =>
    resourcesOf(stack, 'aws_kms_key')
      .filter(([, k]) => k.customer_master_key_spec === undefined || k.customer_master_key_spec === 'SYMMETRIC_DEFAULT')
      .map(([id]) => `aws_kms_key.${id}`),
  description: 'Every symmetric aws_kms_key (customer_master_key_spec unset or SYMMETRIC_DEFAULT) has enable_key_rotation = true.',
  explanation:
    'Automatic rotation replaces the key material yearly (or on the configured period) while old ciphertext stays ' +
    'decryptable (KMS developer guide, "Rotate AWS KMS keys"); only symmetric encryption keys support it.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, k] of resourcesOf(stack, 'aws_kms_key')) {
      if (k.customer_master_key_spec !== undefined && k.customer_master_key_spec !== 'SYMMETRIC_DEFAULT') continue;
      if (k.enable_key_rotation !== true) findings.push({ type: 'aws_kms_key', id, message: 'key has no enable_key_rotation = true' });
    }
    return findings;
  },
};
