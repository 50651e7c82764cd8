import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every Kinesis data stream is encrypted with KMS. */
export const kinesisEncrypted: Rule = {
  id: 'kinesis-encrypted',
  service: 'kinesis',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_43'],
  cdkNag: ['AwsSolutions-KDS1'],
  appliesTo: ['aws_kinesis_stream'],
  explanation:
    'Records are encrypted at rest with KMS (Kinesis Data Streams developer guide, "Data protection").',
  description: 'Every Kinesis data stream has encryption_type KMS and a kms_key_id.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, s] of resourcesOf(stack, 'aws_kinesis_stream')) {
      if (s.encryption_type === 'KMS' && typeof s.kms_key_id === 'string' && s.kms_key_id !== '') continue;
      findings.push({ type: 'aws_kinesis_stream', id, message: 'stream is not encrypted (encryption_type KMS with kms_key_id, e.g. alias/aws/kinesis)' });
    }
    return findings;
  },
};
