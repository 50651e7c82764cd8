/**
 * IAM rules. Fixture shapes: aws_iam_role (assume_role_policy, inline_policy { name, policy },
 * managed_policy_arns), aws_iam_role_policy, aws_iam_policy, aws_iam_role_policy_attachment (role, policy_arn),
 * aws_iam_policy_attachment (roles, policy_arn), aws_sqs_queue_policy, aws_sns_topic_policy (arn, policy),
 * aws_s3_bucket_policy, aws_kms_key (policy), aws_kms_key_policy (key_id, policy), aws_lambda_permission
 * (principal, source_arn, source_account) and the aws_iam_policy_document data source from the hashicorp/aws
 * provider's resource docs; see helpers.ts. Policy documents follow the IAM JSON policy reference.
 */
import { describe, expect, it } from 'vitest';
import { policy, ruleCases, run, stack } from './helpers.js';

const trust = (service: string, condition?: Record<string, unknown>) =>
  policy({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) });

ruleCases('iam-no-wildcard', {
  compliant: [
    {
      title: 'scoped Allow statements and a TLS deny with sqs:* (Deny statements are not grants)',
      stack: stack({
        aws_iam_role_policy: { p: { name: 'p', role: 'r', policy: policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '${aws_sqs_queue.q.arn}' }) } },
        aws_sqs_queue_policy: { qp: { policy: policy({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '${aws_sqs_queue.q.arn}' }, { Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '${aws_sqs_queue.q.arn}', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }) } },
      }),
    },
    { title: 'a KMS key policy: Resource "*" means the key itself', stack: stack({ aws_kms_key: { k: { policy: policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:Decrypt', Resource: '*' }) } } }) },
  ],
  nonCompliant: [
    {
      title: 'wildcard actions, NotAction, Resource "*" across identity, resource, trust and inline policies; an unreadable policy',
      stack: stack({
        aws_iam_role_policy: {
          star: { name: 'p', role: 'r', policy: policy({ Effect: 'Allow', Action: '*', Resource: '${aws_sqs_queue.q.arn}' }) },
          svc: { name: 'p', role: 'r', policy: policy({ Effect: 'Allow', Action: ['sqs:*'], Resource: '${aws_sqs_queue.q.arn}' }) },
          res: { name: 'p', role: 'r', policy: policy({ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }) },
        },
        aws_iam_policy: { managed: { name: 'm', policy: policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' }) } },
        aws_sqs_queue_policy: { qp: { policy: policy({ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: 'arn:aws:sqs:us-east-1:1:q' }) } },
        aws_s3_bucket_policy: { bp: { policy: policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: '*' }) } },
        aws_sns_topic_policy: { tp: { policy: policy({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:*', Resource: 'arn:aws:sns:us-east-1:1:t' }) } },
        aws_iam_role: { inline: { name: 'r', assume_role_policy: policy(), inline_policy: [{ name: 'i', policy: policy({ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::b/*' }) }] } },
        aws_sns_topic: { unreadable: { policy: '${jsonencode({})}' } },
      }),
      findings: [
        'aws_iam_policy.managed', 'aws_iam_role.inline', 'aws_iam_role_policy.res', 'aws_iam_role_policy.star', 'aws_iam_role_policy.svc',
        'aws_s3_bucket_policy.bp', 'aws_sns_topic.unreadable', 'aws_sns_topic_policy.tp', 'aws_sqs_queue_policy.qp',
      ],
    },
    { title: 'a KMS key policy granting kms:*', stack: stack({ aws_kms_key: { k: { policy: policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 'kms:*', Resource: '*' }) } } }), findings: ['aws_kms_key.k'], message: /wildcard actions kms:\*/ },
  ],
});

describe('rule iam-no-wildcard: suppressions', () => {
  const suppressed = (ids: Record<string, string>) =>
    stack({ aws_iam_role_policy: { res: { '//': { tributary_suppressions: ids }, name: 'p', role: 'r', policy: policy({ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }) } } });
  it('a suppression with its reason turns the finding into a suppressed one', () => {
    const f = run('iam-no-wildcard', suppressed({ 'iam-no-wildcard': 'X-Ray PutTraceSegments has no resource-level permissions' }));
    expect(f).toHaveLength(1);
    expect(f[0].suppressed).toMatch(/X-Ray/);
  });
  it("a suppression of another rule does not hide this one", () => {
    expect(run('iam-no-wildcard', suppressed({ 'sns-encrypted': 'unrelated reason of some length' }))[0].suppressed).toBeUndefined();
  });
});

ruleCases('iam-service-principal-conditions', {
  compliant: [
    { title: 'Firehose role trust with aws:SourceAccount (StringEquals)', stack: stack({ aws_iam_role: { r: { assume_role_policy: trust('firehose.amazonaws.com', { StringEquals: { 'aws:SourceAccount': '111122223333' } }) } } }) },
    { title: 'SNS role trust with aws:SourceArn (ArnLike), key written in another case', stack: stack({ aws_iam_role: { r: { assume_role_policy: trust('sns.amazonaws.com', { ArnLike: { 'AWS:SourceArn': '${aws_sns_topic.t.arn}' } }) } } }) },
    { title: 'Lambda execution role trust (exempt: passed only by principals of its own account)', stack: stack({ aws_iam_role: { r: { assume_role_policy: trust('lambda.amazonaws.com') } } }) },
    { title: 'queue policy letting SNS send, conditioned on the topic ARN', stack: stack({ aws_sqs_queue_policy: { qp: { queue_url: '${aws_sqs_queue.q.url}', policy: policy({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '${aws_sqs_queue.q.arn}', Condition: { ArnEquals: { 'aws:SourceArn': '${aws_sns_topic.t.arn}' } } }) } } }) },
    { title: 'statements for account principals and Deny statements are not service grants', stack: stack({ aws_sns_topic_policy: { tp: { arn: '${aws_sns_topic.t.arn}', policy: policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sns:Publish', Resource: '${aws_sns_topic.t.arn}' }, { Effect: 'Deny', Principal: { Service: 'events.amazonaws.com' }, Action: 'sns:Publish', Resource: '${aws_sns_topic.t.arn}' }) } } }) },
    { title: 'aws_lambda_permission for API Gateway with source_arn', stack: stack({ aws_lambda_permission: { p: { function_name: 'f', principal: 'apigateway.amazonaws.com', source_arn: '${aws_apigatewayv2_api.api.execution_arn}/*' } } }) },
    { title: 'aws_lambda_permission for S3 with source_account', stack: stack({ aws_lambda_permission: { p: { function_name: 'f', principal: 's3.amazonaws.com', source_account: '111122223333' } } }) },
    {
      title: 'key policy written with an interpolation that holds quotes (element(split(":", ...))), service statement conditioned',
      stack: stack({
        aws_kms_key: { k: {} },
        aws_kms_key_policy: { kp: { key_id: '${aws_kms_key.k.key_id}', policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":"kms:Encrypt*","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"${element(split(":", aws_kms_key.k.arn), 4)}"}}}]}' } },
      }),
    },
  ],
  nonCompliant: [
    { title: 'Firehose role trust without condition', stack: stack({ aws_iam_role: { r: { assume_role_policy: trust('firehose.amazonaws.com') } } }), findings: ['aws_iam_role.r'], message: /firehose\.amazonaws\.com with no aws:SourceAccount or aws:SourceArn/ },
    { title: 'alerts topic policy letting CloudWatch publish from any account', stack: stack({ aws_sns_topic_policy: { tp: { arn: '${aws_sns_topic.t.arn}', policy: policy({ Sid: 'CloudWatchAlarmsPublish', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: '${aws_sns_topic.t.arn}' }) } } }), findings: ['aws_sns_topic_policy.tp'], message: /CloudWatchAlarmsPublish/ },
    { title: 'a condition on another key (aws:SourceVpc) does not bind the source', stack: stack({ aws_iam_role: { r: { assume_role_policy: trust('events.amazonaws.com', { StringEquals: { 'aws:SourceVpc': 'vpc-1' } }) } } }), findings: ['aws_iam_role.r'] },
    { title: 'a trust of Lambda and ECS tasks together: the ECS half is checked', stack: stack({ aws_iam_role: { r: { assume_role_policy: policy({ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'] }, Action: 'sts:AssumeRole' }) } } }), findings: ['aws_iam_role.r'], message: /ecs-tasks/ },
    { title: 'a Lambda service principal in a resource policy is not exempt', stack: stack({ aws_sqs_queue_policy: { qp: { policy: policy({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '${aws_sqs_queue.q.arn}' }) } } }), findings: ['aws_sqs_queue_policy.qp'] },
    { title: 'aws_iam_policy_document data source with a service principal block and no condition', stack: stack({ aws_s3_bucket_policy: { bp: { bucket: 'b', policy: '${data.aws_iam_policy_document.d.json}' } } }, 'test-us-east-1', { data: { aws_iam_policy_document: { d: { statement: [{ effect: 'Allow', actions: ['s3:PutObject'], resources: ['arn:aws:s3:::b/*'], principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }] }] } } } }), findings: ['aws_s3_bucket_policy.bp'] },
    { title: 'aws_lambda_permission for EventBridge without source_arn', stack: stack({ aws_lambda_permission: { p: { function_name: 'f', principal: 'events.amazonaws.com' } } }), findings: ['aws_lambda_permission.p'] },
  ],
});

ruleCases('iam-no-aws-managed-policies', {
  compliant: [
    { title: 'attachment of a customer managed policy of the stack', stack: stack({ aws_iam_policy: { mine: { name: 'm', policy: policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:1:q' }) } }, aws_iam_role_policy_attachment: { a: { role: 'r', policy_arn: '${aws_iam_policy.mine.arn}' } } }) },
    { title: 'managed_policy_arns naming a customer managed policy ARN', stack: stack({ aws_iam_role: { r: { assume_role_policy: trust('lambda.amazonaws.com'), managed_policy_arns: ['arn:aws:iam::111122223333:policy/mine'] } } }) },
  ],
  nonCompliant: [
    { title: "API Gateway's logging role with AmazonAPIGatewayPushToCloudWatchLogs", stack: stack({ aws_iam_role_policy_attachment: { a: { role: '${aws_iam_role.r.name}', policy_arn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs' } } }), findings: ['aws_iam_role_policy_attachment.a'], message: /AmazonAPIGatewayPushToCloudWatchLogs/ },
    { title: 'managed_policy_arns with an AWS managed policy in a partition interpolation', stack: stack({ aws_iam_role: { r: { managed_policy_arns: ['arn:${data.aws_partition.p.partition}:iam::aws:policy/ReadOnlyAccess'] } } }), findings: ['aws_iam_role.r'] },
    { title: 'aws_iam_policy_attachment (exclusive attachment) of AdministratorAccess', stack: stack({ aws_iam_policy_attachment: { a: { name: 'a', roles: ['r'], policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' } } }), findings: ['aws_iam_policy_attachment.a'] },
  ],
});
