/**
 * SQS rules. Fixture shapes: aws_sqs_queue (name, sqs_managed_sse_enabled, kms_master_key_id,
 * visibility_timeout_seconds, redrive_policy as a JSON string, policy), aws_sqs_queue_policy (queue_url, policy),
 * aws_sqs_queue_redrive_policy (queue_url, redrive_policy), aws_lambda_event_source_mapping (event_source_arn,
 * function_name) from the hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { merge, policy, ruleCases, stack, type Res } from './helpers.js';

const dlqPair: Res = {
  aws_sqs_queue: {
    q: { name: 'trib-use1-q', sqs_managed_sse_enabled: true, visibility_timeout_seconds: 180, redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.dlq.arn}","maxReceiveCount":5}' },
    dlq: { name: 'trib-use1-q-dlq', sqs_managed_sse_enabled: true },
  },
};

ruleCases('sqs-sse', {
  compliant: [
    { title: 'SQS-managed SSE (sqs_managed_sse_enabled = true)', stack: stack({ aws_sqs_queue: { q: { name: 'a', sqs_managed_sse_enabled: true } } }) },
    { title: 'SSE-KMS with the AWS managed key alias', stack: stack({ aws_sqs_queue: { q: { name: 'a', kms_master_key_id: 'alias/aws/sqs' } } }) },
  ],
  nonCompliant: [
    { title: 'no encryption argument', stack: stack({ aws_sqs_queue: { plain: { name: 'a' } } }), findings: ['aws_sqs_queue.plain'] },
    { title: 'sqs_managed_sse_enabled = false and an empty key', stack: stack({ aws_sqs_queue: { off: { sqs_managed_sse_enabled: false, kms_master_key_id: '' } } }), findings: ['aws_sqs_queue.off'] },
  ],
});

ruleCases('sqs-dlq', {
  compliant: [
    { title: 'queue with an inline redrive_policy to its DLQ (the DLQ is a redrive target)', stack: stack(dlqPair) },
    {
      title: 'DLQ targets of an SNS subscription, a Lambda, an on-failure destination, an EventBridge target and a separate aws_sqs_queue_redrive_policy',
      stack: stack({
        aws_sqs_queue: { sub: {}, fdlq: {}, onfail: {}, evt: {}, src: {}, srcdlq: {} },
        aws_sns_topic_subscription: { s: { redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.sub.arn}"}' } },
        aws_lambda_function: { f: { dead_letter_config: { target_arn: '${aws_sqs_queue.fdlq.arn}' } } },
        aws_lambda_function_event_invoke_config: { c: { destination_config: { on_failure: { destination: '${aws_sqs_queue.onfail.arn}' } } } },
        aws_cloudwatch_event_target: { t: { dead_letter_config: { arn: '${aws_sqs_queue.evt.arn}' } } },
        aws_sqs_queue_redrive_policy: { rp: { queue_url: '${aws_sqs_queue.src.url}', redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.srcdlq.arn}","maxReceiveCount":3}' } },
      }),
    },
  ],
  nonCompliant: [
    { title: 'a queue with no redrive policy that is no DLQ target', stack: stack({ aws_sqs_queue: { lonely: { sqs_managed_sse_enabled: true } } }), findings: ['aws_sqs_queue.lonely'] },
    {
      title: 'a redrive policy without deadLetterTargetArn',
      stack: stack({ aws_sqs_queue: { q: { redrive_policy: '{"maxReceiveCount":5}' } } }),
      findings: ['aws_sqs_queue.q'],
    },
  ],
});

const consumer = (visibility: number | undefined, timeout: number | undefined): Res =>
  merge(
    { aws_sqs_queue: { q: visibility === undefined ? {} : { visibility_timeout_seconds: visibility } } },
    { aws_lambda_function: { f: { function_name: 'trib-use1-f', ...(timeout === undefined ? {} : { timeout }) } } },
    { aws_lambda_event_source_mapping: { m: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: '${aws_lambda_function.f.arn}' } } },
  );

ruleCases('sqs-visibility-timeout', {
  compliant: [
    { title: 'visibility 180 s for a 30 s consumer (exactly 6x)', stack: stack(consumer(180, 30)) },
    { title: 'AWS defaults: visibility 30 s, function timeout 3 s', stack: stack(consumer(undefined, undefined)) },
  ],
  nonCompliant: [
    { title: 'visibility 179 s for a 30 s consumer', stack: stack(consumer(179, 30)), findings: ['aws_sqs_queue.q'], message: /needs >= 180s/ },
    { title: 'default visibility 30 s for a 10 s consumer named literally', stack: stack({ ...consumer(undefined, 10), aws_lambda_event_source_mapping: { m: { event_source_arn: '${aws_sqs_queue.q.arn}', function_name: 'trib-use1-f' } } }), findings: ['aws_sqs_queue.q'] },
  ],
});

const tlsDeny = (action: string | string[], resource: unknown = '${aws_sqs_queue.q.arn}', principal: unknown = '*') => ({
  Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: principal, Action: action, Resource: resource, Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});
const queueWithPolicy = (doc: string): Res => ({
  aws_sqs_queue: { q: { name: 'trib-use1-q', sqs_managed_sse_enabled: true } },
  aws_sqs_queue_policy: { qp: { queue_url: '${aws_sqs_queue.q.url}', policy: doc } },
});

ruleCases('sqs-tls-only', {
  compliant: [
    { title: 'aws_sqs_queue_policy with Deny sqs:* to "*" on the queue when aws:SecureTransport is false', stack: stack(queueWithPolicy(policy(tlsDeny('sqs:*')))) },
    { title: 'inline policy argument of aws_sqs_queue, Action "*", Principal {"AWS": "*"}, Resource "*"', stack: stack({ aws_sqs_queue: { q: { policy: policy(tlsDeny('*', '*', { AWS: '*' })) } } }) },
    {
      title: 'an aws_iam_policy_document data source with the deny statement (boolean false written as a string)',
      stack: stack(
        { aws_sqs_queue: { q: {} }, aws_sqs_queue_policy: { qp: { queue_url: '${aws_sqs_queue.q.id}', policy: '${data.aws_iam_policy_document.d.json}' } } },
        'test-us-east-1',
        {
          data: {
            aws_iam_policy_document: {
              d: {
                statement: [
                  { effect: 'Deny', actions: ['sqs:*'], resources: ['${aws_sqs_queue.q.arn}'], principals: [{ type: 'AWS', identifiers: ['*'] }], condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] },
                ],
              },
            },
          },
        },
      ),
    },
  ],
  nonCompliant: [
    { title: 'a queue with no policy at all', stack: stack({ aws_sqs_queue: { q: {} } }), findings: ['aws_sqs_queue.q'], message: /no queue policy/ },
    { title: 'the deny covers only sqs:SendMessage', stack: stack(queueWithPolicy(policy(tlsDeny('sqs:SendMessage')))), findings: ['aws_sqs_queue.q'], message: /does not deny/ },
    { title: 'the deny names one principal, not everyone', stack: stack(queueWithPolicy(policy(tlsDeny('sqs:*', '${aws_sqs_queue.q.arn}', { AWS: 'arn:aws:iam::111122223333:root' })))), findings: ['aws_sqs_queue.q'] },
    { title: "the policy of another queue denies non-TLS, this one's does not", stack: stack({ aws_sqs_queue: { q: {}, other: {} }, aws_sqs_queue_policy: { op: { queue_url: '${aws_sqs_queue.other.url}', policy: policy(tlsDeny('sqs:*', '${aws_sqs_queue.other.arn}')) } } }), findings: ['aws_sqs_queue.q'] },
    { title: 'an Allow conditioned on aws:SecureTransport = true is no deny', stack: stack(queueWithPolicy(policy({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '${aws_sqs_queue.q.arn}', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))), findings: ['aws_sqs_queue.q'] },
  ],
});
