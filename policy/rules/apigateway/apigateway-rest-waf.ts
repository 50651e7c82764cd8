import { refersTo, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every REST API stage is associated with a WAFv2 web ACL. */
export const apigatewayRestWaf: Rule = {
  id: 'apigateway-rest-waf',
  service: 'apigateway',
  level: 'warning',
  pack: 'informational',
  checkov: ['CKV2_AWS_29'],
  cdkNag: ['AwsSolutions-APIG3', 'NIST.800.53.R5-APIGWAssociatedWithWAF'],
  appliesTo: ['aws_api_gateway_stage'],
  description: 'Every REST API stage has an aws_wafv2_web_acl_association whose resource_arn is the stage.',
  explanation:
    'A web ACL adds rate-based and managed rules in front of the API (API Gateway developer guide, "Use AWS WAF to ' +
    'protect your REST APIs"); it costs a monthly fee per web ACL and rule plus a per-request charge, so it is a ' +
    'deployment choice (issue 16 item 2).',
  check(stack) {
    const findings: RuleFinding[] = [];
    const associations = resourcesOf(stack, 'aws_wafv2_web_acl_association');
    for (const [id] of resourcesOf(stack, 'aws_api_gateway_stage')) {
      if (associations.some(([, a]) => refersTo(a.resource_arn, 'aws_api_gateway_stage', id))) continue;
      findings.push({ type: 'aws_api_gateway_stage', id, message: 'REST stage has no WAFv2 web ACL association' });
    }
    return findings;
  },
};
