/**
 * Progress of a long replay on stderr: a bar redrawn in place on a terminal, a line every 5 seconds otherwise (CI
 * logs), nothing for runs that end within a second.
 */
export interface Progress {
  start(total?: number): void;
  tick(n?: number): void;
  done(): void;
}

export interface ProgressOptions {
  readonly write: (text: string) => void;
  readonly isTTY: boolean;
  readonly label: string;
  readonly now?: () => number;
}

export function progress(o: ProgressOptions): Progress {
  const now = o.now ?? Date.now;
  let total: number | undefined;
  let count = 0;
  let started = 0;
  let last = 0;
  let drawn = false;
  const render = () => {
    const of = total !== undefined && total >= count ? `/${total}` : '';
    if (o.isTTY && total) {
      const width = 30;
      const filled = Math.min(width, Math.round((count / Math.max(total, count, 1)) * width));
      return `${o.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}${of}`;
    }
    return `${o.label}: ${count}${of} handled`;
  };
  return {
    start(t) {
      total = t;
      started = now();
      last = started;
    },
    tick(n = 1) {
      count += n;
      const t = now();
      if (t - started < 1000) return;
      if (o.isTTY) {
        if (t - last < 100 && drawn) return;
        o.write(`\r${render()}`);
      } else {
        if (t - last < 5000 && drawn) return;
        o.write(`${render()}\n`);
      }
      drawn = true;
      last = t;
    },
    done() {
      if (drawn && o.isTTY) o.write(`\r${render()}\n`);
    },
  };
}

export const silentProgress: Progress = { start() {}, tick() {}, done() {} };
