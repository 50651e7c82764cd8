/**
 * An API Gateway HTTP API in front of one Lambda function: the API (optional CORS), one AWS_PROXY integration
 * (payload format 2.0, timeout just above the function's own, capped at the 30 s HTTP API limit), its routes, the
 * `$default` stage (auto-deployed, throttled, JSON access logs into a log group with retention), the permission
 * letting API Gateway invoke the function, and an optional custom domain.
 *
 * A function over the caller's scope, not a construct: the resources get the ids `<id>`, `<id>-integration`,
 * `<id>-access-logs`, `<id>-stage`, `<id>-invoke` (and `<id>-domain`, `<id>-mapping`) directly in the caller's
 * scope, plus the route ids the caller gives, so moving a hand-written API here keeps every Terraform address.
 *
 * @example
 * const { api } = httpLambdaApi(this, 'api', {
 *   naming, purpose: 'clickstream', description: 'Clickstream ingestion: POST /report',
 *   lambda: ingest, routes: [{ id: 'api-route', routeKey: 'POST /report' }],
 *   logRetentionDays: 30, throttle: { rateLimit: 100, burstLimit: 200 },
 * });
 */
import type { Construct } from 'constructs';
import { Apigatewayv2Api, type Apigatewayv2ApiCorsConfiguration } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2ApiMapping } from '@cdktf/provider-aws/lib/apigatewayv2-api-mapping';
import { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { ACCESS_LOG_FORMAT } from './access-log.js';
import type { LambdaFunction } from './lambda-function.js';
import type { Naming } from './naming.js';

/** The longest integration timeout an HTTP API allows (API Gateway quotas: 30 seconds). */
export const HTTP_API_MAX_INTEGRATION_TIMEOUT_MS = 30_000;

/** The stage every HTTP API here uses: served at the root of the API's URL. */
export const HTTP_API_STAGE = '$default';

export interface HttpRoute {
  /** Construct id of the route (kept as its Terraform address). */
  readonly id: string;
  /** "METHOD /path", e.g. "POST /report" (or "$default"). */
  readonly routeKey: string;
}

export interface HttpLambdaApiProps {
  readonly naming: Naming;
  /** Purpose segment of the API name; the access-log group is `/aws/apigateway/<API name>`. */
  readonly purpose: string;
  readonly description: string;
  /**
   * The function behind every route, or a function building it from the API (when its environment needs the API,
   * e.g. its endpoint URL).
   */
  readonly lambda: LambdaFunction | ((api: Apigatewayv2Api) => LambdaFunction);
  /** At least one route; all of them go to the one integration. */
  readonly routes: readonly HttpRoute[];
  /** Retention of the access-log group. */
  readonly logRetentionDays: number;
  /**
   * JSON access-log format (`$context` variables). Default ACCESS_LOG_FORMAT.httpApi (modules/access-log.ts). Leave out
   * anything secret, e.g. a query string carrying a code.
   */
  readonly accessLogFormat?: string;
  /** Stage-wide default route throttling (requests per second, and the burst). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** CORS answered by API Gateway itself; none by default. */
  readonly cors?: Apigatewayv2ApiCorsConfiguration;
  /** A custom domain (regional, TLS 1.2) mapped to the stage. */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /**
   * Turn off the default execute-api endpoint. Default: unset (the endpoint stays on) without a custom domain, true
   * with one (only the custom name serves the API).
   */
  readonly disableExecuteApiEndpoint?: boolean;
  /**
   * What the integration names the function by: its invoke ARN (default) or its ARN; HTTP APIs accept both for a
   * Lambda proxy integration.
   */
  readonly integrationUri?: 'invokeArn' | 'arn';
  /** The integration's HTTP method (Lambda is always invoked with POST; API Gateway sets it when left out). */
  readonly integrationMethod?: 'POST';
  /** Statement id of the invoke permission in the function's resource policy. Default "ApiGatewayInvoke". */
  readonly invokeStatementId?: string;
}

export interface HttpLambdaApi {
  readonly api: Apigatewayv2Api;
  readonly fn: LambdaFunction;
  readonly integration: Apigatewayv2Integration;
  readonly stage: Apigatewayv2Stage;
  readonly accessLogs: CloudwatchLogGroup;
  readonly permission: LambdaPermission;
  readonly domain?: Apigatewayv2DomainName;
}

/**
 * The part of an execute-api ARN after `<api execution ARN>/` that the invoke permission allows: one route
 * ("POST /report" -> "*\/POST/report", path parameters as "*"), or any route of the API when there are several.
 */
export function invokeSourcePath(routes: readonly HttpRoute[]): string {
  if (routes.length !== 1 || routes[0].routeKey === '$default') return '*/*';
  const match = /^([A-Z]+|ANY) (\/.*)$/.exec(routes[0].routeKey);
  if (!match) throw new Error(`route key "${routes[0].routeKey}" is not "METHOD /path" or "$default"`);
  const method = match[1] === 'ANY' ? '*' : match[1];
  const path = match[2].replace(/\{[^}]+\}/g, '*').replace(/^\//, '');
  return `*/${method}/${path}`;
}

/** An HTTP API in front of one Lambda function, built on `scope` (see the file comment for the ids). */
export function httpLambdaApi(scope: Construct, id: string, props: HttpLambdaApiProps): HttpLambdaApi {
  if (props.routes.length === 0) throw new Error(`${id}: an HTTP API needs at least one route`);
  invokeSourcePath(props.routes); // refuses a malformed route key before anything is built
  const apiName = props.naming.name('apiGateway', props.purpose);
  const api = new Apigatewayv2Api(scope, id, {
    name: apiName,
    protocolType: 'HTTP',
    description: props.description,
    corsConfiguration: props.cors,
    disableExecuteApiEndpoint: props.disableExecuteApiEndpoint ?? (props.customDomain ? true : undefined),
  });
  const fn = typeof props.lambda === 'function' ? props.lambda(api) : props.lambda;
  const accessLogs = new CloudwatchLogGroup(scope, `${id}-access-logs`, {
    name: `/aws/apigateway/${apiName}`,
    retentionInDays: props.logRetentionDays,
  });
  const stage = new Apigatewayv2Stage(scope, `${id}-stage`, {
    apiId: api.id,
    name: HTTP_API_STAGE,
    autoDeploy: true,
    accessLogSettings: { destinationArn: accessLogs.arn, format: props.accessLogFormat ?? ACCESS_LOG_FORMAT.httpApi },
    defaultRouteSettings: {
      throttlingRateLimit: props.throttle.rateLimit,
      throttlingBurstLimit: props.throttle.burstLimit,
      detailedMetricsEnabled: false,
    },
  });
  const integration = new Apigatewayv2Integration(scope, `${id}-integration`, {
    apiId: api.id,
    integrationType: 'AWS_PROXY',
    integrationMethod: props.integrationMethod,
    integrationUri: props.integrationUri === 'arn' ? fn.arn : fn.fn.invokeArn,
    payloadFormatVersion: '2.0',
    // A moment longer than the function may run, so its own timeout answers first.
    timeoutMilliseconds: Math.min(HTTP_API_MAX_INTEGRATION_TIMEOUT_MS, (fn.timeoutSeconds + 1) * 1000),
  });
  for (const route of props.routes) {
    new Apigatewayv2Route(scope, route.id, { apiId: api.id, routeKey: route.routeKey, target: `integrations/${integration.id}` });
  }
  const permission = new LambdaPermission(scope, `${id}-invoke`, {
    statementId: props.invokeStatementId ?? 'ApiGatewayInvoke',
    action: 'lambda:InvokeFunction',
    functionName: fn.fn.functionName,
    principal: 'apigateway.amazonaws.com',
    sourceArn: `${api.executionArn}/${invokeSourcePath(props.routes)}`,
  });
  let domain: Apigatewayv2DomainName | undefined;
  if (props.customDomain) {
    domain = new Apigatewayv2DomainName(scope, `${id}-domain`, {
      domainName: props.customDomain.domainName,
      domainNameConfiguration: { certificateArn: props.customDomain.certificateArn, endpointType: 'REGIONAL', securityPolicy: 'TLS_1_2' },
    });
    new Apigatewayv2ApiMapping(scope, `${id}-mapping`, { apiId: api.id, domainName: domain.domainName, stage: HTTP_API_STAGE });
  }
  return { api, fn, integration, stage, accessLogs, permission, domain };
}
