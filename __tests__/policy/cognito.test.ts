/**
 * Cognito rules. Fixture shapes: aws_cognito_user_pool (name, mfa_configuration OFF|ON|OPTIONAL,
 * software_token_mfa_configuration) from the hashicorp/aws provider's resource docs; see helpers.ts.
 */
import { ruleCases, stack } from './helpers.js';

ruleCases('cognito-mfa', {
  compliant: [{ title: 'mfa_configuration ON with TOTP', stack: stack({ aws_cognito_user_pool: { p: { name: 'p', mfa_configuration: 'ON', software_token_mfa_configuration: { enabled: true } } } }) }],
  nonCompliant: [
    { title: 'mfa_configuration OFF', stack: stack({ aws_cognito_user_pool: { p: { name: 'p', mfa_configuration: 'OFF' } } }), findings: ['aws_cognito_user_pool.p'], message: /OFF/ },
    { title: 'mfa_configuration OPTIONAL (users may skip it)', stack: stack({ aws_cognito_user_pool: { p: { mfa_configuration: 'OPTIONAL' } } }), findings: ['aws_cognito_user_pool.p'], message: /OPTIONAL/ },
    { title: 'argument not set (provider default OFF)', stack: stack({ aws_cognito_user_pool: { p: { name: 'p' } } }), findings: ['aws_cognito_user_pool.p'] },
  ],
});
