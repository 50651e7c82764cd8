/**
 * A defect the emulated-apply tier found (issue 15): the Firehose Lambda processor was synthesized with
 * BufferSizeInMBs=1 and BufferIntervalInSeconds=60. Those equal the defaults that hashicorp/aws drops from state on
 * read, so every `terraform plan` after an apply showed a change on the delivery stream (also on real AWS).
 *
 * Contract (upstream): the hashicorp/aws 5.x `aws_kinesis_firehose_delivery_stream` docs, processor `parameters`:
 * "Parameters with default values, including NumberOfRetries (default: 3), RoleArn (default: firehose role ARN),
 * BufferSizeInMBs (default: 1), and BufferIntervalInSeconds (default: 60), are not stored in terraform state. To
 * prevent perpetual differences, it is therefore recommended to only include parameters with non-default values."
 * Measured against moto as well: /work/shared/reference/moto-terraform-notes.md.
 */
import { describe, expect, it } from 'vitest';
import { TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Alerts } from '../../modules/alarms.js';
import { DataBucket } from '../../modules/data-bucket.js';
import { FirehoseToS3, type FirehoseTransform } from '../../modules/firehose-to-s3.js';
import { Naming } from '../../modules/naming.js';

type Param = { parameter_name: string; parameter_value: string };

function lambdaProcessorParams(transform: Omit<FirehoseTransform, 'lambdaArn'>): Param[] {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'firehose-us-east-1');
  new AwsProvider(stack, 'aws', { region: 'us-east-1' });
  const naming = new Naming('trib', 'us-east-1');
  // Every stack has its alerts topic: the modules take the account id from its ARN (modules/iam.ts).
  new Alerts(stack, 'alerts', { naming });
  const bucket = new DataBucket(stack, 'data', { naming, purpose: 'events' });
  const lambdaArn = 'arn:aws:lambda:us-east-1:123456789012:function:trib-use1-transform';
  new FirehoseToS3(stack, 'firehose', { naming, purpose: 'events', bucket, dataPrefix: 'events/', logRetentionDays: 14, transform: { lambdaArn, ...transform } });
  const json = JSON.parse(JSON.stringify(stack.toTerraform())) as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const [stream] = Object.values(json.resource.aws_kinesis_firehose_delivery_stream);
  const processors = (stream.extended_s3_configuration as { processing_configuration: { processors: { type: string; parameters: Param[] }[] } })
    .processing_configuration.processors;
  const lambda = processors.find((p) => p.type === 'Lambda');
  expect(lambda).toBeDefined();
  expect(lambda!.parameters[0]).toEqual({ parameter_name: 'LambdaArn', parameter_value: `${lambdaArn}:$LATEST` });
  return lambda!.parameters;
}

const names = (params: Param[]): string[] => params.map((p) => p.parameter_name);

describe('firehose-to-s3 Lambda processor parameters', () => {
  it('leaves the buffer parameters out when they are not set (the provider defaults, dropped on read)', () => {
    expect(names(lambdaProcessorParams({}))).toEqual(['LambdaArn']);
  });

  it('leaves them out when they are set to the defaults 1 MiB / 60 s (a diff on every plan otherwise)', () => {
    expect(names(lambdaProcessorParams({ bufferSizeMiB: 1, bufferIntervalSeconds: 60 }))).toEqual(['LambdaArn']);
  });

  it('keeps non-default values', () => {
    expect(lambdaProcessorParams({ bufferSizeMiB: 2, bufferIntervalSeconds: 120 }).slice(1)).toEqual([
      { parameter_name: 'BufferSizeInMBs', parameter_value: '2' },
      { parameter_name: 'BufferIntervalInSeconds', parameter_value: '120' },
    ]);
  });
});
