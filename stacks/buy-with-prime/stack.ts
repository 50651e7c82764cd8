/**
 * Buy with Prime partner integration, one stack per deployment region (`buy-with-prime-<region>`):
 *
 * - the install app (handlers/buy-with-prime/oauth) on the configured deploy target: `lambda` (Lambda behind an API
 *   Gateway HTTP API; no VPC, no NAT, near-zero idle cost) or `fargate` (stacks/buy-with-prime/fargate.ts: VPC,
 *   HTTPS ALB, ECR, ECS Fargate service);
 * - the token store (DynamoDB: tokens encrypted under a customer managed KMS key, launches expiring by TTL);
 * - partner events: the partner event bus on the configured partner event source -> one rule per event type ->
 *   SQS queue (+DLQ, also the rules' dead-letter target) -> processor Lambda (handlers/buy-with-prime/events) -> events
 *   table (DynamoDB).
 *
 * The OAuth client secret is read at run time from an existing Secrets Manager secret; only its ARN is in the
 * template, and each role may read only that secret.
 */
import type { Construct } from 'constructs';
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { TributaryConfig } from '../../config/index.js';
import { DynamodbTable } from '../../modules/dynamodb-table.js';
import { HTTP_API_STAGE, httpLambdaApi } from '../../modules/http-lambda-api.js';
import { LambdaFunction, type PolicyStatement } from '../../modules/lambda-function.js';
import { PARKING_PLACES } from '../../contracts/operations.js';
import { QueueWithDlq } from '../../modules/queue-with-dlq.js';
import { ruleTarget } from '../../modules/rule-target.js';
import {
  BWP_EVENTS, BWP_EVENTS_TABLE_TTL, BWP_METRICS, BWP_OAUTH, BWP_OAUTH_CLIENT_ENV, BWP_OUTPUTS, BWP_ROUTE_TABLE, BWP_ROUTES,
  BWP_TOKEN_CONTEXT, BWP_TOKEN_CONTEXT_CONDITION_KEY,
} from '../../contracts/buy-with-prime.js';
import { POWERTOOLS_SERVICE_NAME } from '../../contracts/env.js';
import { KmsKeyPolicy } from '@cdktf/provider-aws/lib/kms-key-policy';
import { policyJson, serviceStatement } from '../../modules/iam.js';
import { keyAdminStatements } from '../../modules/kms.js';
import { TributaryStack } from '../base.js';
import { BwpFargateService } from './fargate.js';
import type { MetricRef } from '../../modules/alarms.js';
import { lambdaGraphs, queueDepthGraph, type DashboardLine } from '../../modules/dashboard.js';

export const BWP_PIPELINE = 'buy-with-prime';

export function bwpStackName(region: string): string {
  return `${BWP_PIPELINE}-${region}`;
}

export { BWP_OUTPUTS, BWP_ROUTES } from '../../contracts/buy-with-prime.js';
/** The KMS encryption context value every token data key is bound to (contracts/buy-with-prime.ts BWP_TOKEN_CONTEXT). */
export const BWP_TOKEN_CONTEXT_PURPOSE = BWP_TOKEN_CONTEXT.purpose;

export interface BuyWithPrimeStackProps {
  readonly config: TributaryConfig;
  readonly region: string;
}

export class BuyWithPrimeStack extends TributaryStack {
  readonly key: KmsKey;
  readonly tokensTable: DynamodbTable;
  readonly eventsTable: DynamodbTable;
  readonly processor: LambdaFunction;
  readonly queue: QueueWithDlq;
  readonly bus: CloudwatchEventBus;
  readonly rules: CloudwatchEventRule[] = [];
  /** lambda target only. */
  readonly oauthFunction?: LambdaFunction;
  readonly api?: Apigatewayv2Api;
  /** fargate target only. */
  readonly fargate?: BwpFargateService;

  constructor(scope: Construct, props: BuyWithPrimeStackProps) {
    const { config, region } = props;
    super(scope, bwpStackName(region), { config, region, pipeline: BWP_PIPELINE });
    const bwp = config.buyWithPrime;
    const naming = this.naming;
    const alerts = this.alerts;

    // ---- token store -------------------------------------------------------------------------------------------
    this.key = new KmsKey(this, 'token-key', {
      description: `Envelope key of the Buy with Prime OAuth tokens (${this.stackName})`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, 'token-key-alias', { name: `alias/${naming.name('kmsAlias', 'bwp-tokens')}`, targetKeyId: this.key.keyId });

    this.tokensTable = new DynamodbTable(this, 'tokens', {
      naming,
      purpose: 'bwp-tokens',
      partitionKey: 'pk',
      ttlAttribute: 'ttl',
      // The only copy of every installation's tokens: losing it strands every merchant.
      deletionProtection: bwp.tokensTableDeletionProtection,
    });
    this.eventsTable = new DynamodbTable(this, 'events-table', {
      naming,
      purpose: 'bwp-events',
      partitionKey: 'event_id',
      // Stored raw event details can hold shopper data: they expire after eventRetentionDays.
      ttlAttribute: BWP_EVENTS_TABLE_TTL,
    });

    const secretRead: PolicyStatement = {
      Sid: 'ReadClientSecret',
      Action: 'secretsmanager:GetSecretValue',
      // The ARN as configured, and with the 6-character suffix Secrets Manager appends to full ARNs.
      Resource: [bwp.clientSecretArn, `${bwp.clientSecretArn}-??????`],
    };
    const tokenContext = { StringEquals: { [BWP_TOKEN_CONTEXT_CONDITION_KEY]: BWP_TOKEN_CONTEXT.purpose } };
    // The processor reads (Decrypt) and refreshes (GenerateDataKey) tokens.
    const kmsUse: PolicyStatement = {
      Sid: 'TokenEnvelopeKey',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: this.key.arn,
      Condition: tokenContext,
    };
    // The install app only stores new tokens (GenerateDataKey); it never decrypts them.
    const appKmsUse: PolicyStatement = {
      Sid: 'TokenEnvelopeKey',
      Action: 'kms:GenerateDataKey',
      Resource: this.key.arn,
      Condition: tokenContext,
    };
    const O = BWP_OAUTH_CLIENT_ENV;
    const oauthEnv: Record<string, string> = {
      [O.tokensTable]: this.tokensTable.name,
      [O.kmsKeyId]: this.key.arn,
      [O.clientId]: bwp.clientId,
      [O.clientSecretId]: bwp.clientSecretArn,
      [O.issuer]: bwp.issuer,
      [O.authorizeUrl]: bwp.authorizeUrl,
      [O.tokenUrl]: bwp.tokenUrl,
      [O.scopes]: bwp.scopes.join(' '),
      [O.refreshAheadSeconds]: String(bwp.refreshAheadSeconds),
    };
    const A = BWP_OAUTH.env;
    const appEnv = (publicBaseUrl: string): Record<string, string> => ({
      ...oauthEnv,
      [A.publicBaseUrl]: publicBaseUrl,
      [A.verificationPublicKey]: bwp.verificationPublicKey,
      [A.launchTtlSeconds]: String(bwp.launchTtlSeconds),
      [A.verificationMaxAgeSeconds]: String(bwp.verificationMaxAgeSeconds),
      ...(bwp.verificationIssuer ? { [A.verificationIssuer]: bwp.verificationIssuer } : {}),
      [POWERTOOLS_SERVICE_NAME]: BWP_OAUTH.service,
    });
    const appStatements: PolicyStatement[] = [
      {
        Sid: 'TokenStore',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: this.tokensTable.arn,
      },
      appKmsUse,
      secretRead,
    ];

    // ---- install app -------------------------------------------------------------------------------------------
    let publicBaseUrl: string;
    if (bwp.deployTarget === 'lambda') {
      const { fn, api, baseUrl } = this.lambdaTarget(appEnv, appStatements);
      this.oauthFunction = fn;
      this.api = api;
      publicBaseUrl = baseUrl;
    } else {
      this.fargate = new BwpFargateService(this, 'fargate', {
        naming,
        alerts,
        region,
        config: bwp,
        logRetentionDays: config.logRetentionDays,
        environment: appEnv(bwp.publicBaseUrl!),
        taskStatements: appStatements,
        tokensTableArn: this.tokensTable.arn,
      });
      publicBaseUrl = bwp.publicBaseUrl!;
      this.output(BWP_OUTPUTS.albDnsName, this.fargate.alb.dnsName, `DNS name of the ALB: point ${new URL(publicBaseUrl).host} at it (CNAME or alias)`);
      this.output(BWP_OUTPUTS.ecrRepositoryUrl, this.fargate.repository.repositoryUrl, 'ECR repository of the install app image (make bwp-image pushes here)');
      this.output(BWP_OUTPUTS.ecsClusterName, this.fargate.cluster.name, 'ECS cluster');
      this.output(BWP_OUTPUTS.ecsServiceName, this.fargate.service.name, 'ECS service of the install app');
    }

    // ---- partner events ----------------------------------------------------------------------------------------
    this.bus = new CloudwatchEventBus(this, 'partner-bus', { name: bwp.partnerEventSource, eventSourceName: bwp.partnerEventSource });
    for (const type of bwp.eventTypes) {
      this.rules.push(
        new CloudwatchEventRule(this, `rule-${type.toLowerCase()}`, {
          name: naming.name('eventRule', 'bwp', type.toLowerCase().replace(/_/g, '-')),
          description: `Buy with Prime ${type} events to the processor queue`,
          eventBusName: this.bus.name,
          // Buy with Prime publishes the event type as detail-type, from the partner event source.
          eventPattern: JSON.stringify({ source: [bwp.partnerEventSource], 'detail-type': [type] }),
        }),
      );
    }
    const fromRules = (sid: string) =>
      serviceStatement(this, { sid, service: 'events.amazonaws.com', actions: 'sqs:SendMessage', forResourcePolicy: true, sourceArn: this.rules.map((r) => r.arn) });
    this.processor = new LambdaFunction(this, 'processor', {
      naming,
      purpose: 'bwp-events',
      handler: BWP_EVENTS.zip,
      description: 'Buy with Prime partner events: token, GraphQL lookups, idempotent write',
      memoryMb: bwp.processorMemoryMb,
      timeoutSeconds: bwp.processorTimeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      environment: {
        ...oauthEnv,
        [BWP_EVENTS.env.eventsTable]: this.eventsTable.name,
        [BWP_EVENTS.env.apiUrl]: bwp.apiUrl,
        [BWP_EVENTS.env.apiMaxAttempts]: String(bwp.apiMaxAttempts),
        [BWP_EVENTS.env.apiVersion]: bwp.apiVersion,
        [BWP_EVENTS.env.eventRetentionDays]: String(bwp.eventRetentionDays),
        [BWP_EVENTS.env.metricsStack]: this.stackName,
        [POWERTOOLS_SERVICE_NAME]: BWP_EVENTS.service,
      },
      statements: [
        { Sid: 'TokenLeaseAndRefresh', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: this.tokensTable.arn },
        // PutItem: events; UpdateItem: the data-subject index; DeleteItem: PERSONAL_DATA_DELETION_TASK_COMPLETED.
        { Sid: 'EventsTable', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], Resource: this.eventsTable.arn },
        kmsUse,
        secretRead,
      ],
      alerts,
    });
    this.queue = new QueueWithDlq(this, 'events', {
      naming,
      purpose: 'bwp-events',
      visibilityTimeoutSeconds: 6 * bwp.processorTimeoutSeconds,
      maxReceiveCount: bwp.maxReceiveCount,
      policyStatements: [fromRules('EventBridgeRules')],
      // The rules' own dead-letter target: events EventBridge could not deliver to the queue.
      dlqPolicyStatements: [fromRules('EventBridgeRuleDeadLetters')],
      alerts,
    });
    // Every rule sends to the processor queue; what EventBridge gives up on goes to that queue's own DLQ (its policy
    // lets these rules in: dlqPolicyStatements above).
    ruleTarget(this, {
      naming,
      alerts,
      eventBusName: this.bus.name,
      rules: this.rules.map((rule, i) => ({ rule, constructId: `target-${bwp.eventTypes[i].toLowerCase()}` })),
      targetId: 'processor-queue',
      arn: this.queue.arn,
      retry: { maximumRetryAttempts: bwp.eventRetryAttempts, maximumEventAgeSeconds: bwp.eventMaxAgeSeconds },
      deadLetter: { arn: this.queue.dlq.arn },
    });
    // maximumConcurrency caps parallel processors (each may refresh tokens; Buy with Prime throttles rapid requests).
    this.processor.addSqsEventSource('events-source', this.queue, { batchSize: bwp.batchSize, maximumConcurrency: bwp.processorMaxConcurrency });
    alerts.alarm('bwp-events-oldest-message', {
      alarmDescription: 'Buy with Prime events wait in the processor queue for over 15 minutes: check the processor errors and throttling.',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: this.queue.queue.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 900,
      comparisonOperator: 'GreaterThanThreshold',
    });
    alerts.alarm('bwp-events-unroutable', {
      alarmDescription:
        'Buy with Prime events were acknowledged without processing: unknown business product or installation, uninstalled installation, or an undocumented type. Read the processor log ("event acknowledged without processing", reason).',
      namespace: BWP_METRICS.namespace,
      metricName: BWP_METRICS.unroutableEvents,
      dimensions: { [BWP_METRICS.dimension]: this.stackName },
      statistic: 'Sum',
      period: 3600,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
    alerts.alarm('bwp-installation-needs-reauth', {
      alarmDescription:
        'A Buy with Prime installation needs reauthorization: the authorization server refused its newest refresh token. Its events wait (DLQ) until the merchant installs the app again; then redrive the DLQ.',
      namespace: BWP_METRICS.namespace,
      metricName: BWP_METRICS.installationsNeedingReauth,
      dimensions: { [BWP_METRICS.dimension]: this.stackName },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    });
    this.rules.forEach((rule, i) => {
      alerts.eventRuleFailure(
        `bwp-events-delivery-failures-${bwp.eventTypes[i].toLowerCase().replace(/_/g, '-')}`,
        { eventBusName: this.bus.name, ruleName: rule.name },
        'FailedInvocations',
        `EventBridge failed to deliver ${bwp.eventTypes[i]} events to the processor queue (they go to its DLQ, unless that fails too).`,
      );
    });

    // ---- key policy -------------------------------------------------------------------------------------------
    // Administration for the account root (so the account can never be locked out of the key) and the configured
    // key admins; use only for the two roles that need it, only with the token encryption context.
    const appRole = this.oauthFunction?.role.arn ?? this.fargate!.taskRole.arn;
    new KmsKeyPolicy(this, 'token-key-policy', {
      keyId: this.key.keyId,
      policy: policyJson([
        // Partition and account from the stack's locals (modules/iam.ts), plain ${local.x} references in the JSON.
        ...keyAdminStatements(this, bwp.kmsKeyAdminArns),
        {
          Sid: 'ProcessorUsesTokenKey', Effect: 'Allow', Principal: { AWS: this.processor.role.arn },
          Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: '*', Condition: tokenContext,
        },
        { Sid: 'InstallAppStoresTokens', Effect: 'Allow', Principal: { AWS: appRole }, Action: 'kms:GenerateDataKey', Resource: '*', Condition: tokenContext },
      ]),
    });

    this.output(BWP_OUTPUTS.publicBaseUrl, publicBaseUrl, 'Public origin of the install app');
    this.output(BWP_OUTPUTS.installUrl, `${publicBaseUrl}${BWP_ROUTE_TABLE.install.path}`, 'Install (redirect) URL to register with Buy with Prime');
    this.output(BWP_OUTPUTS.launchUrl, `${publicBaseUrl}${BWP_ROUTE_TABLE.launch.path}`, 'Launch URL to register with Buy with Prime');
    this.output(BWP_OUTPUTS.tokensTable, this.tokensTable.name, 'DynamoDB token store');
    this.output(BWP_OUTPUTS.eventsTable, this.eventsTable.name, 'DynamoDB table of processed partner events');
    this.output(BWP_OUTPUTS.eventBus, this.bus.name, 'Partner event bus');
    this.output(BWP_OUTPUTS.eventsQueueUrl, this.queue.url, 'Queue feeding the event processor');
    this.output(BWP_OUTPUTS.eventsDlqUrl, this.queue.dlq.url, 'Dead-letter queue of failed and undeliverable events');
    // Both kinds of message in it (processor failures, and events the rules' targets could not deliver) are the
    // event JSON as the queue receives it, so both go back to the events queue.
    this.parkingOutput(
      PARKING_PLACES.buyWithPrime.eventsDlq,
      { queue_url: this.queue.dlq.url, queue_arn: this.queue.dlq.arn, source_queue_url: this.queue.url, source_queue_arn: this.queue.arn },
      this.queue.dlqAlarm,
    );
    this.output(BWP_OUTPUTS.kmsKeyArn, this.key.arn, 'KMS key protecting the stored tokens');
    this.watch();
  }

  /**
   * Loss detection and the dashboard (issue 18): events queued versus processed (deleted from the queue), a drop of
   * the incoming volume, then every alarm of the stack and the event path on one dashboard.
   */
  private watch(): void {
    const settings = this.config.buyWithPrime.monitoring;
    const queue = { QueueName: this.queue.queue.name };
    const sent: MetricRef = { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesSent', dimensions: queue };
    const deleted: MetricRef = { namespace: 'AWS/SQS', metricName: 'NumberOfMessagesDeleted', dimensions: queue };
    this.addLossAlarms('bwp-events', settings, {
      accepted: sent,
      stored: [deleted],
      incoming: sent,
      acceptedText: 'the partner events queued for the processor',
      storedText: 'processed (deleted from the queue after their write)',
    });
    const bwpMetric = (metricName: string, label: string): DashboardLine => ({
      namespace: BWP_METRICS.namespace, metricName, dimensions: { [BWP_METRICS.dimension]: this.stackName }, label,
    });
    const rules = this.rules.map((rule, i) => ({ EventBusName: this.bus.name, RuleName: rule.name, type: this.config.buyWithPrime.eventTypes[i] }));
    this.addDashboard([
      {
        title: 'Incoming',
        lines: [
          ...rules.map(({ type, ...dimensions }) => ({ namespace: 'AWS/Events', metricName: 'MatchedEvents', dimensions, label: `${type} matched` })),
          { ...sent, label: 'Events queued' },
        ],
      },
      { title: 'Delivered', lines: [{ ...deleted, label: 'Events processed (deleted from the queue)' }] },
      {
        title: 'Failed',
        lines: [
          ...rules.map(({ type, ...dimensions }) => ({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensions, label: `${type} not queued` })),
          { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: this.processor.functionName }, label: 'Processor errors' },
          bwpMetric(BWP_METRICS.unroutableEvents, 'Acknowledged without processing'),
          bwpMetric(BWP_METRICS.eventsBlockedByReauth, 'Blocked: installation needs reauthorization'),
        ],
      },
      queueDepthGraph('Parked: messages waiting', [
        { label: 'events queue', queueName: this.queue.queue.name },
        { label: 'events DLQ', queueName: this.queue.dlq.name },
      ]),
      {
        title: 'Events queue: oldest message age (s)',
        stat: 'Maximum',
        lines: [{ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', dimensions: queue, stat: 'Maximum', label: 'Oldest message age' }],
      },
      ...lambdaGraphs([this.processor.functionName, ...(this.oauthFunction ? [this.oauthFunction.functionName] : [])]),
    ], settings.dashboard);
  }

  /** Lambda behind an API Gateway HTTP API ($default stage, HTTPS only), with an optional custom domain. */
  private lambdaTarget(appEnv: (publicBaseUrl: string) => Record<string, string>, statements: PolicyStatement[]) {
    const bwp = this.config.buyWithPrime;
    const naming = this.naming;
    const customDomain = bwp.certificateArn && bwp.publicBaseUrl ? new URL(bwp.publicBaseUrl).host : undefined;
    const { api, fn, domain } = httpLambdaApi(this, 'api', {
      naming,
      purpose: 'bwp-oauth',
      description: 'Buy with Prime install app',
      // The app's own URLs (install redirect, launch) are its public base URL, or the API's endpoint without one.
      lambda: (httpApi) =>
        new LambdaFunction(this, 'oauth', {
          naming,
          purpose: 'bwp-oauth',
          handler: BWP_OAUTH.zip,
          description: 'Buy with Prime install app (launch, install, settings, uninstall)',
          memoryMb: bwp.oauthMemoryMb,
          timeoutSeconds: bwp.oauthTimeoutSeconds,
          // The public install app may not take the account's whole Lambda concurrency (issue 16).
          reservedConcurrency: bwp.oauthReservedConcurrency || undefined,
          logRetentionDays: this.config.logRetentionDays,
          environment: appEnv(bwp.publicBaseUrl ?? httpApi.apiEndpoint),
          statements,
          alerts: this.alerts,
        }),
      routes: BWP_ROUTES.map((routeKey) => ({ id: `route-${routeKey.replace(/[^A-Za-z]+/g, '-').toLowerCase()}`, routeKey })),
      logRetentionDays: this.config.logRetentionDays,
      // No query string in the access log: the install callback carries the authorization code there.
      accessLogFormat: JSON.stringify({
        requestId: '$context.requestId',
        time: '$context.requestTime',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
      throttle: { rateLimit: bwp.apiRateLimit, burstLimit: bwp.apiBurstLimit },
      // With a custom domain, only that name (and its certificate) serves the app; stated either way (false without one).
      customDomain: customDomain ? { domainName: customDomain, certificateArn: bwp.certificateArn! } : undefined,
      disableExecuteApiEndpoint: !!customDomain,
    });
    const baseUrl = bwp.publicBaseUrl ?? api.apiEndpoint;
    if (domain) {
      this.output(BWP_OUTPUTS.customDomainTarget, domain.domainNameConfiguration.targetDomainName, `Point ${customDomain} (CNAME or alias) at this name`);
    }
    this.alerts.api5xx('bwp-oauth-api-5xx', {
      api: { kind: 'http', apiId: api.id, stage: HTTP_API_STAGE },
      // The first server error: the install app answers people during their install.
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      alarmDescription: 'The Buy with Prime install API answered 5xx: read the bwp-oauth function log group (search the correlation id).',
    });
    this.output(BWP_OUTPUTS.apiEndpoint, api.apiEndpoint, 'execute-api endpoint of the install app');
    return { fn, api, baseUrl };
  }
}
