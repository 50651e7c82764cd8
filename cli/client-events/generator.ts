/**
 * Client events generator: signs a Cognito user in (USER_PASSWORD_AUTH), then every --interval seconds for
 * --minutes minutes posts a batch of 1 to --max-batch realistic events (shopping, searching, paging, purchase and,
 * for a --loyalty-rate share of batches, a loyaltypurchase with a Zendesk ticket) to the client events API with
 * `Authorization: Bearer <access token>`, refreshing the token (REFRESH_TOKEN_AUTH) before it expires. Prints a
 * progress line per batch (stderr) and a summary of accepted and rejected entries (stdout).
 *
 *   CLIENT_EVENTS_PASSWORD=... npm run client-events:generate -- --api-url <event_url> --region us-east-1 \
 *       --client-id <user_pool_client_id> --username <user> [--interval 5] [--minutes 1] [--max-batch 10] \
 *       [--loyalty-rate 0.1] [--seed 1] [--entry-form object|string] [--cognito-endpoint <url>]
 *
 * The password is read from CLIENT_EVENTS_PASSWORD only (never argv) and is never printed.
 * Exit code: 0 when every entry was accepted, 1 when some were not (or sign-in failed), 2 for bad arguments.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_EVENTS_OUTPUTS, CLIENT_EVENTS_ROUTE_KEY, LOYALTY_PURCHASE_EVENT_TYPE } from '../../contracts/client-events.js';
import { MAX_ENTRIES, type ClientEventDetail } from '../../handlers/client-events/lib/event.js';
import { sampleEvents } from '../../samples/client-events.js';
import { TokenSession, cognitoInitiateAuth, type InitiateAuthFn } from './session.js';
import { HelpRequested, UsageError } from '../shared/errors.js';
import { numberOption, parseToolOptions } from '../shared/args.js';

export interface GeneratorOptions {
  readonly apiUrl: string;
  readonly region: string;
  readonly clientId: string;
  readonly username: string;
  readonly intervalSeconds: number;
  readonly minutes: number;
  readonly maxBatch: number;
  readonly loyaltyRate: number;
  readonly seed: number;
  /** How entries are sent: `object` ({"entry": {...}}) or `string` ({"entry": "<json>"}, the sample's form). */
  readonly entryForm: 'object' | 'string';
  readonly cognitoEndpoint?: string;
  readonly timeoutMs: number;
}

export const DEFAULTS = { intervalSeconds: 5, minutes: 1, maxBatch: MAX_ENTRIES, loyaltyRate: 0.1, seed: 1, entryForm: 'object', timeoutMs: 10_000 } as const;
export const PASSWORD_ENV = 'CLIENT_EVENTS_PASSWORD';

const USAGE = `usage: ${PASSWORD_ENV}=<password> client-events-generator --api-url <${CLIENT_EVENTS_OUTPUTS.eventUrl}> --region <aws region>
       --client-id <user pool app client id> --username <user> [--interval <s, default 5>] [--minutes <m, default 1>]
       [--max-batch <1-10, default 10>] [--loyalty-rate <0-1, default 0.1>] [--seed <n>] [--entry-form object|string]
       [--cognito-endpoint <url>] [--timeout-ms <n>]

Signs the user in (USER_PASSWORD_AUTH), refreshes the token before it expires and posts batches of 1 to
--max-batch events to ${CLIENT_EVENTS_ROUTE_KEY} every --interval seconds for --minutes minutes; progress on stderr, a summary
of accepted and rejected entries on stdout. The password is read from ${PASSWORD_ENV} only.

Examples:
  ${PASSWORD_ENV}='...' npm run client-events:generate -- --api-url https://abc123.execute-api.us-east-1.amazonaws.com/dev/event \\
      --region us-east-1 --client-id 1example23456789 --username tester@example.com
  ${PASSWORD_ENV}='...' npm run client-events:generate -- --api-url <${CLIENT_EVENTS_OUTPUTS.eventUrl}> --region eu-west-1 \\
      --client-id <${CLIENT_EVENTS_OUTPUTS.userPoolClientId}> --username tester@example.com --interval 2 --minutes 10 --loyalty-rate 0.2 --seed 7

Exit codes: 0 every entry accepted, 1 some rejected or the run stopped (sign-in failed, API unreachable),
2 bad arguments.`;

export { HelpRequested, UsageError };

const OPTIONS = Object.fromEntries(
  ['api-url', 'region', 'client-id', 'username', 'interval', 'minutes', 'max-batch', 'loyalty-rate', 'seed', 'entry-form', 'cognito-endpoint', 'timeout-ms'].map((k) => [k, 'string' as const]),
);

export function parseArgs(argv: readonly string[]): GeneratorOptions {
  // Checked before parsing: the error must say where the password comes from, not just "unknown option".
  if (argv.some((a) => a === '--password' || a.startsWith('--password='))) {
    throw new UsageError(`the password is read from the ${PASSWORD_ENV} environment variable, never from the command line`);
  }
  // Values are never echoed in errors: a misplaced argument might be a secret.
  const raw = parseToolOptions(argv, OPTIONS, USAGE);
  for (const k of ['api-url', 'region', 'client-id', 'username']) if (!raw[k]) throw new UsageError(`--${k} is required\n${USAGE}`);
  const url = (key: string): string => {
    let u: URL;
    try {
      u = new URL(raw[key]);
    } catch {
      throw new UsageError(`--${key} ${JSON.stringify(raw[key])} is not a URL`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`--${key} must be an http(s) URL`);
    return u.toString();
  };
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(raw.region)) throw new UsageError(`--region must be an AWS region such as us-east-1, got ${JSON.stringify(raw.region)}`);
  if (!/^[A-Za-z0-9+]{1,128}$/.test(raw['client-id'])) throw new UsageError('--client-id must be the user pool app client id (letters and digits)');
  const num = (key: string, def: number, min: number, max: number, integer: boolean): number => numberOption(raw[key], key, def, min, max, integer);
  const entryForm = raw['entry-form'] ?? DEFAULTS.entryForm;
  if (entryForm !== 'object' && entryForm !== 'string') throw new UsageError(`--entry-form must be "object" or "string", got ${JSON.stringify(entryForm)}`);
  const minutes = num('minutes', DEFAULTS.minutes, 0, 1440, false);
  if (minutes === 0) throw new UsageError('--minutes must be more than 0');
  return {
    apiUrl: url('api-url'),
    region: raw.region,
    clientId: raw['client-id'],
    username: raw.username,
    intervalSeconds: num('interval', DEFAULTS.intervalSeconds, 0, 3600, false),
    minutes,
    maxBatch: num('max-batch', DEFAULTS.maxBatch, 1, MAX_ENTRIES, true),
    loyaltyRate: num('loyalty-rate', DEFAULTS.loyaltyRate, 0, 1, false),
    seed: num('seed', DEFAULTS.seed, 0, 2 ** 32 - 1, true),
    entryForm,
    cognitoEndpoint: raw['cognito-endpoint'] !== undefined ? url('cognito-endpoint') : undefined,
    timeoutMs: num('timeout-ms', DEFAULTS.timeoutMs, 100, 120_000, true),
  };
}

export interface GeneratorSummary {
  batches: number;
  entriesSent: number;
  entriesAccepted: number;
  entriesRejected: number;
  loyaltySent: number;
  loyaltyAccepted: number;
  /** Responses by HTTP status ("error" for network failures and timeouts). */
  byStatus: Record<string, number>;
  /** Rejected entries by reason: the PutEvents error code, or `http-<status>` / `network` for whole requests. */
  rejectedBy: Record<string, number>;
  signIns: number;
  tokenRefreshes: number;
  elapsedSeconds: number;
}

export interface GeneratorDeps {
  readonly fetch: typeof fetch;
  readonly initiateAuth: InitiateAuthFn;
  readonly password: string;
  /** ms since the epoch (tests pass a virtual clock with a matching sleep). */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly progress: (line: string) => void;
}

interface BatchResult {
  status: number | 'error';
  accepted: boolean[];
  reasons: string[];
}

/** Reads the API's answer: 200 = all accepted; otherwise failedEntries name the refused ones (by index). */
export function interpretResponse(status: number | 'error', body: string, size: number): BatchResult {
  if (status === 200) return { status, accepted: Array(size).fill(true), reasons: [] };
  if (status !== 'error') {
    try {
      const b = JSON.parse(body) as { failedEntries?: { index?: number; errorCode?: string }[] };
      if (Array.isArray(b.failedEntries)) {
        const accepted = Array(size).fill(true) as boolean[];
        const reasons: string[] = [];
        for (const f of b.failedEntries) {
          if (typeof f.index === 'number' && f.index >= 0 && f.index < size && accepted[f.index]) {
            accepted[f.index] = false;
            reasons.push(f.errorCode ?? 'unknown');
          }
        }
        return { status, accepted, reasons };
      }
    } catch {
      // not the API's JSON answer: the whole request failed
    }
  }
  return { status, accepted: Array(size).fill(false), reasons: Array(size).fill(status === 'error' ? 'network' : `http-${status}`) };
}

export function formatProgress(batch: number, total: number, size: number, r: BatchResult, s: GeneratorSummary): string {
  const ok = r.accepted.filter(Boolean).length;
  return `batch ${batch}/${total}: ${size} entries -> ${r.status} (${ok} accepted) | total sent ${s.entriesSent}, accepted ${s.entriesAccepted}, rejected ${s.entriesRejected}`;
}

export function formatSummary(s: GeneratorSummary): string {
  const list = (o: Record<string, number>, none: string) => Object.entries(o).sort().map(([k, v]) => `${k}=${v}`).join(', ') || none;
  return [
    'client events generator summary',
    `  batches           ${s.batches} (${list(s.byStatus, 'none')})`,
    `  entries sent      ${s.entriesSent}`,
    `  entries accepted  ${s.entriesAccepted}`,
    `  entries rejected  ${s.entriesRejected}${s.entriesRejected ? ` (${list(s.rejectedBy, '')})` : ''}`,
    `  loyalty tickets   ${s.loyaltyAccepted} accepted of ${s.loyaltySent} sent`,
    `  sign-ins          ${s.signIns}, token refreshes ${s.tokenRefreshes}`,
    `  elapsed           ${s.elapsedSeconds.toFixed(1)} s`,
  ].join('\n');
}

/** Number of batches a run sends: one at start, then one every interval while within the duration. */
export function batchCount(o: Pick<GeneratorOptions, 'intervalSeconds' | 'minutes'>): number {
  if (o.intervalSeconds === 0) return 1;
  return Math.max(1, Math.ceil((o.minutes * 60) / o.intervalSeconds - 1e-9));
}

export async function runGenerator(opts: GeneratorOptions, deps: GeneratorDeps): Promise<GeneratorSummary> {
  const session = new TokenSession({ clientId: opts.clientId, username: opts.username, password: deps.password, initiateAuth: deps.initiateAuth, now: deps.now });
  const sampler = sampleEvents({ seed: opts.seed, now: deps.now });
  const started = deps.now();
  const total = batchCount(opts);
  const s: GeneratorSummary = {
    batches: 0, entriesSent: 0, entriesAccepted: 0, entriesRejected: 0, loyaltySent: 0, loyaltyAccepted: 0, byStatus: {}, rejectedBy: {},
    signIns: 0, tokenRefreshes: 0, elapsedSeconds: 0,
  };
  await session.token(); // sign in first: bad credentials stop the run before anything is sent

  for (let i = 0; i < total; i++) {
    const due = started + i * opts.intervalSeconds * 1000;
    const wait = due - deps.now();
    if (wait > 0) await deps.sleep(wait);
    const details = sampler.batch(sampler.size(opts.maxBatch), opts.loyaltyRate > 0 && sampler.chance(opts.loyaltyRate));
    const body = JSON.stringify({ entries: details.map((d) => ({ entry: opts.entryForm === 'string' ? JSON.stringify(d) : d })) });
    let res = await post(opts, deps, await session.token(), body);
    if (res.status === 401) res = await post(opts, deps, await session.renew(), body); // revoked or expired early
    const r = interpretResponse(res.status, res.body, details.length);
    s.batches++;
    s.byStatus[String(r.status)] = (s.byStatus[String(r.status)] ?? 0) + 1;
    details.forEach((d: ClientEventDetail, k) => {
      s.entriesSent++;
      const loyalty = d.eventType === LOYALTY_PURCHASE_EVENT_TYPE;
      if (loyalty) s.loyaltySent++;
      if (r.accepted[k]) {
        s.entriesAccepted++;
        if (loyalty) s.loyaltyAccepted++;
      } else s.entriesRejected++;
    });
    for (const reason of r.reasons) s.rejectedBy[reason] = (s.rejectedBy[reason] ?? 0) + 1;
    deps.progress(formatProgress(i + 1, total, details.length, r, s));
  }
  s.signIns = session.signIns;
  s.tokenRefreshes = session.refreshes;
  s.elapsedSeconds = (deps.now() - started) / 1000;
  return s;
}

async function post(opts: GeneratorOptions, deps: GeneratorDeps, token: string, body: string): Promise<{ status: number | 'error'; body: string }> {
  try {
    const res = await deps.fetch(opts.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 'error', body: '' };
  }
}

/** The command: returns the exit code. `env`, `out` and `err` are injectable for tests. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (l) => console.log(l),
  err: (line: string) => void = (l) => console.error(l),
  overrides: Partial<Pick<GeneratorDeps, 'now' | 'sleep' | 'fetch'>> = {},
): Promise<number> {
  let opts: GeneratorOptions;
  try {
    opts = parseArgs(argv);
    if (!env[PASSWORD_ENV]) throw new UsageError(`set the user's password in the ${PASSWORD_ENV} environment variable`);
  } catch (e) {
    if (e instanceof HelpRequested) {
      out(e.message);
      return 0;
    }
    if (e instanceof UsageError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
  err(`sending ${batchCount(opts)} batches of 1-${opts.maxBatch} events to ${opts.apiUrl} every ${opts.intervalSeconds} s as ${opts.username}`);
  let summary: GeneratorSummary;
  try {
    summary = await runGenerator(opts, {
      fetch: overrides.fetch ?? fetch,
      initiateAuth: cognitoInitiateAuth(opts.region, opts.cognitoEndpoint),
      password: env[PASSWORD_ENV]!,
      now: overrides.now ?? Date.now,
      sleep: overrides.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      progress: err,
    });
  } catch (e) {
    const name = (e as Error).name;
    err(`stopped: ${name && name !== 'Error' ? `${name}: ` : ''}${(e as Error).message}`);
    return 1;
  }
  out(formatSummary(summary));
  return summary.entriesRejected === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
