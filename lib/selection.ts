/**
 * Which stacks a make target runs on: `STACKS` (space- or comma-separated names or shell-style globs such as
 * `ams-*-na`), `REGION` (the AWS region of the stack's provider, e.g. us-east-1) and `CHANGED_SINCE` (only the
 * stacks whose synthesized output differs from that git ref's, see lib/changed.ts). All given selectors must hold;
 * none given selects every stack of the manifest.
 */
import type { Manifest } from './manifest.js';

export class SelectionError extends Error {}

/** A shell-style glob (`*`, `?`, `[abc]`) as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function splitPatterns(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter(Boolean);
}

export interface Selectors {
  /** Names or globs. */
  readonly stacks?: readonly string[];
  /** AWS region. */
  readonly region?: string;
  /** Stacks that changed since a git ref (computed by the caller). */
  readonly changed?: ReadonlySet<string>;
}

export function hasSelectors(s: Selectors): boolean {
  return !!(s.stacks?.length || s.region || s.changed);
}

/** The selected stack names, sorted; throws SelectionError when a pattern or region matches nothing. */
export function selectStacks(manifest: Manifest, s: Selectors): string[] {
  const all = Object.keys(manifest.stacks).sort();
  let names = all;
  if (s.stacks?.length) {
    const matched = new Set<string>();
    for (const p of s.stacks) {
      const re = globToRegExp(p);
      const hits = all.filter((n) => re.test(n));
      if (hits.length === 0) {
        throw new SelectionError(`STACKS pattern "${p}" matches no stack of ${manifest.config.path} (${all.length} stacks; list them with: ls cdktf.out/stacks)`);
      }
      hits.forEach((h) => matched.add(h));
    }
    names = names.filter((n) => matched.has(n));
  }
  if (s.region) {
    const regions = [...new Set(Object.values(manifest.stacks).map((x) => x.region))].sort();
    if (!regions.includes(s.region)) {
      throw new SelectionError(`REGION=${s.region}: no stack of ${manifest.config.path} is in that region; its regions are ${regions.join(', ')}`);
    }
    names = names.filter((n) => manifest.stacks[n].region === s.region);
  }
  if (s.changed) names = names.filter((n) => s.changed!.has(n));
  return names;
}
