import { designatesFunction, mappingsOf } from '../../lambdas.js';
import { asArray, block, refsIn, resourcesOf, type Body } from '../../model.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';
import { queuesWithDlq } from '../sqs/sqs-dlq.js';

/** Service principals that invoke a function synchronously and so return its errors to the caller. */
export const SYNCHRONOUS_INVOKERS = ['apigateway.amazonaws.com', 'cognito-idp.amazonaws.com', 'elasticloadbalancing.amazonaws.com'];

function processingConfigs(value: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((v) => processingConfigs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'processing_configuration') out.push(v);
      else if (k !== '//') processingConfigs(v, out);
    }
  }
  return out;
}

const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** How function `fnId` keeps failed events, or undefined when nothing does. */
export function failurePath(stack: PolicyStack, fnId: string, fn: Body): string | undefined {
  if (nonEmpty(block(fn.dead_letter_config)?.target_arn)) return 'dead_letter_config';
  const dlqQueues = queuesWithDlq(stack);
  for (const [mid, m] of mappingsOf(stack, fnId)) {
    const source = refsIn(m.event_source_arn).find((r) => !r.data);
    const partial = asArray(m.function_response_types).includes('ReportBatchItemFailures');
    if (source?.type === 'aws_sqs_queue' && partial && dlqQueues.has(source.id)) return `SQS mapping ${mid}`;
    const isStream =
      source?.type === 'aws_kinesis_stream' ||
      source?.type === 'aws_dynamodb_table' ||
      (typeof m.event_source_arn === 'string' && /:(kinesis|dynamodb):/.test(m.event_source_arn));
    if (isStream && nonEmpty(block(block(m.destination_config)?.on_failure)?.destination_arn)) return `stream mapping ${mid}`;
  }
  for (const [cid, c] of resourcesOf(stack, 'aws_lambda_function_event_invoke_config')) {
    if (!designatesFunction(stack, c.function_name, fnId)) continue;
    if (nonEmpty(block(block(c.destination_config)?.on_failure)?.destination)) return `event invoke config ${cid}`;
  }
  for (const [pid, p] of resourcesOf(stack, 'aws_lambda_permission')) {
    if (SYNCHRONOUS_INVOKERS.includes(String(p.principal)) && designatesFunction(stack, p.function_name, fnId)) {
      return `synchronous invoker ${p.principal} (${pid})`;
    }
  }
  for (const [sid, s] of resourcesOf(stack, 'aws_kinesis_firehose_delivery_stream')) {
    if (processingConfigs(s).some((pc) => designatesFunction(stack, pc, fnId))) return `Firehose processor of ${sid}`;
  }
  for (const type of ['aws_api_gateway_authorizer', 'aws_apigatewayv2_authorizer']) {
    for (const [aid, a] of resourcesOf(stack, type)) {
      if (designatesFunction(stack, a.authorizer_uri, fnId)) return `API Gateway authorizer ${aid}`;
    }
  }
  return undefined;
}

/** Every Lambda function has a failure path: failed events are kept or returned to a synchronous caller. */
export const lambdaFailurePath: Rule = {
  id: 'lambda-failure-path',
  service: 'lambda',
  level: 'error',
  pack: 'core',
  checkov: ['CKV_AWS_116'],
  cdkNag: ['Serverless-LambdaDLQ', 'Serverless-LambdaEventSourceMappingDestination'],
  appliesTo: ['aws_lambda_function'],
  explanation:
    'Failed events are kept (DLQ, on-failure destination, SQS redrive) or returned to a synchronous caller, so no event is lost silently. Broader than checkov CKV_AWS_116 and cdk-nag LambdaDLQ, which accept only a function DLQ.',
  description:
    'Every Lambda function has a failure path: an SQS mapping with ReportBatchItemFailures on a queue with a DLQ, ' +
    'a stream mapping with an on-failure destination, an event invoke config with an on-failure destination, a ' +
    'dead_letter_config, or a synchronous invoker (API Gateway, Cognito, ELB permission; Firehose processor; API ' +
    'Gateway authorizer).',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, fn] of resourcesOf(stack, 'aws_lambda_function')) {
      if (!failurePath(stack, id, fn)) {
        findings.push({ type: 'aws_lambda_function', id, message: 'function has no failure path: failed events would be lost' });
      }
    }
    return findings;
  },
};
