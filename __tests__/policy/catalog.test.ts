/**
 * The rule catalog: every rule has its metadata (service folder, level, pack, explanation, checkov and cdk-nag id
 * formats), numbered cases in __tests__/policy/<service>.test.ts, and a line in the README's security section.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../lib/paths.js';
import { ALL_RULES, PACKS, RULES, rulesOf } from '../../policy/index.js';

describe('policy rule catalog', () => {
  it('ids are unique and kebab-case; each rule sits in policy/rules/<service>/<id>.ts', () => {
    const ids = ALL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of ALL_RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(existsSync(fromRoot('policy', 'rules', r.service, `${r.id}.ts`)), `policy/rules/${r.service}/${r.id}.ts`).toBe(true);
    }
  });

  it('each rule has a level, a pack it is listed in, a description and an explanation', () => {
    for (const r of ALL_RULES) {
      expect(['error', 'warning']).toContain(r.level);
      expect(PACKS[r.pack]).toContain(r);
      expect(r.description.length, r.id).toBeGreaterThan(20);
      expect(r.explanation.length, r.id).toBeGreaterThan(40);
      expect(r.appliesTo.length > 0 || r.subjects !== undefined, `${r.id} says what it applies to`).toBe(true);
    }
    // Informational controls are warnings and never fail; the core and security packs fail on findings.
    expect(PACKS.informational.every((r) => r.level === 'warning')).toBe(true);
    expect([...PACKS.core, ...PACKS.security].every((r) => r.level === 'error')).toBe(true);
  });

  it('checkov and cdk-nag ids have their tools\' formats', () => {
    for (const r of ALL_RULES) {
      for (const c of r.checkov) expect(c, r.id).toMatch(/^CKV2?_AWS_\d+$/);
      for (const c of r.cdkNag) expect(c, r.id).toMatch(/^(AwsSolutions-[A-Z]+\d+|Serverless-[A-Za-z]+|HIPAA\.Security-[A-Za-z0-9]+|NIST\.800\.53\.R5-[A-Za-z0-9]+)$/);
    }
  });

  it('RULES (the default) is the core pack; rulesOf selects packs and refuses unknown ones', () => {
    expect(RULES).toBe(PACKS.core);
    expect(rulesOf('security', 'informational')).toEqual([...PACKS.security, ...PACKS.informational]);
    expect(() => rulesOf('nope' as never)).toThrow(/unknown policy pack "nope"/);
  });

  it('every rule has numbered compliant and non-compliant cases in __tests__/policy/<service>.test.ts', () => {
    for (const r of ALL_RULES) {
      const file = fromRoot('__tests__', 'policy', `${r.service}.test.ts`);
      expect(existsSync(file), file).toBe(true);
      expect(readFileSync(file, 'utf8'), `ruleCases('${r.id}', ...) in ${file}`).toContain(`ruleCases('${r.id}',`);
    }
  });

  it("the README's security section lists every rule with its level", () => {
    const readme = readFileSync(fromRoot('README.md'), 'utf8');
    const start = readme.indexOf('## Security');
    expect(start, 'README has a "## Security" section').toBeGreaterThan(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1) === -1 ? undefined : readme.indexOf('\n## ', start + 1));
    for (const r of ALL_RULES) expect(section, r.id).toMatch(new RegExp(`\\| \`${r.id}\` \\| ${r.service} \\| ${r.pack} \\| ${r.level} \\|`));
  });
});
