/**
 * Authenticated client events, one stack per configured region (`client-events-<region>`):
 *
 *   Cognito user pool + app client (USER_PASSWORD_AUTH, refresh; custom:clientId readable, not writable by users)
 *     PostConfirmation trigger (handlers/client-events/post-confirmation) sets a clientId UUID at sign-up only
 *   REST API `POST /event` (handlers/client-events/authorizer as TOKEN authorizer, cached per token; request model
 *     of 1-10 entries; JSON access logs; stage throttling and metrics)
 *     -> AWS service integration EventBridge PutEvents (stacks/client-events/templates.ts: Source "clientevents",
 *        DetailType = environment, Resources = [clientId]; FailedEntryCount > 0 answers 400/503 with the failures)
 *   Custom event bus
 *     rule source=clientevents -> Firehose (handlers/client-events/transform; JQ dynamic partitioning on eventType,
 *       schemaVersion + date; GZIP; newline-delimited; error prefix) -> S3
 *     rule source=clientevents, detail.eventType=loyaltypurchase with a ticket -> API destination (Zendesk tickets,
 *       BASIC connection whose credentials `npm run client-events:connect` sets from Secrets Manager)
 *   Every rule target: retry policy and its own SQS dead-letter queue (SSE, TLS only), each alarmed.
 *
 * The constructor builds the bus and calls one function per part, each on this stack's own scope (no nested
 * construct, so every Terraform address is the one the parts had when they were written inline):
 * delivery.ts (bucket, transform, Firehose, the every-event rule and the rule-target builder), zendesk.ts, cognito.ts
 * and api.ts (the REST API and its 5xx alarm). The order of the calls is the order the resources are synthesized in.
 *
 * No credential reaches Terraform (zendesk.ts says how).
 */
import type { Construct } from 'constructs';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import type { CloudwatchEventApiDestination } from '@cdktf/provider-aws/lib/cloudwatch-event-api-destination';
import type { CloudwatchEventConnection } from '@cdktf/provider-aws/lib/cloudwatch-event-connection';
import type { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import type { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import type { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import type { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { TributaryConfig } from '../../config/index.js';
import type { DataBucket } from '../../modules/data-bucket.js';
import type { FirehoseToS3 } from '../../modules/firehose-to-s3.js';
import type { LambdaFunction } from '../../modules/lambda-function.js';
import { CLIENT_EVENTS_OUTPUTS, CLIENT_EVENTS_ROUTE } from '../../contracts/client-events.js';
import { PARKING_PLACES } from '../../contracts/operations.js';
import { TributaryStack } from '../base.js';
import { restApi } from './api.js';
import { cognito } from './cognito.js';
import { watch } from './watch.js';
import { delivery } from './delivery.js';
import { zendesk } from './zendesk.js';

export { API_GATEWAY_LOG_ACTIONS, AUTHORIZATION_HEADER_PATTERN, terraformLiteral } from './api.js';
export { CLIENT_ID_ATTRIBUTE } from './cognito.js';
export {
  CLIENT_EVENTS_DATA_PREFIX, CLIENT_EVENTS_ERROR_PREFIX, CLIENT_EVENTS_JQ, PROCESSING_FAILED_FILTER_PATTERN, PROCESSING_FAILED_METRIC_NAMESPACE,
} from './delivery.js';

export const CLIENT_EVENTS_PIPELINE = 'client-events';

export function clientEventsStackName(region: string): string {
  return `${CLIENT_EVENTS_PIPELINE}-${region}`;
}

export { CLIENT_EVENTS_OUTPUTS } from '../../contracts/client-events.js';

export interface ClientEventsStackProps {
  readonly config: TributaryConfig;
  readonly region: string;
}

export class ClientEventsStack extends TributaryStack {
  readonly bus: CloudwatchEventBus;
  readonly bucket: DataBucket;
  readonly firehose: FirehoseToS3;
  readonly transform: LambdaFunction;
  readonly authorizerFn: LambdaFunction;
  readonly postConfirmation: LambdaFunction;
  readonly userPool: CognitoUserPool;
  readonly userPoolClient: CognitoUserPoolClient;
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly firehoseDlq: SqsQueue;
  readonly connection?: CloudwatchEventConnection;
  readonly apiDestination?: CloudwatchEventApiDestination;
  readonly zendeskDlq?: SqsQueue;
  readonly loyaltyUnroutedQueue?: SqsQueue;

  constructor(scope: Construct, props: ClientEventsStackProps) {
    super(scope, clientEventsStackName(props.region), { config: props.config, region: props.region, pipeline: CLIENT_EVENTS_PIPELINE });
    this.bus = new CloudwatchEventBus(this, 'bus', { name: this.naming.name('eventBus', 'client-events') });
    const d = delivery(this, this.bus);
    ({ bucket: this.bucket, transform: this.transform, firehose: this.firehose, firehoseDlq: this.firehoseDlq } = d);
    if (props.config.clientEvents.zendesk.enabled) {
      ({
        connection: this.connection,
        apiDestination: this.apiDestination,
        zendeskDlq: this.zendeskDlq,
        loyaltyUnroutedQueue: this.loyaltyUnroutedQueue,
      } = zendesk(this, this.bus));
    }
    ({ postConfirmation: this.postConfirmation, userPool: this.userPool, userPoolClient: this.userPoolClient } = cognito(this));
    ({ api: this.api, stage: this.stage, authorizerFn: this.authorizerFn } = restApi(this, {
      bus: this.bus,
      userPool: this.userPool,
      userPoolClient: this.userPoolClient,
    }));

    this.output(CLIENT_EVENTS_OUTPUTS.eventUrl, `${this.stage.invokeUrl}${CLIENT_EVENTS_ROUTE.path}`, 'POST client events here (Authorization: Bearer <Cognito access token>)');
    this.output(CLIENT_EVENTS_OUTPUTS.apiId, this.api.id, 'REST API id');
    this.output(CLIENT_EVENTS_OUTPUTS.userPoolId, this.userPool.id, 'Cognito user pool');
    this.output(CLIENT_EVENTS_OUTPUTS.userPoolClientId, this.userPoolClient.id, 'Cognito app client (no secret; USER_PASSWORD_AUTH and refresh)');
    this.output(CLIENT_EVENTS_OUTPUTS.eventBusName, this.bus.name, 'Custom event bus receiving the client events');
    this.output(CLIENT_EVENTS_OUTPUTS.bucketName, this.bucket.name, 'S3 bucket of delivered events (events/ and errors/)');
    this.output(CLIENT_EVENTS_OUTPUTS.deliveryStreamName, this.firehose.streamName, 'Firehose delivery stream');
    this.output(CLIENT_EVENTS_OUTPUTS.firehoseDlqUrl, this.firehoseDlq.url, 'Events EventBridge could not deliver to Firehose');
    if (this.connection && this.zendeskDlq) {
      this.output(CLIENT_EVENTS_OUTPUTS.zendeskConnectionName, this.connection.name, 'EventBridge connection to Zendesk: run npm run client-events:connect to set its credentials');
      this.output(CLIENT_EVENTS_OUTPUTS.zendeskDlqUrl, this.zendeskDlq.url, 'Loyalty-purchase tickets EventBridge could not deliver to Zendesk');
    }

    // Parking places (contracts/operations.ts). Alarm names as Alerts builds them (naming.name('alarm', purpose)).
    const alarm = (purpose: string) => ({ alarmName: this.naming.name('alarm', purpose) });
    const onBus = (q: SqsQueue) => ({ queue_url: q.url, queue_arn: q.arn, event_bus_name: this.bus.name });
    this.parkingOutput(PARKING_PLACES.clientEvents.firehoseTargetDlq, onBus(this.firehoseDlq), alarm('client-events-to-s3-dlq-depth'));
    if (this.zendeskDlq) this.parkingOutput(PARKING_PLACES.clientEvents.zendeskTargetDlq, onBus(this.zendeskDlq), alarm('client-events-zendesk-dlq-depth'));
    if (this.loyaltyUnroutedQueue) {
      this.parkingOutput(PARKING_PLACES.clientEvents.loyaltyUnrouted, onBus(this.loyaltyUnroutedQueue), alarm('client-events-loyalty-unrouted-depth'));
    }
    this.parkingOutput(
      PARKING_PLACES.clientEvents.firehoseErrors,
      { bucket: this.bucket.name, prefix: this.firehose.errorPrefixRoot, delivery_stream_name: this.firehose.streamName },
      alarm('client-events-processing-failed'),
    );
    watch(this, {
      bus: this.bus,
      allEvents: d.allEvents,
      firehose: this.firehose,
      processingFailed: d.processingFailed,
      api: this.api,
      stage: this.stage,
      functionNames: [this.transform.functionName, this.authorizerFn.functionName, this.postConfirmation.functionName],
      parked: [
        { label: 'Firehose target DLQ', queue: this.firehoseDlq },
        ...(this.zendeskDlq ? [{ label: 'Zendesk target DLQ', queue: this.zendeskDlq }] : []),
        ...(this.loyaltyUnroutedQueue ? [{ label: 'loyalty purchases without a ticket rule', queue: this.loyaltyUnroutedQueue }] : []),
      ],
    });
  }
}
