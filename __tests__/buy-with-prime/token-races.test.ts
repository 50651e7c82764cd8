/**
 * The token lifecycle under adversarial timing, against a local OAuth 2.0 authorization server that rotates
 * refresh tokens (every refresh token works once: RFC 6749 section 6 / OAuth 2.0 Security BCP refresh token
 * rotation, as Buy with Prime does) - StrictOAuthServer in helpers/bwp-fakes.ts on oauth2-mock-server - and a
 * slow token endpoint (the response reaches the worker only when the test lets it). DynamoDB is dynalite.
 *
 * - rotated-token race: worker A's refresh outlasts its lease, worker B takes the lease over and is refused
 *   (invalid_grant: A already rotated the token); A's successful result must be stored and B must use it;
 * - lease expiry: no token request is sent when less than minLeaseRemainingMs of the lease is left;
 * - invalid_grant with nobody else refreshing means the installation needs reauthorization;
 * - a dead installation (refresh token refused) is not hammered: state needs_reauth stops further token requests.
 */
import { allowInsecureRequests } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsStore } from '../../handlers/buy-with-prime/events/events-store.js';
import { processBatch } from '../../handlers/buy-with-prime/events/core.js';
import { GraphqlClient } from '../../handlers/buy-with-prime/lib/graphql.js';
import { MemoryLog } from '../../handlers/buy-with-prime/lib/log.js';
import { BWP_METRICS, MemoryMetrics } from '../../handlers/buy-with-prime/lib/metrics.js';
import type { DataKeyCipher } from '../../handlers/buy-with-prime/lib/kms.js';
import { OAuthClient } from '../../handlers/buy-with-prime/lib/oauth-client.js';
import { TokenStore } from '../../handlers/buy-with-prime/lib/token-store.js';
import { ReauthorizationRequiredError, TokenService, type TokenSet } from '../../handlers/buy-with-prime/lib/token-service.js';
import { startDynalite, type Dynalite } from '../helpers/dynalite.js';
import { FakeKmsCipher, StrictOAuthServer } from '../helpers/bwp-fakes.js';
import { sqsRecord } from '../helpers/sqs-records.js';

const CLIENT_ID = 'race-client';
const CLIENT_SECRET = 'race-secret-0123456789';
const REDIRECT = 'https://bwp.example.com/install';

let ddb: Dynalite;
let server: StrictOAuthServer;
let client: OAuthClient;
let store: TokenStore;
const cipher = new FakeKmsCipher();
/** The workers' clock: real time plus an offset the test moves forward. */
let offset = 0;
const clock = () => Date.now() + offset;

beforeAll(async () => {
  ddb = await startDynalite();
  await ddb.createTable('race-tokens', { partitionKey: 'pk' });
  store = new TokenStore(ddb.client, 'race-tokens');
  server = new StrictOAuthServer(CLIENT_ID, CLIENT_SECRET);
  await server.start();
  client = new OAuthClient({
    issuer: server.issuer,
    authorizeUrl: `${server.issuer}/authorize`,
    tokenUrl: `${server.issuer}/token`,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    scope: '',
    configure: (c) => allowInsecureRequests(c), // test only: the loopback server speaks plain http
  });
});

afterAll(async () => {
  await Promise.all([server?.stop(), ddb?.stop()]);
});

/** A real authorization-code grant against the server: the installation's first tokens (access token due soon). */
async function install(installationId: string): Promise<void> {
  const launch = await client.launch(REDIRECT);
  const back = await fetch(launch.authorizationUrl, { redirect: 'manual' });
  const callback = new URL(back.headers.get('location')!);
  server.expiresIn = 60; // inside refreshAheadSeconds (120): the next call refreshes
  const tokens = await client.exchangeCode(REDIRECT, callback.searchParams, launch.state, launch.codeVerifier);
  server.expiresIn = 900;
  await worker('installer').saveInstallation(installationId, tokens);
}

function worker(ownerId: string, refresher?: (rt: string) => Promise<TokenSet>, extra: Partial<ConstructorParameters<typeof TokenService>[0]> = {}): TokenService {
  return new TokenService({ store, cipher, refresher: refresher ?? ((rt) => client.refresh(rt)), ownerId, now: clock, pollMs: 10, ...extra });
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('token lifecycle races (rotating, slow token endpoint)', () => {
  it('rotated-token race: a refresh that outlasts its lease is stored, and the worker refused meanwhile uses it', async () => {
    await install('inst-race');
    const before = server.countOf('refresh_token');
    const responseDelayed = deferred();
    const requestSent = deferred();
    // Worker A: the token endpoint rotates the refresh token at once, but its answer arrives late.
    const a = worker('worker-a', async (rt) => {
      const tokens = await client.refresh(rt);
      requestSent.resolve();
      await responseDelayed.promise;
      return tokens;
    });
    const aCall = a.getAccessToken('inst-race');
    await requestSent.promise;
    // A's lease (15 s) runs out while its answer is on the way.
    offset += 20_000;
    const b = worker('worker-b');
    const bCall = b.getAccessToken('inst-race');
    // B takes the expired lease over and sends the old refresh token: refused, it was rotated.
    while (server.tokenRequests.filter((r) => r.grantType === 'refresh_token').length < before + 2) await new Promise((r) => setTimeout(r, 5));
    expect(server.tokenRequests.at(-1)).toEqual({ grantType: 'refresh_token', status: 400 });
    responseDelayed.resolve();

    const [aToken, bToken] = await Promise.all([aCall, bCall]);
    const rotated = server.issuedAccessTokens.at(-1)!;
    expect(aToken).toBe(rotated);
    expect(bToken).toBe(rotated); // B re-read the store and used A's successor
    const rec = await store.getInstallation('inst-race');
    expect(rec?.leaseOwner).toBeUndefined();

    // The stored refresh token is the live successor: the next refresh works (no reinstall needed).
    offset += 2_000_000;
    const c = worker('worker-c');
    expect(await c.getAccessToken('inst-race')).toBe(server.issuedAccessTokens.at(-1));
    expect(server.tokenRequests.at(-1)).toEqual({ grantType: 'refresh_token', status: 200 });
  });

  it('sends no token request when less than minLeaseRemainingMs of the lease is left (slow KMS)', async () => {
    await install('inst-lease');
    const leaseAtRequest: number[] = [];
    let slowOnce = true;
    const slowCipher: DataKeyCipher = {
      generateDataKey: (context) => cipher.generateDataKey(context),
      decryptDataKey: async (encrypted, context) => {
        if (slowOnce) {
          slowOnce = false;
          offset += 10_000; // KMS took 10 s of a 15 s lease
        }
        return cipher.decryptDataKey(encrypted, context);
      },
    };
    const w = new TokenService({
      store,
      cipher: slowCipher,
      ownerId: 'worker-slow-kms',
      now: clock,
      pollMs: 10,
      refresher: async (rt) => {
        const rec = await store.getInstallation('inst-lease');
        leaseAtRequest.push((rec?.leaseUntil ?? 0) - clock());
        return client.refresh(rt);
      },
    });
    const before = server.countOf('refresh_token');
    const token = await w.getAccessToken('inst-lease');
    expect(token).toBe(server.issuedAccessTokens.at(-1));
    expect(server.countOf('refresh_token')).toBe(before + 1);
    expect(leaseAtRequest).toHaveLength(1);
    for (const left of leaseAtRequest) expect(left).toBeGreaterThanOrEqual(11_000);
  });

  it('invalid_grant with no newer version and no other worker: reauthorization required at once', async () => {
    await install('inst-dead');
    server.failNextRefresh = 'invalid_grant';
    // A grace wait (only for a lease taken over from another worker) would outlast the test's timeout.
    const w = worker('worker-d', undefined, { invalidGrantGraceMs: 600_000 });
    await expect(w.getAccessToken('inst-dead')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect((await store.getInstallation('inst-dead'))?.leaseOwner).toBeUndefined();
  });
});

describe('dead installations', () => {
  it('a refused refresh token moves the installation to needs_reauth: 5 records x 5 receives make one token request', async () => {
    await ddb.createTable('race-events', { partitionKey: 'event_id' });
    const events = new EventsStore(ddb.client, 'race-events');
    const log = new MemoryLog();
    const metrics = new MemoryMetrics();
    // A refresh token the authorization server never issued (or revoked): every refresh grant is refused.
    await worker('installer').saveInstallation('inst-dead-bp', { accessToken: 'at-old', refreshToken: 'rt-revoked', expiresIn: 1 }, 'bp-dead');
    offset += 10 * 60_000;
    const before = server.countOf('refresh_token');
    // Documented thin events (documents.buywithprime.amazon.com/bwp-api/docs/refund_requested).
    const body = (i: number) =>
      JSON.stringify({ version: '0', id: `dead-${i}`, 'detail-type': 'REFUND_REQUESTED', source: 'aws.partner/buywithprime/x', time: 't', resources: [`businessProduct/bp-dead/order/o-${i}/refund/r-${i}`], detail: {} });
    for (let receive = 1; receive <= 5; receive++) {
      // Each receive in a fresh process (a new Lambda instance): nothing cached in memory.
      const tokens = worker(`container-${receive}`, undefined, { metrics });
      const res = await processBatch(
        { Records: [0, 1, 2, 3, 4].map((i) => sqsRecord(body(i), `m-${i}`, 'q', receive)) },
        { tokens, installations: store, graphql: new GraphqlClient({ endpoint: 'http://127.0.0.1:9/graphql' }), events, log, metrics },
      );
      // Kept for a redrive after the merchant reinstalls.
      expect(res.batchItemFailures).toHaveLength(5);
    }
    expect(server.countOf('refresh_token') - before).toBe(1);
    const rec = await store.getInstallation('inst-dead-bp');
    expect(rec?.state).toBe('needs_reauth');
    expect(metrics.total(BWP_METRICS.installationsNeedingReauth)).toBe(1);
    expect(metrics.total(BWP_METRICS.eventsBlockedByReauth)).toBe(25);
    expect(log.text()).toContain('"reason":"needs_reauth"');

    // A reinstall makes it active again.
    await worker('installer').saveInstallation('inst-dead-bp', { accessToken: 'at-new', refreshToken: 'rt-new', expiresIn: 900 }, 'bp-dead');
    const again = await store.getInstallation('inst-dead-bp');
    expect(again?.state).toBe('active');
    expect(again?.reauthReason).toBeUndefined();
  });
});
