/**
 * The final summary of a replay: how many items were re-delivered, which are still failing and why, which were
 * skipped and why. Reasons are grouped so a thousand identical failures print as one line.
 */
import type { Outcome } from './queue-runner.js';

export interface ReasonGroup {
  readonly reason: string;
  readonly count: number;
  /** Up to 5 item ids (message ids, object keys, sequence ranges). */
  readonly examples: string[];
}

export interface SummaryJson {
  readonly place: string;
  readonly kind: string;
  readonly dryRun: boolean;
  readonly method?: string;
  readonly replayed: number;
  readonly wouldReplay: number;
  readonly stillFailing: number;
  readonly skipped: number;
  readonly failing: ReasonGroup[];
  readonly skippedReasons: ReasonGroup[];
  readonly warnings: string[];
}

export class ReplaySummary {
  replayed = 0;
  wouldReplay = 0;
  method?: string;
  readonly warnings: string[] = [];
  private readonly failing = new Map<string, ReasonGroup & { examples: string[] }>();
  private readonly skipped = new Map<string, ReasonGroup & { examples: string[] }>();

  constructor(readonly place: string, readonly kind: string, readonly dryRun: boolean) {}

  record(id: string, out: Outcome, n = 1): void {
    if (out.kind === 'replayed') this.replayed += n;
    else if (out.kind === 'would-replay') this.wouldReplay += n;
    else if (out.kind === 'failing') add(this.failing, out.reason, id, n);
    else if (out.kind === 'skipped') add(this.skipped, out.reason, id, n);
  }

  warn(text: string): void {
    this.warnings.push(text);
  }

  get stillFailing(): number {
    return [...this.failing.values()].reduce((s, g) => s + g.count, 0);
  }

  get skippedCount(): number {
    return [...this.skipped.values()].reduce((s, g) => s + g.count, 0);
  }

  toJSON(): SummaryJson {
    return {
      place: this.place, kind: this.kind, dryRun: this.dryRun, ...(this.method ? { method: this.method } : {}),
      replayed: this.replayed, wouldReplay: this.wouldReplay, stillFailing: this.stillFailing, skipped: this.skippedCount,
      failing: [...this.failing.values()], skippedReasons: [...this.skipped.values()], warnings: this.warnings,
    };
  }

  text(): string {
    const lines = [
      this.dryRun
        ? `${this.place} (${this.kind}), dry run: ${this.wouldReplay} would be replayed, ${this.stillFailing} would still fail, ${this.skippedCount} skipped; nothing was sent or deleted`
        : `${this.place} (${this.kind}): ${this.replayed} replayed, ${this.stillFailing} still failing, ${this.skippedCount} skipped${this.method ? ` (${this.method})` : ''}`,
    ];
    for (const [title, groups] of [['still failing', this.failing], ['skipped', this.skipped]] as const) {
      for (const g of groups.values()) lines.push(`  ${title}: ${g.count} x ${g.reason} (e.g. ${g.examples.join(', ')})`);
    }
    for (const w of this.warnings) lines.push(`  warning: ${w}`);
    return `${lines.join('\n')}\n`;
  }
}

function add(map: Map<string, ReasonGroup & { examples: string[] }>, reason: string, id: string, n: number): void {
  let g = map.get(reason);
  if (!g) map.set(reason, (g = { reason, count: 0, examples: [] }));
  (g as { count: number }).count += n;
  if (g.examples.length < 5) g.examples.push(id);
}
