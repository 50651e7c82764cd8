import { referencedIds, resourcesOf } from '../../model.js';
import { designatesFunction } from '../../lambdas.js';
import type { Rule, RuleFinding } from '../../types.js';

/** Defaults AWS applies when the attribute is not set. */
const DEFAULT_VISIBILITY = 30;
const DEFAULT_LAMBDA_TIMEOUT = 3;

/** An SQS queue's visibility timeout is at least 6x the timeout of every Lambda consuming it. */
export const sqsVisibilityTimeout: Rule = {
  id: 'sqs-visibility-timeout',
  service: 'sqs',
  level: 'error',
  pack: 'core',
  checkov: [],
  cdkNag: [],
  appliesTo: [],
  explanation:
    "Lambda's SQS event source guide asks for a queue visibility timeout of at least six times the function timeout, so a batch being retried after throttling is not received twice. cdk-nag has a rule for it (LambdaEventSourceSQSVisibilityTimeout) but no pack applies it, so no cdk-nag id corresponds.",
  description: "An SQS queue's visibility timeout is at least 6x the timeout of each Lambda consuming it through an event source mapping.",
  subjects(stack) {
    const out = new Set<string>();
    for (const [, m] of resourcesOf(stack, 'aws_lambda_event_source_mapping')) {
      for (const qid of referencedIds(m.event_source_arn, 'aws_sqs_queue')) if (stack.json.resource?.aws_sqs_queue?.[qid]) out.add(`aws_sqs_queue.${qid}`);
    }
    return [...out];
  },
  check(stack) {
    const findings: RuleFinding[] = [];
    const functions = resourcesOf(stack, 'aws_lambda_function');
    for (const [mid, m] of resourcesOf(stack, 'aws_lambda_event_source_mapping')) {
      for (const qid of referencedIds(m.event_source_arn, 'aws_sqs_queue')) {
        const q = stack.json.resource!.aws_sqs_queue?.[qid];
        if (!q) continue;
        const visibility = typeof q.visibility_timeout_seconds === 'number' ? q.visibility_timeout_seconds : DEFAULT_VISIBILITY;
        for (const [fid, fn] of functions) {
          if (!designatesFunction(stack, m.function_name, fid)) continue;
          const timeout = typeof fn.timeout === 'number' ? fn.timeout : DEFAULT_LAMBDA_TIMEOUT;
          if (visibility < 6 * timeout) {
            findings.push({
              type: 'aws_sqs_queue',
              id: qid,
              message: `visibility timeout ${visibility}s is less than 6x the ${timeout}s timeout of consumer ${fid} (mapping ${mid}): needs >= ${6 * timeout}s`,
            });
          }
        }
      }
    }
    return findings;
  },
};
