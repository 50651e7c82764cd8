import { Construct } from 'constructs';
import { KinesisStream as AwsKinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import type { LambdaFunction } from './lambda-function.js';
import type { Naming } from './naming.js';
import type { QueueWithDlq } from './queue-with-dlq.js';

export interface KinesisStreamProps {
  readonly naming: Naming;
  /** Purpose segment of the stream name, e.g. "clickstream". */
  readonly purpose: string;
  /** "on-demand" (default: capacity follows traffic) or "provisioned" with `shardCount` shards. */
  readonly mode?: 'on-demand' | 'provisioned';
  /** Shards in provisioned mode. Default 1; ignored (and must be unset) in on-demand mode. */
  readonly shardCount?: number;
  /** Retention in hours, 24-8760. Default 24. */
  readonly retentionHours?: number;
  /** KMS key for server-side encryption. Default the AWS managed key `alias/aws/kinesis` (always encrypted). */
  readonly kmsKeyId?: string;
}

/**
 * A Kinesis data stream with the team's defaults: on-demand capacity, server-side encryption with KMS (the AWS
 * managed key unless given one), 24-hour retention, named through the naming module.
 */
export class KinesisStream extends Construct {
  readonly stream: AwsKinesisStream;
  readonly streamName: string;

  constructor(scope: Construct, id: string, props: KinesisStreamProps) {
    super(scope, id);
    const mode = props.mode ?? 'on-demand';
    if (mode === 'on-demand' && props.shardCount !== undefined) {
      throw new Error(`${props.purpose}: shardCount applies only to provisioned streams`);
    }
    this.streamName = props.naming.name('kinesis', props.purpose);
    this.stream = new AwsKinesisStream(this, 'stream', {
      name: this.streamName,
      streamModeDetails: { streamMode: mode === 'on-demand' ? 'ON_DEMAND' : 'PROVISIONED' },
      shardCount: mode === 'provisioned' ? (props.shardCount ?? 1) : undefined,
      retentionPeriod: props.retentionHours ?? 24,
      encryptionType: 'KMS',
      kmsKeyId: props.kmsKeyId ?? 'alias/aws/kinesis',
    });
  }

  get arn(): string {
    return this.stream.arn;
  }

  get name(): string {
    return this.stream.name;
  }
}

export interface KinesisEventSourceOptions {
  /** Records per invocation (1-10000). Default 100. */
  readonly batchSize?: number;
  /** Seconds to gather a batch (0-300). Default 1. */
  readonly maxBatchingWindowSeconds?: number;
  /** Retries of a failing batch (0-10000). Default 3: a poison record cannot block its shard for long. */
  readonly maximumRetryAttempts?: number;
  /** Oldest record retried, seconds (60-604800). Default 3600. */
  readonly maximumRecordAgeSeconds?: number;
  /** Concurrent batches per shard (1-10). Default 1. */
  readonly parallelizationFactor?: number;
  /** Where to start on a new mapping. Default LATEST. */
  readonly startingPosition?: 'LATEST' | 'TRIM_HORIZON';
  /** Where batches that exhaust their retries (or age out) are described: required, so nothing is lost silently. */
  readonly onFailure: QueueWithDlq;
}

/**
 * Consumes `stream` with `fn`: partial batch responses (ReportBatchItemFailures), bisect on error, bounded
 * retries and record age, and an SQS on-failure destination that receives the shard, sequence range and reason
 * of every batch Lambda gives up on. Grants the function exactly the read actions the mapping needs on this
 * stream and SendMessage on the failure queue.
 */
export function addKinesisEventSource(fn: LambdaFunction, id: string, stream: KinesisStream, opts: KinesisEventSourceOptions): LambdaEventSourceMapping {
  fn.grant(
    {
      Sid: `Read${id.replace(/[^A-Za-z0-9]/g, '')}`,
      Action: [
        'kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator',
        'kinesis:ListShards', 'kinesis:SubscribeToShard',
      ],
      Resource: stream.arn,
    },
    {
      Sid: `OnFailure${id.replace(/[^A-Za-z0-9]/g, '')}`,
      Action: ['sqs:SendMessage'],
      Resource: opts.onFailure.arn,
    },
  );
  return new LambdaEventSourceMapping(fn, id, {
    eventSourceArn: stream.arn,
    functionName: fn.fn.arn,
    startingPosition: opts.startingPosition ?? 'LATEST',
    batchSize: opts.batchSize ?? 100,
    maximumBatchingWindowInSeconds: opts.maxBatchingWindowSeconds ?? 1,
    maximumRetryAttempts: opts.maximumRetryAttempts ?? 3,
    maximumRecordAgeInSeconds: opts.maximumRecordAgeSeconds ?? 3600,
    parallelizationFactor: opts.parallelizationFactor ?? 1,
    bisectBatchOnFunctionError: true,
    functionResponseTypes: ['ReportBatchItemFailures'],
    destinationConfig: { onFailure: { destinationArn: opts.onFailure.arn } },
    dependsOn: [fn.role],
  });
}
