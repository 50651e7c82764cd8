/**
 * Lambda rules. Fixture shapes: aws_lambda_function (function_name, timeout, logging_config { log_group },
 * dead_letter_config { target_arn }, tracing_config { mode }, reserved_concurrent_executions),
 * aws_cloudwatch_log_group (name, retention_in_days), aws_lambda_event_source_mapping (event_source_arn,
 * function_name, function_response_types, destination_config { on_failure { destination_arn } }),
 * aws_lambda_function_event_invoke_config, aws_lambda_permission (function_name, principal),
 * aws_kinesis_firehose_delivery_stream processing_configuration, aws_api_gateway_authorizer / aws_apigatewayv2_authorizer
 * (authorizer_uri) from the hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { merge, ruleCases, stack, type Res } from './helpers.js';

/** A function with its own log group (retention 30 days). */
function fn(id: string, extra: Record<string, unknown> = {}): Res {
  return {
    aws_lambda_function: {
      [id]: { function_name: `trib-use1-${id}`, timeout: 30, logging_config: { log_format: 'JSON', log_group: `\${aws_cloudwatch_log_group.${id}_logs.name}` }, ...extra },
    },
    aws_cloudwatch_log_group: { [`${id}_logs`]: { name: `/aws/lambda/trib-use1-${id}`, retention_in_days: 30 } },
  };
}
const queues: Res = {
  aws_sqs_queue: {
    q: { redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.dlq.arn}","maxReceiveCount":5}' },
    dlq: {},
  },
};
const esm = (extra: Record<string, unknown>): Res => ({ aws_lambda_event_source_mapping: { m: { function_name: '${aws_lambda_function.f.arn}', ...extra } } });

ruleCases('lambda-log-retention', {
  compliant: [
    { title: 'logging_config.log_group references a log group with retention', stack: stack(fn('f')) },
    { title: 'default log group /aws/lambda/<name>, its name built from a reference', stack: stack({ aws_lambda_function: { g: { function_name: 'trib-use1-g' } }, aws_cloudwatch_log_group: { lg: { name: '/aws/lambda/${aws_lambda_function.g.function_name}', retention_in_days: 14 } } }) },
  ],
  nonCompliant: [
    { title: 'no log group in the stack', stack: stack({ aws_lambda_function: { f: { function_name: 'trib-use1-f' } } }), findings: ['aws_lambda_function.f'], message: /not managed/ },
    { title: 'the log group has no retention', stack: stack(merge(fn('f'), { aws_cloudwatch_log_group: { f_logs: { name: '/aws/lambda/trib-use1-f' } } })), findings: ['aws_lambda_function.f'], message: /no retention_in_days/ },
  ],
});

ruleCases('lambda-failure-path', {
  compliant: [
    { title: 'SQS mapping with ReportBatchItemFailures on a queue with a DLQ', stack: stack(merge(fn('f'), queues, esm({ event_source_arn: '${aws_sqs_queue.q.arn}', function_response_types: ['ReportBatchItemFailures'] }))) },
    { title: 'Kinesis mapping with an on-failure destination', stack: stack(merge(fn('f'), { aws_kinesis_stream: { k: {} } }, esm({ event_source_arn: '${aws_kinesis_stream.k.arn}', destination_config: { on_failure: { destination_arn: '${aws_sqs_queue.dlq.arn}' } } }))) },
    { title: 'DynamoDB stream mapping, blocks written as lists', stack: stack(merge(fn('f'), { aws_dynamodb_table: { t: {} } }, esm({ event_source_arn: '${aws_dynamodb_table.t.stream_arn}', destination_config: [{ on_failure: [{ destination_arn: 'arn:aws:sqs:us-east-1:111122223333:x' }] }] }))) },
    { title: 'event invoke config with an on-failure destination', stack: stack(merge(fn('f'), { aws_lambda_function_event_invoke_config: { c: { function_name: '${aws_lambda_function.f.function_name}', destination_config: { on_failure: { destination: '${aws_sqs_queue.dlq.arn}' } } } } })) },
    { title: 'a dead_letter_config', stack: stack(fn('f', { dead_letter_config: { target_arn: '${aws_sqs_queue.dlq.arn}' } })) },
    { title: 'synchronous invoker: API Gateway permission', stack: stack(merge(fn('f'), { aws_lambda_permission: { p: { function_name: '${aws_lambda_function.f.function_name}', principal: 'apigateway.amazonaws.com' } } })) },
    { title: 'synchronous invoker: Cognito permission naming the function literally', stack: stack(merge(fn('f'), { aws_lambda_permission: { p: { function_name: 'trib-use1-f', principal: 'cognito-idp.amazonaws.com' } } })) },
    { title: 'synchronous invoker: ELB permission', stack: stack(merge(fn('f'), { aws_lambda_permission: { p: { function_name: '${aws_lambda_function.f.arn}', principal: 'elasticloadbalancing.amazonaws.com' } } })) },
    { title: 'Firehose processor', stack: stack(merge(fn('f'), { aws_kinesis_firehose_delivery_stream: { s: { extended_s3_configuration: { processing_configuration: { enabled: true, processors: [{ type: 'Lambda', parameters: [{ parameter_name: 'LambdaArn', parameter_value: '${aws_lambda_function.f.arn}:$LATEST' }] }] } } } } })) },
    { title: 'REST API authorizer', stack: stack(merge(fn('f'), { aws_api_gateway_authorizer: { a: { authorizer_uri: '${aws_lambda_function.f.invoke_arn}' } } })) },
    { title: 'HTTP API authorizer', stack: stack(merge(fn('f'), { aws_apigatewayv2_authorizer: { a: { authorizer_uri: '${aws_lambda_function.f.invoke_arn}' } } })) },
  ],
  nonCompliant: [
    { title: 'no event source, destination or invoker', stack: stack(fn('f')), findings: ['aws_lambda_function.f'] },
    { title: 'SQS mapping without partial batch responses', stack: stack(merge(fn('f'), queues, esm({ event_source_arn: '${aws_sqs_queue.q.arn}' }))), findings: ['aws_lambda_function.f'] },
    { title: 'SQS mapping on a queue without a DLQ', stack: stack(merge(fn('f'), queues, esm({ event_source_arn: '${aws_sqs_queue.dlq.arn}', function_response_types: ['ReportBatchItemFailures'] }))), findings: ['aws_lambda_function.f'] },
    { title: 'stream mapping without on-failure destination', stack: stack(merge(fn('f'), { aws_kinesis_stream: { k: {} } }, esm({ event_source_arn: '${aws_kinesis_stream.k.arn}' }))), findings: ['aws_lambda_function.f'] },
    { title: 'a permission for an asynchronous invoker (S3)', stack: stack(merge(fn('f'), { aws_lambda_permission: { p: { function_name: '${aws_lambda_function.f.function_name}', principal: 's3.amazonaws.com' } } })), findings: ['aws_lambda_function.f'] },
  ],
});

ruleCases('lambda-tracing', {
  compliant: [{ title: 'tracing_config mode Active', stack: stack(fn('f', { tracing_config: { mode: 'Active' } })) }],
  nonCompliant: [
    { title: 'no tracing_config', stack: stack(fn('f')), findings: ['aws_lambda_function.f'] },
    { title: 'PassThrough only forwards upstream sampling', stack: stack(fn('f', { tracing_config: { mode: 'PassThrough' } })), findings: ['aws_lambda_function.f'] },
  ],
});

ruleCases('lambda-reserved-concurrency', {
  compliant: [
    { title: 'reserved_concurrent_executions = 10', stack: stack(fn('f', { reserved_concurrent_executions: 10 })) },
    { title: 'reserved_concurrent_executions = 0 (function switched off)', stack: stack(fn('f', { reserved_concurrent_executions: 0 })) },
  ],
  nonCompliant: [
    { title: 'argument not set', stack: stack(fn('f')), findings: ['aws_lambda_function.f'] },
    { title: 'the provider default -1 (unreserved)', stack: stack(fn('f', { reserved_concurrent_executions: -1 })), findings: ['aws_lambda_function.f'] },
  ],
});
