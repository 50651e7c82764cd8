/**
 * The policy report (scripts/policy-report.ts, `make policy-report`, run by `make test`): for every control of the
 * selected packs, how many resources of the synthesized stacks meet it, as a markdown table; then the known debt of
 * policy/pending-issue-16.json and every unsuppressed error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { failures, formatFindings, type Evaluation } from './index.js';
import type { PolicyStack } from './types.js';

/** One synthesized output folder: where it is, the config it came from, its stacks. */
export interface SynthOutput {
  readonly outdir: string;
  readonly config?: string;
  readonly stacks: PolicyStack[];
}

/** Reads <outdir>/stacks/<stack>/cdk.tf.json of every stack and the config path from tributary-manifest.json. */
export function readSynthOutput(outdir: string): SynthOutput {
  const stacksDir = join(outdir, 'stacks');
  if (!existsSync(stacksDir)) {
    throw new Error(`${outdir} has no stacks/ folder: synthesize it first (make policy-report does, as do make test's synth steps)`);
  }
  const stacks = readdirSync(stacksDir)
    .filter((n) => existsSync(join(stacksDir, n, 'cdk.tf.json')))
    .sort()
    .map((name) => ({ name, json: JSON.parse(readFileSync(join(stacksDir, name, 'cdk.tf.json'), 'utf8')) as PolicyStack['json'] }));
  let config: string | undefined;
  try {
    config = (JSON.parse(readFileSync(join(outdir, 'tributary-manifest.json'), 'utf8')) as { config?: { path?: string } }).config?.path;
  } catch {
    config = undefined;
  }
  return { outdir, config, stacks };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The report as markdown. `ok` is false when an error-level finding is unsuppressed or a pending entry is stale. */
export function renderReport(outputs: readonly SynthOutput[], ev: Evaluation): { text: string; ok: boolean } {
  const lines: string[] = [];
  const sources = outputs.map((o) => `${o.stacks.length} stacks of \`${o.outdir}\`${o.config ? ` (${o.config})` : ''}`);
  lines.push('## Policy report', '', `Over ${sources.join(', ')}. A resource counts once per control, by its worst finding.`, '');
  lines.push('| control | service | pack | level | met / total | suppressed (reason in the resource) | pending issue 16 | not met | checkov | cdk-nag |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const c of ev.controls) {
    const r = c.rule;
    lines.push(
      `| ${r.id} | ${r.service} | ${r.pack} | ${r.level} | ${c.met} / ${c.total} | ${c.suppressed} | ${c.pending} | ${c.failing} | ` +
        `${r.checkov.join(', ') || '-'} | ${r.cdkNag.join(', ') || '-'} |`,
    );
  }
  const pendingTotal = ev.pendingUse.reduce((n, u) => n + u.findings, 0);
  lines.push('', `### Pending issue 16 (policy/pending-issue-16.json): ${pendingTotal} findings`, '');
  lines.push('| rule | resource | stacks | findings | what will fix it |', '|---|---|---|---|---|');
  for (const u of ev.pendingUse) {
    const fix = u.entry.reason.replace(/^pending issue 16: /, '');
    lines.push(`| ${u.entry.rule} | \`${u.entry.resource}\` | ${u.entry.stacks ? `\`${u.entry.stacks}\`` : 'all'} | ${u.findings || '0 (stale: remove the entry)'} | ${cell(fix)} |`);
  }
  const stale = ev.pendingUse.filter((u) => u.findings === 0);
  const failed = failures(ev.findings);
  lines.push('');
  if (failed.length) {
    lines.push(`### ${failed.length} unsuppressed error-level findings`, '', '```', formatFindings(failed), '```');
  } else {
    lines.push('No unsuppressed error-level finding.');
  }
  if (stale.length) lines.push('', `${stale.length} stale pending entries (they match no finding): remove them from policy/pending-issue-16.json.`);
  return { text: lines.join('\n'), ok: failed.length === 0 && stale.length === 0 };
}
