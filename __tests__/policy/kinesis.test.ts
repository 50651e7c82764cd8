/**
 * Kinesis rules. Fixture shapes: aws_kinesis_stream (name, encryption_type, kms_key_id) from the hashicorp/aws
 * provider's resource docs; see helpers.ts.
 */
import { ruleCases, stack } from './helpers.js';

ruleCases('kinesis-encrypted', {
  compliant: [
    { title: 'KMS with the AWS managed key', stack: stack({ aws_kinesis_stream: { k: { encryption_type: 'KMS', kms_key_id: 'alias/aws/kinesis' } } }) },
    { title: 'KMS with a customer key by reference', stack: stack({ aws_kinesis_stream: { k: { encryption_type: 'KMS', kms_key_id: '${aws_kms_key.k.arn}' } } }) },
  ],
  nonCompliant: [
    { title: 'no encryption arguments', stack: stack({ aws_kinesis_stream: { k: { name: 'k' } } }), findings: ['aws_kinesis_stream.k'] },
    { title: 'encryption_type KMS without kms_key_id', stack: stack({ aws_kinesis_stream: { half: { encryption_type: 'KMS' } } }), findings: ['aws_kinesis_stream.half'] },
    { title: 'encryption_type NONE', stack: stack({ aws_kinesis_stream: { k: { encryption_type: 'NONE', kms_key_id: 'alias/aws/kinesis' } } }), findings: ['aws_kinesis_stream.k'] },
  ],
});
