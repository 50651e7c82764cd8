/**
 * API Gateway rules. Fixture shapes: aws_api_gateway_rest_api, aws_api_gateway_stage (rest_api_id, stage_name,
 * deployment_id), aws_api_gateway_method_settings (rest_api_id, stage_name, method_path, settings {
 * throttling_burst_limit, throttling_rate_limit }), aws_apigatewayv2_api, aws_apigatewayv2_stage (api_id, name,
 * default_route_settings, route_settings { route_key, ... }), aws_apigatewayv2_route (api_id, route_key),
 * aws_wafv2_web_acl_association (resource_arn, web_acl_arn) from the hashicorp/aws provider's resource docs; the
 * provider documents -1 as the "throttling disabled" default of both limits. See helpers.ts.
 */
import { merge, ruleCases, stack, type Res } from './helpers.js';

const rest: Res = {
  aws_api_gateway_rest_api: { api: { name: 'trib-use1-api' } },
  aws_api_gateway_stage: { s: { rest_api_id: '${aws_api_gateway_rest_api.api.id}', stage_name: 'v1', deployment_id: '${aws_api_gateway_deployment.d.id}' } },
};
const settings = (methodPath: string, s: Record<string, unknown>, stageName = '${aws_api_gateway_stage.s.stage_name}'): Res => ({
  aws_api_gateway_method_settings: { m: { rest_api_id: '${aws_api_gateway_rest_api.api.id}', stage_name: stageName, method_path: methodPath, settings: s } },
});
const http = (stage: Record<string, unknown>, routes: string[] = ['POST /report']): Res => ({
  aws_apigatewayv2_api: { api: { name: 'trib-use1-http', protocol_type: 'HTTP' } },
  aws_apigatewayv2_stage: { s: { api_id: '${aws_apigatewayv2_api.api.id}', name: '$default', auto_deploy: true, ...stage } },
  aws_apigatewayv2_route: Object.fromEntries(routes.map((k, i) => [`r${i}`, { api_id: '${aws_apigatewayv2_api.api.id}', route_key: k }])),
});

ruleCases('apigateway-throttling', {
  compliant: [
    { title: 'REST stage with */* method settings setting both limits', stack: stack(merge(rest, settings('*/*', { throttling_burst_limit: 200, throttling_rate_limit: 100, metrics_enabled: true }))) },
    { title: 'REST method settings naming the stage literally', stack: stack(merge(rest, settings('*/*', { throttling_burst_limit: 10, throttling_rate_limit: 5 }, 'v1'))) },
    { title: 'HTTP stage with default_route_settings limits', stack: stack(http({ default_route_settings: { throttling_burst_limit: 1000, throttling_rate_limit: 500 } })) },
    { title: 'HTTP stage throttling each of its routes through route_settings', stack: stack(http({ route_settings: [{ route_key: 'GET /a', throttling_burst_limit: 5, throttling_rate_limit: 1 }, { route_key: 'POST /b', throttling_burst_limit: 5, throttling_rate_limit: 1 }] }, ['GET /a', 'POST /b'])) },
  ],
  nonCompliant: [
    { title: 'REST stage without method settings', stack: stack(rest), findings: ['aws_api_gateway_stage.s'], message: /no aws_api_gateway_method_settings/ },
    { title: 'REST */* settings with logging only', stack: stack(merge(rest, settings('*/*', { logging_level: 'ERROR' }))), findings: ['aws_api_gateway_stage.s'], message: /no throttling/ },
    { title: 'REST settings for one method only', stack: stack(merge(rest, settings('event/POST', { throttling_burst_limit: 1, throttling_rate_limit: 1 }))), findings: ['aws_api_gateway_stage.s'] },
    { title: 'REST */* with the provider default -1 (throttling disabled)', stack: stack(merge(rest, settings('*/*', { throttling_burst_limit: -1, throttling_rate_limit: -1 }))), findings: ['aws_api_gateway_stage.s'] },
    { title: 'HTTP stage without default_route_settings', stack: stack(http({})), findings: ['aws_apigatewayv2_stage.s'], message: /POST \/report/ },
    { title: 'HTTP default_route_settings with the burst limit only', stack: stack(http({ default_route_settings: { throttling_burst_limit: 100, detailed_metrics_enabled: false } })), findings: ['aws_apigatewayv2_stage.s'] },
    { title: 'HTTP route_settings leaving one route open', stack: stack(http({ route_settings: { route_key: 'GET /a', throttling_burst_limit: 5, throttling_rate_limit: 1 } }, ['GET /a', 'POST /b'])), findings: ['aws_apigatewayv2_stage.s'], message: /POST \/b/ },
  ],
});

ruleCases('apigateway-rest-waf', {
  compliant: [{ title: 'web ACL association on the stage ARN', stack: stack(merge(rest, { aws_wafv2_web_acl_association: { w: { resource_arn: '${aws_api_gateway_stage.s.arn}', web_acl_arn: '${aws_wafv2_web_acl.acl.arn}' } } })) }],
  nonCompliant: [
    { title: 'no association', stack: stack(rest), findings: ['aws_api_gateway_stage.s'] },
    { title: 'an association on a load balancer only', stack: stack(merge(rest, { aws_wafv2_web_acl_association: { w: { resource_arn: '${aws_lb.alb.arn}', web_acl_arn: '${aws_wafv2_web_acl.acl.arn}' } } })), findings: ['aws_api_gateway_stage.s'] },
  ],
});
