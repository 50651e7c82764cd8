/**
 * Every synthesized stack of the default config (69 AMS stacks), the full example config (every pipeline) and the
 * Fargate example passes every pack: each error-level finding is suppressed in the resource with a written reason or
 * covered by policy/pending-issue-16.json, and every entry of that file still covers a finding (no stale debt).
 */
import '../../lib/fast-synth.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import { ALL_RULES, evaluate, failures, formatFindings, pendingEntries, type Evaluation } from '../../policy/index.js';
import { synthConfig, type SynthStack } from '../helpers/synth.js';

const CONFIGS = {
  default: () => loadConfig(fromRoot('config', 'default.json')),
  full: () => parseConfig(JSON.parse(readFileSync(fromRoot('config', 'examples', 'full.json'), 'utf8'))),
  fargate: () => parseConfig(JSON.parse(readFileSync(fromRoot('config', 'examples', 'fargate.json'), 'utf8'))),
};

describe('every synthesized stack of the default, full and Fargate configs passes every pack', () => {
  const stacks: Record<string, SynthStack[]> = {};
  const cleanups: (() => void)[] = [];
  let ev: Evaluation;
  beforeAll(() => {
    for (const [name, load] of Object.entries(CONFIGS)) {
      const synth = synthConfig(load());
      cleanups.push(synth.cleanup);
      stacks[name] = synth.stacks;
    }
    ev = evaluate(Object.values(stacks).flat(), ALL_RULES);
  }, 240_000);
  afterAll(() => cleanups.forEach((c) => c()));

  it('synthesizes 69 AMS stacks for the default config and stacks for the examples', () => {
    expect(stacks.default).toHaveLength(69);
    expect(stacks.full.length).toBeGreaterThan(0);
    expect(stacks.fargate.length).toBeGreaterThan(0);
  });

  it('has no unsuppressed error-level finding', () => {
    const failed = failures(ev.findings);
    expect(failed, formatFindings(failed)).toEqual([]);
  });

  it('every suppression written in a resource gives a reason of at least 20 characters', () => {
    for (const f of ev.findings.filter((x) => x.suppressed !== undefined && !x.pending)) {
      expect(f.suppressed!.trim().length, `${f.ruleId} ${f.stack} ${f.type}.${f.id}`).toBeGreaterThanOrEqual(20);
    }
  });

  it('every pending-issue-16 entry still covers a finding (remove an entry when its fix lands)', () => {
    const stale = ev.pendingUse.filter((u) => u.findings === 0).map((u) => `${u.entry.rule} ${u.entry.resource}`);
    expect(stale).toEqual([]);
    expect(ev.pendingUse.length).toBe(pendingEntries().length);
  });

  it('pending debt is confined to the security pack', () => {
    const packs = new Set(ev.findings.filter((f) => f.pending).map((f) => ALL_RULES.find((r) => r.id === f.ruleId)!.pack));
    expect([...packs].every((p) => p === 'security')).toBe(true);
  });

  it('every control applies to at least one synthesized resource (no rule that can never fire here)', () => {
    const idle = ev.controls.filter((c) => c.total === 0).map((c) => c.rule.id);
    expect(idle).toEqual([]);
  });
});
