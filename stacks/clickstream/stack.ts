/**
 * The real-time clickstream pipeline, one stack per configured region (`clickstream-<region>`):
 *
 *   API Gateway HTTP API `POST /report` (stage throttling, JSON access logs, CORS from config)
 *     -> ingest Lambda (handlers/clickstream/ingest: size limit 413, schema 400, PutRecords retrying failed entries)
 *     -> Kinesis stream (on-demand by default, KMS SSE with alias/aws/kinesis)
 *     -> processor Lambda (handlers/clickstream/process; ReportBatchItemFailures, bisect, bounded retries and age,
 *        SQS on-failure destination with its own DLQ)
 *     -> DynamoDB table (ip, `<timestamp>#<sequence number>`; on-demand, PITR, SSE, optional TTL)
 *   Refused request bodies and ineligible stream records -> rejects queue (SQS, own DLQ), each with its reason.
 *
 * Why an HTTP API rather than a REST API: it has stage-level throttling, access logs to a log group (through its
 * service-linked role, with no account-wide CloudWatch role to manage), a first-class CORS configuration and a
 * payload format whose source address and body encoding the handler reads directly, at about a third of the REST
 * API's request price. Request size is enforced in the handler (413); both API types cap bodies at 10 MB and a
 * synchronous Lambda invocation at 6 MB. A REST API would add WAF, API keys/usage plans and request validation
 * models, none of which this public beacon endpoint uses.
 */
import type { Construct } from 'constructs';
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import type { TributaryConfig } from '../../config/index.js';
import { DynamodbTable } from '../../modules/dynamodb-table.js';
import { HTTP_API_STAGE, httpLambdaApi } from '../../modules/http-lambda-api.js';
import { addKinesisEventSource, KinesisStream } from '../../modules/kinesis-stream.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import { DLQ_RETENTION_SECONDS, QueueWithDlq } from '../../modules/queue-with-dlq.js';
import { TributaryStack } from '../base.js';
import {
  CLICKSTREAM_INGEST, CLICKSTREAM_OUTPUTS, CLICKSTREAM_PROCESS, CLICKSTREAM_ROUTE, CLICKSTREAM_ROUTE_KEY, CLICKSTREAM_TABLE_KEYS,
} from '../../contracts/clickstream.js';

export { CLICKSTREAM_OUTPUTS, CLICKSTREAM_TABLE_KEYS } from '../../contracts/clickstream.js';
import { PARKING_PLACES } from '../../contracts/operations.js';
import type { MetricRef } from '../../modules/alarms.js';
import { lambdaGraphs, queueDepthGraph, type DashboardLine } from '../../modules/dashboard.js';
import type { ProcessSummary } from '../../handlers/clickstream/process/core.js';

export const CLICKSTREAM_PIPELINE = 'clickstream';

export function clickstreamStackName(region: string): string {
  return `${CLICKSTREAM_PIPELINE}-${region}`;
}

/**
 * The processor logs one line per batch, `batch processed` with its ProcessSummary (handlers/clickstream/process/
 * index.ts); metric filters turn its counts into metrics (namespace below, metric `<function name>-<field>`).
 */
export const CLICKSTREAM_BATCH_LOG_MESSAGE = 'batch processed';
export const CLICKSTREAM_METRIC_NAMESPACE = 'Tributary/Clickstream';
/** The ProcessSummary counts turned into metrics (typed: a renamed summary field breaks the build). */
export const CLICKSTREAM_BATCH_COUNTS = ['written', 'rejected', 'failed'] as const satisfies readonly (keyof ProcessSummary)[];

export interface ClickstreamStackProps {
  readonly config: TributaryConfig;
  readonly region: string;
}

export class ClickstreamStack extends TributaryStack {
  readonly stream: KinesisStream;
  readonly table: DynamodbTable;
  readonly rejects: QueueWithDlq;
  readonly failures: QueueWithDlq;
  readonly ingest: LambdaFunction;
  readonly processor: LambdaFunction;
  readonly api: Apigatewayv2Api;

  constructor(scope: Construct, props: ClickstreamStackProps) {
    super(scope, clickstreamStackName(props.region), { config: props.config, region: props.region, pipeline: CLICKSTREAM_PIPELINE });
    const cs = props.config.clickstream;
    const naming = this.naming;
    const alerts = this.alerts;
    const logRetentionDays = props.config.logRetentionDays;

    this.stream = new KinesisStream(this, 'stream', {
      naming,
      purpose: 'clickstream',
      mode: cs.streamMode,
      shardCount: cs.streamMode === 'provisioned' ? cs.shardCount : undefined,
      retentionHours: cs.streamRetentionHours,
    });

    this.table = new DynamodbTable(this, 'table', {
      naming,
      purpose: 'clickstream',
      partitionKey: CLICKSTREAM_TABLE_KEYS.partition,
      sortKey: CLICKSTREAM_TABLE_KEYS.sort,
      ttlAttribute: cs.ttlDays > 0 ? CLICKSTREAM_TABLE_KEYS.ttl : undefined,
    });

    // Nothing consumes these two queues: they hold messages for people (and redrive tools) to inspect.
    this.rejects = new QueueWithDlq(this, 'rejects', {
      naming,
      purpose: 'clickstream-rejects',
      messageRetentionSeconds: cs.rejectsRetentionDays * 86_400,
      alerts,
    });
    this.failures = new QueueWithDlq(this, 'process-failures', {
      naming,
      purpose: 'clickstream-process-failures',
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      alerts,
    });

    const unknownFields = cs.unknownFields;
    this.ingest = new LambdaFunction(this, 'ingest', {
      naming,
      purpose: 'clickstream-ingest',
      handler: CLICKSTREAM_INGEST.zip,
      description: `${CLICKSTREAM_ROUTE_KEY}: validates clickstream records and writes them to Kinesis`,
      memoryMb: cs.ingestMemoryMb,
      timeoutSeconds: cs.ingestTimeoutSeconds,
      // The unauthenticated entry point may not take the account's whole Lambda concurrency (issue 16).
      reservedConcurrency: cs.ingestReservedConcurrency || undefined,
      logRetentionDays,
      alerts,
      environment: {
        [CLICKSTREAM_INGEST.env.streamName]: this.stream.name,
        [CLICKSTREAM_INGEST.env.rejectsQueueUrl]: this.rejects.url,
        [CLICKSTREAM_INGEST.env.maxBodyBytes]: String(cs.maxBodyBytes),
        [CLICKSTREAM_INGEST.env.maxBatchRecords]: String(cs.maxBatchRecords),
        [CLICKSTREAM_INGEST.env.unknownFields]: unknownFields,
        [CLICKSTREAM_INGEST.env.fillIpFromSource]: String(cs.fillIpFromSource),
        [CLICKSTREAM_INGEST.env.putMaxAttempts]: String(cs.putMaxAttempts),
      },
      statements: [
        { Sid: 'PutRecords', Action: ['kinesis:PutRecords', 'kinesis:PutRecord'], Resource: this.stream.arn },
        { Sid: 'KeepRejects', Action: ['sqs:SendMessage'], Resource: this.rejects.arn },
      ],
    });

    this.processor = new LambdaFunction(this, 'process', {
      naming,
      purpose: 'clickstream-process',
      handler: CLICKSTREAM_PROCESS.zip,
      description: 'Kinesis -> DynamoDB: writes eligible clickstream records, keeps ineligible ones in the rejects queue',
      memoryMb: cs.processMemoryMb,
      timeoutSeconds: cs.processTimeoutSeconds,
      logRetentionDays,
      alerts,
      environment: {
        [CLICKSTREAM_PROCESS.env.tableName]: this.table.name,
        [CLICKSTREAM_PROCESS.env.rejectsQueueUrl]: this.rejects.url,
        [CLICKSTREAM_PROCESS.env.unknownFields]: unknownFields,
        [CLICKSTREAM_PROCESS.env.writeMaxAttempts]: String(cs.writeMaxAttempts),
        [CLICKSTREAM_PROCESS.env.ttlDays]: String(cs.ttlDays),
      },
      statements: [
        { Sid: 'WriteItems', Action: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], Resource: this.table.arn },
        { Sid: 'KeepRejects', Action: ['sqs:SendMessage'], Resource: this.rejects.arn },
      ],
    });
    // TRIM_HORIZON: a new mapping (first deploy, or a re-created one) also reads what was written before it existed.
    // Safe because the processor's writes are idempotent (a record's item key holds its sequence number).
    addKinesisEventSource(this.processor, 'stream-source', this.stream, {
      startingPosition: 'TRIM_HORIZON',
      batchSize: cs.batchSize,
      maxBatchingWindowSeconds: cs.maxBatchingWindowSeconds,
      maximumRetryAttempts: cs.maximumRetryAttempts,
      maximumRecordAgeSeconds: cs.maximumRecordAgeSeconds,
      parallelizationFactor: cs.parallelizationFactor,
      onFailure: this.failures,
    });

    // --- HTTP API ---
    ({ api: this.api } = httpLambdaApi(this, 'api', {
      naming,
      purpose: 'clickstream',
      description: `Clickstream ingestion: ${CLICKSTREAM_ROUTE_KEY}`,
      lambda: this.ingest,
      routes: [{ id: 'api-route', routeKey: CLICKSTREAM_ROUTE_KEY }],
      logRetentionDays,
      throttle: { rateLimit: cs.throttlingRateLimit, burstLimit: cs.throttlingBurstLimit },
      cors: cs.corsAllowOrigins.length
        ? { allowOrigins: [...cs.corsAllowOrigins], allowMethods: ['POST', 'OPTIONS'], allowHeaders: ['content-type'], maxAge: 600 }
        : undefined,
      integrationUri: 'arn',
      integrationMethod: 'POST',
      invokeStatementId: 'AllowHttpApiInvoke',
    }));

    // --- Alarms (Lambda errors and DLQ depths come from the modules) ---
    alerts.alarm('clickstream-iterator-age', {
      alarmDescription:
        `The clickstream processor is more than ${cs.iteratorAgeAlarmSeconds} s behind the stream: check its errors, ` +
        'throttling of the table, and whether a batch is being retried.',
      namespace: 'AWS/Lambda',
      metricName: 'IteratorAge',
      dimensions: { FunctionName: this.processor.functionName },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 5,
      threshold: cs.iteratorAgeAlarmSeconds * 1000,
      comparisonOperator: 'GreaterThanThreshold',
    });
    const processFailuresAlarm = alerts.queueNotEmpty(
      'clickstream-process-failures-depth',
      this.failures.queue.name,
      'Batches the clickstream processor gave up on are described in the on-failure queue: read the shard and ' +
        'sequence range from each message, fix the cause, and replay them from the stream (docs/clickstream.md).',
    );
    alerts.api5xx('clickstream-api-5xx', {
      api: { kind: 'http', apiId: this.api.id, stage: HTTP_API_STAGE },
      threshold: cs.api5xxAlarmThreshold,
      alarmDescription: `POST /report returned ${cs.api5xxAlarmThreshold}+ server errors in 5 minutes: read the ingest function's log group and the API access logs.`,
    });

    this.output(CLICKSTREAM_OUTPUTS.reportUrl, `${this.api.apiEndpoint}${CLICKSTREAM_ROUTE.path}`, 'POST clickstream records here');
    this.output(CLICKSTREAM_OUTPUTS.apiId, this.api.id, 'HTTP API id');
    this.output(CLICKSTREAM_OUTPUTS.streamName, this.stream.name, 'Kinesis stream receiving the records');
    this.output(CLICKSTREAM_OUTPUTS.streamArn, this.stream.arn, 'Kinesis stream ARN');
    this.output(CLICKSTREAM_OUTPUTS.tableName, this.table.name, 'DynamoDB table of processed records');
    this.output(CLICKSTREAM_OUTPUTS.rejectsQueueUrl, this.rejects.url, 'Refused bodies and ineligible records, each with its reason');
    this.output(CLICKSTREAM_OUTPUTS.failureQueueUrl, this.failures.url, 'On-failure destination of the processor (batches given up on)');

    // Parking places (contracts/operations.ts). The rejects queue has no alarm of its own: rejects are expected
    // traffic (bad clients); its DLQ and the on-failure queue are alarmed.
    const settings = { stream_name: this.stream.name, table_name: this.table.name, unknown_fields: unknownFields, ttl_days: String(cs.ttlDays) };
    this.parkingOutput(
      PARKING_PLACES.clickstream.rejects,
      { queue_url: this.rejects.url, queue_arn: this.rejects.arn, ...settings, fill_ip_from_source: String(cs.fillIpFromSource) },
    );
    this.parkingOutput(
      PARKING_PLACES.clickstream.processFailures,
      { queue_url: this.failures.url, queue_arn: this.failures.arn, ...settings, rejects_queue_url: this.rejects.url },
      processFailuresAlarm,
    );
    for (const [spec, q] of [[PARKING_PLACES.clickstream.rejectsDlq, this.rejects], [PARKING_PLACES.clickstream.processFailuresDlq, this.failures]] as const) {
      this.parkingOutput(spec, { queue_url: q.dlq.url, queue_arn: q.dlq.arn, source_queue_url: q.queue.url, source_queue_arn: q.queue.arn }, q.dlqAlarm);
    }
    this.watch(props.config);
  }

  /**
   * Loss detection and the dashboard (issue 18): the processor's per-batch counts as metrics, the reject rate,
   * records accepted into the stream versus written or kept as rejects, a drop of the incoming volume.
   */
  private watch(config: TributaryConfig): void {
    const settings = config.clickstream.monitoring;
    const counts = Object.fromEntries(
      CLICKSTREAM_BATCH_COUNTS.map((field) => {
        const metricName = `${this.processor.functionName}-${field}`;
        new CloudwatchLogMetricFilter(this, `process-${field}-records`, {
          name: `${field}-records`,
          logGroupName: this.processor.logGroup.name,
          pattern: `{ $.message = "${CLICKSTREAM_BATCH_LOG_MESSAGE}" }`,
          metricTransformation: { namespace: CLICKSTREAM_METRIC_NAMESPACE, name: metricName, value: `$.${field}`, unit: 'Count' },
        });
        return [field, { namespace: CLICKSTREAM_METRIC_NAMESPACE, metricName } satisfies MetricRef];
      }),
    ) as Record<(typeof CLICKSTREAM_BATCH_COUNTS)[number], MetricRef>;
    const stream = { StreamName: this.stream.streamName };
    const accepted: MetricRef = { namespace: 'AWS/Kinesis', metricName: 'IncomingRecords', dimensions: stream };
    const rejectsSent: MetricRef = { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesSent', dimensions: { QueueName: this.rejects.queue.name } };
    const api = { ApiId: this.api.id, Stage: '$default' };

    if (settings.rejectRatePercent > 0) {
      this.alerts.rejectRate('clickstream-reject-rate', {
        description:
          `More than ${settings.rejectRatePercent}% of clickstream records were refused (kept in the rejects queue) for 15 minutes: ` +
          'a client sends records the schema refuses; read the reasons in the rejects queue (docs/operations.md).',
        accepted,
        rejected: rejectsSent,
        thresholdPercent: settings.rejectRatePercent,
      });
    }
    this.addLossAlarms('clickstream', settings, {
      accepted,
      stored: [counts.written, counts.rejected],
      incoming: accepted,
      acceptedText: `the records accepted into ${this.stream.streamName}`,
      storedText: 'written to DynamoDB or kept in the rejects queue by the processor',
    });

    const line = (m: MetricRef, label: string): DashboardLine => ({ ...m, label });
    this.addDashboard([
      {
        title: 'Incoming',
        lines: [
          { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: api, label: 'POST /report requests' },
          line(accepted, 'Records accepted into the stream'),
        ],
      },
      { title: 'Delivered', lines: [line(counts.written, 'Records written to DynamoDB'), line(counts.rejected, 'Stream records kept as rejects')] },
      {
        title: 'Failed',
        lines: [
          line(counts.failed, 'Records the processor could not write (retried)'),
          line(rejectsSent, 'Rejects queued (refused bodies and ineligible records)'),
          { namespace: 'AWS/ApiGateway', metricName: '5xx', dimensions: api, label: 'API 5xx' },
          { namespace: 'AWS/ApiGateway', metricName: '4xx', dimensions: api, label: 'API 4xx' },
          { namespace: 'AWS/Kinesis', metricName: 'PutRecords.FailedRecords', dimensions: stream, label: 'Records Kinesis refused (retried by the ingest)' },
        ],
      },
      queueDepthGraph('Parked: messages waiting', [
        { label: 'rejects', queueName: this.rejects.queue.name },
        { label: 'rejects DLQ', queueName: this.rejects.dlq.name },
        { label: 'process failures', queueName: this.failures.queue.name },
        { label: 'process failures DLQ', queueName: this.failures.dlq.name },
      ]),
      {
        title: 'Processor iterator age (ms)',
        stat: 'Maximum',
        lines: [{ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensions: { FunctionName: this.processor.functionName }, stat: 'Maximum', label: 'Iterator age' }],
      },
      ...lambdaGraphs([this.ingest.functionName, this.processor.functionName]),
    ], settings.dashboard);
  }
}
