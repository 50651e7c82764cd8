import { block, literal, referencedIds, resourcesOf, type Body } from '../../model.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

function logGroupNamed(stack: PolicyStack, name: string): Body | undefined {
  return resourcesOf(stack, 'aws_cloudwatch_log_group').find(([, g]) => literal(stack, g.name) === name)?.[1];
}

/**
 * Every Lambda function writes to a log group of the stack that has a retention: the one named in
 * logging_config.log_group, or /aws/lambda/<function name>.
 */
export const lambdaLogRetention: Rule = {
  id: 'lambda-log-retention',
  service: 'lambda',
  level: 'error',
  pack: 'core',
  checkov: [],
  cdkNag: [],
  appliesTo: ['aws_lambda_function'],
  explanation:
    'A function whose log group is not managed in the stack gets one created by Lambda with no retention, kept (and billed) forever.',
  description: 'Every Lambda function has a log group with retention (logging_config.log_group or /aws/lambda/<name>) in its stack.',
  check(stack) {
    const findings: RuleFinding[] = [];
    for (const [id, fn] of resourcesOf(stack, 'aws_lambda_function')) {
      const configured = block(fn.logging_config)?.log_group;
      let group: Body | undefined;
      let label: string;
      if (configured !== undefined) {
        const ref = referencedIds(configured, 'aws_cloudwatch_log_group')[0];
        group = ref ? stack.json.resource?.aws_cloudwatch_log_group?.[ref] : undefined;
        const name = literal(stack, configured);
        if (!group && name !== undefined) group = logGroupNamed(stack, name);
        label = `logging_config.log_group ${name ?? String(configured)}`;
      } else {
        const fnName = literal(stack, fn.function_name);
        group = fnName !== undefined ? logGroupNamed(stack, `/aws/lambda/${fnName}`) : undefined;
        label = `log group /aws/lambda/${fnName ?? '<unknown name>'}`;
      }
      if (!group) {
        findings.push({ type: 'aws_lambda_function', id, message: `${label} is not managed in the stack, so it has no retention` });
      } else if (!(typeof group.retention_in_days === 'number' && group.retention_in_days > 0)) {
        findings.push({ type: 'aws_lambda_function', id, message: `${label} has no retention_in_days` });
      }
    }
    return findings;
  },
};
