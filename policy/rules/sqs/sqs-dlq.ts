import { block, blocks, referencedIds, resourcesOf } from '../../model.js';
import type { PolicyStack, Rule, RuleFinding } from '../../types.js';

/**
 * Logical ids of the queues that serve as a dead-letter target somewhere in the stack: another queue's
 * redrive policy (inline or aws_sqs_queue_redrive_policy), an SNS subscription's redrive policy, a Lambda's
 * dead_letter_config, an on-failure destination (event invoke config, stream event source mapping), an
 * EventBridge target's or a Scheduler schedule's dead_letter_config.
 */
export function dlqTargets(stack: PolicyStack): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => referencedIds(v, 'aws_sqs_queue').forEach((id) => out.add(id));
  for (const [, q] of resourcesOf(stack, 'aws_sqs_queue')) add(q.redrive_policy);
  for (const [, r] of resourcesOf(stack, 'aws_sqs_queue_redrive_policy')) add(r.redrive_policy);
  for (const [, s] of resourcesOf(stack, 'aws_sns_topic_subscription')) add(s.redrive_policy);
  for (const [, f] of resourcesOf(stack, 'aws_lambda_function')) add(block(f.dead_letter_config)?.target_arn);
  for (const [, c] of resourcesOf(stack, 'aws_lambda_function_event_invoke_config')) {
    add(block(block(block(c.destination_config)?.on_failure))?.destination);
  }
  for (const [, m] of resourcesOf(stack, 'aws_lambda_event_source_mapping')) {
    add(block(block(m.destination_config)?.on_failure)?.destination_arn);
  }
  for (const [, t] of resourcesOf(stack, 'aws_cloudwatch_event_target')) add(block(t.dead_letter_config)?.arn);
  for (const [, s] of resourcesOf(stack, 'aws_scheduler_schedule')) {
    for (const t of blocks(s.target)) add(block(t.dead_letter_config)?.arn);
  }
  for (const [, p] of resourcesOf(stack, 'aws_pipes_pipe')) {
    add(block(block(block(p.source_parameters)?.sqs_queue_parameters)?.dead_letter_config)?.arn);
  }
  return out;
}

/** Queues that have a redrive policy (inline or through an aws_sqs_queue_redrive_policy resource). */
export function queuesWithDlq(stack: PolicyStack): Set<string> {
  const out = new Set<string>();
  for (const [id, q] of resourcesOf(stack, 'aws_sqs_queue')) {
    if (typeof q.redrive_policy === 'string' && q.redrive_policy.includes('deadLetterTargetArn')) out.add(id);
  }
  for (const [, r] of resourcesOf(stack, 'aws_sqs_queue_redrive_policy')) {
    if (typeof r.redrive_policy === 'string' && r.redrive_policy.includes('deadLetterTargetArn')) {
      referencedIds(r.queue_url, 'aws_sqs_queue').forEach((id) => out.add(id));
    }
  }
  return out;
}

/** Every SQS queue has a dead-letter queue, unless it is itself the dead-letter target of something. */
export const sqsDlq: Rule = {
  id: 'sqs-dlq',
  service: 'sqs',
  level: 'error',
  pack: 'core',
  checkov: [],
  cdkNag: ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy'],
  appliesTo: ['aws_sqs_queue'],
  explanation:
    'A message a consumer cannot process is moved to a dead-letter queue after maxReceiveCount receives instead of being retried until its retention ends and lost (SQS developer guide, "Using dead-letter queues").',
  description:
    'Every SQS queue has a dead-letter queue (redrive_policy), unless it is itself the DLQ of a queue, an SNS ' +
    'subscription, a Lambda function, an on-failure destination or an EventBridge/Scheduler target.',
  check(stack) {
    const targets = dlqTargets(stack);
    const withDlq = queuesWithDlq(stack);
    const findings: RuleFinding[] = [];
    for (const [id] of resourcesOf(stack, 'aws_sqs_queue')) {
      if (withDlq.has(id) || targets.has(id)) continue;
      findings.push({ type: 'aws_sqs_queue', id, message: 'queue has no dead-letter queue (redrive_policy) and is not itself a DLQ target' });
    }
    return findings;
  },
};
