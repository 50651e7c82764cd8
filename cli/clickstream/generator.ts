/**
 * Clickstream event generator: posts realistic records (samples/clickstream.ts) to a deployed or
 * local `POST /report` endpoint at a given rate, printing a progress line each second and a final summary.
 * It always stops by itself: after --count records (default 100) or --duration seconds, whichever comes first.
 *
 *   npm run clickstream:generate -- --url https://<api-id>.execute-api.us-east-1.amazonaws.com/report \
 *       --rate 20 --count 1000 [--batch 10] [--concurrency 4] [--seed 1] [--visitors 1000] [--duration 60]
 *
 * The stack's `report_url` output is the URL (terraform output -raw report_url in its synthesized folder).
 * Exit code: 0 when every request got a 2xx, 1 when some did not, 2 for bad arguments.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { CLICKSTREAM_OUTPUTS, CLICKSTREAM_ROUTE_KEY } from '../../contracts/clickstream.js';
import { sampleRecords } from '../../samples/clickstream.js';
import { HelpRequested, UsageError } from '../shared/errors.js';
import { numberOption, parseToolOptions } from '../shared/args.js';

export interface GeneratorOptions {
  /** Endpoint URL (http or https). */
  readonly url: string;
  /** Records per second. */
  readonly rate: number;
  /** Records to send in all. */
  readonly count: number;
  /** Records per request: 1 posts a single record object, more post an array. */
  readonly batch: number;
  /** Requests in flight at most. */
  readonly concurrency: number;
  /** Stop after this many seconds even when `count` is not reached (0 = no limit). */
  readonly durationSeconds: number;
  readonly seed: number;
  readonly visitors: number;
  /** Per-request timeout, ms. */
  readonly timeoutMs: number;
}

export const DEFAULTS: Omit<GeneratorOptions, 'url'> = {
  rate: 10, count: 100, batch: 1, concurrency: 4, durationSeconds: 0, seed: 1, visitors: 1000, timeoutMs: 10_000,
};

/** Hard ceilings so a typo cannot turn the generator into a load test nobody meant. */
export const LIMITS = { rate: 10_000, count: 10_000_000, batch: 500, concurrency: 64, durationSeconds: 86_400 } as const;

export interface GeneratorSummary {
  requests: number;
  recordsSent: number;
  recordsAccepted: number;
  /** Requests by HTTP status ("error" for network failures and timeouts). */
  byStatus: Record<string, number>;
  elapsedSeconds: number;
  recordsPerSecond: number;
  latencyMs: { p50: number; p95: number; max: number };
}

export interface GeneratorDeps {
  readonly fetch: typeof fetch;
  /** Progress lines (one per second by default). */
  readonly progress: (line: string) => void;
  readonly progressIntervalMs?: number;
}

const USAGE = `usage: clickstream-generator --url <endpoint> [--rate <records/s, default ${DEFAULTS.rate}>] [--count <records, default ${DEFAULTS.count}>]
       [--batch <records per request, 1-500, default 1>] [--concurrency <default ${DEFAULTS.concurrency}>] [--duration <seconds>]
       [--seed <n>] [--visitors <n>] [--timeout-ms <n>]

Posts realistic clickstream records (seeded, from a pool of --visitors visitors) to a ${CLICKSTREAM_ROUTE_KEY} endpoint at
--rate records/s until --count records or --duration seconds; a progress line each second on stderr and a summary
of responses by status on stdout.

Examples:
  npm run clickstream:generate -- --url https://abc123.execute-api.us-east-1.amazonaws.com/report --rate 50 --count 1000
  npm run clickstream:generate -- --url <${CLICKSTREAM_OUTPUTS.reportUrl}> --rate 500 --batch 100 --count 30000 --duration 60 --concurrency 8

Exit codes: 0 every request answered 2xx, 1 otherwise, 2 bad arguments.`;

export { HelpRequested, UsageError };

const OPTIONS = {
  url: 'string', rate: 'string', count: 'string', batch: 'string', concurrency: 'string', duration: 'string',
  seed: 'string', visitors: 'string', 'timeout-ms': 'string',
} as const;

export function parseArgs(argv: readonly string[]): GeneratorOptions {
  // Values are never echoed in errors: a misplaced argument might be a secret.
  const raw = parseToolOptions(argv, OPTIONS, USAGE);
  if (!raw.url) throw new UsageError(`--url is required\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(raw.url)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError('--url must be http(s)');
  const num = (key: string, def: number, min: number, max: number, integer = true): number => numberOption(raw[key], key, def, min, max, integer);
  return {
    url: url.toString(),
    rate: num('rate', DEFAULTS.rate, 0.1, LIMITS.rate, false),
    count: num('count', DEFAULTS.count, 1, LIMITS.count),
    batch: num('batch', DEFAULTS.batch, 1, LIMITS.batch),
    concurrency: num('concurrency', DEFAULTS.concurrency, 1, LIMITS.concurrency),
    durationSeconds: num('duration', DEFAULTS.durationSeconds, 0, LIMITS.durationSeconds),
    seed: num('seed', DEFAULTS.seed, 0, 2 ** 32 - 1),
    visitors: num('visitors', DEFAULTS.visitors, 1, 1_000_000),
    timeoutMs: num('timeout-ms', DEFAULTS.timeoutMs, 100, 120_000),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Records a 2xx response accepted: all of them, or for a 207 the ones with a SequenceNumber. */
function acceptedOf(status: number, body: string, sent: number): number {
  if (status === 207) {
    try {
      const b = JSON.parse(body) as { Records?: { SequenceNumber?: string }[] };
      return (b.Records ?? []).filter((r) => r.SequenceNumber).length;
    } catch {
      return 0;
    }
  }
  return status >= 200 && status < 300 ? sent : 0;
}

export function formatProgress(s: GeneratorSummary, total: number): string {
  const statuses = Object.entries(s.byStatus).sort().map(([k, v]) => `${k}:${v}`).join(' ') || '-';
  return (
    `sent ${s.recordsSent}/${total} records in ${s.requests} requests | accepted ${s.recordsAccepted} | ` +
    `${s.recordsPerSecond.toFixed(1)} rec/s | status ${statuses} | p50 ${s.latencyMs.p50} ms p95 ${s.latencyMs.p95} ms`
  );
}

export function formatSummary(s: GeneratorSummary): string {
  const statuses = Object.entries(s.byStatus).sort().map(([k, v]) => `${k}=${v}`).join(', ') || 'none';
  return [
    'clickstream generator summary',
    `  requests          ${s.requests} (${statuses})`,
    `  records sent      ${s.recordsSent}`,
    `  records accepted  ${s.recordsAccepted}`,
    `  elapsed           ${s.elapsedSeconds.toFixed(2)} s`,
    `  rate              ${s.recordsPerSecond.toFixed(1)} records/s`,
    `  latency           p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, max ${s.latencyMs.max} ms`,
  ].join('\n');
}

/** Sends `count` records at `rate` records/s (requests paced evenly), at most `concurrency` in flight. */
export async function runGenerator(opts: GeneratorOptions, deps: GeneratorDeps): Promise<GeneratorSummary> {
  const gen = sampleRecords({ seed: opts.seed, visitors: opts.visitors });
  const started = performance.now();
  const deadline = opts.durationSeconds > 0 ? started + opts.durationSeconds * 1000 : Infinity;
  const latencies: number[] = [];
  const summary: GeneratorSummary = {
    requests: 0, recordsSent: 0, recordsAccepted: 0, byStatus: {}, elapsedSeconds: 0, recordsPerSecond: 0, latencyMs: { p50: 0, p95: 0, max: 0 },
  };
  const refresh = () => {
    summary.elapsedSeconds = (performance.now() - started) / 1000;
    summary.recordsPerSecond = summary.elapsedSeconds > 0 ? summary.recordsSent / summary.elapsedSeconds : 0;
    const sorted = [...latencies].sort((a, b) => a - b);
    summary.latencyMs = { p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)), max: Math.round(sorted.at(-1) ?? 0) };
  };
  const timer = setInterval(() => {
    refresh();
    deps.progress(formatProgress(summary, opts.count));
  }, deps.progressIntervalMs ?? 1000);

  const inFlight = new Set<Promise<void>>();
  let queued = 0;
  try {
    while (queued < opts.count) {
      const size = Math.min(opts.batch, opts.count - queued);
      // Request k starts when the records before it are due at the configured rate.
      const due = started + (queued / opts.rate) * 1000;
      const wait = due - performance.now();
      if (due > deadline) break;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
      const records = Array.from({ length: size }, () => gen.next());
      queued += size;
      const p = send(opts, deps, size === 1 && opts.batch === 1 ? records[0] : records).then(({ status, body, ms }) => {
        summary.requests++;
        summary.recordsSent += size;
        summary.recordsAccepted += typeof status === 'number' ? acceptedOf(status, body, size) : 0;
        summary.byStatus[String(status)] = (summary.byStatus[String(status)] ?? 0) + 1;
        latencies.push(ms);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(timer);
  }
  refresh();
  return summary;
}

async function send(opts: GeneratorOptions, deps: GeneratorDeps, payload: unknown): Promise<{ status: number | 'error'; body: string; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await deps.fetch(opts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const body = await res.text();
    return { status: res.status, body, ms: performance.now() - t0 };
  } catch {
    return { status: 'error', body: '', ms: performance.now() - t0 };
  }
}

async function main(): Promise<number> {
  let opts: GeneratorOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(err.message);
      return 0;
    }
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  console.error(`posting ${opts.count} records to ${opts.url} at ${opts.rate} records/s, ${opts.batch} per request`);
  const summary = await runGenerator(opts, { fetch, progress: (line) => console.error(line) });
  console.log(formatSummary(summary));
  const ok = Object.entries(summary.byStatus).every(([k]) => /^2\d\d$/.test(k));
  return ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
