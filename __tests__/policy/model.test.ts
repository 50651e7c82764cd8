/**
 * The policy model (references, literals, policy documents), the pending-issue-16 file format and the report
 * rendering, on hand-built inputs.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_RULES, checkStack, evaluate, failures, rulesOf, type PolicyStack } from '../../policy/index.js';
import { literal, readPolicy, refsIn, servicePrincipals } from '../../policy/model.js';
import { loadPending, matchPending, PENDING_FILE } from '../../policy/pending.js';
import { readSynthOutput, renderReport } from '../../policy/report.js';
import { policy, stack, unknownArguments } from './helpers.js';

describe('policy model', () => {
  it('resolves Terraform references to logical ids, also inside JSON strings', () => {
    const refs = refsIn({ a: '{"deadLetterTargetArn":"${aws_sqs_queue.ingress_dlq_3D6D34FF.arn}"}', b: ['${data.aws_iam_policy_document.doc.json}'] });
    expect(refs).toEqual([
      { data: false, type: 'aws_sqs_queue', id: 'ingress_dlq_3D6D34FF', attr: 'arn' },
      { data: true, type: 'aws_iam_policy_document', id: 'doc', attr: 'json' },
    ]);
    expect(refsIn('${filebase64sha256("assets/fn_code_1/abc/ams-fan-out.zip")}')).toEqual([]);
    expect(refsIn('${aws_lambda_function.fan-out_fn_40AC4C85.arn}:$LATEST')[0].id).toBe('fan-out_fn_40AC4C85');
  });

  it('substitutes literal attributes of referenced resources', () => {
    const s = stack({ aws_lambda_function: { f: { function_name: 'trib-use1-f' } }, aws_sqs_queue: { q: {} } });
    expect(literal(s, '/aws/lambda/${aws_lambda_function.f.function_name}')).toBe('/aws/lambda/trib-use1-f');
    expect(literal(s, '${aws_sqs_queue.q.arn}')).toBeUndefined();
  });

  it('reads aws_iam_policy_document data sources and refuses unreadable policies', () => {
    const s: PolicyStack = { name: 'x-us-east-1', json: { data: { aws_iam_policy_document: { d: { statement: [{ effect: 'Allow', actions: ['s3:*'], resources: ['*'] }] } } } } };
    const doc = readPolicy(s, '${data.aws_iam_policy_document.d.json}');
    expect(doc.ok && doc.statements[0].Action).toEqual(['s3:*']);
    expect(readPolicy(s, '${jsonencode({Statement = []})}').ok).toBe(false);
    expect(readPolicy(s, '{"Statement": [').ok).toBe(false);
  });

  it('reads a JSON policy whose interpolations hold quotes, keeping the interpolations', () => {
    const text = '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:${element(split(":", aws_kms_key.k.arn), 1)}:iam::${element(split(":", aws_kms_key.k.arn), 4)}:root"},"Action":"kms:Describe*","Resource":"*"}]}';
    expect(() => JSON.parse(text)).toThrow();
    const doc = readPolicy(stack({}), text);
    expect(doc.ok && doc.statements[0].Principal).toEqual({ AWS: 'arn:${element(split(":", aws_kms_key.k.arn), 1)}:iam::${element(split(":", aws_kms_key.k.arn), 4)}:root' });
  });

  it('finds service principals in JSON and policy-document form', () => {
    const doc = readPolicy(stack({}), policy({ Effect: 'Allow', Principal: { Service: ['sns.amazonaws.com', 'x'], AWS: 'arn:aws:iam::1:root' }, Action: 'a' }));
    expect(doc.ok && servicePrincipals(doc.statements[0])).toEqual(['sns.amazonaws.com']);
    const fromDoc = readPolicy({ name: 'x', json: { data: { aws_iam_policy_document: { d: { statement: { effect: 'Allow', actions: ['a'], principals: { type: 'Service', identifiers: ['events.amazonaws.com'] } } } } } } }, '${data.aws_iam_policy_document.d.json}');
    expect(fromDoc.ok && servicePrincipals(fromDoc.statements[0])).toEqual(['events.amazonaws.com']);
  });
});

describe('pending-issue-16 entries', () => {
  const write = (content: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-pending-'));
    const file = join(dir, 'pending.json');
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('the project file is valid and names known rules (empty once issue 16 items 1-5 are fixed)', () => {
    expect(Array.isArray(loadPending(PENDING_FILE, ALL_RULES.map((r) => r.id)))).toBe(true);
  });

  it('refuses an unknown rule, a malformed pattern or a reason that does not say what will fix it', () => {
    const ids = ALL_RULES.map((r) => r.id);
    const ok = { rule: 'sqs-tls-only', resource: 'aws_sqs_queue.q_*', reason: 'pending issue 16: the queue module writes the TLS deny' };
    expect(loadPending(write({ pending: [ok] }), ids)).toEqual([ok]);
    expect(() => loadPending(write({ pending: [{ ...ok, rule: 'nope' }] }), ids)).toThrow(/pending\[0\]: "rule"/);
    expect(() => loadPending(write({ pending: [{ ...ok, resource: 'aws_sqs_queue' }] }), ids)).toThrow(/"resource"/);
    expect(() => loadPending(write({ pending: [{ ...ok, reason: 'later' }] }), ids)).toThrow(/"reason" must read "pending issue 16: /);
    expect(() => loadPending(write({ entries: [] }), ids)).toThrow(/expected \{"pending"/);
  });

  it('matches on rule, resource pattern and stack pattern', () => {
    const entries = [{ rule: 'sqs-tls-only', resource: 'aws_sqs_queue.q_*', stacks: 'ams-*', reason: 'pending issue 16: x of some length here' }];
    expect(matchPending(entries, 'sqs-tls-only', 'ams-sp-traffic-na', 'aws_sqs_queue.q_ABC')).toBe(entries[0]);
    expect(matchPending(entries, 'sqs-tls-only', 'clickstream-us-east-1', 'aws_sqs_queue.q_ABC')).toBeUndefined();
    expect(matchPending(entries, 'sns-tls-only', 'ams-sp-traffic-na', 'aws_sqs_queue.q_ABC')).toBeUndefined();
    expect(matchPending(entries, 'sqs-tls-only', 'ams-sp-traffic-na', 'aws_sqs_queue.other')).toBeUndefined();
  });

  it('a covered finding is suppressed as pending; a resource suppression wins over the file', () => {
    const pending = [{ rule: 'sqs-tls-only', resource: 'aws_sqs_queue.*', reason: 'pending issue 16: the queue module writes the TLS deny' }];
    const s = stack({ aws_sqs_queue: { q: {}, r: { '//': { tributary_suppressions: { 'sqs-tls-only': 'a reason written in the resource itself' } } } } });
    const f = checkStack(s, rulesOf('security'), { pending });
    expect(f.map((x) => [x.id, x.pending ?? false, x.suppressed])).toEqual([
      ['q', true, pending[0].reason],
      ['r', false, 'a reason written in the resource itself'],
    ]);
    expect(failures(f)).toEqual([]);
  });
});

describe('evaluate and the report', () => {
  const stacks = [
    stack({ aws_sqs_queue: { ok: { sqs_managed_sse_enabled: true }, bad: {} }, aws_lambda_function: { f: { function_name: 'f' } } }),
  ];
  const rules = ALL_RULES.filter((r) => ['sqs-sse', 'lambda-tracing', 'sqs-tls-only'].includes(r.id));

  it('counts met / total per control, each resource once by its worst finding', () => {
    const pending = [{ rule: 'sqs-tls-only', resource: 'aws_sqs_queue.ok', reason: 'pending issue 16: the queue module writes the TLS deny' }];
    const ev = evaluate(stacks, rules, { pending });
    const by = Object.fromEntries(ev.controls.map((c) => [c.rule.id, [c.met, c.total, c.suppressed, c.pending, c.failing]]));
    expect(by).toEqual({ 'sqs-sse': [1, 2, 0, 0, 1], 'lambda-tracing': [0, 1, 0, 0, 1], 'sqs-tls-only': [0, 2, 0, 1, 1] });
    expect(ev.pendingUse.map((u) => u.findings)).toEqual([1]);
  });

  it('renders a markdown table and fails on unsuppressed errors or stale entries, not on warnings', () => {
    const bad = renderReport([{ outdir: 'out', config: 'c.json', stacks }], evaluate(stacks, rules, { pending: [] }));
    expect(bad.text).toContain('| sqs-sse | sqs | core | error | 1 / 2 | 0 | 0 | 1 | CKV_AWS_27 | AwsSolutions-SQS2 |');
    expect(bad.text).toContain('| lambda-tracing | lambda | informational | warning | 0 / 1 |');
    expect(bad.text).toMatch(/unsuppressed error-level findings[\s\S]*\[sqs-sse\] test-us-east-1 aws_sqs_queue.bad/);
    expect(bad.ok).toBe(false);
    const warningsOnly = rules.filter((r) => r.id === 'lambda-tracing');
    expect(renderReport([{ outdir: 'out', stacks }], evaluate(stacks, warningsOnly, { pending: [] })).ok).toBe(true);
    const stale = [{ rule: 'lambda-tracing', resource: 'aws_lambda_function.gone', reason: 'pending issue 16: nothing matches this entry' }];
    const r = renderReport([{ outdir: 'out', stacks }], evaluate(stacks, warningsOnly, { pending: stale }));
    expect(r.ok).toBe(false);
    expect(r.text).toContain('0 (stale: remove the entry)');
  });

  it('reads a synthesized output folder and refuses a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-out-'));
    try {
      mkdirSync(join(dir, 'stacks', 'x-us-east-1'), { recursive: true });
      writeFileSync(join(dir, 'stacks', 'x-us-east-1', 'cdk.tf.json'), JSON.stringify({ resource: {} }));
      writeFileSync(join(dir, 'tributary-manifest.json'), JSON.stringify({ config: { path: 'config/x.json' } }));
      const out = readSynthOutput(dir);
      expect(out.config).toBe('config/x.json');
      expect(out.stacks.map((s) => s.name)).toEqual(['x-us-east-1']);
      expect(() => readSynthOutput(join(dir, 'missing'))).toThrow(/has no stacks\/ folder/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fixture shapes against the provider schema', () => {
  it('flags arguments, nested block arguments and types the hashicorp/aws schema does not have', () => {
    expect(unknownArguments(stack({ aws_sqs_queue: { q: { name: 'q', visibility_timeout: 30, '//': { x: 1 } } } }))).toEqual(['aws_sqs_queue.visibility_timeout']);
    expect(unknownArguments(stack({ aws_s3_bucket_versioning: { v: { bucket: 'b', versioning_configuration: [{ state: 'Enabled' }] } } }))).toEqual([
      'aws_s3_bucket_versioning.versioning_configuration.state',
    ]);
    expect(unknownArguments(stack({ aws_sqs_queue_typo: { q: {} } }))[0]).toMatch(/resource type aws_sqs_queue_typo/);
    expect(unknownArguments(stack({ aws_sqs_queue: { q: { name: 'q', redrive_policy: '{}', depends_on: ['aws_sqs_queue.d'] } } }))).toEqual([]);
  });
});
