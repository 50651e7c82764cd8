import { literal, referencedIds, resourcesOf, type Body } from './model.js';
import type { PolicyStack } from './types.js';

/**
 * Whether `value` (a function_name, an ARN, a URI...) designates Lambda function `fnId` of the stack: it
 * references the function (any attribute, e.g. `.arn`, `.function_name`, `.invoke_arn`) or an alias of it, or
 * it is the function's literal name.
 */
export function designatesFunction(stack: PolicyStack, value: unknown, fnId: string): boolean {
  if (referencedIds(value, 'aws_lambda_function').includes(fnId)) return true;
  for (const aliasId of referencedIds(value, 'aws_lambda_alias')) {
    const alias = stack.json.resource?.aws_lambda_alias?.[aliasId];
    if (alias && designatesFunction(stack, alias.function_name, fnId)) return true;
  }
  const fn = stack.json.resource?.aws_lambda_function?.[fnId];
  const name = fn ? literal(stack, fn.function_name) : undefined;
  return typeof value === 'string' && name !== undefined && (value === name || value.endsWith(`:function:${name}`));
}

/** The event source mappings that invoke function `fnId`. */
export function mappingsOf(stack: PolicyStack, fnId: string): [string, Body][] {
  return resourcesOf(stack, 'aws_lambda_event_source_mapping').filter(([, m]) => designatesFunction(stack, m.function_name, fnId));
}
