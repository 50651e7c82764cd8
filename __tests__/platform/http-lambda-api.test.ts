/**
 * modules/http-lambda-api.ts synthesized in a stack of its own, checked against API Gateway's documented contract:
 * an AWS_PROXY Lambda integration with payload format 2.0 and at most the 30 s HTTP API integration timeout, a
 * `$default` stage that deploys itself (an HTTP API serves nothing until deployed), a Lambda permission whose source
 * ARN has the execute-api form `<api execution ARN>/<stage>/<METHOD>/<path>`, a regional TLS 1.2 custom domain; and
 * the ids stay in the caller's scope (no nested construct, so a hand-written API moved here keeps its addresses).
 */
import { describe, expect, it } from 'vitest';
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { ACCESS_LOG_FORMAT } from '../../modules/access-log.js';
import { httpLambdaApi, invokeSourcePath, type HttpLambdaApiProps } from '../../modules/http-lambda-api.js';
import { LambdaFunction } from '../../modules/lambda-function.js';
import type { Naming } from '../../modules/naming.js';
import { of, policyClean, synthModules } from '../helpers/module-synth.js';

const FORMAT = JSON.stringify({ requestId: '$context.requestId', status: '$context.status' });
const fnProps = (naming: Naming, timeoutSeconds: number) => ({
  naming, purpose: 'ingest', handler: 'clickstream-ingest', memoryMb: 128, timeoutSeconds, logRetentionDays: 7,
});
const base = (naming: Naming): Omit<HttpLambdaApiProps, 'lambda' | 'routes'> => ({
  naming, purpose: 'beacon', description: 'beacon API', logRetentionDays: 14, accessLogFormat: FORMAT, throttle: { rateLimit: 10, burstLimit: 20 },
});

describe('http-lambda-api: one route', () => {
  const json = synthModules(({ stack, naming }) => {
    const fn = new LambdaFunction(stack, 'ingest', fnProps(naming, 10));
    httpLambdaApi(stack, 'api', { ...base(naming), lambda: fn, routes: [{ id: 'api-route', routeKey: 'POST /report' }] });
  });

  it('creates every resource directly in the caller scope, under the ids the stacks had', () => {
    expect(Object.keys(of(json, 'aws_apigatewayv2_api'))).toEqual(['api']);
    expect(Object.keys(of(json, 'aws_apigatewayv2_integration'))).toEqual(['api-integration']);
    expect(Object.keys(of(json, 'aws_apigatewayv2_route'))).toEqual(['api-route']);
    expect(Object.keys(of(json, 'aws_apigatewayv2_stage'))).toEqual(['api-stage']);
    expect(Object.keys(of(json, 'aws_lambda_permission'))).toEqual(['api-invoke']);
    expect(of(json, 'aws_cloudwatch_log_group')['api-access-logs']).toMatchObject({ name: '/aws/apigateway/trib-use1-beacon', retention_in_days: 14 });
  });

  it('an HTTP API with an AWS_PROXY integration, payload 2.0, timeout one second above the function', () => {
    expect(of(json, 'aws_apigatewayv2_api').api).toMatchObject({ name: 'trib-use1-beacon', protocol_type: 'HTTP', description: 'beacon API' });
    const api = of(json, 'aws_apigatewayv2_api').api;
    expect(api).not.toHaveProperty('cors_configuration');
    expect(api).not.toHaveProperty('disable_execute_api_endpoint');
    const integration = of(json, 'aws_apigatewayv2_integration')['api-integration'];
    expect(integration).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0', timeout_milliseconds: 11_000 });
    expect(integration.integration_uri).toMatch(/^\$\{aws_lambda_function\.ingest_fn_[0-9A-F]+\.invoke_arn\}$/);
    expect(integration).not.toHaveProperty('integration_method');
    expect(of(json, 'aws_apigatewayv2_route')['api-route']).toEqual(
      expect.objectContaining({ route_key: 'POST /report', target: 'integrations/${aws_apigatewayv2_integration.api-integration.id}' }),
    );
  });

  it('the $default stage deploys itself, throttles, and writes the access log format to its group', () => {
    expect(of(json, 'aws_apigatewayv2_stage')['api-stage']).toMatchObject({
      name: '$default',
      auto_deploy: true,
      access_log_settings: { destination_arn: '${aws_cloudwatch_log_group.api-access-logs.arn}', format: FORMAT },
      default_route_settings: { throttling_rate_limit: 10, throttling_burst_limit: 20, detailed_metrics_enabled: false },
    });
  });

  it('lets API Gateway invoke the function for that one route only', () => {
    expect(of(json, 'aws_lambda_permission')['api-invoke']).toMatchObject({
      statement_id: 'ApiGatewayInvoke',
      action: 'lambda:InvokeFunction',
      principal: 'apigateway.amazonaws.com',
      source_arn: '${aws_apigatewayv2_api.api.execution_arn}/*/POST/report',
    });
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('http-lambda-api: several routes, a function built from the API, a custom domain, options', () => {
  let seen: Apigatewayv2Api | undefined;
  const json = synthModules(({ stack, naming }) => {
    const { api } = httpLambdaApi(stack, 'app', {
      ...base(naming),
      accessLogFormat: undefined,
      lambda: (a) => {
        seen = a;
        return new LambdaFunction(stack, 'ingest', { ...fnProps(naming, 60), environment: { BASE_URL: a.apiEndpoint } });
      },
      routes: [{ id: 'route-a', routeKey: 'GET /a' }, { id: 'route-b', routeKey: 'POST /b' }],
      cors: { allowOrigins: ['https://x.example.com'], allowMethods: ['GET'] },
      customDomain: { domainName: 'app.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
      integrationUri: 'arn',
      integrationMethod: 'POST',
      invokeStatementId: 'AllowApp',
    });
    expect(seen).toBe(api);
  });

  it('hands the API to the function builder (the function may read its endpoint)', () => {
    const fn = Object.values(of(json, 'aws_lambda_function'))[0];
    expect(fn.environment).toEqual({ variables: { BASE_URL: '${aws_apigatewayv2_api.app.api_endpoint}' } });
  });

  it('caps the integration timeout at the HTTP API maximum of 30 s, names the function by ARN on request', () => {
    const integration = of(json, 'aws_apigatewayv2_integration')['app-integration'];
    expect(integration).toMatchObject({ timeout_milliseconds: 30_000, integration_method: 'POST' });
    expect(integration.integration_uri).toMatch(/^\$\{aws_lambda_function\.ingest_fn_[0-9A-F]+\.arn\}$/);
  });

  it('one route each, all to the same integration; the permission covers every route', () => {
    expect(Object.keys(of(json, 'aws_apigatewayv2_route')).sort()).toEqual(['route-a', 'route-b']);
    expect(of(json, 'aws_lambda_permission')['app-invoke']).toMatchObject({
      statement_id: 'AllowApp',
      source_arn: '${aws_apigatewayv2_api.app.execution_arn}/*/*',
    });
  });

  it('serves only the custom domain (regional, TLS 1.2) mapped to $default, with CORS', () => {
    expect(of(json, 'aws_apigatewayv2_api').app).toMatchObject({
      disable_execute_api_endpoint: true,
      cors_configuration: { allow_origins: ['https://x.example.com'], allow_methods: ['GET'] },
    });
    expect(of(json, 'aws_apigatewayv2_domain_name')['app-domain']).toMatchObject({
      domain_name: 'app.example.com',
      domain_name_configuration: { endpoint_type: 'REGIONAL', security_policy: 'TLS_1_2' },
    });
    expect(of(json, 'aws_apigatewayv2_api_mapping')['app-mapping']).toMatchObject({ stage: '$default', domain_name: '${aws_apigatewayv2_domain_name.app-domain.domain_name}' });
  });

  it('logs in the HTTP API access-log format by default', () => {
    expect(of(json, 'aws_apigatewayv2_stage')['app-stage']).toMatchObject({ access_log_settings: { format: ACCESS_LOG_FORMAT.httpApi } });
  });

  it('passes the policy rules', () => policyClean(json));
});

describe('invokeSourcePath', () => {
  it('one route: stage wildcard, its method and path, path parameters as *', () => {
    expect(invokeSourcePath([{ id: 'r', routeKey: 'POST /report' }])).toBe('*/POST/report');
    expect(invokeSourcePath([{ id: 'r', routeKey: 'GET /items/{id}/parts/{proxy+}' }])).toBe('*/GET/items/*/parts/*');
    expect(invokeSourcePath([{ id: 'r', routeKey: 'ANY /x' }])).toBe('*/*/x');
  });

  it('several routes or $default: any method and path', () => {
    expect(invokeSourcePath([{ id: 'a', routeKey: 'GET /a' }, { id: 'b', routeKey: 'GET /b' }])).toBe('*/*');
    expect(invokeSourcePath([{ id: 'd', routeKey: '$default' }])).toBe('*/*');
  });

  it('refuses a route key that is not "METHOD /path"', () => {
    expect(() => invokeSourcePath([{ id: 'r', routeKey: 'post report' }])).toThrow(/route key "post report" is not "METHOD \/path" or "\$default"/);
  });

  it('refuses an API without routes, naming it', () => {
    expect(() =>
      synthModules(({ stack, naming }) => {
        httpLambdaApi(stack, 'api', { ...base(naming), lambda: new LambdaFunction(stack, 'f', fnProps(naming, 3)), routes: [] });
      }),
    ).toThrow(/api: an HTTP API needs at least one route/);
  });
});
