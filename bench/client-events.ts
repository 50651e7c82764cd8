/**
 * Client events figures on this machine:
 *  - transform: the Firehose transformation core (batches of 500 EventBridge events) beside the raw loop it cannot
 *    beat (base64 decode + JSON.parse + JSON.stringify + base64 encode of the same records), records/s;
 *  - authorizer: access-token verifications/s with a warm JWKS cache (aws-jwt-verify, RS256), and whole
 *    authorizer calls/s (verify + per-token clientId lookup with an in-memory GetUser + policy), distinct tokens.
 */
import { randomUUID } from 'node:crypto';
import type { FirehoseTransformationEvent } from 'aws-lambda';
import type { BenchRow } from '../scripts/bench.js';
import { silentLogger } from '../handlers/shared/log.js';
import { EVENT_SOURCE } from '../handlers/client-events/lib/event.js';
import { sampleEvents } from '../samples/client-events.js';
import { transformRecords } from '../handlers/client-events/transform/core.js';
import { authorizerSettingsFromEnv, createAuthorizer, createTokenVerifier } from '../handlers/client-events/authorizer/core.js';
import { APP_CLIENT_ID, FakeCognito, POOL_ID } from '../__tests__/helpers/client-events-fakes.js';

const N = 50_000;
const BATCH = 500;
const TOKENS = 1_000;

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function best(runs: number, fn: () => number | Promise<number>): Promise<number> {
  let top = 0;
  for (let i = 0; i < runs; i++) top = Math.max(top, await fn());
  return top;
}

function firehoseRecords(n: number): FirehoseTransformationEvent['records'] {
  const gen = sampleEvents({ seed: 11, now: () => 1_750_000_000_000 });
  return Array.from({ length: n }, (_, i) => ({
    recordId: `49600000000000000000000000000000000000000000000000${String(i).padStart(6, '0')}`,
    approximateArrivalTimestamp: 1_750_000_000_000 + i,
    data: Buffer.from(
      JSON.stringify({
        version: '0', id: randomUUID(), 'detail-type': 'dev', source: EVENT_SOURCE, account: '123456789012', time: '2026-11-30T03:00:00Z',
        region: 'us-east-1', resources: [randomUUID()], detail: gen.next(i % 50 === 0 ? 'loyaltypurchase' : undefined),
      }),
    ).toString('base64'),
  }));
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const records = firehoseRecords(N);
  const bytes = records.reduce((n, r) => n + r.data.length, 0) * 0.75;
  let sink = 0;

  const raw = await best(3, () => {
    const t0 = performance.now();
    for (const r of records) {
      const e = JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')) as { detail: Record<string, unknown> };
      sink += Buffer.from(`${JSON.stringify(e)}\n`, 'utf8').toString('base64').length;
    }
    return rate(N, performance.now() - t0);
  });
  rows.push({ group: 'client-events', name: 'raw loop: base64 + JSON.parse/stringify + base64', value: raw, unit: 'records/s', note: `avg record ${Math.round(bytes / N)} B` });

  const transformed = await best(3, () => {
    const t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const out = transformRecords(records.slice(i, i + BATCH), silentLogger);
      if (out.stats.failed) throw new Error('transform refused a good record');
      sink += out.records.length;
    }
    return rate(N, performance.now() - t0);
  });
  rows.push({
    group: 'client-events', name: `transform core, batches of ${BATCH}`, value: transformed, unit: 'records/s',
    note: `${Math.round((transformed / raw) * 100)}% of the raw loop`,
  });

  const cognito = await FakeCognito.start();
  try {
    const settings = authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID, USER_POOL_CLIENT_ID: APP_CLIENT_ID, JWKS_URI: cognito.jwksUri });
    const tokens = await Promise.all(Array.from({ length: TOKENS }, () => cognito.signer.sign({ sub: randomUUID() })));
    const verifier = createTokenVerifier(settings);
    await verifier.verify(tokens[0]); // warm the JWKS cache
    const verified = await best(3, async () => {
      const t0 = performance.now();
      for (const t of tokens) sink += (await verifier.verify(t)).exp ?? 0;
      return rate(TOKENS, performance.now() - t0);
    });
    rows.push({ group: 'client-events', name: 'authorizer: token verifications, warm JWKS (RS256)', value: verified, unit: 'verifications/s', note: `JWKS fetched ${cognito.jwksRequests}x` });

    const authorize = createAuthorizer(settings, {
      verifier,
      getUserAttributes: async () => ({ 'custom:clientId': '0f8fad5b-d9cb-469f-a165-70867728950e' }),
      log: silentLogger,
    });
    const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/dev/POST/event';
    const calls = await best(3, async () => {
      const t0 = performance.now();
      for (const t of tokens) sink += (await authorize({ type: 'TOKEN', methodArn, authorizationToken: `Bearer ${t}` })).principalId.length;
      return rate(TOKENS, performance.now() - t0);
    });
    rows.push({ group: 'client-events', name: 'authorizer core: calls (verify + clientId + policy)', value: calls, unit: 'calls/s', note: 'in-memory GetUser; the real call adds a Cognito round trip per new token' });
  } finally {
    await cognito.stop();
  }

  if (sink < 0) console.log(sink);
  return rows;
}
