import { resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every Lambda function has reserved concurrency. */
export const lambdaReservedConcurrency: Rule = {
  id: 'lambda-reserved-concurrency',
  service: 'lambda',
  level: 'warning',
  pack: 'informational',
  checkov: ['CKV_AWS_115'],
  cdkNag: ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'],
  appliesTo: ['aws_lambda_function'],
  description: 'Every Lambda function sets reserved_concurrent_executions >= 0 (the provider default, -1, means unreserved).',
  explanation:
    'Reserved concurrency guarantees a function its share of the regional concurrency pool and caps it there, so a ' +
    'public entry point cannot starve every other function of the account (Lambda developer guide, "Configuring ' +
    'reserved concurrency"). Reserving takes capacity away from the unreserved pool, hence a deployment choice.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, fn] of resourcesOf(stack, 'aws_lambda_function')) {
      const r = fn.reserved_concurrent_executions;
      if (typeof r === 'number' && r >= 0) continue;
      findings.push({ type: 'aws_lambda_function', id, message: 'function has no reserved concurrency' });
    }
    return findings;
  },
};
