/**
 * The Buy with Prime integration end to end, against real local servers: a strict OAuth 2.0 authorization server
 * (oauth2-mock-server plus client authentication, one-time PKCE-bound codes and rotating refresh tokens), a fake
 * Buy with Prime GraphQL endpoint, and DynamoDB (dynalite). The install app runs as a real node:http server.
 *
 * launch -> authorize -> install -> tokens stored (encrypted) -> partner event processed; concurrent refreshes
 * from separate workers cause one token request; bad state / replayed state / expired, forged or wrong-hash
 * verification tokens / failed exchanges store nothing; GraphQL errors and throttling; and no token, code,
 * verifier or secret appears in any log line or response.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { allowInsecureRequests } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../handlers/buy-with-prime/oauth/core.js';
import { nodeListener } from '../../handlers/buy-with-prime/oauth/http.js';
import { EventsStore } from '../../handlers/buy-with-prime/events/events-store.js';
import { processBatch } from '../../handlers/buy-with-prime/events/core.js';
import { GraphqlClient } from '../../handlers/buy-with-prime/lib/graphql.js';
import { createLog, MemoryLog, type Log, type LogAttributes } from '../../handlers/buy-with-prime/lib/log.js';
import { logOutput } from '../../handlers/shared/log.js';
import { BWP_METRICS, MemoryMetrics } from '../../handlers/buy-with-prime/lib/metrics.js';
import { OAuthClient } from '../../handlers/buy-with-prime/lib/oauth-client.js';
import { installationKey, TokenStore } from '../../handlers/buy-with-prime/lib/token-store.js';
import { ReauthorizationRequiredError, TokenService } from '../../handlers/buy-with-prime/lib/token-service.js';
import { VerificationTokenVerifier } from '../../handlers/buy-with-prime/lib/verification.js';
import { startDynalite, type Dynalite } from '../helpers/dynalite.js';
import { FakeGraphqlServer, FakeKmsCipher, StrictOAuthServer, newSigningKey, signVerificationToken, type SigningKey } from '../helpers/bwp-fakes.js';
import { sqsRecord } from '../helpers/sqs-records.js';

const CLIENT_ID = 'amzn1.bwp.client.test';
const CLIENT_SECRET = 'cs-super-secret-value-1234567890';
/** Mixed case on purpose: the request hash covers the lower-cased public URL. */
const PUBLIC_BASE_URL = 'https://BWP.Example.com';
const TOKENS_TABLE = 'bwp-tokens';
const EVENTS_TABLE = 'bwp-events';

/** Logs to memory and, through Powertools, to stdout (captured below). */
class TeeLog implements Log {
  constructor(readonly a: Log, readonly b: Log) {}
  debug(m: string, x?: LogAttributes) { this.a.debug(m, x); this.b.debug(m, x); }
  info(m: string, x?: LogAttributes) { this.a.info(m, x); this.b.info(m, x); }
  warn(m: string, x?: LogAttributes) { this.a.warn(m, x); this.b.warn(m, x); }
  error(m: string, x?: LogAttributes) { this.a.error(m, x); this.b.error(m, x); }
}

let ddb: Dynalite;
let oauthServer: StrictOAuthServer;
let gql: FakeGraphqlServer;
let signer: SigningKey;
let http: Server;
let appUrl: string;
let app: App;
let store: TokenStore;
let cipher: FakeKmsCipher;
let tokens: TokenService;
let client: OAuthClient;
const memory = new MemoryLog();
let log: Log;
const captured: string[] = [];
/** Every secret-like value the flow handled: none may appear in logs or responses. */
const secrets = new Set<string>([CLIENT_SECRET]);
const responses: string[] = [];

function newClient(): OAuthClient {
  return new OAuthClient({
    issuer: oauthServer.issuer,
    authorizeUrl: `${oauthServer.issuer}/authorize`,
    tokenUrl: `${oauthServer.issuer}/token`,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: 'orders:read store:read',
    // Test only: the loopback authorization server speaks plain http.
    configure: (c) => allowInsecureRequests(c),
  });
}

function newTokenService(now?: () => number): TokenService {
  return new TokenService({ store, cipher, refresher: (rt) => client.refresh(rt), log, now });
}

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${appUrl}${path}`, { redirect: 'manual', ...init });
  const text = await res.text();
  responses.push(text, JSON.stringify([...res.headers]));
  return { status: res.status, headers: res.headers, text };
}

/** /launch, then the authorization server's redirect back: the callback's raw query string (code & state). */
/** The browser's launch cookie (Set-Cookie of the last /launch). */
let launchCookie = '';

async function launchAndAuthorize(): Promise<{ rawQuery: string; state: string; code: string; authorizeUrl: URL; cookie: string }> {
  const launch = await call('/launch');
  expect(launch.status).toBe(302);
  const setCookie = launch.headers.get('set-cookie')!;
  expect(setCookie).toMatch(/^__Host-bwp-launch=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  launchCookie = setCookie.split(';')[0];
  const authorizeUrl = new URL(launch.headers.get('location')!);
  const back = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(back.status).toBe(302);
  const callback = new URL(back.headers.get('location')!);
  expect(`${callback.origin}${callback.pathname}`).toBe('https://bwp.example.com/install');
  const rawQuery = callback.search.slice(1);
  const code = callback.searchParams.get('code')!;
  const state = callback.searchParams.get('state')!;
  secrets.add(code);
  return { rawQuery, state, code, authorizeUrl, cookie: launchCookie };
}

async function installRequest(
  rawQuery: string, installationId: string, opts: { key?: SigningKey; expiresIn?: string | number; hashQuery?: string; cookie?: string | null } = {},
) {
  const token = await signVerificationToken((opts.key ?? signer).privateKey, {
    publicBaseUrl: PUBLIC_BASE_URL,
    path: '/install',
    rawQuery: opts.hashQuery ?? rawQuery,
    installationId,
    expiresIn: opts.expiresIn,
    claims: { businessProductId: bpOf(installationId) },
  });
  const cookie = opts.cookie === undefined ? launchCookie : opts.cookie;
  return call(`/install?${rawQuery}&verification-token=${encodeURIComponent(token)}`, cookie ? { headers: { cookie } } : {});
}

async function installationItem(installationId: string) {
  const out = await ddb.client.send(new GetItemCommand({ TableName: TOKENS_TABLE, Key: { pk: { S: installationKey(installationId) } }, ConsistentRead: true }));
  return out.Item;
}

function sqsEvent(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((b, i) => sqsRecord(JSON.stringify(b), `m-${i}`, 'q')),
  };
}

/** The business product an installation of these tests acts for (a verification-token claim at install). */
const bpOf = (installationId: string) => `bp-${installationId}`;

/** A documented thin event (documents.buywithprime.amazon.com/bwp-api/docs/refund_requested: EventBridge schema). */
function orderEvent(id: string, installationId: string, orderId: string, eventType = 'ORDER_CONFIRMED') {
  return {
    version: '0',
    id,
    'detail-type': eventType,
    source: 'aws.partner/buywithprime/test-events',
    account: '123456789012',
    time: '2026-11-24T08:00:00Z',
    region: 'us-east-1',
    resources: [`businessProduct/${bpOf(installationId)}/order/${orderId}${eventType.startsWith('REFUND') ? '/refund/rf-1' : ''}`],
    detail: {},
  };
}

const metrics = new MemoryMetrics();

beforeAll(async () => {
  // Capture every log line (handlers/shared/log.ts writes Powertools' JSON lines to the stdout/stderr descriptors)
  // and everything else written to stdout/stderr.
  const writeLine = logOutput.write;
  vi.spyOn(logOutput, 'write').mockImplementation((fd, line) => {
    captured.push(line);
    writeLine(fd, line);
  });
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      captured.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  log = new TeeLog(memory, createLog('bwp-test'));
  [ddb, signer] = await Promise.all([startDynalite(), newSigningKey()]);
  await Promise.all([ddb.createTable(TOKENS_TABLE, { partitionKey: 'pk' }), ddb.createTable(EVENTS_TABLE, { partitionKey: 'event_id' })]);
  oauthServer = new StrictOAuthServer(CLIENT_ID, CLIENT_SECRET);
  await oauthServer.start();
  gql = new FakeGraphqlServer();
  await gql.start();
  store = new TokenStore(ddb.client, TOKENS_TABLE);
  cipher = new FakeKmsCipher();
  client = newClient();
  tokens = newTokenService();
  app = createApp({
    publicBaseUrl: PUBLIC_BASE_URL,
    launchTtlSeconds: 600,
    store,
    tokens,
    oauth: async () => client,
    verifier: new VerificationTokenVerifier({ publicKeyPem: signer.publicKeyPem, publicBaseUrl: PUBLIC_BASE_URL }),
    log,
  });
  http = createServer(nodeListener(app, log));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  appUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((resolve) => http?.close(() => resolve()));
  await Promise.all([oauthServer?.stop(), gql?.stop(), ddb?.stop()]);
});

describe('install flow', () => {
  it('launch redirects to the authorize URL with state, PKCE S256, redirect_uri, client_id and scopes', async () => {
    const launch = await call('/launch');
    expect(launch.status).toBe(302);
    expect(launch.headers.get('cache-control')).toBe('no-store');
    const url = new URL(launch.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(`${oauthServer.issuer}/authorize`);
    const p = url.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe(CLIENT_ID);
    expect(p.get('redirect_uri')).toBe('https://bwp.example.com/install'); // normalized, identical at the token endpoint
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('scope')).toBe('orders:read store:read');
    expect(p.get('state')!.length).toBeGreaterThanOrEqual(40);
    // Two launches never share a state.
    const again = new URL((await call('/launch')).headers.get('location')!);
    expect(again.searchParams.get('state')).not.toBe(p.get('state'));
    // The state is stored only as a hash, with a TTL for abandoned launches.
    const items = (await ddb.client.send(new ScanCommand({ TableName: TOKENS_TABLE }))).Items ?? [];
    const launches = items.filter((i) => i.kind?.S === 'launch');
    expect(launches.length).toBeGreaterThanOrEqual(2);
    for (const i of launches) {
      expect(JSON.stringify(i)).not.toContain(p.get('state')!);
      expect(Number(i.ttl.N)).toBeGreaterThan(Date.now() / 1000 + 500);
    }
  });

  it('installs: verifies the token, consumes the state, exchanges the code with PKCE and stores encrypted tokens', async () => {
    const before = oauthServer.countOf('authorization_code');
    const { rawQuery } = await launchAndAuthorize();
    const res = await installRequest(rawQuery, 'inst-1');
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain('inst-1');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(oauthServer.countOf('authorization_code')).toBe(before + 1);
    expect(oauthServer.tokenRequests.at(-1)).toEqual({ grantType: 'authorization_code', status: 200 });

    const access = oauthServer.issuedAccessTokens.at(-1)!;
    const refresh = oauthServer.issuedRefreshTokens.at(-1)!;
    secrets.add(access).add(refresh);
    const item = (await installationItem('inst-1'))!;
    expect(item).toBeDefined();
    expect(item.version.N).toBe('1');
    expect(Number(item.expires_at.N)).toBeGreaterThan(Date.now() / 1000 + 880);
    expect(Number(item.expires_at.N)).toBeLessThanOrEqual(Date.now() / 1000 + 901);
    const raw = JSON.stringify(item);
    expect(raw).not.toContain(access);
    expect(raw).not.toContain(refresh);
    expect(item.access_token_enc.S).toMatch(/^v1\./);
    expect(item.refresh_token_enc.S).toMatch(/^v1\./);
    // The token service decrypts what was stored.
    expect(await newTokenService().getAccessToken('inst-1')).toBe(access);
  });

  it('rejects a replayed state (the callback used twice) without a second token request', async () => {
    const { rawQuery } = await launchAndAuthorize();
    expect((await installRequest(rawQuery, 'inst-replay')).status).toBe(200);
    const count = oauthServer.tokenRequests.length;
    const replay = await installRequest(rawQuery, 'inst-replay');
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('already used');
    expect(replay.headers.get('x-correlation-id')).toMatch(/.+/);
    expect(replay.text).toContain(replay.headers.get('x-correlation-id')!);
    expect(oauthServer.tokenRequests.length).toBe(count);
  });

  it('rejects a wrong state and stores nothing', async () => {
    const { rawQuery, state } = await launchAndAuthorize();
    const forged = rawQuery.replace(`state=${state}`, 'state=not-the-state-we-issued');
    const count = oauthServer.tokenRequests.length;
    const res = await installRequest(forged, 'inst-wrong-state');
    expect(res.status).toBe(400);
    expect(res.text).toContain('Invalid or expired state');
    expect(oauthServer.tokenRequests.length).toBe(count);
    expect(await installationItem('inst-wrong-state')).toBeUndefined();
  });

  it('rejects expired, forged, wrong-hash and missing verification tokens before touching the state', async () => {
    const { rawQuery } = await launchAndAuthorize();
    const count = oauthServer.tokenRequests.length;
    const otherKey = await newSigningKey();
    const expired = await installRequest(rawQuery, 'inst-v', { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    expect(expired.status).toBe(401);
    expect(expired.text).toContain('expired');
    const forged = await installRequest(rawQuery, 'inst-v', { key: otherKey });
    expect(forged.status).toBe(401);
    expect(forged.text).toContain('signature');
    const wrongHash = await installRequest(rawQuery, 'inst-v', { hashQuery: rawQuery.replace(/code=[^&]+/, 'code=other') });
    expect(wrongHash.status).toBe(401);
    expect(wrongHash.text).toContain('requestHash');
    const missing = await call(`/install?${rawQuery}`);
    expect(missing.status).toBe(401);
    expect(oauthServer.tokenRequests.length).toBe(count);
    expect(await installationItem('inst-v')).toBeUndefined();
    // The state survived the rejected attempts: the genuine request still installs.
    expect((await installRequest(rawQuery, 'inst-v')).status).toBe(200);
  });

  it('answers 502 when the authorization server refuses the code, and stores nothing', async () => {
    const { rawQuery, code } = await launchAndAuthorize();
    const tampered = rawQuery.replace(code, `${code}x`);
    const granted = oauthServer.issuedAccessTokens.length;
    const res = await installRequest(tampered, 'inst-bad-code');
    expect(res.status).toBe(502);
    expect(res.text).toContain('did not accept the authorization code');
    expect(oauthServer.issuedAccessTokens.length).toBe(granted);
    expect(await installationItem('inst-bad-code')).toBeUndefined();
  });

  it('the authorization server enforces PKCE: the right code with a wrong verifier is refused', async () => {
    const { rawQuery, state } = await launchAndAuthorize();
    const granted = oauthServer.issuedAccessTokens.length;
    const wrongVerifier = 'x'.repeat(64);
    await expect(client.exchangeCode('https://bwp.example.com/install', new URLSearchParams(rawQuery), state, wrongVerifier)).rejects.toThrow();
    expect(oauthServer.issuedAccessTokens.length).toBe(granted);
  });

  it('a launch expires after its TTL even before DynamoDB deletes it', async () => {
    await store.putLaunch('state-ttl-test', 'verifier-ttl-test-0123456789012345678901234567890123', Date.now(), 60, 'b');
    expect(await store.consumeLaunch('state-ttl-test', Date.now() + 61_000, 'b')).toBeUndefined();
    await store.putLaunch('state-ttl-ok', 'verifier-ttl-test-0123456789012345678901234567890123', Date.now(), 60, 'b');
    expect(await store.consumeLaunch('state-ttl-ok', Date.now() + 30_000, 'other-browser')).toBeUndefined();
    expect(await store.consumeLaunch('state-ttl-ok', Date.now() + 30_000, 'b')).toMatchObject({ codeVerifier: 'verifier-ttl-test-0123456789012345678901234567890123' });
    expect(await store.consumeLaunch('state-ttl-ok', Date.now() + 30_000, 'b')).toBeUndefined();
  });

  it('answers a declined authorization with 400', async () => {
    const res = await call('/install?error=access_denied&state=abc');
    expect(res.status).toBe(400);
    expect(res.text).toContain('access_denied');
  });

  it('settings and uninstall verify the token (body included in the hash) and uninstall deletes the tokens', async () => {
    const { rawQuery } = await launchAndAuthorize();
    expect((await installRequest(rawQuery, 'inst-2')).status).toBe(200);
    secrets.add(oauthServer.issuedAccessTokens.at(-1)!).add(oauthServer.issuedRefreshTokens.at(-1)!);

    const settingsToken = await signVerificationToken(signer.privateKey, { publicBaseUrl: PUBLIC_BASE_URL, path: '/settings', installationId: 'inst-2' });
    const settings = await call('/settings', { headers: { 'verification-token': settingsToken } });
    expect(settings.status).toBe(200);
    expect(settings.text).toContain('inst-2 is connected');

    const body = JSON.stringify({ installationId: 'inst-2', reason: 'merchant request' });
    const uninstallToken = await signVerificationToken(signer.privateKey, { publicBaseUrl: PUBLIC_BASE_URL, path: '/uninstall', body, installationId: 'inst-2' });
    const tampered = await call('/uninstall', { method: 'POST', body: body.replace('merchant', 'attacker'), headers: { 'verification-token': uninstallToken } });
    expect(tampered.status).toBe(401);
    expect(await installationItem('inst-2')).toBeDefined();

    const ok = await call('/uninstall', { method: 'POST', body, headers: { 'verification-token': uninstallToken, 'content-type': 'application/json' } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ status: 'uninstalled', installationId: 'inst-2' });
    // The tokens are gone; the item stays as an uninstalled tombstone (its events are acknowledged, not retried).
    const tombstone = await installationItem('inst-2');
    expect(tombstone?.state.S).toBe('uninstalled');
    expect(tombstone?.access_token_enc ?? tombstone?.refresh_token_enc ?? tombstone?.data_key_enc).toBeUndefined();

    const again = await signVerificationToken(signer.privateKey, { publicBaseUrl: PUBLIC_BASE_URL, path: '/settings', installationId: 'inst-2' });
    const after = await call('/settings', { headers: { 'verification-token': again } });
    expect(after.text).toContain('inst-2 is not connected (uninstalled)');
  });

  it('a captured POST /uninstall replayed after a reinstall is refused, and the new tokens stay', async () => {
    const first = await launchAndAuthorize();
    expect((await installRequest(first.rawQuery, 'inst-replayed')).status).toBe(200);
    const body = JSON.stringify({ installationId: 'inst-replayed' });
    const captured = await signVerificationToken(signer.privateKey, { publicBaseUrl: PUBLIC_BASE_URL, path: '/uninstall', body, installationId: 'inst-replayed' });
    const uninstall = () => call('/uninstall', { method: 'POST', body, headers: { 'verification-token': captured } });
    expect((await uninstall()).status).toBe(200);
    const second = await launchAndAuthorize();
    expect((await installRequest(second.rawQuery, 'inst-replayed')).status).toBe(200);
    secrets.add(oauthServer.issuedAccessTokens.at(-1)!).add(oauthServer.issuedRefreshTokens.at(-1)!);
    const replayed = await uninstall();
    expect(replayed.status).toBe(401);
    expect(replayed.text).toContain('already used');
    const item = await installationItem('inst-replayed');
    expect(item?.state.S).toBe('active');
    expect(item?.access_token_enc.S).toMatch(/^v1\./);
  });

  it('refuses a verification token valid for longer than the maximum age (one-year exp)', async () => {
    const longLived = await signVerificationToken(signer.privateKey, { publicBaseUrl: PUBLIC_BASE_URL, path: '/settings', installationId: 'inst-1', expiresIn: '365d' });
    const res = await call('/settings', { headers: { 'verification-token': longLived } });
    expect(res.status).toBe(401);
    expect(res.text).toContain('valid for longer than 300 s');
  });

  it('hashes the path as received: a trailing slash is part of the signed request', async () => {
    const token = await signVerificationToken(signer.privateKey, { publicBaseUrl: PUBLIC_BASE_URL, path: '/settings/', installationId: 'inst-1' });
    const res = await call('/settings/', { headers: { 'verification-token': token } });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain('inst-1 is connected');
  });

  it('binds the launch state to the browser: a callback without (or with another) launch cookie is refused and the state survives', async () => {
    const { rawQuery } = await launchAndAuthorize();
    const count = oauthServer.tokenRequests.length;
    const none = await installRequest(rawQuery, 'inst-cookie', { cookie: null });
    expect(none.status).toBe(400);
    expect(none.text).toContain('started in another browser');
    const other = await installRequest(rawQuery, 'inst-cookie', { cookie: '__Host-bwp-launch=someone-elses-browser-binding' });
    expect(other.status).toBe(400);
    expect(oauthServer.tokenRequests.length).toBe(count);
    const ok = await installRequest(rawQuery, 'inst-cookie');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toContain('__Host-bwp-launch=; Max-Age=0');
    secrets.add(oauthServer.issuedAccessTokens.at(-1)!).add(oauthServer.issuedRefreshTokens.at(-1)!);
  });

  it('serves /health, 404 and 405', async () => {
    const health = await call('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    expect((await call('/nope')).status).toBe(404);
    const wrong = await call('/uninstall');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('token refresh', () => {
  it('two workers refreshing at once cause exactly one token request', async () => {
    const { rawQuery } = await launchAndAuthorize();
    expect((await installRequest(rawQuery, 'inst-c')).status).toBe(200);
    const later = () => Date.now() + 1_000_000; // well past the 15-minute expiry
    const a = newTokenService(later);
    const b = newTokenService(later);
    const before = oauthServer.countOf('refresh_token');
    const [ta, tb] = await Promise.all([a.getAccessToken('inst-c'), b.getAccessToken('inst-c')]);
    expect(oauthServer.countOf('refresh_token')).toBe(before + 1);
    expect(a.refreshCount + b.refreshCount).toBe(1);
    const fresh = oauthServer.issuedAccessTokens.at(-1)!;
    secrets.add(fresh).add(oauthServer.issuedRefreshTokens.at(-1)!);
    expect(ta).toBe(fresh);
    expect(tb).toBe(fresh);
    const item = (await installationItem('inst-c'))!;
    expect(item.version.N).toBe('2');
    expect(item.lease_owner).toBeUndefined();

    // Many callers across three workers, again after expiry: still one request.
    const evenLater = () => Date.now() + 2_100_000;
    const workers = [newTokenService(evenLater), newTokenService(evenLater), newTokenService(evenLater)];
    const results = await Promise.all(workers.flatMap((w) => [w.getAccessToken('inst-c'), w.getAccessToken('inst-c')]));
    expect(oauthServer.countOf('refresh_token')).toBe(before + 2);
    expect(new Set(results).size).toBe(1);
    secrets.add(results[0]).add(oauthServer.issuedRefreshTokens.at(-1)!);
    expect((await installationItem('inst-c'))!.version.N).toBe('3');
  });

  it('a refused refresh token needs reauthorization and releases the lease', async () => {
    const { rawQuery } = await launchAndAuthorize();
    expect((await installRequest(rawQuery, 'inst-r')).status).toBe(200);
    secrets.add(oauthServer.issuedAccessTokens.at(-1)!).add(oauthServer.issuedRefreshTokens.at(-1)!);
    oauthServer.failNextRefresh = 'invalid_grant';
    const svc = newTokenService(() => Date.now() + 1_000_000);
    await expect(svc.getAccessToken('inst-r')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    const item = (await installationItem('inst-r'))!;
    expect(item.lease_owner).toBeUndefined();
    expect(item.version.N).toBe('1');
  });
});

describe('partner events', () => {
  let events: EventsStore;
  let graphql: GraphqlClient;
  const sleeps: number[] = [];
  const deps = (t: TokenService) => ({ tokens: t, installations: store, graphql, events, log, metrics });

  beforeAll(() => {
    events = new EventsStore(ddb.client, EVENTS_TABLE);
    graphql = new GraphqlClient({ endpoint: gql.url, maxAttempts: 3, baseDelayMs: 10, sleep: async (ms) => void sleeps.push(ms) });
  });

  function okReplies(call: { query: string; variables: Record<string, unknown> }) {
    if (call.query.includes('buyWithPrimeStore')) return { body: { data: { buyWithPrimeStore: { siteId: 'site-9', widgetId: 'w-1' } } } };
    return { body: { data: { order: { id: call.variables.orderId, summary: { totalPrice: { amount: 12.5, currencyCode: 'USD' } } } } } };
  }

  it('processes every record: token, order and store lookups, idempotent write', async () => {
    const { rawQuery } = await launchAndAuthorize();
    expect((await installRequest(rawQuery, 'inst-e')).status).toBe(200);
    const access = oauthServer.issuedAccessTokens.at(-1)!;
    secrets.add(access).add(oauthServer.issuedRefreshTokens.at(-1)!);
    gql.respond = okReplies;
    gql.calls.length = 0;

    const batch = sqsEvent(orderEvent('ev-1', 'inst-e', 'order-1'), orderEvent('ev-2', 'inst-e', 'order-2', 'REFUND_REQUESTED'));
    const res = await processBatch(batch, deps(newTokenService()));
    expect(res.batchItemFailures).toEqual([]);
    expect(res.outcomes).toEqual({ 'm-0': 'stored', 'm-1': 'stored' });
    // One store lookup per installation per batch, one order query per event.
    expect(gql.calls.filter((c) => c.query.includes('buyWithPrimeStore'))).toHaveLength(1);
    expect(gql.calls.filter((c) => c.query.includes('order(')).map((c) => c.variables.orderId)).toEqual(['order-1', 'order-2']);
    for (const c of gql.calls) {
      expect(c.authorization).toBe(`Bearer ${access}`);
      expect(c.installationId).toBe('inst-e');
    }
    const stored = await ddb.client.send(new GetItemCommand({ TableName: EVENTS_TABLE, Key: { event_id: { S: 'ev-2' } } }));
    expect(stored.Item?.event_type.S).toBe('REFUND_REQUESTED');
    expect(stored.Item?.site_id.S).toBe('site-9');
    expect(stored.Item?.order_id.S).toBe('order-2');
    expect(JSON.parse(stored.Item!.order_json.S!)).toMatchObject({ id: 'order-2' });

    // Redelivery: stored once, no further API calls.
    const calls = gql.calls.length;
    const again = await processBatch(batch, deps(newTokenService()));
    expect(again.outcomes).toEqual({ 'm-0': 'duplicate', 'm-1': 'duplicate' });
    expect(gql.calls.length).toBe(calls);
  });

  it('an expired token is refreshed before the API call', async () => {
    const svc = newTokenService(() => Date.now() + 1_000_000);
    const before = oauthServer.countOf('refresh_token');
    gql.respond = okReplies;
    const res = await processBatch(sqsEvent(orderEvent('ev-3', 'inst-e', 'order-3')), deps(svc));
    expect(res.batchItemFailures).toEqual([]);
    expect(oauthServer.countOf('refresh_token')).toBe(before + 1);
    const fresh = oauthServer.issuedAccessTokens.at(-1)!;
    secrets.add(fresh).add(oauthServer.issuedRefreshTokens.at(-1)!);
    expect(gql.calls.at(-1)!.authorization).toBe(`Bearer ${fresh}`);
  });

  it('a GraphQL errors array fails the record (and only that record)', async () => {
    gql.respond = (c) =>
      c.variables.orderId === 'order-bad'
        ? { body: { data: { order: null }, errors: [{ message: 'Order not found', extensions: { code: 'NOT_FOUND' } }] } }
        : okReplies(c);
    const res = await processBatch(sqsEvent(orderEvent('ev-4', 'inst-e', 'order-bad'), orderEvent('ev-5', 'inst-e', 'order-5')), deps(newTokenService()));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }]);
    expect(res.outcomes).toEqual({ 'm-0': 'failed', 'm-1': 'stored' });
    const missing = await ddb.client.send(new GetItemCommand({ TableName: EVENTS_TABLE, Key: { event_id: { S: 'ev-4' } } }));
    expect(missing.Item).toBeUndefined();
    expect(memory.text()).toContain('Order not found');
  });

  it('backs off on throttling and succeeds when the API recovers', async () => {
    gql.respond = okReplies;
    sleeps.length = 0;
    gql.queue.push({ status: 429, body: { message: 'slow down' } }, { body: { errors: [{ message: 'Rate exceeded', extensions: { code: 'THROTTLED' } }] } });
    const res = await processBatch(sqsEvent(orderEvent('ev-6', 'inst-e', 'order-6')), deps(newTokenService()));
    expect(res.batchItemFailures).toEqual([]);
    expect(sleeps).toHaveLength(2);
    expect(graphql.throttledAttempts).toBeGreaterThanOrEqual(2);
  });

  it('persistent throttling fails the record and returns the rest of the batch without calling the API', async () => {
    gql.respond = () => ({ status: 429, headers: { 'retry-after': '1' }, body: { message: 'slow down' } });
    const calls = gql.calls.length;
    const res = await processBatch(
      sqsEvent(orderEvent('ev-7', 'inst-e', 'order-7'), orderEvent('ev-8', 'inst-e', 'order-8'), orderEvent('ev-9', 'inst-e', 'order-9')),
      deps(newTokenService()),
    );
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-0', 'm-1', 'm-2']);
    expect(res.outcomes).toEqual({ 'm-0': 'failed', 'm-1': 'skipped', 'm-2': 'skipped' });
    expect(gql.calls.length - calls).toBe(3); // maxAttempts for the first record only
  });

  it('keeps malformed records for the DLQ and acknowledges (and counts) events no installation here can take', async () => {
    gql.respond = okReplies;
    const noBusinessProduct = { ...orderEvent('ev-10', 'x', 'o'), resources: [], detail: { data: { order: { id: 'o' } } } };
    const unknownBusinessProduct = orderEvent('ev-11', 'inst-unknown', 'order-11');
    const noOrder = { ...orderEvent('ev-12', 'inst-e', 'o'), resources: [`businessProduct/${bpOf('inst-e')}`] };
    const calls = gql.calls.length;
    const before = metrics.total(BWP_METRICS.unroutableEvents);
    const res = await processBatch(
      { Records: [...sqsEvent(noBusinessProduct, unknownBusinessProduct, noOrder).Records, { ...sqsEvent({}).Records[0], messageId: 'm-3', body: 'not json' }] },
      deps(newTokenService()),
    );
    expect(res.outcomes).toEqual({ 'm-0': 'acknowledged', 'm-1': 'acknowledged', 'm-2': 'failed', 'm-3': 'failed' });
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m-2', 'm-3']);
    expect(metrics.total(BWP_METRICS.unroutableEvents) - before).toBe(2);
    expect(gql.calls.length).toBe(calls);
    const text = memory.text();
    expect(text).toContain('names no business product');
    expect(text).toContain('business product bp-inst-unknown belongs to no installation');
    expect(text).toContain('names no order');
    expect(text).toContain('not JSON');
  });
});

describe('secrets never leak', () => {
  it('no token, code, refresh token or client secret appears in any log line or response', () => {
    const logText = memory.text();
    const out = captured.join('');
    expect(secrets.size).toBeGreaterThan(15);
    expect(out).toContain('"service":"bwp-test"'); // Powertools really wrote to stdout
    for (const s of secrets) {
      expect(logText.includes(s), `log contains ${s.slice(0, 12)}…`).toBe(false);
      expect(out.includes(s), `stdout/stderr contains ${s.slice(0, 12)}…`).toBe(false);
      expect(responses.some((r) => r.includes(s)), `a response contains ${s.slice(0, 12)}…`).toBe(false);
    }
  });
});
