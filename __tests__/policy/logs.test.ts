/**
 * CloudWatch Logs rules. Fixture shapes: aws_cloudwatch_log_group (name, retention_in_days, kms_key_id) from the
 * hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { ruleCases, stack } from './helpers.js';

ruleCases('log-group-retention', {
  compliant: [
    { title: 'retention_in_days = 30', stack: stack({ aws_cloudwatch_log_group: { l: { name: 'l', retention_in_days: 30 } } }) },
    { title: 'retention_in_days = 1 (the shortest)', stack: stack({ aws_cloudwatch_log_group: { l: { name: 'l', retention_in_days: 1 } } }) },
  ],
  nonCompliant: [
    { title: 'no retention (kept forever)', stack: stack({ aws_cloudwatch_log_group: { l: { name: 'l' } } }), findings: ['aws_cloudwatch_log_group.l'] },
    { title: 'retention_in_days = 0 (the provider\'s "never expire")', stack: stack({ aws_cloudwatch_log_group: { zero: { name: 'z', retention_in_days: 0 } } }), findings: ['aws_cloudwatch_log_group.zero'] },
  ],
});

ruleCases('log-group-kms', {
  compliant: [{ title: 'kms_key_id referencing a key', stack: stack({ aws_cloudwatch_log_group: { l: { name: 'l', retention_in_days: 30, kms_key_id: '${aws_kms_key.k.arn}' } } }) }],
  nonCompliant: [
    { title: 'no kms_key_id', stack: stack({ aws_cloudwatch_log_group: { l: { name: 'l', retention_in_days: 30 } } }), findings: ['aws_cloudwatch_log_group.l'] },
    { title: 'an empty kms_key_id', stack: stack({ aws_cloudwatch_log_group: { l: { kms_key_id: '' } } }), findings: ['aws_cloudwatch_log_group.l'] },
  ],
});
