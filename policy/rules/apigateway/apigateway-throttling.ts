import { block, blocks, literal, referencedIds, resourcesOf, type Body } from '../../model.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

/** Both limits set to a usable value (the provider's default, -1, means no throttling). */
export function throttles(settings: Body | undefined): boolean {
  const ok = (v: unknown): boolean => typeof v === 'number' && v >= 0;
  return !!settings && ok(settings.throttling_burst_limit) && ok(settings.throttling_rate_limit);
}

/** The aws_api_gateway_method_settings of REST stage `sid`: stage_name references the stage or names it. */
function methodSettingsOf(stack: PolicyStack, sid: string, stage: Body): Body[] {
  const name = literal(stack, stage.stage_name);
  const api = referencedIds(stage.rest_api_id, 'aws_api_gateway_rest_api');
  return resourcesOf(stack, 'aws_api_gateway_method_settings')
    .filter(([, m]) => {
      if (referencedIds(m.stage_name, 'aws_api_gateway_stage').includes(sid)) return true;
      const sameApi = referencedIds(m.rest_api_id, 'aws_api_gateway_rest_api').some((a) => api.includes(a));
      return sameApi && name !== undefined && literal(stack, m.stage_name) === name;
    })
    .map(([, m]) => m);
}

function restProblem(stack: PolicyStack, sid: string, stage: Body): string | undefined {
  const all = methodSettingsOf(stack, sid, stage).filter((m) => m.method_path === '*/*');
  if (!all.length) return 'REST stage has no aws_api_gateway_method_settings for method_path "*/*"';
  if (!all.some((m) => throttles(block(m.settings)))) return 'the "*/*" method settings set no throttling_burst_limit and throttling_rate_limit (>= 0)';
  return undefined;
}

function httpProblem(stack: PolicyStack, stage: Body): string | undefined {
  if (throttles(block(stage.default_route_settings))) return undefined;
  const api = referencedIds(stage.api_id, 'aws_apigatewayv2_api');
  const routes = resourcesOf(stack, 'aws_apigatewayv2_route').filter(([, r]) => referencedIds(r.api_id, 'aws_apigatewayv2_api').some((a) => api.includes(a)));
  const throttled = new Set(blocks(stage.route_settings).filter(throttles).map((r) => r.route_key));
  const open = routes.map(([, r]) => String(r.route_key)).filter((k) => !throttled.has(k));
  if (!routes.length) return 'stage has no default_route_settings throttling limits';
  if (open.length) return `default_route_settings sets no throttling limits and route_settings do not throttle ${open.join(', ')}`;
  return undefined;
}

/** Every API Gateway stage throttles its requests: REST stages through "*\/*" method settings, HTTP stages by route settings. */
export const apigatewayThrottling: Rule = {
  id: 'apigateway-throttling',
  service: 'apigateway',
  level: 'error',
  pack: 'security',
  checkov: [],
  cdkNag: ['Serverless-APIGWDefaultThrottling'],
  appliesTo: ['aws_api_gateway_stage', 'aws_apigatewayv2_stage'],
  description:
    'Every REST API stage has aws_api_gateway_method_settings for method_path "*/*" with throttling_burst_limit and ' +
    'throttling_rate_limit >= 0; every HTTP/WebSocket API stage sets both limits in default_route_settings, or in ' +
    'route_settings for each of its routes.',
  explanation:
    'A public endpoint without its own limits takes the account-level quota (10,000 requests per second per region, ' +
    'shared by every API of the account), so one caller can exhaust it for all and run up the Lambda and downstream ' +
    'bill (API Gateway developer guide, "Throttle requests to your REST APIs" / "Protect your HTTP API"). The provider ' +
    'docs give -1 as the "no throttling" default of both limits.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, stage] of resourcesOf(stack, 'aws_api_gateway_stage')) {
      const problem = restProblem(stack, id, stage);
      if (problem) findings.push({ type: 'aws_api_gateway_stage', id, message: problem });
    }
    for (const [id, stage] of resourcesOf(stack, 'aws_apigatewayv2_stage')) {
      const problem = httpProblem(stack, stage);
      if (problem) findings.push({ type: 'aws_apigatewayv2_stage', id, message: problem });
    }
    return findings;
  },
};
