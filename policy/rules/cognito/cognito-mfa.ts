import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every Cognito user pool requires MFA. */
export const cognitoMfa: Rule = {
  id: 'cognito-mfa',
  service: 'cognito',
  level: 'warning',
  pack: 'informational',
  checkov: [],
  cdkNag: ['AwsSolutions-COG2'],
  appliesTo: ['aws_cognito_user_pool'],
  description: 'Every Cognito user pool has mfa_configuration = "ON".',
  explanation:
    'A second factor keeps a stolen password from signing in (Cognito developer guide, "Adding MFA to a user pool"); ' +
    'SMS factors are billed per message, TOTP is free.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, p] of resourcesOf(stack, 'aws_cognito_user_pool')) {
      if (p.mfa_configuration === 'ON') continue;
      findings.push({ type: 'aws_cognito_user_pool', id, message: `user pool MFA is ${String(p.mfa_configuration ?? 'OFF')}` });
    }
    return findings;
  },
};
