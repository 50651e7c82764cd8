import { block, resourcesOf } from '../../model.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Informational: every Lambda function has active X-Ray tracing. */
export const lambdaTracing: Rule = {
  id: 'lambda-tracing',
  service: 'lambda',
  level: 'warning',
  pack: 'informational',
  checkov: ['CKV_AWS_50'],
  cdkNag: ['Serverless-LambdaTracing'],
  appliesTo: ['aws_lambda_function'],
  description: 'Every Lambda function has tracing_config { mode = "Active" }.',
  explanation:
    'Active tracing samples requests and sends segments to X-Ray, which shows where time and errors go across ' +
    'services (Lambda developer guide, "Visualize Lambda function invocations using AWS X-Ray"); traces are billed ' +
    'per recorded and retrieved trace. checkov CKV_AWS_50 also accepts PassThrough.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, fn] of resourcesOf(stack, 'aws_lambda_function')) {
      if (block(fn.tracing_config)?.mode === 'Active') continue;
      findings.push({ type: 'aws_lambda_function', id, message: 'function has no active tracing (tracing_config.mode = "Active")' });
    }
    return findings;
  },
};
