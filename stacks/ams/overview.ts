import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import type { AdvertisingRegion } from '../../contracts/ams.js';
import type { AmsDelivery } from '../../config/ams.js';
import type { MetricRef } from '../../modules/alarms.js';
import { overviewBody, type DashboardGraph, type DashboardLine } from '../../modules/dashboard.js';
import { ownArn } from '../../modules/iam.js';
import type { Naming } from '../../modules/naming.js';

/** Purpose segment of the overview dashboard's name: `<prefix>-<short region>-ams-overview`. */
export const AMS_OVERVIEW_PURPOSE = 'ams-overview';

/**
 * What the region overview shows of one dataset. Plain strings only, recorded by the dataset's own stack from the
 * names it gives its resources and alarms (modules/naming.ts), so the overview names exactly what that stack creates
 * without a reference across stacks (each stack is its own Terraform state).
 */
export interface AmsOverviewDataset {
  readonly datasetId: string;
  readonly stackName: string;
  readonly delivery: AmsDelivery;
  readonly streamName: string;
  /** Records accepted for delivery: sqs, published by the fan-out to the data topic; firehose, put into the stream. */
  readonly accepted: MetricRef;
  /** Dead-letter and parking queues (sqs delivery). */
  readonly dlqs: readonly { readonly label: string; readonly queueName: string }[];
  /** The fan-out Lambda (sqs delivery). */
  readonly fanOutFunctionName?: string;
  /** Every alarm of the dataset's stack. */
  readonly alarmNames: readonly string[];
}

export interface AmsOverviewProps {
  readonly naming: Naming;
  readonly advertisingRegion: AdvertisingRegion;
  /** Every configured dataset of the region, in config order. */
  readonly datasets: readonly AmsOverviewDataset[];
}

/**
 * One dashboard per advertising region listing every configured dataset of the region (issue 18): records accepted,
 * delivered to S3, dead-letter queue depths, fan-out errors and throttles and Firehose freshness, one line per
 * dataset, then the alarm status of every dataset's alarms. Kept by one AMS stack of the region (stacks/index.ts);
 * the other datasets' alarm ARNs are built in that stack's account and partition (its alerts topic's ARN) from the
 * names those stacks give their alarms.
 */
export class AmsOverviewDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;
  readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: AmsOverviewProps) {
    super(scope, id);
    const region = props.naming.region;
    this.dashboardName = props.naming.name('dashboard', AMS_OVERVIEW_PURPOSE);
    const groups = props.datasets.map((d) => ({
      title: `Alarms: ${d.datasetId} (${d.stackName})`,
      alarmArns: d.alarmNames.map((n) => ownArn(this, 'cloudwatch', region, `alarm:${n}`)),
    }));
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: this.dashboardName,
      dashboardBody: overviewBody(region, overviewText(props), amsOverviewGraphs(props.datasets), groups),
    });
  }
}

/** The graphs of the overview, one line per dataset (graphs with no line, e.g. queues under firehose delivery, are left out). */
export function amsOverviewGraphs(datasets: readonly AmsOverviewDataset[]): DashboardGraph[] {
  const line = (m: MetricRef, label: string, stat?: string): DashboardLine => ({ ...m, ...(stat ? { stat } : {}), label });
  const firehose = (d: AmsOverviewDataset, metricName: string): MetricRef => ({
    namespace: 'AWS/Firehose', metricName, dimensions: { DeliveryStreamName: d.streamName },
  });
  const lambda = (fn: string, metricName: string): MetricRef => ({ namespace: 'AWS/Lambda', metricName, dimensions: { FunctionName: fn } });
  const graphs: DashboardGraph[] = [
    { title: 'Records accepted (sqs: published by the fan-out; firehose: into the stream)', lines: datasets.map((d) => line(d.accepted, d.datasetId)) },
    { title: 'Records delivered to S3', lines: datasets.map((d) => line(firehose(d, 'DeliveryToS3.Records'), d.datasetId)) },
    {
      title: 'Dead-letter and undelivered queues: messages waiting',
      stat: 'Maximum',
      lines: datasets.flatMap((d) => d.dlqs.map((q) => line(
        { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: q.queueName } }, `${d.datasetId} ${q.label}`, 'Maximum',
      ))),
    },
    {
      title: 'Fan-out Lambda errors and throttles',
      lines: datasets.flatMap((d) => (d.fanOutFunctionName
        ? [line(lambda(d.fanOutFunctionName, 'Errors'), `${d.datasetId} errors`), line(lambda(d.fanOutFunctionName, 'Throttles'), `${d.datasetId} throttles`)]
        : [])),
    },
    {
      title: 'Firehose data freshness (s)',
      stat: 'Maximum',
      lines: datasets.map((d) => line(firehose(d, 'DeliveryToS3.DataFreshness'), d.datasetId, 'Maximum')),
    },
  ];
  return graphs.filter((g) => g.lines.length > 0);
}

function overviewText({ naming, advertisingRegion, datasets }: AmsOverviewProps): string {
  const region = naming.region;
  const console = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}`;
  return [
    `# Amazon Marketing Stream, ${advertisingRegion} (${region}): ${datasets.length} dataset${datasets.length === 1 ? '' : 's'}`,
    `Every alarm of these stacks is listed below the graphs; all of them in the [CloudWatch alarms console](${console}#alarmsV2:), ` +
      'filtered by the prefix in the table (`aws cloudwatch describe-alarms --alarm-name-prefix <prefix>`). docs/operations.md says what each alarm means.',
    '',
    '| dataset | stack | delivery | alarm name prefix |',
    '|---|---|---|---|',
    ...datasets.map((d) => `| ${d.datasetId} | ${d.stackName} | ${d.delivery} | \`${naming.name('alarm', d.datasetId)}-\` |`),
  ].join('\n');
}
