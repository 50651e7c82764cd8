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
 * No credential reaches Terraform: the connection is created with a placeholder password and Terraform ignores
 * its auth parameters afterwards (provider 5.100 has no write-only argument for them, and a data source reading the
 * secret would copy it into the state).
 */
import { createHash } from 'node:crypto';
import type { Construct } from 'constructs';
import { Fn, type TerraformResource } from 'cdktf';
import { ApiGatewayAccount } from '@cdktf/provider-aws/lib/api-gateway-account';
import { ApiGatewayAuthorizer } from '@cdktf/provider-aws/lib/api-gateway-authorizer';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayGatewayResponse } from '@cdktf/provider-aws/lib/api-gateway-gateway-response';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayIntegrationResponse } from '@cdktf/provider-aws/lib/api-gateway-integration-response';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayMethodResponse } from '@cdktf/provider-aws/lib/api-gateway-method-response';
import { ApiGatewayMethodSettings } from '@cdktf/provider-aws/lib/api-gateway-method-settings';
import { ApiGatewayModel } from '@cdktf/provider-aws/lib/api-gateway-model';
import { ApiGatewayRequestValidator } from '@cdktf/provider-aws/lib/api-gateway-request-validator';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchEventApiDestination } from '@cdktf/provider-aws/lib/cloudwatch-event-api-destination';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventConnection } from '@cdktf/provider-aws/lib/cloudwatch-event-connection';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { TributaryConfig } from '../../config/index.js';
import { PROCESSING_FAILED_LOG_MESSAGE } from '../../handlers/client-events/lib/event.js';
import { DataBucket } from '../../modules/data-bucket.js';
import { FirehoseToS3 } from '../../modules/firehose-to-s3.js';
import { LambdaFunction, type PolicyStatement } from '../../modules/lambda-function.js';
import { denyInsecureTransport } from '../../modules/tls-only.js';
import { suppress } from '../../policy/suppress.js';
import { TributaryStack } from '../base.js';
import {
  BAD_REQUEST_BODY_TEMPLATE, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_SECONDS,
  corsResponsePrelude, INTEGRATION_CLIENT_ERROR_TEMPLATE, INTEGRATION_ERROR_TEMPLATE,
  PUT_EVENTS_REQUEST_TEMPLATE, PUT_EVENTS_RESPONSE_TEMPLATE, REQUEST_MODEL_SCHEMA, RULE_PATTERNS, STAGE_VARIABLES,
  ZENDESK_CONNECTION_PURPOSE, ZENDESK_INPUT_TRANSFORMER, ZENDESK_PLACEHOLDER_PASSWORD, ZENDESK_SAMPLE_INPUT_TRANSFORMER,
} from './templates.js';

export const CLIENT_EVENTS_PIPELINE = 'client-events';

export function clientEventsStackName(region: string): string {
  return `${CLIENT_EVENTS_PIPELINE}-${region}`;
}

/** Terraform outputs of every client-events stack. */
export const CLIENT_EVENTS_OUTPUTS = {
  eventUrl: 'event_url',
  apiId: 'api_id',
  userPoolId: 'user_pool_id',
  userPoolClientId: 'user_pool_client_id',
  eventBusName: 'event_bus_name',
  bucketName: 'bucket_name',
  deliveryStreamName: 'delivery_stream_name',
  firehoseDlqUrl: 'firehose_target_dlq_url',
  zendeskConnectionName: 'zendesk_connection_name',
  zendeskDlqUrl: 'zendesk_target_dlq_url',
} as const;

/** The user attribute holding the clientId (the handlers read it through CLIENT_ID_ATTRIBUTE). */
export const CLIENT_ID_ATTRIBUTE = 'custom:clientId';

/** S3 key layout: Hive-style partitions on the event type and schema version, then the date (appended by the module). */
export const CLIENT_EVENTS_DATA_PREFIX =
  'events/eventType=!{partitionKeyFromQuery:eventType}/schemaVersion=!{partitionKeyFromQuery:schemaVersion}/';
export const CLIENT_EVENTS_ERROR_PREFIX = 'errors/events/';
/** JQ 1.6 query extracting the partition keys (the transform sets a missing schemaVersion to "unversioned"). */
export const CLIENT_EVENTS_JQ = '{eventType: .detail.eventType, schemaVersion: .detail.schemaVersion}';

/**
 * Custom metric counting the records the transform returned as ProcessingFailed (they land under
 * errors/events/processing-failed/). Firehose publishes no metric for them (its transformation metrics count
 * invocations and successfully processed records only), so a metric filter counts the transform's log line for
 * each one. The metric name carries the function name: several deployments may share an account and region.
 */
export const PROCESSING_FAILED_METRIC_NAMESPACE = 'Tributary/ClientEvents';
/** CloudWatch Logs JSON filter pattern matching the transform's per-record ProcessingFailed line. */
export const PROCESSING_FAILED_FILTER_PATTERN = `{ $.message = "${PROCESSING_FAILED_LOG_MESSAGE}" }`;

/** AWS managed policy that lets API Gateway write logs for every API of the account and region. */
export const API_GATEWAY_PUSH_TO_CLOUDWATCH_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

/** Fields written to the API access log (JSON, one line per request). */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  sourceIp: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  principalId: '$context.authorizer.principalId',
  clientId: '$context.authorizer.clientId',
  authorizerStatus: '$context.authorizer.status',
  authorizerError: '$context.authorizer.error',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  errorMessage: '$context.error.message',
  validationError: '$context.error.validationErrorString',
  userAgent: '$context.identity.userAgent',
});

/**
 * A JWT (three base64url segments), optionally after the Bearer scheme: anything else is refused before the
 * authorizer runs. Auth schemes are case-insensitive (RFC 9110 section 11.1) and separated from the credentials by
 * one or more spaces (RFC 9110 section 11.4), so "bearer", "BEARER" and "Bearer  x" pass, as the authorizer accepts
 * them. Spelled with character classes rather than an inline flag, so it means the same in every regex engine.
 */
export const AUTHORIZATION_HEADER_PATTERN = '^([Bb][Ee][Aa][Rr][Ee][Rr] +)?[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

/**
 * A string Terraform must pass on literally: in Terraform strings "${" starts an interpolation and "%{" a directive;
 * "$${" and "%%{" are their escapes. Mapping templates use "${name}" (a VTL formal reference).
 */
export function terraformLiteral(s: string): string {
  return s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

export interface ClientEventsStackProps {
  readonly config: TributaryConfig;
  readonly region: string;
}

const assumeRole = (service: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const policyDoc = (statements: PolicyStatement[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', ...s })) });

/** One rule sharing a ClientEventsStack.ruleTarget's role and dead-letter queue. */
interface ExtraRuleTarget {
  readonly rule: CloudwatchEventRule;
  /** Construct id prefix of its target ("rule-loyalty-sample" -> rule-loyalty-sample-target). */
  readonly id: string;
  /** Purpose segment of its DLQ-write-failure alarm. */
  readonly alarmPurpose: string;
  readonly inputTransformer: { inputPaths: Record<string, string>; inputTemplate: string };
}

/** A rule target built by ClientEventsStack.ruleTarget. */
interface RuleTargetProps {
  /** Construct id prefix of the role, its policy and the target ("rule-all" -> rule-all-role, ...). */
  readonly id: string;
  /** More rules with the same target, role, retry policy and dead-letter queue (each with its own input). */
  readonly extraRules?: readonly ExtraRuleTarget[];
  /** Construct id prefix of the dead-letter queue. */
  readonly dlqId: string;
  /** Purpose segment of the role and queue names and of the alarms. */
  readonly purpose: string;
  readonly targetId: string;
  readonly arn: string;
  /** The one permission the role grants EventBridge. */
  readonly statement: PolicyStatement & { readonly Sid: string };
  readonly inputTransformer?: { inputPaths: Record<string, string>; inputTemplate: string };
  readonly dlqAlarmDescription: string;
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
    const ce = props.config.clientEvents;
    const naming = this.naming;
    const alerts = this.alerts;
    const logRetentionDays = props.config.logRetentionDays;

    // --- Storage: bus, bucket, transform, Firehose ---
    this.bus = new CloudwatchEventBus(this, 'bus', { name: naming.name('eventBus', 'client-events') });
    this.bucket = new DataBucket(this, 'data', { naming, purpose: 'client-events', expireAfterDays: ce.dataRetentionDays });

    this.transform = new LambdaFunction(this, 'transform', {
      naming,
      purpose: 'client-events-transform',
      handler: 'client-events-transform',
      description: 'Firehose transform: clientId into detail.accountNumber, newline-delimited, malformed records marked ProcessingFailed',
      memoryMb: ce.transformMemoryMb,
      timeoutSeconds: ce.transformTimeoutSeconds,
      logRetentionDays,
      alerts,
    });
    this.firehose = new FirehoseToS3(this, 'firehose', {
      naming,
      purpose: 'client-events',
      bucket: this.bucket,
      dataPrefix: CLIENT_EVENTS_DATA_PREFIX,
      errorOutputPrefix: CLIENT_EVENTS_ERROR_PREFIX,
      bufferingSizeMiB: ce.firehoseBufferingSizeMiB,
      bufferingIntervalSeconds: ce.firehoseBufferingIntervalSeconds,
      compression: 'GZIP',
      // The transform ends every record with "\n" itself.
      appendNewline: false,
      transform: { lambdaArn: this.transform.arn },
      dynamicPartitioning: { jqQuery: CLIENT_EVENTS_JQ },
      logRetentionDays,
      alerts,
    });

    // Records the transform refuses are kept under the error prefix; count them and alarm on the first one.
    const processingFailedMetric = `${this.transform.functionName}-processing-failed`;
    new CloudwatchLogMetricFilter(this, 'transform-processing-failed', {
      name: 'processing-failed-records',
      logGroupName: this.transform.logGroup.name,
      pattern: PROCESSING_FAILED_FILTER_PATTERN,
      metricTransformation: { namespace: PROCESSING_FAILED_METRIC_NAMESPACE, name: processingFailedMetric, value: '1', unit: 'Count' },
    });
    alerts.alarm('client-events-processing-failed', {
      alarmDescription:
        'The Firehose transform returned records as ProcessingFailed: they are under errors/events/processing-failed/ in the ' +
        'bucket (rawData = the original event, base64); the transform log says why for each recordId.',
      namespace: PROCESSING_FAILED_METRIC_NAMESPACE,
      metricName: processingFailedMetric,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });

    // --- Rule: every client event -> Firehose ---
    const allEvents = new CloudwatchEventRule(this, 'rule-all', {
      name: naming.name('eventRule', 'client-events-to-s3'),
      description: 'Every client event to Firehose (S3)',
      eventBusName: this.bus.name,
      eventPattern: JSON.stringify(RULE_PATTERNS.all),
    });
    this.firehoseDlq = this.ruleTarget(allEvents, {
      id: 'rule-all',
      dlqId: 'firehose-target',
      purpose: 'client-events-to-s3',
      targetId: 'firehose',
      arn: this.firehose.arn,
      statement: { Sid: 'PutIntoFirehose', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: this.firehose.arn },
      dlqAlarmDescription:
        'Client events EventBridge could not deliver to Firehose are kept here: check the delivery stream, then replay them with PutEvents.',
    });

    // --- Rule: loyalty purchases -> Zendesk ---
    if (ce.zendesk.enabled) {
      this.connection = new CloudwatchEventConnection(this, 'zendesk-connection', {
        name: naming.name('connection', ZENDESK_CONNECTION_PURPOSE),
        description: 'Zendesk API token (basic auth); credentials are set by npm run client-events:connect, not Terraform',
        authorizationType: 'BASIC',
        authParameters: { basic: { username: 'set-by-client-events-connect', password: ZENDESK_PLACEHOLDER_PASSWORD } },
        lifecycle: { ignoreChanges: ['auth_parameters'] },
      });
      this.apiDestination = new CloudwatchEventApiDestination(this, 'zendesk-destination', {
        name: naming.name('apiDestination', 'client-events-zendesk-tickets'),
        description: 'Zendesk: create ticket',
        connectionArn: this.connection.arn,
        invocationEndpoint: ce.zendesk.ticketsEndpoint,
        httpMethod: 'POST',
        invocationRateLimitPerSecond: ce.zendesk.rateLimitPerSecond,
      });
      const loyalty = new CloudwatchEventRule(this, 'rule-loyalty', {
        name: naming.name('eventRule', 'client-events-loyalty-zendesk'),
        description: 'Loyalty purchases with a ticket to Zendesk',
        eventBusName: this.bus.name,
        eventPattern: JSON.stringify(RULE_PATTERNS.loyalty),
      });
      const loyaltySample = new CloudwatchEventRule(this, 'rule-loyalty-sample', {
        name: naming.name('eventRule', 'client-events-loyalty-sample-zendesk'),
        description: 'Loyalty purchases with the original sample ticket shape (ticket.ticket.subject, ticket.ticket.comment.body) to Zendesk',
        eventBusName: this.bus.name,
        eventPattern: JSON.stringify(RULE_PATTERNS.loyaltySample),
      });
      this.zendeskDlq = this.ruleTarget(loyalty, {
        id: 'rule-loyalty',
        dlqId: 'zendesk-target',
        purpose: 'client-events-zendesk',
        targetId: 'zendesk',
        arn: this.apiDestination.arn,
        statement: { Sid: 'InvokeZendesk', Action: ['events:InvokeApiDestination'], Resource: this.apiDestination.arn },
        inputTransformer: { inputPaths: { ...ZENDESK_INPUT_TRANSFORMER.inputPaths }, inputTemplate: ZENDESK_INPUT_TRANSFORMER.inputTemplate },
        extraRules: [
          {
            rule: loyaltySample,
            id: 'rule-loyalty-sample',
            alarmPurpose: 'client-events-zendesk-sample',
            inputTransformer: { inputPaths: { ...ZENDESK_SAMPLE_INPUT_TRANSFORMER.inputPaths }, inputTemplate: ZENDESK_SAMPLE_INPUT_TRANSFORMER.inputTemplate },
          },
        ],
        dlqAlarmDescription:
          'Loyalty-purchase tickets EventBridge could not deliver to Zendesk are kept here. A 401 means the connection has no ' +
          'credentials yet: run "npm run client-events:connect -- --region <region>" (docs/client-events.md), then replay.',
      });
      this.loyaltyUnroutedQueue = this.loyaltyUnrouted();
    }

    // --- Cognito ---
    this.postConfirmation = new LambdaFunction(this, 'post-confirmation', {
      naming,
      purpose: 'client-events-post-confirmation',
      handler: 'client-events-post-confirmation',
      description: 'Cognito PostConfirmation (sign-up only): gives a new user a clientId',
      memoryMb: 128,
      // Cognito waits 5 s for a trigger.
      timeoutSeconds: 5,
      logRetentionDays,
      alerts,
      environment: { CLIENT_ID_ATTRIBUTE },
    });
    this.userPool = new CognitoUserPool(this, 'user-pool', {
      name: naming.name('cognitoUserPool', 'client-events'),
      usernameAttributes: ['email'],
      autoVerifiedAttributes: ['email'],
      usernameConfiguration: { caseSensitive: false },
      passwordPolicy: {
        minimumLength: ce.passwordMinimumLength,
        requireLowercase: true,
        requireUppercase: true,
        requireNumbers: true,
        requireSymbols: true,
        temporaryPasswordValidityDays: 7,
      },
      accountRecoverySetting: { recoveryMechanism: [{ name: 'verified_email', priority: 1 }] },
      adminCreateUserConfig: { allowAdminCreateUserOnly: false },
      mfaConfiguration: 'OFF',
      userPoolAddOns: { advancedSecurityMode: 'OFF' },
      deletionProtection: ce.userPoolDeletionProtection ? 'ACTIVE' : 'INACTIVE',
      userPoolTier: ce.userPoolTier,
      schema: [
        {
          name: CLIENT_ID_ATTRIBUTE.replace(/^custom:/, ''),
          attributeDataType: 'String',
          mutable: true,
          developerOnlyAttribute: false,
          required: false,
          stringAttributeConstraints: { minLength: '1', maxLength: '64' },
        },
      ],
      lambdaConfig: { postConfirmation: this.postConfirmation.arn },
    });
    // After the pool (the pool names the function, so the function's grants cannot name the pool at creation).
    new IamRolePolicy(this, 'post-confirmation-pool-policy', {
      name: 'set-client-id',
      role: this.postConfirmation.role.id,
      policy: policyDoc([{ Sid: 'SetClientId', Action: ['cognito-idp:AdminUpdateUserAttributes'], Resource: this.userPool.arn }]),
    });
    new LambdaPermission(this, 'post-confirmation-invoke', {
      statementId: 'AllowCognitoInvoke',
      action: 'lambda:InvokeFunction',
      functionName: this.postConfirmation.fn.functionName,
      principal: 'cognito-idp.amazonaws.com',
      sourceArn: this.userPool.arn,
    });
    this.userPoolClient = new CognitoUserPoolClient(this, 'user-pool-client', {
      name: naming.name('cognitoUserPool', 'client-events-app'),
      userPoolId: this.userPool.id,
      generateSecret: false,
      explicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
      accessTokenValidity: ce.accessTokenValidityMinutes,
      idTokenValidity: ce.idTokenValidityMinutes,
      refreshTokenValidity: ce.refreshTokenValidityDays,
      tokenValidityUnits: [{ accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' }],
      readAttributes: ['email', 'email_verified', CLIENT_ID_ATTRIBUTE],
      // Users may change their e-mail, never their clientId (only the PostConfirmation trigger sets it).
      writeAttributes: ['email'],
    });

    // --- REST API ---
    const apiName = naming.name('apiGateway', 'client-events');
    this.api = new ApiGatewayRestApi(this, 'api', {
      name: apiName,
      description: 'Authenticated client events: POST /event -> EventBridge',
      endpointConfiguration: { types: ['REGIONAL'] },
    });
    const resource = new ApiGatewayResource(this, 'api-event', { restApiId: this.api.id, parentId: this.api.rootResourceId, pathPart: 'event' });

    this.authorizerFn = new LambdaFunction(this, 'authorizer', {
      naming,
      purpose: 'client-events-authorizer',
      handler: 'client-events-authorizer',
      description: 'POST /event TOKEN authorizer: Cognito access token (issuer, client, token use) and the user\'s clientId',
      memoryMb: ce.authorizerMemoryMb,
      timeoutSeconds: ce.authorizerTimeoutSeconds,
      logRetentionDays,
      alerts,
      environment: {
        USER_POOL_ID: this.userPool.id,
        USER_POOL_CLIENT_ID: this.userPoolClient.id,
        CLIENT_ID_ATTRIBUTE,
        ...(ce.clientIdClaim ? { CLIENT_ID_CLAIM: ce.clientIdClaim } : {}),
      },
    });
    const authorizer = new ApiGatewayAuthorizer(this, 'api-authorizer', {
      name: 'cognito-access-token',
      restApiId: this.api.id,
      type: 'TOKEN',
      authorizerUri: this.authorizerFn.fn.invokeArn,
      identitySource: 'method.request.header.Authorization',
      identityValidationExpression: AUTHORIZATION_HEADER_PATTERN,
      authorizerResultTtlInSeconds: ce.authorizerCacheTtlSeconds,
    });
    new LambdaPermission(this, 'authorizer-invoke', {
      statementId: 'AllowApiGatewayAuthorizer',
      action: 'lambda:InvokeFunction',
      functionName: this.authorizerFn.fn.functionName,
      principal: 'apigateway.amazonaws.com',
      sourceArn: `${this.api.executionArn}/authorizers/${authorizer.id}`,
    });

    const model = new ApiGatewayModel(this, 'api-model', {
      restApiId: this.api.id,
      name: 'ClientEvents',
      contentType: 'application/json',
      description: '1 to 10 entries, each a JSON object or a string holding one',
      schema: JSON.stringify(REQUEST_MODEL_SCHEMA),
    });
    const validator = new ApiGatewayRequestValidator(this, 'api-validator', {
      restApiId: this.api.id,
      name: 'body',
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    const cors = ce.corsAllowOrigins;
    const corsPrelude = corsResponsePrelude(cors);
    const method = new ApiGatewayMethod(this, 'api-method', {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: 'POST',
      authorization: 'CUSTOM',
      authorizerId: authorizer.id,
      requestValidatorId: validator.id,
      requestModels: { 'application/json': model.name },
      // Declared so gateway responses (401, 403, 429, bad body) can answer CORS with the request's Origin.
      requestParameters: cors.length ? { 'method.request.header.Origin': false } : undefined,
    });

    const putEventsRole = new IamRole(this, 'api-role', {
      name: naming.name('iamRole', 'client-events-api'),
      assumeRolePolicy: assumeRole('apigateway.amazonaws.com'),
    });
    new IamRolePolicy(this, 'api-role-policy', {
      name: 'least-privilege',
      role: putEventsRole.id,
      policy: policyDoc([{ Sid: 'PutClientEvents', Action: ['events:PutEvents'], Resource: this.bus.arn }]),
    });
    const integration = new ApiGatewayIntegration(this, 'api-integration', {
      restApiId: this.api.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: 'AWS',
      integrationHttpMethod: 'POST',
      uri: `arn:aws:apigateway:${props.region}:events:action/PutEvents`,
      credentials: putEventsRole.arn,
      requestParameters: {
        'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'",
        'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
      },
      requestTemplates: { 'application/json': terraformLiteral(PUT_EVENTS_REQUEST_TEMPLATE) },
      passthroughBehavior: 'NEVER',
      timeoutMilliseconds: 10_000,
    });
    const responses = [
      { status: '200', pattern: undefined, template: corsPrelude + PUT_EVENTS_RESPONSE_TEMPLATE },
      // A call refused as a whole: 400 with EventBridge's message (500/503 for setup errors and throttling).
      { status: '400', pattern: '4\\d{2}', template: corsPrelude + INTEGRATION_CLIENT_ERROR_TEMPLATE },
      { status: '503', pattern: '5\\d{2}', template: corsPrelude + INTEGRATION_ERROR_TEMPLATE },
    ];
    const methodResponses = ['200', '400', '500', '503'].map(
      (status) =>
        new ApiGatewayMethodResponse(this, `api-method-response-${status}`, {
          restApiId: this.api.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          statusCode: status,
          responseModels: { 'application/json': 'Empty' },
        }),
    );
    const integrationResponses = responses.map(
      (r) =>
        new ApiGatewayIntegrationResponse(this, `api-integration-response-${r.status}`, {
          restApiId: this.api.id,
          resourceId: resource.id,
          httpMethod: method.httpMethod,
          statusCode: r.status,
          selectionPattern: r.pattern,
          responseTemplates: { 'application/json': terraformLiteral(r.template) },
          dependsOn: [integration, ...methodResponses],
        }),
    );
    // Answers API Gateway makes itself (no integration runs): CORS headers so browsers can read them. They cannot
    // check the origin list, so with several origins they echo the request's Origin; harmless here, since the API
    // authenticates with a bearer token and never with cookies.
    const gatewayCorsParameters = cors.length
      ? {
          // One exact origin (or "*") is a constant; a list or a wildcard subdomain echoes the request's Origin.
          'gatewayresponse.header.Access-Control-Allow-Origin': cors.length === 1 && !cors[0].includes('*.') ? `'${cors[0]}'` : 'method.request.header.Origin',
          'gatewayresponse.header.Vary': "'Origin'",
        }
      : undefined;
    const badBody = new ApiGatewayGatewayResponse(this, 'api-bad-body', {
      restApiId: this.api.id,
      responseType: 'BAD_REQUEST_BODY',
      statusCode: '400',
      responseTemplates: { 'application/json': BAD_REQUEST_BODY_TEMPLATE },
      responseParameters: gatewayCorsParameters,
    });
    const corsResources = cors.length ? this.cors(resource, gatewayCorsParameters!, corsPrelude) : [];

    // Redeploy whenever anything the deployment snapshots changes.
    const apiShape = JSON.stringify({
      model: REQUEST_MODEL_SCHEMA,
      request: PUT_EVENTS_REQUEST_TEMPLATE,
      responses,
      badBody: BAD_REQUEST_BODY_TEMPLATE,
      authorizer: { ttl: ce.authorizerCacheTtlSeconds, pattern: AUTHORIZATION_HEADER_PATTERN },
      methodResponses: ['200', '400', '500', '503'],
      cors: { origins: cors, gateway: gatewayCorsParameters, headers: CORS_ALLOW_HEADERS, methods: CORS_ALLOW_METHODS, maxAge: CORS_MAX_AGE_SECONDS },
    });
    const deployment = new ApiGatewayDeployment(this, 'api-deployment', {
      restApiId: this.api.id,
      description: 'client events API',
      triggers: {
        redeployment: createHash('sha256').update(apiShape).digest('hex'),
        // Replaced resources (new ids) must be redeployed too.
        resources: Fn.sha1(
          Fn.jsonencode([resource.id, method.id, integration.id, authorizer.id, model.id, validator.id, badBody.id, putEventsRole.arn, ...corsResources.map((r) => r.id)]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [method, integration, ...integrationResponses, badBody, model, validator, ...corsResources],
    });

    const dependsOnAccount = ce.apiGatewayAccount === 'manage' ? [this.apiGatewayAccount()] : [];
    const accessLogs = new CloudwatchLogGroup(this, 'api-access-logs', {
      name: `/aws/apigateway/${apiName}/access`,
      retentionInDays: logRetentionDays,
    });
    this.stage = new ApiGatewayStage(this, 'api-stage', {
      restApiId: this.api.id,
      deploymentId: deployment.id,
      stageName: ce.stageName,
      description: `client events (${props.config.environment})`,
      variables: { [STAGE_VARIABLES.environment]: props.config.environment, [STAGE_VARIABLES.eventBusName]: this.bus.name },
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      dependsOn: dependsOnAccount.length ? dependsOnAccount : undefined,
    });
    // Execution logs go to a group API Gateway names itself; created here so it has a retention.
    const executionLogs =
      ce.executionLogLevel === 'OFF'
        ? []
        : [
            new CloudwatchLogGroup(this, 'api-execution-logs', {
              name: `API-Gateway-Execution-Logs_${this.api.id}/${ce.stageName}`,
              retentionInDays: logRetentionDays,
            }),
          ];
    new ApiGatewayMethodSettings(this, 'api-method-settings', {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: '*/*',
      settings: {
        metricsEnabled: true,
        loggingLevel: ce.executionLogLevel,
        dataTraceEnabled: false,
        throttlingRateLimit: ce.throttlingRateLimit,
        throttlingBurstLimit: ce.throttlingBurstLimit,
      },
      dependsOn: [...dependsOnAccount, ...executionLogs].length ? [...dependsOnAccount, ...executionLogs] : undefined,
    });

    // --- Alarms (Lambda errors, DLQ depths and Firehose freshness come from the modules and targetDlq) ---
    alerts.alarm('client-events-api-5xx', {
      alarmDescription: `POST /event returned ${ce.api5xxAlarmThreshold}+ server errors in 5 minutes: read the API access logs (integrationStatus, authorizerError).`,
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensions: { ApiName: apiName, Stage: ce.stageName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: ce.api5xxAlarmThreshold,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });

    this.output(CLIENT_EVENTS_OUTPUTS.eventUrl, `${this.stage.invokeUrl}/event`, 'POST client events here (Authorization: Bearer <Cognito access token>)');
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
  }

  /**
   * One rule's target: a role EventBridge assumes with `statement` only, the target with the configured retry policy,
   * and its dead-letter queue (SSE, TLS only, writable by EventBridge for that rule only, retention from config,
   * alarmed as soon as it holds a message or EventBridge fails to write to it). Returns the dead-letter queue.
   */
  private ruleTarget(rule: CloudwatchEventRule, t: RuleTargetProps): SqsQueue {
    const ce = this.config.clientEvents;
    const extra = t.extraRules ?? [];
    const dlq = this.targetDlq(t.dlqId, t.purpose, [rule, ...extra.map((x) => x.rule)], t.dlqAlarmDescription);
    const role = new IamRole(this, `${t.id}-role`, {
      name: this.naming.name('iamRole', t.purpose, 'events'),
      assumeRolePolicy: assumeRole('events.amazonaws.com'),
    });
    new IamRolePolicy(this, `${t.id}-role-policy`, { name: 'least-privilege', role: role.id, policy: policyDoc([t.statement]) });
    // Every rule of this target (the main one and any extra shapes) sends to the same place with the same role,
    // retry policy and dead-letter queue; only the input transformer differs.
    const target = (id: string, on: CloudwatchEventRule, inputTransformer: RuleTargetProps['inputTransformer']) =>
      new CloudwatchEventTarget(this, `${id}-target`, {
        rule: on.name,
        eventBusName: this.bus.name,
        targetId: t.targetId,
        arn: t.arn,
        roleArn: role.arn,
        inputTransformer,
        retryPolicy: { maximumRetryAttempts: ce.maximumRetryAttempts, maximumEventAgeInSeconds: ce.maximumEventAgeSeconds },
        deadLetterConfig: { arn: dlq.arn },
      });
    target(t.id, rule, t.inputTransformer);
    for (const x of extra) {
      target(x.id, x.rule, x.inputTransformer);
      this.alerts.eventRuleFailure(
        `${x.alarmPurpose}-dlq-failures`,
        { eventBusName: this.bus.name, ruleName: x.rule.name },
        'InvocationsFailedToBeSentToDlq',
        `EventBridge could not even write to the dead-letter queue of ${x.alarmPurpose}: events were lost; check the queue policy.`,
      );
    }
    return dlq;
  }

  /**
   * Loyalty purchases that match neither ticket rule (RULE_PATTERNS.loyaltyUnrouted) are kept in a queue (SSE, TLS
   * only, writable by EventBridge for that rule only) and alarmed: with Zendesk on a ticket was expected, and
   * without this rule nothing would say it never came. A failed delivery to the queue is alarmed too.
   */
  private loyaltyUnrouted(): SqsQueue {
    const ce = this.config.clientEvents;
    const purpose = 'client-events-loyalty-unrouted';
    const rule = new CloudwatchEventRule(this, 'rule-loyalty-unrouted', {
      name: this.naming.name('eventRule', purpose),
      description: 'Loyalty purchases no Zendesk rule matched (no ticket, or one without subject or body): kept and alarmed',
      eventBusName: this.bus.name,
      eventPattern: JSON.stringify(RULE_PATTERNS.loyaltyUnrouted),
    });
    const queue = new SqsQueue(this, 'loyalty-unrouted-queue', {
      name: this.naming.name('sqs', purpose),
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: ce.dlqRetentionDays * 86_400,
      receiveWaitTimeSeconds: 20,
    });
    suppress(
      queue,
      'sqs-dlq',
      'A parking queue like a dead-letter queue: people read and replay its messages, no consumer retries them, so a ' +
        'redrive queue would only move the same messages; it is alarmed when not empty, and failed writes to it are alarmed.',
    );
    new SqsQueuePolicy(this, 'loyalty-unrouted-queue-policy', {
      queueUrl: queue.url,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EventBridgeRule',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': rule.arn } },
          },
          denyInsecureTransport('sqs:*', queue.arn),
        ],
      }),
    });
    new CloudwatchEventTarget(this, 'rule-loyalty-unrouted-target', {
      rule: rule.name,
      eventBusName: this.bus.name,
      targetId: 'unrouted-queue',
      arn: queue.arn,
      retryPolicy: { maximumRetryAttempts: ce.maximumRetryAttempts, maximumEventAgeInSeconds: ce.maximumEventAgeSeconds },
    });
    this.alerts.queueNotEmpty(
      `${purpose}-depth`,
      queue.name,
      'Loyalty purchases that opened no Zendesk ticket (no ticket, or no subject/body in either accepted shape) are kept here; ' +
        'the events are in S3 too. Fix the client, then replay the messages with PutEvents or open the tickets by hand.',
    );
    this.alerts.eventRuleFailure(
      `${purpose}-failures`,
      { eventBusName: this.bus.name, ruleName: rule.name },
      'FailedInvocations',
      'EventBridge could not write unrouted loyalty purchases to their queue (they are still in S3): check the queue policy.',
    );
    return queue;
  }

  /** The dead-letter queue of one rule target (see ruleTarget). */
  private targetDlq(id: string, purpose: string, rules: CloudwatchEventRule[], alarmDescription: string): SqsQueue {
    const rule = rules[0];
    const ce = this.config.clientEvents;
    const queue = new SqsQueue(this, `${id}-dlq`, {
      name: this.naming.name('sqs', purpose, 'dlq'),
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: ce.dlqRetentionDays * 86_400,
      receiveWaitTimeSeconds: 20,
    });
    new SqsQueuePolicy(this, `${id}-dlq-policy`, {
      queueUrl: queue.url,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EventBridgeRuleDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': rules.length === 1 ? rule.arn : rules.map((r) => r.arn) } },
          },
          denyInsecureTransport('sqs:*', queue.arn),
        ],
      }),
    });
    this.alerts.queueNotEmpty(`${purpose}-dlq-depth`, queue.name, alarmDescription);
    this.alerts.eventRuleFailure(
      `${purpose}-dlq-failures`,
      { eventBusName: this.bus.name, ruleName: rule.name },
      'InvocationsFailedToBeSentToDlq',
      `EventBridge could not even write to the dead-letter queue of ${purpose}: events were lost; check the queue policy.`,
    );
    return queue;
  }

  /**
   * API Gateway's account-level CloudWatch role for this region (REST API logging needs it). It is one setting per
   * account and region: with `apiGatewayAccount: "manage"` this stack owns it and resets it when destroyed.
   */
  /**
   * CORS for browser clients: the preflight (OPTIONS /event, a MOCK integration answering 204 with the allowed
   * methods, headers and max age, and the origin when it is allowed) and CORS headers on API Gateway's own 4xx/5xx
   * answers. The POST responses carry the origin through `prelude` in their templates.
   */
  private cors(resource: ApiGatewayResource, gatewayParameters: Record<string, string>, prelude: string): (TerraformResource & { id: string })[] {
    const api = this.api.id;
    const options = new ApiGatewayMethod(this, 'api-cors-method', {
      restApiId: api,
      resourceId: resource.id,
      httpMethod: 'OPTIONS',
      // A preflight carries no credentials (browsers never send Authorization on it).
      authorization: 'NONE',
      requestParameters: { 'method.request.header.Origin': false },
    });
    const integration = new ApiGatewayIntegration(this, 'api-cors-integration', {
      restApiId: api,
      resourceId: resource.id,
      httpMethod: options.httpMethod,
      type: 'MOCK',
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      passthroughBehavior: 'WHEN_NO_MATCH',
    });
    const header = (name: string) => `method.response.header.${name}`;
    const methodResponse = new ApiGatewayMethodResponse(this, 'api-cors-method-response', {
      restApiId: api,
      resourceId: resource.id,
      httpMethod: options.httpMethod,
      statusCode: '204',
      responseParameters: {
        [header('Access-Control-Allow-Origin')]: false,
        [header('Access-Control-Allow-Methods')]: true,
        [header('Access-Control-Allow-Headers')]: true,
        [header('Access-Control-Max-Age')]: true,
        [header('Vary')]: false,
      },
    });
    const integrationResponse = new ApiGatewayIntegrationResponse(this, 'api-cors-integration-response', {
      restApiId: api,
      resourceId: resource.id,
      httpMethod: options.httpMethod,
      statusCode: '204',
      responseParameters: {
        [header('Access-Control-Allow-Methods')]: `'${CORS_ALLOW_METHODS}'`,
        [header('Access-Control-Allow-Headers')]: `'${CORS_ALLOW_HEADERS}'`,
        [header('Access-Control-Max-Age')]: `'${CORS_MAX_AGE_SECONDS}'`,
      },
      responseTemplates: { 'application/json': terraformLiteral(prelude) },
      dependsOn: [integration, methodResponse],
    });
    const gatewayResponses = (['DEFAULT_4XX', 'DEFAULT_5XX'] as const).map(
      (type) =>
        new ApiGatewayGatewayResponse(this, `api-cors-${type.toLowerCase().replace('_', '-')}`, {
          restApiId: api,
          responseType: type,
          responseParameters: gatewayParameters,
        }),
    );
    return [options, integration, methodResponse, integrationResponse, ...gatewayResponses];
  }

  private apiGatewayAccount(): ApiGatewayAccount {
    const role = new IamRole(this, 'api-gateway-cloudwatch-role', {
      name: this.naming.name('iamRole', 'apigateway-cloudwatch'),
      description: 'API Gateway (account settings, this region): write API logs to CloudWatch Logs',
      assumeRolePolicy: assumeRole('apigateway.amazonaws.com'),
    });
    const attachment = new IamRolePolicyAttachment(this, 'api-gateway-cloudwatch-policy', {
      role: role.name,
      policyArn: API_GATEWAY_PUSH_TO_CLOUDWATCH_POLICY,
    });
    return new ApiGatewayAccount(this, 'api-gateway-account', {
      cloudwatchRoleArn: role.arn,
      resetOnDelete: true,
      dependsOn: [attachment],
    });
  }
}
