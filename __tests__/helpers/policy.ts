import type { Finding } from '../../policy/types.js';

/**
 * The suppression every Lambda function with active tracing carries (modules/lambda-function.ts): its separate
 * tracing policy grants the X-Ray write actions on Resource "*", which AWS requires for them.
 */
export function isTracingSuppression(f: Finding): boolean {
  return f.ruleId === 'iam-no-wildcard' && f.type === 'aws_iam_role_policy' && /_tracing-policy_/.test(f.id) && f.suppressed !== undefined;
}
