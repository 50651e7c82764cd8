/**
 * A defect the emulated-apply tier found (issue 15): stacks applied into one account (one moto server) showed a
 * tags change on the second plan of the alerts topic: every stack of a region named its alerts topic
 * `<prefix>-<short region>-alerts`, so all 23 AMS stacks of a region (and the pipelines there) were the same topic.
 *
 * Contract (upstream): SNS CreateTopic returns the existing topic's ARN when a topic of that name already exists
 * in the account and region (Amazon SNS API Reference, CreateTopic: "If a requester already owns a topic with the
 * specified name, that topic's ARN is returned without creating a new topic"), and refuses the call when the tags
 * differ ("Invalid parameter: Tags Reason: Topic already exists with different tags"): our default tags carry
 * `tributary:stack`, so the second stack of a region could not be applied, and destroying one stack would delete
 * the alarms topic of all. The same holds for every name AWS keeps unique per account and region (or per account for
 * IAM), which is what this test checks over every stack of the built-in and the full example config.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { synthConfig, type SynthStack } from '../helpers/synth.js';

/** Resource types whose `name` is unique per account and region in AWS (IAM: per account). */
const NAMED_PER_REGION = [
  'aws_sns_topic',
  'aws_sqs_queue',
  'aws_lambda_function',
  'aws_kinesis_firehose_delivery_stream',
  'aws_kinesis_stream',
  'aws_dynamodb_table',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_event_bus',
  'aws_cloudwatch_event_connection',
  'aws_cloudwatch_event_api_destination',
  'aws_glue_catalog_database',
  'aws_athena_workgroup',
  'aws_ecs_cluster',
  'aws_ecr_repository',
  'aws_lb',
  'aws_kms_alias',
];
const NAMED_PER_ACCOUNT = ['aws_iam_role'];
const NAME_KEYS: Record<string, string> = { aws_lambda_function: 'function_name', aws_cloudwatch_metric_alarm: 'alarm_name' };

function duplicates(stacks: SynthStack[]): string[] {
  const seen = new Map<string, string[]>();
  for (const s of stacks) {
    const region = String((s.json.provider?.aws?.[0] as { region?: string } | undefined)?.region);
    for (const type of [...NAMED_PER_REGION, ...NAMED_PER_ACCOUNT, 'aws_cloudwatch_metric_alarm']) {
      for (const [id, r] of Object.entries(s.json.resource?.[type] ?? {})) {
        const name = r[NAME_KEYS[type] ?? 'name'];
        if (typeof name !== 'string') continue;
        const key = `${type} ${NAMED_PER_ACCOUNT.includes(type) ? '(account)' : region} ${name}`;
        seen.set(key, [...(seen.get(key) ?? []), `${s.name}/${id}`]);
      }
    }
  }
  return [...seen].filter(([, where]) => where.length > 1).map(([key, where]) => `${key}: ${where.join(', ')}`);
}

describe.each([
  ['config/default.json', 'config/default.json'],
  ['config/examples/full.json', 'config/examples/full.json'],
])('names AWS keeps unique per account and region, over every stack of %s', (_label, path) => {
  const synth = synthConfig(loadConfig(path));
  afterAll(() => synth.cleanup());

  it('no two stacks (or resources) use the same name in one region', () => {
    expect(duplicates(synth.stacks)).toEqual([]);
  });

  it('each stack has its own alerts topic', () => {
    const topics = synth.stacks.map((s) => Object.values(s.json.resource?.aws_sns_topic ?? {}).map((t) => t.name as string));
    expect(new Set(topics.flat().filter((n) => n.endsWith('-alerts'))).size).toBe(synth.stacks.length);
  });
});
