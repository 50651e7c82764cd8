import { block, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Every DynamoDB table has point-in-time recovery and explicit server-side encryption. */
export const dynamodbPitrSse: Rule = {
  id: 'dynamodb-pitr-sse',
  service: 'dynamodb',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_28'],
  cdkNag: ['AwsSolutions-DDB3'],
  appliesTo: ['aws_dynamodb_table'],
  explanation:
    'Point-in-time recovery restores a table to any second of the last 35 days after a bad write; encryption is stated explicitly. The ids listed correspond to the PITR half (checkov CKV_AWS_119 asks for a customer managed key, which is not this control).',
  description: 'Every DynamoDB table has point_in_time_recovery.enabled and server_side_encryption.enabled set to true.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, t] of resourcesOf(stack, 'aws_dynamodb_table')) {
      if (block(t.point_in_time_recovery)?.enabled !== true) {
        findings.push({ type: 'aws_dynamodb_table', id, message: 'table has no point-in-time recovery' });
      }
      if (block(t.server_side_encryption)?.enabled !== true) {
        findings.push({ type: 'aws_dynamodb_table', id, message: 'table has no server_side_encryption { enabled = true }' });
      }
    }
    return findings;
  },
};
