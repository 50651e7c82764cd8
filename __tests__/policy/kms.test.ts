/**
 * KMS rules. Fixture shapes: aws_kms_key (description, enable_key_rotation, customer_master_key_spec, policy),
 * aws_kms_key_policy (key_id, policy) from the hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { policy, ruleCases, stack } from './helpers.js';

const keyPolicy = policy({ Sid: 'AccountRootAdministers', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['kms:Describe*', 'kms:Put*'], Resource: '*' });

ruleCases('kms-key-policy', {
  compliant: [
    { title: 'aws_kms_key_policy referencing the key', stack: stack({ aws_kms_key: { k: { enable_key_rotation: true } }, aws_kms_key_policy: { kp: { key_id: '${aws_kms_key.k.key_id}', policy: keyPolicy } } }) },
    { title: 'inline policy argument', stack: stack({ aws_kms_key: { k: { policy: keyPolicy } } }) },
  ],
  nonCompliant: [
    { title: 'no policy: the default key policy applies', stack: stack({ aws_kms_key: { k: { enable_key_rotation: true } } }), findings: ['aws_kms_key.k'] },
    { title: "a key policy of another key", stack: stack({ aws_kms_key: { k: {}, other: { policy: keyPolicy } }, aws_kms_key_policy: { kp: { key_id: '${aws_kms_key.other.key_id}', policy: keyPolicy } } }), findings: ['aws_kms_key.k'] },
  ],
});

ruleCases('kms-key-rotation', {
  compliant: [
    { title: 'symmetric key with enable_key_rotation = true', stack: stack({ aws_kms_key: { k: { enable_key_rotation: true } } }) },
    { title: 'asymmetric signing key (rotation unsupported) is out of scope', stack: stack({ aws_kms_key: { k: { customer_master_key_spec: 'ECC_NIST_P256', key_usage: 'SIGN_VERIFY' } } }) },
  ],
  nonCompliant: [
    { title: 'rotation not set', stack: stack({ aws_kms_key: { k: {} } }), findings: ['aws_kms_key.k'] },
    { title: 'SYMMETRIC_DEFAULT with rotation off', stack: stack({ aws_kms_key: { k: { customer_master_key_spec: 'SYMMETRIC_DEFAULT', enable_key_rotation: false } } }), findings: ['aws_kms_key.k'] },
  ],
});
