/**
 * A plan worth reviewing, and apply of exactly the reviewed plan (issue 10, step 5).
 *
 * Contract: the JSON is produced by Terraform itself (`terraform show -json <planfile>`, format documented at
 * developer.hashicorp.com/terraform/internals/json-format: `resource_changes[].change.actions` is ["create"],
 * ["update"], ["delete"], ["delete","create"] / ["create","delete"] for a replacement, ["no-op"], ["read"],
 * ["forget"]), from `terraform_data` resources (built into Terraform: no provider, no network) applied to a local
 * state and then changed. The counts are checked against terraform's own "Plan: X to add, Y to change, Z to
 * destroy." line. Terraform refuses a saved plan whose state changed ("Saved plan is stale"); our apply also refuses
 * a plan whose synthesized stack changed since planning, which terraform cannot know.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifest } from '../../lib/manifest.js';
import { actionOf, summarize, summarizeStack, toMarkdown, type PlanJson } from '../../lib/plan-summary.js';
import { localStatePath } from '../../lib/state.js';
import { hasTerraform, lifecycle, run, tempProject, TSX } from '../helpers/lifecycle.js';
import { fromRoot } from '../../lib/paths.js';

const tf = hasTerraform();
if (!tf) console.warn('lifecycle-plan: skipping the terraform plan/apply tests: terraform is not on PATH');

interface Data {
  [name: string]: { input: string; triggers_replace?: string[] };
}

describe.skipIf(!tf)('make plan / make apply on a terraform_data stack with local state', () => {
  let dir: string;
  let out: string;
  let plans: string;
  let cfg: string;
  const stackDir = () => join(out, 'stacks', 'demo');
  /** What synth does: write the stack's Terraform JSON, then the manifest. */
  const synthDemo = (data: Data) => {
    mkdirSync(stackDir(), { recursive: true });
    writeFileSync(
      join(stackDir(), 'cdk.tf.json'),
      JSON.stringify({
        terraform: { backend: { local: { path: localStatePath('demo', 'demo') } } },
        resource: { terraform_data: data },
        output: { first: { value: '${terraform_data.bucket.output}' } },
      }),
    );
    writeManifest(out, { configPath: cfg, prefix: 'demo', environment: 'dev', backend: 'local', stacks: [{ name: 'demo', region: 'us-east-1' }] });
  };
  const args = () => ['--outdir', out, '--plans', plans, '--config', cfg];
  const statePath = () => join(dir, 'state', 'demo', 'demo.tfstate');
  const serial = () => (JSON.parse(readFileSync(statePath(), 'utf8')) as { serial: number }).serial;

  beforeAll(() => {
    dir = tempProject();
    out = join(dir, 'cdktf.out');
    plans = join(dir, 'plans');
    cfg = join(dir, 'config.json');
    writeFileSync(cfg, '{"prefix":"demo"}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plans, summarizes and applies; the summary of updates, replacements and deletions matches terraform', { timeout: 120_000 }, () => {
    synthDemo({ bucket: { input: 'v1' }, table: { input: 't', triggers_replace: ['a'] }, gone: { input: 'x' } });
    const p1 = lifecycle(['plan', ...args()]);
    expect(p1.code, p1.stdout + p1.stderr).toBe(0);
    expect(p1.stdout).toMatch(/ok {3}demo: 3 to add, 0 to change, 0 to destroy/);
    for (const f of ['demo.tfplan', 'demo.plan.json', 'demo.meta.json', 'summary.md', 'summary.json']) expect(existsSync(join(plans, f)), f).toBe(true);
    const a1 = lifecycle(['apply', ...args()]);
    expect(a1.code, a1.stdout + a1.stderr).toBe(0);
    expect(a1.stdout).toMatch(/apply: 1 applied, 0 failed/);
    expect(existsSync(statePath())).toBe(true);
    expect(existsSync(join(stackDir(), 'terraform.demo.tfstate'))).toBe(false);

    // Change: one update in place, one replacement, one deletion, one creation.
    synthDemo({ bucket: { input: 'v2' }, table: { input: 't', triggers_replace: ['b'] }, added: { input: 'n' } });
    const p2 = lifecycle(['plan', ...args()]);
    expect(p2.code, p2.stdout + p2.stderr).toBe(0);
    const log = readFileSync(join(plans, 'demo.log'), 'utf8');
    const [, add, change, destroy] = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./.exec(log)!;
    const summary = JSON.parse(readFileSync(join(plans, 'summary.json'), 'utf8')) as ReturnType<typeof summarize>;
    expect(summary.stacks[0]).toMatchObject({ stack: 'demo', add: Number(add), change: Number(change), destroy: Number(destroy), replace: 1, outputChanges: 1 });
    expect([add, change, destroy]).toEqual(['2', '1', '2']);
    const md = readFileSync(join(plans, 'summary.md'), 'utf8');
    expect(md).toContain('| `demo` | 2 | 1 | 2 | 1 |');

    // The same real plan JSON, with terraform_data treated as holding data: the replacement and the deletion are flagged.
    const flagged = run(TSX, [fromRoot('scripts', 'plan-summary.ts'), '--stateful-type', 'terraform_data', join(plans, 'demo.plan.json')]);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.stdout).toContain('[!CAUTION]');
    expect(flagged.stdout).toContain('**REPLACE** `terraform_data.table` in `demo` (replace_because_cannot_update)');
    expect(flagged.stdout).toContain('**DELETE** `terraform_data.gone` in `demo` (delete_because_no_resource_config)');
    expect(flagged.stdout).not.toContain('terraform_data.bucket` in `demo` (');

    // A copy of that JSON with the replaced resource's type renamed to a bucket and the deleted one to a table.
    const plan = JSON.parse(readFileSync(join(plans, 'demo.plan.json'), 'utf8')) as PlanJson;
    for (const rc of plan.resource_changes!) {
      if (rc.address === 'terraform_data.table') Object.assign(rc, { type: 'aws_s3_bucket', address: 'aws_s3_bucket.data' });
      if (rc.address === 'terraform_data.gone') Object.assign(rc, { type: 'aws_dynamodb_table', address: 'aws_dynamodb_table.tokens' });
    }
    const renamed = join(dir, 'renamed.plan.json');
    writeFileSync(renamed, JSON.stringify(plan));
    const loud = run(TSX, [fromRoot('scripts', 'plan-summary.ts'), '--json', join(dir, 'renamed.summary.json'), renamed]);
    expect(loud.stdout).toContain('**2 resources holding data will be replaced or deleted.**');
    expect(loud.stdout).toContain('**REPLACE** `aws_s3_bucket.data` in `renamed`');
    expect(loud.stdout).toContain('**DELETE** `aws_dynamodb_table.tokens` in `renamed`');
    expect((JSON.parse(readFileSync(join(dir, 'renamed.summary.json'), 'utf8')) as { stateful: unknown[] }).stateful).toHaveLength(2);
  });

  it('apply refuses a plan whose stack changed since it was planned, and applies the reviewed plan once', { timeout: 120_000 }, () => {
    // The plan from the previous test is pending. Re-synthesize a different stack without planning it again.
    const before = serial();
    const reviewed = { bucket: { input: 'v2' }, table: { input: 't', triggers_replace: ['b'] }, added: { input: 'n' } };
    synthDemo({ ...reviewed, sneaked: { input: 'not reviewed' } });
    const refused = lifecycle(['apply', ...args()]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refusing to apply: .*\n {2}- demo: its synthesized configuration changed since it was planned/);
    expect(serial()).toBe(before);

    // Edited by hand after synth (manifest no longer matches the folder): refused too.
    synthDemo(reviewed);
    writeFileSync(join(stackDir(), 'cdk.tf.json'), readFileSync(join(stackDir(), 'cdk.tf.json'), 'utf8').replace('"v2"', '"v3"'));
    const stale = lifecycle(['apply', ...args()]);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toMatch(/stack demo: .* differs from what synth wrote/);
    expect(serial()).toBe(before);

    synthDemo(reviewed);
    const ok = lifecycle(['apply', ...args()]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Apply complete! Resources: 2 added, 1 changed, 2 destroyed\./);
    expect(serial()).toBeGreaterThan(before);
    const again = lifecycle(['apply', ...args()]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/no saved plan to apply/);
  });

  it('a plan from another config is refused', { timeout: 60_000 }, () => {
    synthDemo({ bucket: { input: 'v2' } });
    expect(lifecycle(['plan', ...args()]).code).toBe(0);
    // The config file changes and is synthesized again: same stack bytes, other environment.
    writeFileSync(cfg, '{"prefix":"demo","environment":"prod"}');
    synthDemo({ bucket: { input: 'v2' } });
    const r = lifecycle(['apply', ...args()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/demo: planned from .*config\.json \(sha256 [0-9a-f]{12}\), but .* now holds/);
  });
});

describe('plan summary units (shapes from the terraform JSON output format)', () => {
  const rc = (address: string, actions: string[], extra: Record<string, unknown> = {}) => ({
    address, type: address.split('.')[0], mode: 'managed', change: { actions, ...extra },
  });

  it('maps action lists the way terraform counts them', () => {
    expect(actionOf(['delete', 'create'])).toBe('replace');
    expect(actionOf(['create', 'delete'])).toBe('replace');
    expect(actionOf(['no-op'])).toBe('no-op');
    expect(actionOf(['forget'])).toBe('forget');
    const s = summarizeStack('s', {
      format_version: '1.2',
      resource_changes: [
        rc('aws_sqs_queue.ingress', ['create', 'delete']),
        rc('aws_kms_key.tokens', ['delete']),
        rc('aws_cloudwatch_log_group.fn', ['forget']),
        rc('aws_lambda_function.fn', ['update']),
        rc('aws_sns_topic.alerts', ['no-op']),
        { address: 'data.aws_iam_policy_document.x', type: 'aws_iam_policy_document', mode: 'data', change: { actions: ['read'] } },
      ],
    });
    expect(s).toMatchObject({ add: 1, change: 1, destroy: 2, replace: 1, forget: 1 });
    expect(s.stateful.map((f) => `${f.action} ${f.address}`)).toEqual(['replace aws_sqs_queue.ingress', 'delete aws_kms_key.tokens', 'forget aws_cloudwatch_log_group.fn']);
    expect(s.policy).toEqual([]);
  });

  it('lists IAM resources, resource policies and policy attributes of updated resources', () => {
    const s = summarizeStack('s', {
      format_version: '1.2',
      resource_changes: [
        rc('aws_iam_role_policy.fn', ['update']),
        rc('aws_sqs_queue_policy.ingress', ['create']),
        rc('aws_lambda_permission.invoke', ['delete']),
        rc('aws_kms_key.k', ['update'], { before: { policy: '{"a":1}', description: 'x' }, after: { policy: '{"a":2}', description: 'x' } }),
        rc('aws_sqs_queue.q', ['update'], { before: { policy: 'p', visibility_timeout_seconds: 30 }, after: { policy: 'p', visibility_timeout_seconds: 60 } }),
      ],
    });
    expect(s.policy.map((f) => f.address)).toEqual(['aws_iam_role_policy.fn', 'aws_sqs_queue_policy.ingress', 'aws_lambda_permission.invoke', 'aws_kms_key.k']);
    expect(s.policy[3].attributes).toEqual(['policy']);
    const md = toMarkdown(summarize([s, summarizeStack('quiet', { format_version: '1.2', resource_changes: [rc('aws_sns_topic.t', ['no-op'])] })]));
    expect(md).toContain('### IAM and resource-policy changes');
    expect(md).toContain('- update `aws_kms_key.k` in `s` (policy)');
    expect(md).toContain('1 stacks without changes');
    expect(md).not.toContain('[!CAUTION]');
    const failed = { stack: 'broken', add: 0, change: 0, destroy: 0, replace: 0, forget: 0, outputChanges: 0, stateful: [], policy: [], error: 'terraform plan failed: Error: No valid credential sources found' };
    const withFailure = toMarkdown(summarize([s, failed]));
    expect(withFailure).toContain('**1 stack planned (1 failed), 1 with changes');
    expect(withFailure).toContain('| `broken` | - | - | - | - | **plan failed:** terraform plan failed: Error: No valid credential sources found |');
  });
});
