/**
 * Loss detection and the dashboard of a client-events stack (issue 18): events accepted onto the bus (the every-event
 * rule's MatchedEvents) versus records Firehose delivered to S3, a drop of the accepted volume, and one dashboard with
 * every alarm of the stack, the API, the bus, Firehose, the parking places and the functions.
 */
import type { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import type { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import type { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import type { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { MetricRef } from '../../modules/alarms.js';
import { firehoseFreshnessGraph, firehoseRecords, lambdaGraphs, queueDepthGraph, type DashboardLine } from '../../modules/dashboard.js';
import type { FirehoseToS3 } from '../../modules/firehose-to-s3.js';
import type { TributaryStack } from '../base.js';

export interface ClientEventsWatchProps {
  readonly bus: CloudwatchEventBus;
  readonly allEvents: CloudwatchEventRule;
  readonly firehose: FirehoseToS3;
  readonly processingFailed: MetricRef;
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly functionNames: readonly string[];
  /** Parking places: the rule targets' dead-letter queues and the unrouted loyalty purchases. */
  readonly parked: readonly { label: string; queue: SqsQueue }[];
}

export function watch(stack: TributaryStack, p: ClientEventsWatchProps): void {
  const settings = stack.config.clientEvents.monitoring;
  const rule = { EventBusName: p.bus.name, RuleName: p.allEvents.name };
  const matched: MetricRef = { namespace: 'AWS/Events', metricName: 'MatchedEvents', dimensions: rule };
  const stream = p.firehose.streamName;
  const records = firehoseRecords(stream);
  stack.addLossAlarms('client-events', settings, {
    accepted: matched,
    stored: [{ namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.Records', dimensions: { DeliveryStreamName: stream } }],
    incoming: matched,
    acceptedText: 'the client events accepted onto the bus',
    storedText: `delivered to S3 by ${stream} (records set aside as ProcessingFailed count as not stored)`,
  });
  const api = { ApiName: p.api.name, Stage: p.stage.stageName };
  const apiLine = (metricName: string, label: string): DashboardLine => ({ namespace: 'AWS/ApiGateway', metricName, dimensions: api, label });
  stack.addDashboard([
    { title: 'Incoming', lines: [apiLine('Count', 'POST /event requests'), { ...matched, label: 'Events accepted onto the bus' }, records.incoming] },
    { title: 'Delivered', lines: [records.delivered] },
    {
      title: 'Failed',
      lines: [
        { ...p.processingFailed, label: 'Records set aside as ProcessingFailed' },
        { namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensions: rule, label: 'Events not delivered to Firehose' },
        { namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.Success', dimensions: { DeliveryStreamName: stream }, stat: 'Average', label: 'S3 delivery success (1 = all)' },
        apiLine('5XXError', 'API 5xx'),
        apiLine('4XXError', 'API 4xx'),
      ],
    },
    queueDepthGraph('Parked: messages waiting', p.parked.map(({ label, queue }) => ({ label, queueName: queue.name }))),
    ...lambdaGraphs(p.functionNames),
    firehoseFreshnessGraph([stream]),
  ], settings.dashboard);
}
