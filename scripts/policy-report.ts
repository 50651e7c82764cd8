/**
 * Policy report: runs the policy packs (policy/index.ts) over synthesized stacks and prints, for every control,
 * `met / total` resources as a markdown table, the known debt of policy/pending-issue-16.json, and every
 * unsuppressed error-level finding.
 *
 *   tsx scripts/policy-report.ts [--outdir cdktf.out ...] [--pack core|security|informational ...]
 *
 * Defaults: the outputs `make test` synthesizes (cdktf.out, cdktf.out.full, cdktf.out.fargate) and every pack.
 * Exits 1 on an unsuppressed error-level finding or a stale pending entry, 2 when an output folder is missing.
 */
import { parseArgs } from 'node:util';
import { ALL_RULES, evaluate, rulesOf, type PackName } from '../policy/index.js';
import { readSynthOutput, renderReport, type SynthOutput } from '../policy/report.js';

const { values } = parseArgs({
  options: {
    outdir: { type: 'string', multiple: true },
    pack: { type: 'string', multiple: true },
  },
});

const outdirs = values.outdir?.length ? values.outdir : ['cdktf.out', 'cdktf.out.full', 'cdktf.out.fargate'];
let outputs: SynthOutput[];
try {
  outputs = outdirs.map(readSynthOutput);
} catch (e) {
  console.error(`policy-report: ${(e as Error).message}`);
  process.exit(2);
}
const rules = values.pack?.length ? rulesOf(...(values.pack as PackName[])) : ALL_RULES;
const ev = evaluate(
  outputs.flatMap((o) => o.stacks),
  rules,
);
const { text, ok } = renderReport(outputs, ev);
console.log(text);
if (!ok) {
  console.error('policy-report: FAILED (see above)');
  process.exit(1);
}
