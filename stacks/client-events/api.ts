/**
 * Client events, REST API part: `POST /event` with the TOKEN authorizer (handlers/client-events/authorizer, cached
 * per token), the request model of 1-10 entries, the AWS service integration EventBridge PutEvents
 * (stacks/client-events/templates.ts: Source "clientevents", DetailType = environment, Resources = [clientId];
 * FailedEntryCount > 0 answers 400/503 with the failures), CORS when origins are configured, the deployment and
 * stage (JSON access logs, throttling, metrics, execution logs), the account-level CloudWatch role when managed
 * here, and the 5xx alarm.
 *
 * Functions over the stack's own scope, not constructs: every resource keeps its id and Terraform address.
 */
import { createHash } from 'node:crypto';
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
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import type { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { CognitoUserPool } from '@cdktf/provider-aws/lib/cognito-user-pool';
import type { CognitoUserPoolClient } from '@cdktf/provider-aws/lib/cognito-user-pool-client';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { CLIENT_EVENTS_AUTHORIZER, CLIENT_EVENTS_ROUTE, CLIENT_EVENTS_ROUTE_KEY, CLIENT_ID_ATTRIBUTE } from '../../contracts/client-events.js';
import { ACCESS_LOG_FORMAT } from '../../modules/access-log.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import type { TributaryStack } from '../base.js';
import { inlinePolicy, ownArn, serviceRole } from '../../modules/iam.js';
import {
  BAD_REQUEST_BODY_TEMPLATE, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_MAX_AGE_SECONDS,
  corsResponsePrelude, INTEGRATION_CLIENT_ERROR_TEMPLATE, INTEGRATION_ERROR_TEMPLATE,
  PUT_EVENTS_REQUEST_TEMPLATE, PUT_EVENTS_RESPONSE_TEMPLATE, REQUEST_MODEL_SCHEMA, STAGE_VARIABLES,
} from './templates.js';

/**
 * The CloudWatch Logs actions API Gateway needs to write execution and access logs: those of the AWS managed policy
 * AmazonAPIGatewayPushToCloudWatchLogs less its reads (logs:GetLogEvents, logs:FilterLogEvents), which pushing logs
 * never uses.
 */
export const API_GATEWAY_LOG_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams', 'logs:PutLogEvents'] as const;

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

export interface RestApiInputs {
  /** The bus PutEvents writes to. */
  readonly bus: CloudwatchEventBus;
  readonly userPool: CognitoUserPool;
  readonly userPoolClient: CognitoUserPoolClient;
}

export interface RestApi {
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly authorizerFn: LambdaFunction;
}

/** The REST API, its authorizer, integration, deployment, stage and 5xx alarm, built on `stack`'s own scope. */
export function restApi(stack: TributaryStack, { bus, userPool, userPoolClient }: RestApiInputs): RestApi {
  const ce = stack.config.clientEvents;
  const naming = stack.naming;
  const alerts = stack.alerts;
  const logRetentionDays = stack.config.logRetentionDays;

  const apiName = naming.name('apiGateway', 'client-events');
  const api = new ApiGatewayRestApi(stack, 'api', {
    name: apiName,
    description: `Authenticated client events: ${CLIENT_EVENTS_ROUTE_KEY} -> EventBridge`,
    endpointConfiguration: { types: ['REGIONAL'] },
  });
  const resource = new ApiGatewayResource(stack, 'api-event', { restApiId: api.id, parentId: api.rootResourceId, pathPart: CLIENT_EVENTS_ROUTE.path.slice(1) });

  const authorizerFn = new LambdaFunction(stack, 'authorizer', {
    naming,
    purpose: 'client-events-authorizer',
    handler: CLIENT_EVENTS_AUTHORIZER.zip,
    description: `${CLIENT_EVENTS_ROUTE_KEY} TOKEN authorizer: Cognito access token (issuer, client, token use) and the user's clientId`,
    memoryMb: ce.authorizerMemoryMb,
    timeoutSeconds: ce.authorizerTimeoutSeconds,
    // Every request reaches it before any authentication (issue 16): it may not take the account's whole concurrency.
    reservedConcurrency: ce.authorizerReservedConcurrency || undefined,
    logRetentionDays,
    alerts,
    environment: {
      [CLIENT_EVENTS_AUTHORIZER.env.userPoolId]: userPool.id,
      [CLIENT_EVENTS_AUTHORIZER.env.userPoolClientId]: userPoolClient.id,
      [CLIENT_EVENTS_AUTHORIZER.env.clientIdAttribute]: CLIENT_ID_ATTRIBUTE,
      ...(ce.clientIdClaim ? { [CLIENT_EVENTS_AUTHORIZER.env.clientIdClaim]: ce.clientIdClaim } : {}),
    },
  });
  const authorizer = new ApiGatewayAuthorizer(stack, 'api-authorizer', {
    name: 'cognito-access-token',
    restApiId: api.id,
    type: 'TOKEN',
    authorizerUri: authorizerFn.fn.invokeArn,
    identitySource: 'method.request.header.Authorization',
    identityValidationExpression: AUTHORIZATION_HEADER_PATTERN,
    authorizerResultTtlInSeconds: ce.authorizerCacheTtlSeconds,
  });
  new LambdaPermission(stack, 'authorizer-invoke', {
    statementId: 'AllowApiGatewayAuthorizer',
    action: 'lambda:InvokeFunction',
    functionName: authorizerFn.fn.functionName,
    principal: 'apigateway.amazonaws.com',
    sourceArn: `${api.executionArn}/authorizers/${authorizer.id}`,
  });

  const model = new ApiGatewayModel(stack, 'api-model', {
    restApiId: api.id,
    name: 'ClientEvents',
    contentType: 'application/json',
    description: '1 to 10 entries, each a JSON object or a string holding one',
    schema: JSON.stringify(REQUEST_MODEL_SCHEMA),
  });
  const validator = new ApiGatewayRequestValidator(stack, 'api-validator', {
    restApiId: api.id,
    name: 'body',
    validateRequestBody: true,
    validateRequestParameters: false,
  });
  const cors = ce.corsAllowOrigins;
  const corsPrelude = corsResponsePrelude(cors);
  const method = new ApiGatewayMethod(stack, 'api-method', {
    restApiId: api.id,
    resourceId: resource.id,
    httpMethod: 'POST',
    authorization: 'CUSTOM',
    authorizerId: authorizer.id,
    requestValidatorId: validator.id,
    requestModels: { 'application/json': model.name },
    // Declared so gateway responses (401, 403, 429, bad body) can answer CORS with the request's Origin.
    requestParameters: cors.length ? { 'method.request.header.Origin': false } : undefined,
  });

  const putEventsRole = serviceRole(stack, 'api-role', { name: naming.name('iamRole', 'client-events-api'), service: 'apigateway.amazonaws.com' });
  inlinePolicy(stack, 'api-role-policy', putEventsRole, 'least-privilege', [{ Sid: 'PutClientEvents', Action: ['events:PutEvents'], Resource: bus.arn }]);
  const integration = new ApiGatewayIntegration(stack, 'api-integration', {
    restApiId: api.id,
    resourceId: resource.id,
    httpMethod: method.httpMethod,
    type: 'AWS',
    integrationHttpMethod: 'POST',
    uri: `arn:aws:apigateway:${stack.region}:events:action/PutEvents`,
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
      new ApiGatewayMethodResponse(stack, `api-method-response-${status}`, {
        restApiId: api.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        statusCode: status,
        responseModels: { 'application/json': 'Empty' },
      }),
  );
  const integrationResponses = responses.map(
    (r) =>
      new ApiGatewayIntegrationResponse(stack, `api-integration-response-${r.status}`, {
        restApiId: api.id,
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
  const badBody = new ApiGatewayGatewayResponse(stack, 'api-bad-body', {
    restApiId: api.id,
    responseType: 'BAD_REQUEST_BODY',
    statusCode: '400',
    responseTemplates: { 'application/json': BAD_REQUEST_BODY_TEMPLATE },
    responseParameters: gatewayCorsParameters,
  });
  const corsResources = cors.length ? addCors(stack, api, resource, gatewayCorsParameters!, corsPrelude) : [];

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
  const deployment = new ApiGatewayDeployment(stack, 'api-deployment', {
    restApiId: api.id,
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

  const dependsOnAccount = ce.apiGatewayAccount === 'manage' ? [apiGatewayAccount(stack)] : [];
  const accessLogs = new CloudwatchLogGroup(stack, 'api-access-logs', {
    name: `/aws/apigateway/${apiName}/access`,
    retentionInDays: logRetentionDays,
  });
  const stage = new ApiGatewayStage(stack, 'api-stage', {
    restApiId: api.id,
    deploymentId: deployment.id,
    stageName: ce.stageName,
    description: `client events (${stack.config.environment})`,
    variables: { [STAGE_VARIABLES.environment]: stack.config.environment, [STAGE_VARIABLES.eventBusName]: bus.name },
    accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT.restApi },
    dependsOn: dependsOnAccount.length ? dependsOnAccount : undefined,
  });
  if (ce.waf.enabled) stageWaf(stack, stage);
  // Execution logs go to a group API Gateway names itself; created here so it has a retention.
  const executionLogs =
    ce.executionLogLevel === 'OFF'
      ? []
      : [
          new CloudwatchLogGroup(stack, 'api-execution-logs', {
            name: `API-Gateway-Execution-Logs_${api.id}/${ce.stageName}`,
            retentionInDays: logRetentionDays,
          }),
        ];
  new ApiGatewayMethodSettings(stack, 'api-method-settings', {
    restApiId: api.id,
    stageName: stage.stageName,
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

  // Alarms of the other parts (Lambda errors, DLQ depths, Firehose freshness) come from the modules and ruleTarget.
  alerts.api5xx('client-events-api-5xx', {
    api: { kind: 'rest', apiName, stage: ce.stageName },
    threshold: ce.api5xxAlarmThreshold,
    alarmDescription: `POST /event returned ${ce.api5xxAlarmThreshold}+ server errors in 5 minutes: read the API access logs (integrationStatus, authorizerError).`,
  });
  return { api, stage, authorizerFn };
}

/**
 * CORS for browser clients: the preflight (OPTIONS /event, a MOCK integration answering 204 with the allowed
 * methods, headers and max age, and the origin when it is allowed) and CORS headers on API Gateway's own 4xx/5xx
 * answers. The POST responses carry the origin through `prelude` in their templates.
 */
function addCors(
  stack: TributaryStack,
  api: ApiGatewayRestApi,
  resource: ApiGatewayResource,
  gatewayParameters: Record<string, string>,
  prelude: string,
): (TerraformResource & { id: string })[] {
  const apiId = api.id;
  const options = new ApiGatewayMethod(stack, 'api-cors-method', {
    restApiId: apiId,
    resourceId: resource.id,
    httpMethod: 'OPTIONS',
    // A preflight carries no credentials (browsers never send Authorization on it).
    authorization: 'NONE',
    requestParameters: { 'method.request.header.Origin': false },
  });
  const integration = new ApiGatewayIntegration(stack, 'api-cors-integration', {
    restApiId: apiId,
    resourceId: resource.id,
    httpMethod: options.httpMethod,
    type: 'MOCK',
    requestTemplates: { 'application/json': '{"statusCode": 200}' },
    passthroughBehavior: 'WHEN_NO_MATCH',
  });
  const header = (name: string) => `method.response.header.${name}`;
  const methodResponse = new ApiGatewayMethodResponse(stack, 'api-cors-method-response', {
    restApiId: apiId,
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
  const integrationResponse = new ApiGatewayIntegrationResponse(stack, 'api-cors-integration-response', {
    restApiId: apiId,
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
      new ApiGatewayGatewayResponse(stack, `api-cors-${type.toLowerCase().replace('_', '-')}`, {
        restApiId: apiId,
        responseType: type,
        responseParameters: gatewayParameters,
      }),
  );
  return [options, integration, methodResponse, integrationResponse, ...gatewayResponses];
}

/**
 * API Gateway's account-level CloudWatch role for this region (REST API logging needs it). It is one setting per
 * account and region: with `apiGatewayAccount: "manage"` this stack owns it and resets it when destroyed.
 */
function apiGatewayAccount(stack: TributaryStack): ApiGatewayAccount {
  const role = serviceRole(stack, 'api-gateway-cloudwatch-role', {
    name: stack.naming.name('iamRole', 'apigateway-cloudwatch'),
    description: 'API Gateway (account settings, this region): write API logs to CloudWatch Logs',
    service: 'apigateway.amazonaws.com',
  });
  // Instead of AmazonAPIGatewayPushToCloudWatchLogs (log reads and writes on "*"): writes only, to log groups of this
  // account and region. The role is an account-wide setting, used for every REST API's execution and access logs
  // here, so it is not narrowed to this stack's log groups (another API's logs would stop).
  const logGroups = ownArn(stack, 'logs', stack.region, 'log-group:*');
  const policy = inlinePolicy(stack, 'api-gateway-cloudwatch-logs', role, 'write-api-logs', [
    { Sid: 'WriteApiLogs', Action: [...API_GATEWAY_LOG_ACTIONS], Resource: [logGroups, `${logGroups}:log-stream:*`] },
  ]);
  return new ApiGatewayAccount(stack, 'api-gateway-account', {
    cloudwatchRoleArn: role.arn,
    resetOnDelete: true,
    dependsOn: [policy],
  });
}

/**
 * `clientEvents.waf`: a web ACL on the stage (issue 16): AWS's free known-bad-inputs rule group, a rate-based rule per
 * access token (the Authorization header: per-client throttling, so one self-registered user cannot use up the
 * stage's limit for everyone) and one per source IP. Rate limits count requests over 5 minutes.
 */
function stageWaf(stack: TributaryStack, stage: ApiGatewayStage): Wafv2WebAcl {
  const waf = stack.config.clientEvents.waf;
  const name = stack.naming.name('apiGateway', 'client-events-waf');
  const visibility = (metric: string) => ({ cloudwatchMetricsEnabled: true, metricName: `${name}-${metric}`, sampledRequestsEnabled: false });
  const acl = new Wafv2WebAcl(stack, 'api-waf', {
    name,
    description: 'Client events API: per-client and per-IP rate limits, known bad inputs',
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: visibility('all'),
    rule: [
      {
        name: 'aws-known-bad-inputs',
        priority: 0,
        overrideAction: { none: {} },
        statement: { managed_rule_group_statement: { name: 'AWSManagedRulesKnownBadInputsRuleSet', vendor_name: 'AWS' } },
        visibilityConfig: visibility('known-bad-inputs'),
      },
      {
        name: 'per-client-rate-limit',
        priority: 1,
        action: { block: {} },
        // The provider types `statement` loosely (it nests): written in Terraform's own snake_case.
        statement: {
          rate_based_statement: {
            limit: waf.perClientRateLimit,
            evaluation_window_sec: 300,
            aggregate_key_type: 'CUSTOM_KEYS',
            custom_key: [{ header: { name: 'authorization', text_transformation: [{ priority: 0, type: 'NONE' }] } }],
          },
        },
        visibilityConfig: visibility('per-client'),
      },
      {
        name: 'per-ip-rate-limit',
        priority: 2,
        action: { block: {} },
        statement: { rate_based_statement: { limit: waf.perIpRateLimit, evaluation_window_sec: 300, aggregate_key_type: 'IP' } },
        visibilityConfig: visibility('per-ip'),
      },
    ],
  });
  new Wafv2WebAclAssociation(stack, 'api-waf-stage', { resourceArn: stage.arn, webAclArn: acl.arn });
  return acl;
}
