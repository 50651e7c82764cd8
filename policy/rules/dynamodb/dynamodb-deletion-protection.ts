import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every DynamoDB table has deletion protection. */
export const dynamodbDeletionProtection: Rule = {
  id: 'dynamodb-deletion-protection',
  service: 'dynamodb',
  level: 'warning',
  pack: 'informational',
  checkov: [],
  cdkNag: [],
  appliesTo: ['aws_dynamodb_table'],
  description: 'Every DynamoDB table has deletion_protection_enabled = true.',
  explanation:
    'Deletion protection refuses DeleteTable until it is turned off, so a destroy or a replacement cannot drop the ' +
    'data by accident (DynamoDB developer guide, "Using deletion protection"); it costs nothing but an extra step on ' +
    'purpose-made deletes.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, t] of resourcesOf(stack, 'aws_dynamodb_table')) {
      if (t.deletion_protection_enabled === true) continue;
      findings.push({ type: 'aws_dynamodb_table', id, message: 'table has no deletion protection' });
    }
    return findings;
  },
};
