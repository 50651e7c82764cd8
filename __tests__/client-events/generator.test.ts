/**
 * The client events generator against a fake Cognito (InitiateAuth over the AWS JSON protocol) and a fake
 * `POST /event` API, both on 127.0.0.1. A virtual clock drives the schedule and the token lifetimes, so hours of
 * sending run in milliseconds: sign-in, refresh before expiry, batch sizes, loyalty tickets, accepted and rejected
 * entries, the summary, argument errors, and a password that never appears in any output.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchCount, formatSummary, interpretResponse, main, parseArgs, runGenerator, UsageError, type GeneratorDeps, type GeneratorOptions } from '../../cli/client-events/generator.js';
import { TokenSession, cognitoInitiateAuth, refreshMarginMs } from '../../cli/client-events/session.js';
import { EVENT_TYPE_PATTERN } from '../../handlers/client-events/lib/event.js';
import { sampleEvents } from '../../samples/client-events.js';
import { fromRoot } from '../../lib/paths.js';
import { APP_CLIENT_ID, FakeCognito, FakeEventApi } from '../helpers/client-events-fakes.js';

const PASSWORD = 'S3cret-Pa55word!';
let cognito: FakeCognito;
let api: FakeEventApi;
let t: number; // virtual clock, ms
let username: string;

beforeAll(async () => {
  cognito = await FakeCognito.start();
  api = await FakeEventApi.start(cognito);
  cognito.now = () => Math.floor(t / 1000);
});
afterAll(async () => {
  await Promise.all([api?.stop(), cognito?.stop()]);
});
beforeEach(() => {
  t = Date.UTC(2026, 10, 30, 3, 0, 0);
  username = `gen-${Math.random().toString(36).slice(2)}`;
  cognito.addUser(username, PASSWORD, { 'custom:clientId': 'c1' });
  cognito.accessTokenSeconds = 3600;
  api.requests.length = 0;
  api.rejectIf = () => false;
  api.failures.length = 0;
});

const args = (...extra: string[]) => ['--api-url', api.url, '--region', 'us-east-1', '--client-id', APP_CLIENT_ID, '--username', username, '--cognito-endpoint', cognito.endpoint, ...extra];
const deps = (lines: string[] = []): GeneratorDeps => ({
  fetch,
  initiateAuth: cognitoInitiateAuth('us-east-1', cognito.endpoint),
  password: PASSWORD,
  now: () => t,
  sleep: async (ms) => {
    t += ms;
  },
  progress: (l) => lines.push(l),
});
const run = (opts: Partial<GeneratorOptions>, lines: string[] = []) => runGenerator({ ...parseArgs(args()), ...opts }, deps(lines));

describe('client events generator', () => {
  it('signs in with USER_PASSWORD_AUTH and sends batches of 1 to 10 entries on schedule with the bearer token', async () => {
    const before = cognito.calls.length;
    const s = await run({ intervalSeconds: 5, minutes: 5 });
    expect(batchCount({ intervalSeconds: 5, minutes: 5 })).toBe(60);
    expect(s).toMatchObject({ batches: 60, entriesRejected: 0, byStatus: { '200': 60 }, signIns: 1, tokenRefreshes: 0 });
    expect(s.elapsedSeconds).toBe(295); // first batch at 0 s, last at 295 s
    const auth = cognito.calls.slice(before).filter((c) => c.op === 'InitiateAuth');
    expect(auth).toEqual([{ op: 'InitiateAuth', body: { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: APP_CLIENT_ID, AuthParameters: { USERNAME: username, PASSWORD } } }]);
    expect(api.requests).toHaveLength(60);
    const sizes = api.requests.map((r) => (r.body as { entries: unknown[] }).entries.length);
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(10);
    expect(new Set(sizes).size).toBe(10);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(s.entriesSent);
    expect(s.entriesAccepted).toBe(s.entriesSent);
    for (const r of api.requests) expect(r.authorization).toBe(`Bearer ${cognito.issuedAccessTokens.at(-1)}`);
    for (const d of api.details()) {
      expect(d.eventType).toMatch(EVENT_TYPE_PATTERN);
      expect(d.schemaVersion).toBe('1.0');
    }
    expect(new Set(api.details().map((d) => d.eventType))).toEqual(new Set(['shopping', 'searching', 'paging', 'purchase', 'loyaltypurchase']));
  });

  it('keeps batches within --max-batch and sends the sample\'s string entry form when asked', async () => {
    await run({ intervalSeconds: 1, minutes: 1, maxBatch: 3, entryForm: 'string' });
    expect(api.requests).toHaveLength(60);
    for (const r of api.requests) {
      const entries = (r.body as { entries: { entry: unknown }[] }).entries;
      expect(entries.length).toBeGreaterThanOrEqual(1);
      expect(entries.length).toBeLessThanOrEqual(3);
      for (const e of entries) expect(typeof e.entry).toBe('string');
    }
  });

  it('refreshes the access token before it expires (REFRESH_TOKEN_AUTH), so no request is refused', async () => {
    cognito.accessTokenSeconds = 600; // refreshed once less than 300 s remain
    const lines: string[] = [];
    const before = cognito.calls.length;
    const s = await run({ intervalSeconds: 60, minutes: 60 }, lines);
    expect(s.batches).toBe(60);
    expect(s.byStatus).toEqual({ '200': 60 });
    expect(api.requests).toHaveLength(60); // no 401 retries
    expect(s.signIns).toBe(1);
    // Tokens live 600 s and are renewed at >= 300 s of age: every 300-360 s of virtual time.
    expect(s.tokenRefreshes).toBeGreaterThanOrEqual(9);
    expect(s.tokenRefreshes).toBeLessThanOrEqual(12);
    const flows = cognito.calls.slice(before).filter((c) => c.op === 'InitiateAuth').map((c) => c.body.AuthFlow);
    expect(flows).toEqual(['USER_PASSWORD_AUTH', ...Array(s.tokenRefreshes).fill('REFRESH_TOKEN_AUTH')]);
    expect(new Set(api.requests.map((r) => r.authorization)).size).toBe(s.tokenRefreshes + 1);
    expect(lines).toHaveLength(60);
  });

  it('session: refresh margin, renewal after a 401, and a new sign-in when the refresh token is refused', async () => {
    expect(refreshMarginMs(3600)).toBe(300_000);
    expect(refreshMarginMs(300)).toBe(150_000);
    const calls: string[] = [];
    const real = cognitoInitiateAuth('us-east-1', cognito.endpoint);
    const session = new TokenSession({
      clientId: APP_CLIENT_ID, username, password: PASSWORD, now: () => t,
      initiateAuth: (input) => {
        calls.push(String(input.AuthFlow));
        if (input.AuthFlow === 'REFRESH_TOKEN_AUTH' && calls.length === 3) return real({ ...input, AuthParameters: { REFRESH_TOKEN: 'revoked' } });
        return real(input);
      },
    });
    const first = await session.token();
    expect(await session.token()).toBe(first);
    expect(session.secondsLeft()).toBe(3600);
    t += 3301_000;
    const second = await session.token();
    expect(second).not.toBe(first);
    const third = await session.renew(); // refresh refused -> sign in again
    expect(third).not.toBe(second);
    expect(calls).toEqual(['USER_PASSWORD_AUTH', 'REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN_AUTH', 'USER_PASSWORD_AUTH']);
  });

  it('session: a sign-in that ends in a challenge stops with a clear message', async () => {
    const session = new TokenSession({
      clientId: APP_CLIENT_ID, username, password: PASSWORD, now: () => t,
      initiateAuth: async () => ({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's', ChallengeParameters: {}, $metadata: {} }),
    });
    await expect(session.token()).rejects.toThrow('sign-in returned no access token (Cognito asks for the NEW_PASSWORD_REQUIRED challenge, which the generator does not answer)');
  });

  it('renews the token and resends once when the API answers 401 (token revoked)', async () => {
    const s2 = await runGenerator({ ...parseArgs(args()), intervalSeconds: 10, minutes: 0.2 }, {
      ...deps(),
      // Revoke the token of the first request before the API sees it: the API answers 401.
      fetch: async (url, init) => {
        const auth = (init?.headers as Record<string, string>).authorization.slice(7);
        if (api.requests.length === 0) cognito.revoked.add(auth);
        return fetch(url, init);
      },
    });
    expect(s2.byStatus).toEqual({ '200': 2 });
    expect(api.requests).toHaveLength(3); // 401, resent 200, second batch 200
    expect(api.requests[1].authorization).not.toBe(api.requests[0].authorization);
    expect(api.requests[2].authorization).toBe(api.requests[1].authorization);
    expect(s2.tokenRefreshes).toBe(1);
    expect(s2.signIns).toBe(1);
  });

  it('includes one loyalty purchase with a ticket in the --loyalty-rate share of batches', async () => {
    const all = await run({ intervalSeconds: 1, minutes: 0.5, loyaltyRate: 1 });
    expect(all.loyaltySent).toBe(30);
    expect(all.loyaltyAccepted).toBe(30);
    for (const r of api.requests) {
      const details = (r.body as { entries: { entry: Record<string, unknown> }[] }).entries.map((e) => e.entry);
      const loyalty = details.filter((d) => d.eventType === 'loyaltypurchase');
      expect(loyalty).toHaveLength(1);
      expect(loyalty[0].ticket).toMatchObject({ subject: expect.stringMatching(/^Loyalty purchase o-/), body: expect.any(String) });
    }
    api.requests.length = 0;
    const none = await run({ intervalSeconds: 1, minutes: 0.5, loyaltyRate: 0 });
    expect(none.loyaltySent).toBe(0);
    expect(api.details().some((d) => d.eventType === 'loyaltypurchase')).toBe(false);
  });

  it('counts rejected entries from non-200 answers: failed entries by index, whole requests otherwise', async () => {
    api.rejectIf = (d) => (d.eventType === 'searching' ? 'InvalidArgument' : d.eventType === 'paging' ? 'ThrottlingException' : false);
    api.failures.push(429, 502);
    const lines: string[] = [];
    const s = await run({ intervalSeconds: 1, minutes: 1, loyaltyRate: 0.5 }, lines);
    const d = api.details();
    const firstTwo = api.requests.slice(0, 2).reduce((n, r) => n + (r.body as { entries: unknown[] }).entries.length, 0);
    const rest = d.slice(firstTwo);
    const searching = rest.filter((x) => x.eventType === 'searching').length;
    const paging = rest.filter((x) => x.eventType === 'paging').length;
    expect(searching).toBeGreaterThan(0);
    expect(paging).toBeGreaterThan(0);
    expect(s.entriesSent).toBe(d.length);
    expect(s.entriesRejected).toBe(firstTwo + searching + paging);
    expect(s.entriesAccepted + s.entriesRejected).toBe(s.entriesSent);
    expect(s.rejectedBy).toMatchObject({ InvalidArgument: searching, ThrottlingException: paging });
    expect(s.rejectedBy['http-429'] + s.rejectedBy['http-502']).toBe(firstTwo);
    expect(s.byStatus['429']).toBe(1);
    expect(s.byStatus['502']).toBe(1);
    expect(Object.keys(s.byStatus).sort()).toEqual(expect.arrayContaining(['200', '400', '429', '502', '503']));
    expect(lines[0]).toMatch(/^batch 1\/60: \d+ entries -> 429 \(0 accepted\) \| total sent \d+, accepted 0, rejected \d+$/);
    const summary = formatSummary(s);
    expect(summary).toContain(`entries rejected  ${s.entriesRejected} (`);
    expect(summary).toContain(`InvalidArgument=${searching}`);
    expect(summary).toContain(`loyalty tickets   ${s.loyaltyAccepted} accepted of ${s.loyaltySent} sent`);
  });

  it('interprets the API answers', () => {
    expect(interpretResponse(200, '{"failedEntryCount":0}', 2)).toEqual({ status: 200, accepted: [true, true], reasons: [] });
    expect(interpretResponse(400, JSON.stringify({ failedEntryCount: 1, entryCount: 3, failedEntries: [{ index: 1, errorCode: 'InvalidArgument' }] }), 3))
      .toEqual({ status: 400, accepted: [true, false, true], reasons: ['InvalidArgument'] });
    expect(interpretResponse(400, '{"message":"Invalid request body"}', 2)).toEqual({ status: 400, accepted: [false, false], reasons: ['http-400', 'http-400'] });
    expect(interpretResponse('error', '', 1)).toEqual({ status: 'error', accepted: [false], reasons: ['network'] });
    expect(interpretResponse(503, 'not json', 1).reasons).toEqual(['http-503']);
  });

  it('the sampler is deterministic per seed', () => {
    const a = sampleEvents({ seed: 7, now: () => 0 });
    const b = sampleEvents({ seed: 7, now: () => 0 });
    expect(Array.from({ length: 20 }, () => a.next())).toEqual(Array.from({ length: 20 }, () => b.next()));
  });
});

describe('command', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, o: (l: string) => out.push(l), e: (l: string) => err.push(l) };
  };
  const virtual = { now: () => t, sleep: async (ms: number) => void (t += ms) };

  it('prints progress and a summary, exit 0 when all were accepted, and never prints the password', async () => {
    const c = capture();
    const code = await main(args('--interval', '10', '--minutes', '1', '--loyalty-rate', '0.5'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, c.o, c.e, virtual);
    expect(code).toBe(0);
    expect(c.err.filter((l) => l.startsWith('batch '))).toHaveLength(6);
    expect(c.out.join('\n')).toMatch(/^client events generator summary\n {2}batches {11}6 \(200=6\)\n {2}entries sent/);
    expect([...c.out, ...c.err].join('\n')).not.toContain(PASSWORD);
  });

  it('exit 1 with the rejected entries counted', async () => {
    api.rejectIf = () => true;
    const c = capture();
    expect(await main(args('--interval', '10', '--minutes', '0.5'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, c.o, c.e, virtual)).toBe(1);
    expect(c.out.join('\n')).toMatch(/entries accepted {2}0\n {2}entries rejected {2}\d+ \(InvalidArgument=\d+\)/);
  });

  it('exit 1 with a clear message when sign-in fails, without the password', async () => {
    const c = capture();
    expect(await main(args(), { CLIENT_EVENTS_PASSWORD: 'wrong-password' }, c.o, c.e, virtual)).toBe(1);
    expect(c.err.at(-1)).toBe('stopped: NotAuthorizedException: Incorrect username or password.');
    expect([...c.out, ...c.err].join('\n')).not.toContain('wrong-password');
    expect(api.requests).toHaveLength(0);
  });

  it('bad arguments -> exit 2 with a message naming the problem', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [args().filter((a, i, all) => a !== '--api-url' && all[i - 1] !== '--api-url'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--api-url is required/],
      [args('--max-batch', '11'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--max-batch must be an integer from 1 to 10, got "11"$/],
      [args('--max-batch', '0'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--max-batch must be an integer from 1 to 10/],
      [args('--loyalty-rate', '1.5'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--loyalty-rate must be a number from 0 to 1/],
      [args('--minutes', '0'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--minutes must be more than 0$/],
      [args('--interval', 'soon'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--interval must be a number/],
      [args().map((a, i, all) => (all[i - 1] === '--region' ? 'Virginia' : a)), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--region must be an AWS region/],
      [args('--region', 'eu-west-1'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--region given twice/],
      [args('--entry-form', 'xml'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^--entry-form must be "object" or "string"/],
      [args('--api-url2', 'x'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^unknown option --api-url2/],
      [args('--password', 'hunter2'), {}, /^the password is read from the CLIENT_EVENTS_PASSWORD environment variable/],
      [args('stray-hunter2'), { CLIENT_EVENTS_PASSWORD: PASSWORD }, /^unexpected argument at position \d+/],
      [args(), {}, /^set the user's password in the CLIENT_EVENTS_PASSWORD environment variable$/],
    ];
    for (const [argv, env, message] of cases) {
      const c = capture();
      expect(await main(argv, env, c.o, c.e, virtual), String(message)).toBe(2);
      expect(c.err.join('\n')).toMatch(message);
      expect(c.err.join('\n')).not.toContain('hunter2');
    }
    expect(() => parseArgs(['--help'])).toThrow(UsageError);
    const help = capture();
    expect(await main(['--help'], {}, help.o, help.e, virtual)).toBe(0);
    expect(help.out.join('\n')).toMatch(/^usage: CLIENT_EVENTS_PASSWORD=<password> client-events-generator[\s\S]*Examples:[\s\S]*Exit codes: 0/);
    expect(help.err).toEqual([]);
    expect(api.requests).toHaveLength(0);
  });

  it('runs as a process (npm run client-events:generate) against the fakes', async () => {
    const tsx = fromRoot('node_modules', '.bin', 'tsx');
    const child = spawn(tsx, [fromRoot('cli', 'client-events', 'generator.ts'), ...args('--interval', '0', '--minutes', '1', '--max-batch', '4')], {
      env: { ...process.env, CLIENT_EVENTS_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(stdout).toContain('client events generator summary');
    expect(stdout).toMatch(/batches {11}1 \(200=1\)/);
    expect(stdout + stderr).not.toContain(PASSWORD);
    expect(api.requests).toHaveLength(1);
  });
});
