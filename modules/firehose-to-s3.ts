import { Construct } from 'constructs';
import { Lazy } from 'cdktf';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { Alerts } from './alarms.js';
import type { DataBucket } from './data-bucket.js';
import { inlinePolicy, ownArn, policyDocument, serviceRole, type PolicyStatement } from './iam.js';
import type { Naming } from './naming.js';

/** Hive-style hourly time partitions, evaluated by Firehose at delivery time (UTC). */
export const HIVE_TIME_PARTITIONS = 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

/** Firehose's defaults for the Lambda processor's buffer; the provider does not keep parameters equal to them. */
export const LAMBDA_PROCESSOR_DEFAULT_BUFFER_MIB = 1;
export const LAMBDA_PROCESSOR_DEFAULT_BUFFER_SECONDS = 60;

export interface FirehoseTransform {
  /** ARN of the transform Lambda (Firehose record contract). */
  readonly lambdaArn: string;
  /**
   * Buffer before invoking the Lambda: MiB (0.2-3, default 1) and seconds (0-900, default 60). A value equal to the
   * default is left out of the configuration (hashicorp/aws drops it on read: a diff on every plan otherwise).
   */
  readonly bufferSizeMiB?: number;
  readonly bufferIntervalSeconds?: number;
}

export interface FirehoseDynamicPartitioning {
  /** JQ 1.6 expression that extracts the partition keys, e.g. `{eventType: .detail.eventType}`. */
  readonly jqQuery: string;
  /** How long Firehose retries a failed delivery to a partition (s). Default 300. */
  readonly retryDurationSeconds?: number;
}

export interface FirehoseToS3Props {
  readonly naming: Naming;
  /** Purpose segment of the stream name, e.g. "ams-sp-traffic". */
  readonly purpose: string;
  readonly bucket: DataBucket;
  /**
   * Key prefix of delivered data, ending in "/" (e.g. "sp-traffic/"). Hive-style time partitions
   * (year=/month=/day=/hour=/) are appended unless `timePartitions` is false.
   */
  readonly dataPrefix: string;
  /**
   * Key prefix of records Firehose could not process or deliver, ending in "/"; `!{firehose:error-output-type}/` and
   * the time partitions are appended. Default `errors/<dataPrefix>`. Set it when the data prefix uses dynamic
   * partitioning keys (`!{partitionKeyFromQuery:...}`), which an error prefix may not contain.
   */
  readonly errorOutputPrefix?: string;
  /** Append HIVE_TIME_PARTITIONS to the data prefix. Default true. */
  readonly timePartitions?: boolean;
  /** Buffering hints: size in MiB (1-128, default 64) and interval in seconds (0-900, default 300). */
  readonly bufferingSizeMiB?: number;
  readonly bufferingIntervalSeconds?: number;
  /** Compression of delivered objects. Default GZIP. */
  readonly compression?: 'GZIP' | 'UNCOMPRESSED' | 'Snappy' | 'ZIP' | 'HADOOP_SNAPPY';
  /** Append "\n" after every record so objects are newline-delimited. Default true. */
  readonly appendNewline?: boolean;
  readonly transform?: FirehoseTransform;
  readonly dynamicPartitioning?: FirehoseDynamicPartitioning;
  /** Log retention in days for the delivery error log group. */
  readonly logRetentionDays: number;
  /** Alerts topic; when given, a data-freshness alarm is created. */
  readonly alerts?: Alerts;
  /** Data freshness (s) above which the alarm fires. Default buffering interval + 900. */
  readonly freshnessAlarmSeconds?: number;
}

/**
 * A Direct PUT Firehose delivery stream into a bucket prefix: GZIP, Hive-style time partitions, an error prefix
 * carrying `!{firehose:error-output-type}`, newline-delimited records, buffering hints, server-side
 * encryption, its own least-privilege role, a CloudWatch log group with retention and a data-freshness alarm.
 */
export class FirehoseToS3 extends Construct {
  readonly stream: KinesisFirehoseDeliveryStream;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly streamName: string;
  readonly dataPrefix: string;
  /** The error prefix up to its `!{firehose:error-output-type}` segment, e.g. `errors/sp-traffic/`. */
  readonly errorPrefixRoot: string;
  /** The data-freshness alarm (when `alerts` was given). */
  readonly freshnessAlarm?: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: FirehoseToS3Props) {
    super(scope, id);
    if (!props.dataPrefix.endsWith('/')) throw new Error(`firehose ${props.purpose}: dataPrefix must end with "/"`);
    this.streamName = props.naming.name('firehose', props.purpose);
    const interval = props.bufferingIntervalSeconds ?? 300;
    const size = props.bufferingSizeMiB ?? 64;
    if (props.dynamicPartitioning && size < 64) {
      throw new Error(`firehose ${props.purpose}: dynamic partitioning needs a buffering size of at least 64 MiB`);
    }
    this.dataPrefix = props.dataPrefix + (props.timePartitions === false ? '' : HIVE_TIME_PARTITIONS);
    if (props.errorOutputPrefix === undefined && props.dataPrefix.includes('!{partitionKeyFromQuery:')) {
      throw new Error(`firehose ${props.purpose}: a data prefix with dynamic partitioning keys needs its own errorOutputPrefix`);
    }
    if (props.errorOutputPrefix !== undefined && !props.errorOutputPrefix.endsWith('/')) {
      throw new Error(`firehose ${props.purpose}: errorOutputPrefix must end with "/"`);
    }
    this.errorPrefixRoot = props.errorOutputPrefix ?? `errors/${props.dataPrefix}`;
    const errorPrefix = `${this.errorPrefixRoot}!{firehose:error-output-type}/${HIVE_TIME_PARTITIONS}`;

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/kinesisfirehose/${this.streamName}`,
      retentionInDays: props.logRetentionDays,
    });
    const logStream = new CloudwatchLogStream(this, 'log-stream', { name: 'DestinationDelivery', logGroupName: this.logGroup.name });

    // The stream's ARN from its name (the stream refers to this role, so the role cannot refer to the stream).
    this.role = serviceRole(this, 'role', {
      name: props.naming.name('iamRole', props.purpose, 'firehose'),
      service: 'firehose.amazonaws.com',
      sourceArn: ownArn(this, 'firehose', props.naming.region, `deliverystream/${this.streamName}`),
    });
    const statements: PolicyStatement[] = [
      {
        Sid: 'WriteBucket',
        Action: [
          's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket',
          's3:ListBucketMultipartUploads', 's3:PutObject',
        ],
        Resource: [props.bucket.arn, `${props.bucket.arn}/*`],
      },
      {
        Sid: 'WriteDeliveryLogs',
        Action: ['logs:PutLogEvents'],
        Resource: `${this.logGroup.arn}:log-stream:${logStream.name}`,
      },
    ];
    if (props.transform) {
      statements.push({
        Sid: 'InvokeTransform',
        Action: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        Resource: [props.transform.lambdaArn, `${props.transform.lambdaArn}:*`],
      });
    }
    const policy = inlinePolicy(this, 'policy', this.role, 'least-privilege', Lazy.stringValue({ produce: () => policyDocument(statements) }));

    const processors: { type: string; parameters: { parameterName: string; parameterValue: string }[] }[] = [];
    if (props.dynamicPartitioning) {
      processors.push({
        type: 'MetadataExtraction',
        parameters: [
          { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
          { parameterName: 'MetadataExtractionQuery', parameterValue: props.dynamicPartitioning.jqQuery },
        ],
      });
    }
    if (props.transform) {
      // Only non-default buffer values: hashicorp/aws drops BufferSizeInMBs=1 and BufferIntervalInSeconds=60 from state
      // on read, so writing them out gave a change on every plan (found by the emulated-apply tier, issue 15).
      const { bufferSizeMiB, bufferIntervalSeconds } = props.transform;
      processors.push({
        type: 'Lambda',
        parameters: [
          { parameterName: 'LambdaArn', parameterValue: `${props.transform.lambdaArn}:$LATEST` },
          ...(bufferSizeMiB !== undefined && bufferSizeMiB !== LAMBDA_PROCESSOR_DEFAULT_BUFFER_MIB
            ? [{ parameterName: 'BufferSizeInMBs', parameterValue: String(bufferSizeMiB) }]
            : []),
          ...(bufferIntervalSeconds !== undefined && bufferIntervalSeconds !== LAMBDA_PROCESSOR_DEFAULT_BUFFER_SECONDS
            ? [{ parameterName: 'BufferIntervalInSeconds', parameterValue: String(bufferIntervalSeconds) }]
            : []),
        ],
      });
    }
    if (props.appendNewline ?? true) {
      processors.push({ type: 'AppendDelimiterToRecord', parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }] });
    }

    this.stream = new KinesisFirehoseDeliveryStream(this, 'stream', {
      name: this.streamName,
      destination: 'extended_s3',
      serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
      extendedS3Configuration: {
        bucketArn: props.bucket.arn,
        roleArn: this.role.arn,
        prefix: this.dataPrefix,
        errorOutputPrefix: errorPrefix,
        bufferingSize: size,
        bufferingInterval: interval,
        compressionFormat: props.compression ?? 'GZIP',
        customTimeZone: 'UTC',
        cloudwatchLoggingOptions: { enabled: true, logGroupName: this.logGroup.name, logStreamName: logStream.name },
        processingConfiguration: processors.length ? { enabled: true, processors } : undefined,
        dynamicPartitioningConfiguration: props.dynamicPartitioning
          ? { enabled: true, retryDuration: props.dynamicPartitioning.retryDurationSeconds ?? 300 }
          : undefined,
      },
      dependsOn: [policy],
    });

    this.freshnessAlarm = props.alerts?.alarm(`${props.purpose}-freshness`, {
      alarmDescription: `${this.streamName} is not delivering to S3 in time: read ${this.logGroup.name} and the errors/ prefix.`,
      namespace: 'AWS/Firehose',
      metricName: 'DeliveryToS3.DataFreshness',
      dimensions: { DeliveryStreamName: this.streamName },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 3,
      threshold: props.freshnessAlarmSeconds ?? interval + 900,
      comparisonOperator: 'GreaterThanThreshold',
    });
  }

  get arn(): string {
    return this.stream.arn;
  }

  /** Statement that lets a principal put records into this stream. */
  putRecordStatement(sid = 'PutIntoFirehose'): PolicyStatement {
    return { Sid: sid, Action: ['firehose:PutRecord', 'firehose:PutRecordBatch', 'firehose:DescribeDeliveryStream'], Resource: this.stream.arn };
  }
}
