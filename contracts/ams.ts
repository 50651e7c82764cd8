/**
 * Amazon Marketing Stream reference data (embedded from ams-datasets.json): the datasets, the AWS account
 * whose SNS topics publish each dataset per advertising region, the region mapping and Amazon's roles.
 * Used by the stacks, the confirmation handler and the subscription CLI.
 */
import data from './ams-datasets.json' with { type: 'json' };
import { POWERTOOLS_LOGGER_ENV, type HandlerEnvContract } from './env.js';
import { handlerZipName } from './handlers.js';

export const ADVERTISING_REGIONS = ['NA', 'EU', 'FE'] as const;
export type AdvertisingRegion = (typeof ADVERTISING_REGIONS)[number];

export type DatasetFamily = 'sponsored-ads' | 'dsp';

export interface AmsDataset {
  readonly dataSetId: string;
  readonly family: DatasetFamily;
  readonly publisherAccounts: Readonly<Record<AdvertisingRegion, string>>;
}

export interface AdvertisingRegionInfo {
  readonly awsRegion: string;
  readonly apiHost: string;
}

export const AMS_DATASETS: readonly AmsDataset[] = data.datasets as AmsDataset[];
export const AMS_DATASET_IDS: readonly string[] = AMS_DATASETS.map((d) => d.dataSetId);
export const AMS_REGIONS: Readonly<Record<AdvertisingRegion, AdvertisingRegionInfo>> = data.advertisingRegions;
export const AMAZON_REVIEWER_ROLE: string = data.amazonPrincipals.reviewerRole;
export const AMAZON_SUBSCRIBER_ROLE: string = data.amazonPrincipals.subscriberRole;

/** The AWS region that hosts the SNS topics (and so our stack) for an advertising region. */
export function awsRegionOf(region: AdvertisingRegion): string {
  return AMS_REGIONS[region].awsRegion;
}

export function advertisingRegionOfAwsRegion(awsRegion: string): AdvertisingRegion | undefined {
  return ADVERTISING_REGIONS.find((r) => AMS_REGIONS[r].awsRegion === awsRegion);
}

export function dataset(id: string): AmsDataset {
  const found = AMS_DATASETS.find((d) => d.dataSetId === id);
  if (!found) throw new Error(`unknown Amazon Marketing Stream dataset "${id}"; known: ${AMS_DATASET_IDS.join(', ')}`);
  return found;
}

/** The AWS account whose SNS topics publish `datasetId` in `region`. */
export function publisherAccount(datasetId: string, region: AdvertisingRegion): string {
  return dataset(datasetId).publisherAccounts[region];
}

/** `arn:aws:sns:<awsRegion>:<publisherAccount>:*`, the aws:SourceArn pattern Amazon documents. */
export function publisherTopicArnPattern(datasetId: string, region: AdvertisingRegion): string {
  return `arn:aws:sns:${awsRegionOf(region)}:${publisherAccount(datasetId, region)}:*`;
}

/** Stack name for a dataset and advertising region, e.g. "ams-sp-traffic-na". */
export function amsStackName(datasetId: string, region: AdvertisingRegion): string {
  return `ams-${datasetId}-${region.toLowerCase()}`;
}

/** Terraform output names every AMS stack exposes (read by the subscription CLI; here so the CLI need not load cdktf). */
export const AMS_OUTPUTS = {
  datasetId: 'dataset_id',
  advertisingRegion: 'advertising_region',
  delivery: 'delivery',
  bucketName: 'bucket_name',
  /** sqs variant: the queue Amazon's SNS topics publish into (the subscription destination). */
  queueArn: 'destination_queue_arn',
  /** sqs variant: our data topic that Firehose is subscribed to. */
  topicArn: 'data_topic_arn',
  /** firehose variant: the subscription destination and its two roles. */
  deliveryStreamArn: 'delivery_stream_arn',
  subscriberRoleArn: 'subscriber_role_arn',
  subscriptionRoleArn: 'subscription_role_arn',
  /** Only on the stack keeping its advertising region's overview dashboard (the region's first dataset). */
  overviewDashboard: 'ams_overview_dashboard',
} as const;

/** Terraform outputs of the query layer (ams.glue on: stacks/ams/catalog.ts). */
export const AMS_CATALOG_OUTPUTS = {
  database: 'glue_database',
  table: 'glue_table',
  workgroup: 'athena_workgroup',
} as const;

/** The fan-out Lambda (handlers/ams/fan-out): ingress queue -> data topic, confirmations -> confirmation queue. */
export const AMS_FAN_OUT = {
  zip: handlerZipName('ams', 'fan-out'),
  service: 'ams-fan-out',
  env: {
    datasetId: 'DATASET_ID',
    advertisingRegion: 'ADVERTISING_REGION',
    dataTopicArn: 'DATA_TOPIC_ARN',
    confirmationQueueUrl: 'CONFIRMATION_QUEUE_URL',
  },
  library: POWERTOOLS_LOGGER_ENV,
} as const satisfies HandlerEnvContract;

/** The confirmation Lambda (handlers/ams/confirm-subscription): confirms subscriptions from Amazon's account only. */
export const AMS_CONFIRM_SUBSCRIPTION = {
  zip: handlerZipName('ams', 'confirm-subscription'),
  service: 'ams-confirm-subscription',
  env: { datasetId: 'DATASET_ID', advertisingRegion: 'ADVERTISING_REGION' },
  library: POWERTOOLS_LOGGER_ENV,
} as const satisfies HandlerEnvContract;
