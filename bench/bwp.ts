/**
 * Buy with Prime token service and verification hot paths, measured against dynalite (in-process DynamoDB) and a
 * local data-key cipher (KMS latency, ~5-10 ms per call in AWS, is not included): the figures show the code's own
 * cost and the DynamoDB round trips it makes.
 */
import type { BenchRow } from '../scripts/bench.js';
import { open, seal } from '../handlers/buy-with-prime/lib/kms.js';
import { TokenStore } from '../handlers/buy-with-prime/lib/token-store.js';
import { TokenService } from '../handlers/buy-with-prime/lib/token-service.js';
import { VerificationTokenVerifier } from '../handlers/buy-with-prime/lib/verification.js';
import { startDynalite } from '../__tests__/helpers/dynalite.js';
import { FakeKmsCipher, newSigningKey, signVerificationToken } from '../__tests__/helpers/bwp-fakes.js';

async function timePerOp(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - started) / 1e6 / n;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ddb = await startDynalite();
  try {
    await ddb.createTable('bench-tokens', { partitionKey: 'pk' });
    const store = new TokenStore(ddb.client, 'bench-tokens');
    const cipher = new FakeKmsCipher();
    let clock = Date.now();
    let refreshes = 0;
    const svc = (now = () => clock) =>
      new TokenService({
        store,
        cipher,
        now,
        refresher: async () => ({ accessToken: `at-${++refreshes}`, refreshToken: `rt-${refreshes}`, expiresIn: 900 }),
      });
    const writer = svc();
    await writer.saveInstallation('bench-1', { accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 900 });

    const hot = svc();
    await hot.getAccessToken('bench-1');
    const cached = await timePerOp(100_000, () => hot.getAccessToken('bench-1'));
    rows.push({ group: 'bwp', name: 'token service: cached access token', value: cached * 1000, unit: 'µs/op', note: 'in-memory, no I/O' });

    const cold = await timePerOp(300, () => svc().getAccessToken('bench-1'));
    rows.push({ group: 'bwp', name: 'token service: store read + decrypt (cold instance)', value: cold, unit: 'ms/op', note: '1 GetItem + 1 data-key decrypt' });

    const refresh = await timePerOp(100, async () => {
      clock += 1_000_000; // past expiry every time
      return svc().getAccessToken('bench-1');
    });
    rows.push({ group: 'bwp', name: 'token service: lease + refresh + compare-and-set', value: refresh, unit: 'ms/op', note: 'GetItem, lease update, seal, CAS update' });

    const before = refreshes;
    clock += 1_000_000;
    const workers = Array.from({ length: 8 }, () => svc());
    const started = process.hrtime.bigint();
    await Promise.all(workers.map((w) => w.getAccessToken('bench-1')));
    rows.push({ group: 'bwp', name: '8 workers refreshing at once: wall time', value: Number(process.hrtime.bigint() - started) / 1e6, unit: 'ms', note: `${refreshes - before} token request(s)` });

    const ctx = { purpose: 'bwp-oauth-tokens', installation_id: 'bench-1' };
    const sealed = await seal(cipher, ctx, { access_token: 'a'.repeat(900), refresh_token: 'r'.repeat(400) });
    rows.push({ group: 'bwp', name: 'envelope seal (2 fields)', value: (await timePerOp(5_000, () => seal(cipher, ctx, { access_token: 'a'.repeat(900), refresh_token: 'r'.repeat(400) }))) * 1000, unit: 'µs/op' });
    rows.push({ group: 'bwp', name: 'envelope open (access token only)', value: (await timePerOp(5_000, () => open(cipher, ctx, sealed, ['access_token']))) * 1000, unit: 'µs/op' });

    const key = await newSigningKey();
    const base = 'https://bwp.example.com';
    const token = await signVerificationToken(key.privateKey, { publicBaseUrl: base, path: '/settings', installationId: 'bench-1' });
    const verifier = new VerificationTokenVerifier({ publicKeyPem: key.publicKeyPem, publicBaseUrl: base });
    const req = { path: '/settings', rawQuery: '', headers: { 'verification-token': token }, body: '' };
    rows.push({ group: 'bwp', name: 'verification-token check (ES256 + request hash)', value: (await timePerOp(2_000, () => verifier.verify(req))) * 1000, unit: 'µs/op' });
  } finally {
    await ddb.stop();
  }
  return rows;
}
