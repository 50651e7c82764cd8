import { referencedIds, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every customer managed KMS key has an explicit key policy (inline or aws_kms_key_policy). */
export const kmsKeyPolicy: Rule = {
  id: 'kms-key-policy',
  service: 'kms',
  level: 'error',
  pack: 'security',
  checkov: ['CKV2_AWS_64'],
  cdkNag: [],
  appliesTo: ['aws_kms_key'],
  description: 'Every aws_kms_key has a policy: its own `policy` attribute or an aws_kms_key_policy whose key_id references it.',
  explanation:
    'Without a policy a key gets the default key policy, which lets every principal of the account with KMS ' +
    'permissions in its IAM policies use the key (KMS developer guide, "Default key policy"); an explicit policy ' +
    'names the administrators and the roles that may use it (issue 16 item 3).',
  check(stack) {
    const findings: RuleFinding[] = [];
    const policies = resourcesOf(stack, 'aws_kms_key_policy');
    for (const [id, k] of resourcesOf(stack, 'aws_kms_key')) {
      if (typeof k.policy === 'string' && k.policy !== '') continue;
      if (policies.some(([, p]) => referencedIds(p.key_id, 'aws_kms_key').includes(id))) continue;
      findings.push({ type: 'aws_kms_key', id, message: 'key has no key policy (the default key policy applies)' });
    }
    return findings;
  },
};
