/**
 * DynamoDB rules. Fixture shapes: aws_dynamodb_table (point_in_time_recovery { enabled },
 * server_side_encryption { enabled, kms_key_arn }, deletion_protection_enabled) from the hashicorp/aws provider's
 * resource docs; see helpers.ts.
 */
import { ruleCases, stack } from './helpers.js';

ruleCases('dynamodb-pitr-sse', {
  compliant: [
    { title: 'PITR and SSE enabled (blocks as objects)', stack: stack({ aws_dynamodb_table: { d: { point_in_time_recovery: { enabled: true }, server_side_encryption: { enabled: true } } } }) },
    { title: 'PITR as a list, SSE with a customer key', stack: stack({ aws_dynamodb_table: { d: { point_in_time_recovery: [{ enabled: true }], server_side_encryption: [{ enabled: true, kms_key_arn: '${aws_kms_key.k.arn}' }] } } }) },
  ],
  nonCompliant: [
    { title: 'no point-in-time recovery', stack: stack({ aws_dynamodb_table: { d: { server_side_encryption: { enabled: true } } } }), findings: ['aws_dynamodb_table.d'], message: /point-in-time/ },
    { title: 'no server_side_encryption block', stack: stack({ aws_dynamodb_table: { d: { point_in_time_recovery: { enabled: true } } } }), findings: ['aws_dynamodb_table.d'], message: /server_side_encryption/ },
  ],
});

ruleCases('dynamodb-deletion-protection', {
  compliant: [{ title: 'deletion_protection_enabled = true', stack: stack({ aws_dynamodb_table: { d: { deletion_protection_enabled: true } } }) }],
  nonCompliant: [
    { title: 'deletion_protection_enabled = false', stack: stack({ aws_dynamodb_table: { d: { deletion_protection_enabled: false } } }), findings: ['aws_dynamodb_table.d'] },
    { title: 'argument not set', stack: stack({ aws_dynamodb_table: { d: {} } }), findings: ['aws_dynamodb_table.d'] },
  ],
});
