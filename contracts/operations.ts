/**
 * Parking places: where each pipeline keeps what it could not process, as the stacks expose them in Terraform
 * outputs and the redrive CLI (cli/redrive, docs/operations.md) reads them. Defined once here; the stacks write one
 * output per place, named `parking_<place>`, whose value is an object with `kind` and the fields of that kind, and
 * the CLI refuses an output whose fields do not match its kind. No cdktf import, so the CLI can load it.
 *
 * Kinds and what a replay sends where:
 *   sqs-dlq             an SQS dead-letter queue -> its source queue (SQS message move task, or receive/send/delete)
 *   sns-dlq             an SNS subscription's dead-letter queue (raw delivery to Firehose) -> the delivery stream
 *   clickstream-rejects the clickstream rejects queue -> re-validated (handlers/clickstream/lib/record.ts), then the
 *                       Kinesis stream (refused bodies) or the table (ineligible stream records)
 *   kinesis-on-failure  Lambda's on-failure destination of a Kinesis mapping -> the described sequence range re-read
 *                       from the stream and re-processed (handlers/clickstream/process/core.ts) into the table
 *   eventbridge-dlq     an EventBridge target's dead-letter queue -> the event put back on its bus
 *   firehose-errors     a Firehose error prefix in S3 (errors/…/processing-failed/ etc.) -> each record's rawData put
 *                       back through the delivery stream
 */

export const PARKING_OUTPUT_PREFIX = 'parking_';

/** Fields every queue-backed place carries. */
const QUEUE = ['queue_url', 'queue_arn'] as const;

export const PARKING_KINDS = {
  'sqs-dlq': { replayInto: 'source queue', fields: [...QUEUE, 'source_queue_url', 'source_queue_arn'] },
  'sns-dlq': { replayInto: 'Firehose delivery stream', fields: [...QUEUE, 'delivery_stream_name'] },
  'clickstream-rejects': { replayInto: 'Kinesis stream / DynamoDB table after re-validation', fields: [...QUEUE, 'stream_name', 'table_name', 'unknown_fields', 'fill_ip_from_source', 'ttl_days'] },
  'kinesis-on-failure': { replayInto: 'DynamoDB table (records re-read from the stream)', fields: [...QUEUE, 'stream_name', 'table_name', 'rejects_queue_url', 'unknown_fields', 'ttl_days'] },
  'eventbridge-dlq': { replayInto: 'EventBridge bus', fields: [...QUEUE, 'event_bus_name'] },
  'firehose-errors': { replayInto: 'Firehose delivery stream', fields: ['bucket', 'prefix', 'delivery_stream_name'] },
} as const;

export type ParkingKind = keyof typeof PARKING_KINDS;
export const PARKING_KIND_NAMES = Object.keys(PARKING_KINDS) as ParkingKind[];

/**
 * The value of a `parking_<place>` output: `kind`, the kind's fields (strings), `alarm_name` (the CloudWatch alarm
 * watching it; empty when there is none) and `description`.
 */
export interface ParkingValue {
  readonly kind: ParkingKind;
  readonly description: string;
  readonly alarm_name: string;
  readonly [field: string]: string;
}

/** The parking places of each pipeline (output name = PARKING_OUTPUT_PREFIX + place). */
export const PARKING_PLACES = {
  ams: {
    ingressDlq: { place: 'ingress_dlq', kind: 'sqs-dlq', description: 'AMS messages the fan-out failed on' },
    confirmDlq: { place: 'confirm_dlq', kind: 'sqs-dlq', description: 'Subscription confirmations that failed' },
    undelivered: { place: 'undelivered', kind: 'sns-dlq', description: 'Records SNS could not deliver to Firehose' },
    firehoseErrors: { place: 'firehose_errors', kind: 'firehose-errors', description: 'Records Firehose could not deliver or partition' },
  },
  clickstream: {
    rejects: { place: 'rejects', kind: 'clickstream-rejects', description: 'Refused request bodies and ineligible records, each with its reason' },
    rejectsDlq: { place: 'rejects_dlq', kind: 'sqs-dlq', description: 'Rejects received too often from the rejects queue' },
    processFailures: { place: 'process_failures', kind: 'kinesis-on-failure', description: 'Batches the processor gave up on (shard and sequence range)' },
    processFailuresDlq: { place: 'process_failures_dlq', kind: 'sqs-dlq', description: 'On-failure messages received too often' },
  },
  clientEvents: {
    firehoseTargetDlq: { place: 'firehose_target_dlq', kind: 'eventbridge-dlq', description: 'Events EventBridge could not deliver to Firehose' },
    zendeskTargetDlq: { place: 'zendesk_target_dlq', kind: 'eventbridge-dlq', description: 'Loyalty purchases EventBridge could not deliver to Zendesk' },
    loyaltyUnrouted: { place: 'loyalty_unrouted', kind: 'eventbridge-dlq', description: 'Loyalty purchases no Zendesk rule matched' },
    firehoseErrors: { place: 'firehose_errors', kind: 'firehose-errors', description: 'Records the transform failed (processing-failed) or Firehose could not deliver' },
  },
  buyWithPrime: {
    eventsDlq: { place: 'events_dlq', kind: 'sqs-dlq', description: 'Events the processor failed on, and events EventBridge could not deliver to the queue' },
  },
} as const satisfies Record<string, Record<string, { place: string; kind: ParkingKind; description: string }>>;

export function parkingOutputName(place: string): string {
  return `${PARKING_OUTPUT_PREFIX}${place}`;
}

/** Builds the output value, checking that `fields` are exactly the kind's fields. */
export function parkingValue(
  spec: { readonly kind: ParkingKind; readonly description: string },
  fields: Readonly<Record<string, string>>,
  alarmName = '',
): ParkingValue {
  const want = [...PARKING_KINDS[spec.kind].fields].sort();
  const got = Object.keys(fields).sort();
  if (want.join() !== got.join()) throw new Error(`parking place of kind ${spec.kind} needs fields ${want.join(', ')}; got ${got.join(', ')}`);
  return { kind: spec.kind, description: spec.description, alarm_name: alarmName, ...fields };
}
