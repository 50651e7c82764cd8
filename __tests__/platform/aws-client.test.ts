/**
 * The handlers' SDK client factory (handlers/shared/aws-client.ts): real requests through a client it built, against
 * a loopback fake of an AWS JSON service, with a proxy around the logger that records which of its properties
 * the SDK reads and which methods it calls. The SDK's documented contract is only "a Logger with debug, info,
 * warn, error"; the factory relies on the SDK calling `info`/`error` optionally (`logger?.info?.(...)`) after
 * each request. If a future SDK version calls a method unconditionally, the request fails with a TypeError here;
 * if it stops consulting the client's logger (so the saving is gone or moved), the recorded reads show it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CreateKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsClient, SDK_LOGGER } from '../../handlers/shared/aws-client.js';
import { HANDLERS_DIR } from '../../scripts/build-handlers.js';
import { awsJsonError, startFakeAwsJson, type FakeAwsJson } from '../helpers/fake-aws-json.js';

let fake: FakeAwsJson;
const saved: Record<string, string | undefined> = {};
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDLOGGERTEST000001', AWS_SECRET_ACCESS_KEY: 'logger-test', AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined };

beforeAll(async () => {
  fake = await startFakeAwsJson({
    ListKeys: () => ({ Keys: [{ KeyId: 'k1', KeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k1' }] }),
    CreateKey: () => {
      throw awsJsonError('LimitExceededException', 'too many keys');
    },
  });
});
afterAll(() => fake.stop());
beforeEach(() => {
  // The default credential chain reads these (and calls logger.debug on the way): the path a handler takes.
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A proxy over a copy of `logger` that records property reads and method calls. */
function recording(logger: object): { logger: object; reads: string[]; calls: string[] } {
  const reads: string[] = [];
  const calls: string[] = [];
  const proxy = new Proxy({ ...logger } as Record<string | symbol, unknown>, {
    get(target, prop, receiver) {
      if (typeof prop === 'string') reads.push(prop);
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (...args: unknown[]) => (calls.push(String(prop)), (v as (...a: unknown[]) => unknown)(...args)) : v;
    },
  });
  return { logger: proxy, reads, calls };
}

const client = (logger: object): KMSClient => awsClient(KMSClient, { region: 'us-east-1', endpoint: fake.url, maxAttempts: 1 }, logger);

describe('awsClient (the handlers SDK client factory)', () => {
  it('builds clients with SDK_LOGGER: debug and warn only', () => {
    expect(Object.keys(SDK_LOGGER).sort()).toEqual(['debug', 'warn']);
    const c = awsClient(KMSClient, { region: 'us-east-1' });
    expect(c.config.logger).toBe(SDK_LOGGER);
  });

  it('a successful request consults the logger for info but never calls a method it lacks (no sensitive-log copy)', async () => {
    const r = recording(SDK_LOGGER);
    const out = await client(r.logger).send(new ListKeysCommand({}));
    expect(out.Keys?.[0]?.KeyId).toBe('k1');
    expect(fake.calls.at(-1)?.op).toBe('ListKeys');
    // The logger middleware looked for `info` on this very logger, found none and skipped the filter and the copy.
    expect(r.reads).toContain('info');
    expect(r.calls.filter((c) => c !== 'debug' && c !== 'warn')).toEqual([]);
  });

  it('a failed request consults the logger for error but calls nothing it lacks; the service error comes through', async () => {
    const r = recording(SDK_LOGGER);
    await expect(client(r.logger).send(new CreateKeyCommand({}))).rejects.toMatchObject({ name: 'LimitExceededException' });
    expect(r.reads).toContain('error');
    expect(r.calls.filter((c) => c !== 'debug' && c !== 'warn')).toEqual([]);
  });

  it('control: a logger that has info and error gets them called with the filtered input (what the factory avoids)', async () => {
    const entries: unknown[] = [];
    const full = { debug() {}, info: (e: unknown) => entries.push(e), warn() {}, error: (e: unknown) => entries.push(e) };
    const r = recording(full);
    await client(r.logger).send(new ListKeysCommand({ Limit: 5 }));
    await expect(client(r.logger).send(new CreateKeyCommand({}))).rejects.toThrow();
    expect(r.calls).toContain('info');
    expect(r.calls).toContain('error');
    expect(entries[0]).toMatchObject({ commandName: 'ListKeysCommand', input: { Limit: 5 } });
  });

  it('is how every handler builds its SDK clients (no `new <Sdk>Client(` under handlers/)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && p !== join(HANDLERS_DIR, 'shared', 'aws-client.ts')) {
          const text = readFileSync(p, 'utf8');
          const sdkClasses = [...text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-[\w-]+'/g)].flatMap((m) => m[1].split(',').map((x) => x.trim().split(/\s+as\s+/).pop()!));
          for (const cls of sdkClasses.filter((c) => c.endsWith('Client'))) {
            if (new RegExp(`new\\s+${cls}\\s*\\(`).test(text)) offenders.push(`${relative(HANDLERS_DIR, p)}: new ${cls}(`);
          }
        }
      }
    };
    walk(HANDLERS_DIR);
    expect(offenders).toEqual([]);
  });
});
