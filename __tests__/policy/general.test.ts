/**
 * Stack-wide rules. Fixture shapes: the provider "aws" block (region, alias) and the name arguments of the resource
 * types name-limits knows (function_name, name, name_prefix, bucket, bucket_prefix, alarm_name) from the
 * hashicorp/aws provider's docs; see helpers.ts. Limits come from modules/naming.ts NAME_LIMITS.
 */
import { describe, expect, it } from 'vitest';
import { expectedRegion } from '../../policy/rules/general/provider-region.js';
import { ruleCases, stack } from './helpers.js';

const withProvider = (name: string, aws: unknown) => ({ ...stack({}, name), json: { provider: { aws } as never, resource: {} } });

ruleCases('name-limits', {
  compliant: [
    { title: 'names at their limits (function 64, bucket prefix 37)', stack: stack({ aws_lambda_function: { f: { function_name: 'x'.repeat(64) } }, aws_s3_bucket: { b: { bucket_prefix: 'b'.repeat(37) } } }) },
    { title: 'a name made of references counts its literal part only', stack: stack({ aws_cloudwatch_metric_alarm: { a: { alarm_name: '${aws_sqs_queue.q.name}-depth' } } }) },
  ],
  nonCompliant: [
    {
      title: 'one name over the limit or with refused characters per resource type',
      stack: stack({
        aws_lambda_function: { f: { function_name: 'x'.repeat(65) } },
        aws_iam_role: { r: { name: 'r'.repeat(65) } },
        aws_kinesis_firehose_delivery_stream: { s: { name: 's'.repeat(65) } },
        aws_sqs_queue: { q: { name: 'q'.repeat(81) } },
        aws_sns_topic: { t: { name: 't'.repeat(257) } },
        aws_s3_bucket: { b: { bucket_prefix: 'Upper-Case-' }, c: { bucket_prefix: 'b'.repeat(38) } },
        aws_cloudwatch_log_group: { l: { name: `/aws/lambda/${'l'.repeat(501)}` } },
        aws_cloudwatch_metric_alarm: { a: { alarm_name: 'a'.repeat(256) } },
        aws_glue_catalog_database: { g: { name: 'Has-Dashes' } },
        aws_kinesis_stream: { k: { name: 'k'.repeat(129) } },
        aws_dynamodb_table: { d: { name: 'd'.repeat(256) } },
        aws_cloudwatch_event_bus: { e: { name: 'e'.repeat(257) } },
        aws_cloudwatch_event_rule: { er: { name: 'e'.repeat(65) } },
      }),
      findings: [
        'aws_cloudwatch_event_bus.e', 'aws_cloudwatch_event_rule.er', 'aws_cloudwatch_log_group.l', 'aws_cloudwatch_metric_alarm.a',
        'aws_dynamodb_table.d', 'aws_glue_catalog_database.g', 'aws_iam_role.r', 'aws_kinesis_firehose_delivery_stream.s',
        'aws_kinesis_stream.k', 'aws_lambda_function.f', 'aws_s3_bucket.b', 'aws_s3_bucket.c', 'aws_sns_topic.t', 'aws_sqs_queue.q',
      ],
    },
    {
      title: 'names resolved through references count in full; unresolved ones count their literal part',
      stack: stack({
        aws_lambda_function: { f: { function_name: 'x'.repeat(60) } },
        aws_cloudwatch_metric_alarm: { a: { alarm_name: `${'y'.repeat(250)}-\${aws_lambda_function.f.function_name}` }, b: { alarm_name: `\${aws_sqs_queue.q.name}-${'z'.repeat(256)}` } },
      }),
      findings: ['aws_cloudwatch_metric_alarm.a', 'aws_cloudwatch_metric_alarm.b'],
    },
  ],
});

ruleCases('provider-region', {
  compliant: [
    { title: 'AMS NA stack in us-east-1', stack: stack({}, 'ams-sp-traffic-na') },
    { title: 'pipeline stack in the region its name ends with', stack: withProvider('clickstream-eu-west-1', [{ region: 'eu-west-1' }]) },
  ],
  nonCompliant: [
    { title: 'AMS EU stack in us-east-1', stack: stack({}, 'ams-sp-traffic-eu'), findings: ['provider.aws'], message: /must be in eu-west-1/ },
    { title: 'pipeline stack in another region', stack: stack({}, 'clickstream-us-west-2'), findings: ['provider.aws'], message: /must be in us-west-2/ },
    { title: 'two aws providers', stack: withProvider('x-us-east-1', [{ region: 'us-east-1' }, { region: 'us-west-2', alias: 'west' }]), findings: ['provider.aws'], message: /2 aws providers/ },
    { title: 'no aws provider', stack: withProvider('x-us-east-1', []), findings: ['provider.aws'], message: /0 aws providers/ },
    { title: 'a stack name without a region', stack: stack({}, 'unnamed'), findings: ['provider.aws'], message: /cannot tell the region/ },
  ],
});

describe('provider-region: expected regions', () => {
  it('derives the expected region from the stack name', () => {
    expect(expectedRegion('ams-sp-traffic-na')).toBe('us-east-1');
    expect(expectedRegion('ams-sp-conversion-eu')).toBe('eu-west-1');
    expect(expectedRegion('ams-adsp-traffic-fe')).toBe('us-west-2');
    expect(expectedRegion('clickstream-ap-southeast-2')).toBe('ap-southeast-2');
    expect(expectedRegion('mystery')).toBeUndefined();
  });
});
