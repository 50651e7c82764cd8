/**
 * AMS CLI transport against the local fake Ads API: 429/5xx retried with backoff honouring Retry-After, network
 * failures retried then explained, 401 refreshes the access token once, 403/400/422 reported with the API's
 * message, token endpoint refusals (invalid_grant/invalid_client) as auth errors, the access token cached until
 * shortly before expiry; and no secret or token in any output.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TokenProvider } from '../../cli/ams/auth.js';
import { requestWithRetry, retryAfterMs } from '../../cli/ams/http.js';
import { FakeAdsApi, runAms, type CliRun } from '../helpers/fake-ads-api.js';

let fake: FakeAdsApi;
beforeAll(async () => {
  fake = await new FakeAdsApi().start();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.subscriptions.length = 0;
  fake.requests.length = 0;
  fake.faults.length = 0;
  fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', subscriptionId: 'amzn1.fead.cs1.one' });
});

const listed = (r: CliRun) => {
  expect(r.leaked).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('amzn1.fead.cs1.one');
};

describe('retries', () => {
  it('429 with Retry-After waits that long, then succeeds; the retry is reported on stderr', async () => {
    fake.inject({ status: 429, headers: { 'retry-after': '7' }, body: { code: 'TOO_MANY_REQUESTS', details: 'slow down' } });
    const r = await runAms(fake, ['list']);
    listed(r);
    expect(r.sleeps).toEqual([7000]);
    expect(r.stderr).toMatch(/^retrying 127\.0\.0\.1:\d+ after HTTP 429 \(attempt 1, waiting 7\.0 s\)\n$/);
    expect(fake.adsRequests()).toHaveLength(2);
  });

  it('5xx without Retry-After back off exponentially (full jitter, bounded by the attempt\'s ceiling)', async () => {
    fake.inject({ status: 503, times: 2 });
    fake.inject({ status: 500 });
    fake.inject({ status: 502 });
    const r = await runAms(fake, ['list']);
    listed(r);
    expect(r.sleeps).toHaveLength(4);
    r.sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(500 * 2 ** i);
    });
  });

  it('gives up after --max-attempts with the status and a hint, exit 1', async () => {
    fake.inject({ status: 503, times: 3, body: { code: 'SERVICE_UNAVAILABLE', details: 'try later' } });
    const r = await runAms(fake, ['list', '--max-attempts', '3']);
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.sleeps).toHaveLength(2);
    expect(r.stderr).toMatch(/ams list: list subscriptions: the Ads API kept answering HTTP 503 in NA .* after retries \(SERVICE_UNAVAILABLE: try later\); try again later\n$/);
  });

  it('a dropped connection is retried', async () => {
    fake.inject({ drop: true, times: 2 });
    const r = await runAms(fake, ['list']);
    listed(r);
    expect(r.sleeps).toHaveLength(2);
    expect(r.stderr).toMatch(/retrying .* after /);
  });

  it('an unreachable endpoint is explained after the retries, exit 1', async () => {
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', () => res()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const r = await runAms(fake, ['list', '--max-attempts', '2'], { env: { AMS_TOKEN_ENDPOINT: `http://127.0.0.1:${port}/auth/o2/token` } });
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`could not reach 127\\.0\\.0\\.1:${port} after 2 attempt\\(s\\): connection refused \\(ECONNREFUSED\\)\\. Check the network/proxy`));
  });

  it('Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('garbage', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('Retry-After is capped at the longest wait', async () => {
    fake.inject({ status: 429, headers: { 'retry-after': '3600' } });
    const sleeps: number[] = [];
    const res = await requestWithRetry(`${fake.url}/na/streams/subscriptions`, { method: 'GET' }, { fetch, maxDelayMs: 20_000, sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps).toEqual([20_000]);
    expect(res.status).toBe(401); // the second attempt reached the server (no token here)
  });
});

describe('authentication and API errors', () => {
  it('one token request serves every call of a run', async () => {
    listed(await runAms(fake, ['list']));
    const r = await runAms(fake, ['update', 'amzn1.fead.cs1.one', '--notes', 'x']);
    expect(r.code).toBe(0);
    expect(fake.tokenRequests()).toHaveLength(2); // one per run: the PUT and the GET of the update shared a token
    const form = new URLSearchParams(fake.tokenRequests()[0].body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: fake.refreshToken });
    expect(fake.tokenRequests()[0].headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it('401 refreshes the access token once and retries', async () => {
    fake.inject({ status: 401, body: { code: 'UNAUTHORIZED', details: 'token expired' } });
    listed(await runAms(fake, ['list']));
    expect(fake.tokenRequests()).toHaveLength(2);
    const auths = fake.adsRequests().map((q) => q.headers.authorization);
    expect(auths[0]).not.toBe(auths[1]);
  });

  it('401 again after the refresh is an auth error (exit 3) that explains', async () => {
    fake.inject({ status: 401, times: 2, body: { code: 'UNAUTHORIZED', details: 'Not authorized' } });
    const r = await runAms(fake, ['get', 'amzn1.fead.cs1.one']);
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rejected the access token in NA .* even after a refresh \(HTTP 401, UNAUTHORIZED: Not authorized\)\. The refresh token of account "default" may belong to another client_id/);
  });

  it('403 (a profile from another region or without access) exits 3 naming the profile', async () => {
    const r = await runAms(fake, ['list'], { env: { AD_API_PROFILE_ID: '999' } });
    expect(r.leaked).toEqual([]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/forbidden in NA .*\(HTTP 403, FORBIDDEN: Profile is not accessible with this token\)\. Check that profile 999 belongs to this region/);
  });

  it('400 and 422 show the API\'s message, exit 1', async () => {
    fake.inject({ status: 400, body: { code: 'BAD_REQUEST', details: 'Invalid dataSetId' } });
    let r = await runAms(fake, ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', 'arn:aws:sqs:us-east-1:123456789012:q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/create sp-traffic: the Ads API refused the request in NA .* \(HTTP 400\): BAD_REQUEST: Invalid dataSetId/);
    fake.inject({ status: 422, body: { message: 'destination is not reachable' } });
    r = await runAms(fake, ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', 'arn:aws:sqs:us-east-1:123456789012:q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\(HTTP 422\): destination is not reachable/);
    expect(r.leaked).toEqual([]);
  });

  it('a refused refresh token (invalid_grant) exits 3 and names the account and its source, never the token', async () => {
    const r = await runAms(fake, ['list'], { env: { AD_API_REFRESH_TOKEN: 'Atzr|wrong-refresh-token-1234567890' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/login with Amazon failed at 127\.0\.0\.1:\d+ \(HTTP 400 invalid_grant\): the refresh token is invalid, expired or revoked/);
    expect(r.stderr).toContain('Check account "default" in environment (AD_API_REFRESH_TOKEN, AD_API_CLIENT_ID, AD_API_CLIENT_SECRET, AD_API_PROFILE_ID)');
    expect(r.stderr).not.toContain('wrong-refresh-token');
    expect(r.leaked).toEqual([]);
    expect(fake.adsRequests()).toHaveLength(0);
  });

  it('a wrong client secret (invalid_client) exits 3', async () => {
    const r = await runAms(fake, ['list'], { env: { AD_API_CLIENT_SECRET: 'not-the-secret-0000000' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/HTTP 401 invalid_client\): client_id\/client_secret were rejected/);
    expect(r.stderr).not.toContain('not-the-secret');
  });

  it('an error body echoing a secret is scrubbed before printing', async () => {
    fake.inject({ status: 400, body: { code: 'BAD_REQUEST', details: `bad client secret ${fake.clientSecret} and token` } });
    const r = await runAms(fake, ['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad client secret *** and token');
    expect(r.leaked).toEqual([]);
  });
});

describe('token cache', () => {
  it('reuses the token until 60 s before expiry, then refreshes; force refreshes', async () => {
    const short = await new FakeAdsApi({ expiresIn: 300 }).start();
    try {
      let now = 1_000_000;
      const tp = new TokenProvider(
        { refreshToken: short.refreshToken, clientId: short.clientId, clientSecret: short.clientSecret, account: 'default', source: 'test' },
        { http: { fetch }, endpoint: `${short.url}/{region}/auth/o2/token`, now: () => now },
      );
      const a = await tp.accessToken('NA');
      now += 239_000;
      expect(await tp.accessToken('NA')).toBe(a);
      now += 1_000; // 60 s before expiry
      const b = await tp.accessToken('NA');
      expect(b).not.toBe(a);
      expect(await tp.accessToken('NA', true)).not.toBe(b);
      expect(tp.requests).toBe(3);
      await tp.accessToken('EU'); // another region's endpoint has its own token
      expect(short.tokenRequests().map((q) => q.path)).toEqual(['/na/auth/o2/token', '/na/auth/o2/token', '/na/auth/o2/token', '/eu/auth/o2/token']);
    } finally {
      await short.close();
    }
  });
});

describe('default endpoints', () => {
  it('without overrides: the region\'s token endpoint and the Ads API host from contracts/ams-datasets.json', async () => {
    const { main } = await import('../../cli/ams/main.js');
    const urls: string[] = [];
    const stubFetch = async (url: string) => {
      urls.push(url);
      const body = url.includes('/auth/o2/token') ? { access_token: 'Atza|stub-access-token-000000', expires_in: 3600 } : { subscriptions: [] };
      return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    for (const region of ['NA', 'EU', 'FE']) {
      let out = '';
      const code = await main(['list', '--region', region], {
        env: { AD_API_REFRESH_TOKEN: 'Atzr|stub-refresh-0000000000', AD_API_CLIENT_ID: 'stub-client', AD_API_CLIENT_SECRET: 'stub-secret-00000000', AD_API_PROFILE_ID: '1' },
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: () => true },
        fetch: stubFetch,
        homedir: '/nonexistent-home',
      });
      expect(code).toBe(0);
      expect(out).toBe(`no subscriptions in ${region}\n`);
    }
    expect(urls).toEqual([
      'https://api.amazon.com/auth/o2/token',
      'https://advertising-api.amazon.com/streams/subscriptions?maxResults=500',
      'https://api.amazon.co.uk/auth/o2/token',
      'https://advertising-api-eu.amazon.com/streams/subscriptions?maxResults=500',
      'https://api.amazon.co.jp/auth/o2/token',
      'https://advertising-api-fe.amazon.com/streams/subscriptions?maxResults=500',
    ]);
  });
});

describe('pagination guard', () => {
  it('a nextToken the API repeats stops list with an error instead of looping', async () => {
    fake.inject({ status: 200, times: 2, body: { subscriptions: [], nextToken: 'same-token' } });
    const r = await runAms(fake, ['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('list subscriptions: the API repeated a nextToken; stopping instead of looping');
    expect(fake.adsRequests().map((q) => q.query.get('startingToken'))).toEqual([null, 'same-token']);
  });
});
