/**
 * SNS rules. Fixture shapes: aws_sns_topic (name, kms_master_key_id, policy), aws_sns_topic_policy (arn, policy)
 * from the hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { policy, ruleCases, stack } from './helpers.js';

const tlsDeny = (action: string | string[] = 'sns:Publish', principal: unknown = '*') => ({
  Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: principal, Action: action, Resource: '${aws_sns_topic.t.arn}', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

ruleCases('sns-encrypted', {
  compliant: [
    { title: 'AWS managed SNS key', stack: stack({ aws_sns_topic: { t: { name: 't', kms_master_key_id: 'alias/aws/sns' } } }) },
    { title: 'customer managed key by reference', stack: stack({ aws_sns_topic: { t: { kms_master_key_id: '${aws_kms_key.k.arn}' } } }) },
  ],
  nonCompliant: [
    { title: 'no kms_master_key_id', stack: stack({ aws_sns_topic: { t: { name: 't' } } }), findings: ['aws_sns_topic.t'] },
    { title: 'an empty kms_master_key_id', stack: stack({ aws_sns_topic: { t: { kms_master_key_id: '' } } }), findings: ['aws_sns_topic.t'] },
  ],
});

ruleCases('sns-tls-only', {
  compliant: [
    { title: 'aws_sns_topic_policy with Deny sns:Publish to "*" when aws:SecureTransport is false', stack: stack({ aws_sns_topic: { t: { name: 't' } }, aws_sns_topic_policy: { tp: { arn: '${aws_sns_topic.t.arn}', policy: policy(tlsDeny()) } } }) },
    { title: 'inline topic policy, Action list with sns:*', stack: stack({ aws_sns_topic: { t: { policy: policy(tlsDeny(['sns:Subscribe', 'sns:*'])) } } }) },
  ],
  nonCompliant: [
    { title: 'topic without policy', stack: stack({ aws_sns_topic: { t: { name: 't' } } }), findings: ['aws_sns_topic.t'], message: /no topic policy/ },
    { title: 'the deny covers sns:Subscribe only', stack: stack({ aws_sns_topic: { t: {} }, aws_sns_topic_policy: { tp: { arn: '${aws_sns_topic.t.arn}', policy: policy(tlsDeny('sns:Subscribe')) } } }), findings: ['aws_sns_topic.t'], message: /does not deny/ },
    { title: 'the deny applies to one account only', stack: stack({ aws_sns_topic: { t: {} }, aws_sns_topic_policy: { tp: { arn: '${aws_sns_topic.t.arn}', policy: policy(tlsDeny('sns:Publish', { AWS: 'arn:aws:iam::111122223333:root' })) } } }), findings: ['aws_sns_topic.t'] },
  ],
});
