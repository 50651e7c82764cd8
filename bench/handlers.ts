/** Each handler's bundle and zip size, and its cold import time in a fresh Node process next to `node -e 0`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle, handlerNames, zip } from '../scripts/build-handlers.js';
import type { BenchRow } from '../scripts/bench.js';

const RUNS = 7;

/** Dummy environment so module-level code that reads configuration can load. */
const ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCH000000000000',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  // AMS handlers (as stacks/ams/stack.ts sets them).
  DATASET_ID: 'sp-traffic',
  ADVERTISING_REGION: 'NA',
  DATA_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench-data',
  CONFIRMATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-confirm',
  // Buy with Prime handlers (as stacks/buy-with-prime/stack.ts sets them; nothing is called at import).
  BWP_TOKENS_TABLE: 'bench-tokens',
  BWP_EVENTS_TABLE: 'bench-events',
  BWP_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/bench',
  BWP_CLIENT_ID: 'bench',
  BWP_CLIENT_SECRET_ID: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
  BWP_ISSUER: 'https://auth.example.com',
  BWP_AUTHORIZE_URL: 'https://auth.example.com/authorize',
  BWP_TOKEN_URL: 'https://auth.example.com/token',
  BWP_PUBLIC_BASE_URL: 'https://bwp.example.com',
  BWP_VERIFICATION_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9NrnQefbdiD4Tk65eY2r/fXtf4VV\nPIBdR7qP73NhRBdNhUNfERayW67OP+ufvhpgdWUcbxXQkos8KkwL8yRMzQ==\n-----END PUBLIC KEY-----\n',
  BWP_API_URL: 'https://api.example.com/graphql',
  // Clickstream handlers (as stacks/clickstream/stack.ts sets them).
  STREAM_NAME: 'bench-clickstream',
  TABLE_NAME: 'bench-clickstream',
  REJECTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench-clickstream-rejects',
  // Client events handlers (as stacks/client-events/stack.ts sets them; nothing is called at import).
  USER_POOL_ID: 'us-east-1_Bench0001',
  USER_POOL_CLIENT_ID: 'benchclientid0000000000000',
  CLIENT_ID_ATTRIBUTE: 'custom:clientId',
};

function medianMs(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env: { ...process.env, ...ENV }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)];
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-handlers-'));
  const rows: BenchRow[] = [];
  try {
    const bare = medianMs(['-e', '0']);
    rows.push({ group: 'handlers', name: 'node -e 0 (baseline process start)', value: bare, unit: 'ms' });
    for (const name of handlerNames()) {
      const code = await bundle(name);
      const zipped = await zip([{ name: 'index.mjs', data: code }]);
      const file = join(dir, `${name}.mjs`);
      writeFileSync(file, code);
      const cold = medianMs(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`]);
      rows.push({ group: 'handlers', name: `${name}: bundle`, value: Math.round(code.length / 102.4) / 10, unit: 'KB' });
      rows.push({ group: 'handlers', name: `${name}: zip`, value: Math.round(zipped.length / 102.4) / 10, unit: 'KB', goal: '< 150 KB' });
      rows.push({ group: 'handlers', name: `${name}: cold import`, value: cold, unit: 'ms', note: `+${(cold - bare).toFixed(0)} ms over node -e 0` });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
