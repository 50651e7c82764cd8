/**
 * Summarizes saved plans for review: reads `terraform show -json <plan>` documents (one per stack, named
 * `<stack>.plan.json`, or given as files) and writes one Markdown summary (for a pull-request comment) and one JSON
 * summary. `make plan` runs this for you; run it by hand on any plan JSON:
 *
 *   tsx scripts/plan-summary.ts [--dir plans] [--markdown plans/summary.md] [--json plans/summary.json]
 *                               [--stateful-type TYPE ...] [--title TEXT] [file.plan.json ...]
 *
 * Prints the Markdown. Exit 0; the JSON's `stateful` list is what a CI gate should look at.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { STATEFUL_TYPES, summarize, summarizeStack, toMarkdown, type PlanJson, type StackSummary } from '../lib/plan-summary.js';

export function stackNameOf(file: string): string {
  return basename(file).replace(/\.plan\.json$|\.json$/, '');
}

export function summarizeFiles(files: readonly string[], statefulTypes: readonly string[] = STATEFUL_TYPES): StackSummary[] {
  return files.map((f) => {
    const plan = JSON.parse(readFileSync(f, 'utf8')) as PlanJson;
    if (!plan.format_version || !('resource_changes' in plan || 'planned_values' in plan)) {
      throw new Error(`${f} is not the output of terraform show -json <planfile>`);
    }
    return summarizeStack(stackNameOf(f), plan, statefulTypes);
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      dir: { type: 'string' },
      markdown: { type: 'string' },
      json: { type: 'string' },
      'stateful-type': { type: 'string', multiple: true },
      title: { type: 'string' },
    },
    allowPositionals: true,
  });
  const files = [...positionals];
  if (values.dir) files.push(...readdirSync(values.dir).filter((f) => f.endsWith('.plan.json')).sort().map((f) => join(values.dir!, f)));
  if (!files.length) throw new Error('no plan JSON given: pass files or --dir <folder holding <stack>.plan.json>');
  const types = [...STATEFUL_TYPES, ...(values['stateful-type'] ?? [])];
  const summary = summarize(summarizeFiles(files, types));
  const md = toMarkdown(summary, { title: values.title });
  if (values.markdown) writeFileSync(values.markdown, md);
  if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(md);
}

if (process.argv[1] && basename(process.argv[1]).startsWith('plan-summary')) {
  main().catch((err) => {
    console.error(`plan-summary: ${(err as Error).message}`);
    process.exit(2);
  });
}
