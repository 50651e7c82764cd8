/**
 * The handler bundles as Lambda runs them (the emulator tests run the source): built by scripts/build-handlers.ts,
 * started as `node` processes with only the environment Lambda gives a function, calling a loopback fake of the
 * AWS services that checks each request's SigV4 signature against the documented algorithm (helpers/sigv4.ts).
 *
 * Contracts: Lambda's runtime environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * AWS_REGION: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * SigV4 with temporary credentials (the session token in X-Amz-Security-Token, a signed header), Cognito's
 * AdminUpdateUserAttributes (JSON 1.1) and SNS PublishBatch (query protocol, XML answer) request shapes.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/build-handlers.js';
import { notificationEnvelope, spTrafficRecord } from '../helpers/ams-records.js';
import { checkSigV4, type SigV4Check } from '../helpers/sigv4.js';
import { sqsRecord } from '../helpers/sqs-records.js';

const CREDS = { AWS_ACCESS_KEY_ID: 'ASIATESTBUNDLE000001', AWS_SECRET_ACCESS_KEY: 'bundle-test-secret/+key', AWS_SESSION_TOKEN: 'bundle-test-session-token==' };

interface Received { target: string; action: string | null; body: string; sig: SigV4Check; sessionToken: unknown }

let dir: string;
let server: Server;
let url: string;
const received: Received[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-bundles-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      let sig: SigV4Check;
      try {
        sig = checkSigV4({ method: req.method!, url: req.url!, headers: req.headers, body }, CREDS.AWS_SECRET_ACCESS_KEY);
      } catch (err) {
        res.writeHead(403, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'IncompleteSignatureException', message: (err as Error).message }));
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target ? null : new URLSearchParams(text).get('Action');
      received.push({ target, action, body: text, sig, sessionToken: req.headers['x-amz-security-token'] });
      if (!sig.valid) {
        res.writeHead(403, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'SignatureDoesNotMatch', message: 'signature' }));
      } else if (target) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{}');
      } else {
        const ids = [...new URLSearchParams(text).entries()].filter(([k]) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(k)).map(([, v]) => v);
        res.writeHead(200, { 'content-type': 'text/xml' }).end(
          `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>${ids
            .map((id) => `<member><Id>${id}</Id><MessageId>m-${id}</MessageId></member>`)
            .join('')}</Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`,
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

interface Invocation {
  result?: unknown;
  error?: string;
  /** With `probe`: whether that built-in was loaded once the bundle was imported, and after the call. */
  loaded?: { atImport: boolean; afterInvoke: boolean };
  /** With `probe`: everything the process wrote on stdout (its log lines). */
  stdout?: string;
}

/**
 * Bundles `name`, imports it in a fresh `node` with exactly `env` and invokes its handler once with `event`;
 * `probe` names a Node built-in whose loading is recorded (process.moduleLoadList).
 */
async function invokeBundle(name: string, event: unknown, env: Record<string, string>, probe?: string): Promise<Invocation> {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, await bundle(name));
  const driver = `const loaded = () => process.moduleLoadList.includes(${JSON.stringify(`NativeModule ${probe}`)});
const m = await import(${JSON.stringify(pathToFileURL(file).href)});
const atImport = loaded();
const report = (out) => process.stdout.write('\\n' + JSON.stringify(${probe ? '{ ...out, loaded: { atImport, afterInvoke: loaded() } }' : 'out'}));
try { report({ result: await m.handler(${JSON.stringify(event)}, {}) }); }
catch (e) { report({ error: e.name + ': ' + e.message }); }
process.exit(0);`;
  const stdout = await new Promise<string>((resolvePromise, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', driver], { env, encoding: 'utf8', timeout: 30_000 }, (err, out, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolvePromise(out),
    ),
  );
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Invocation;
  return probe ? { ...out, stdout } : out;
}

const lambdaEnv = (extra: Record<string, string>): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
  AWS_ENDPOINT_URL: url,
  HOME: join(dir, 'home'),
  ...extra,
});

const postConfirmationEvent = {
  version: '1',
  region: 'us-east-1',
  userPoolId: 'us-east-1_Bundle0001',
  userName: 'bundle-user',
  triggerSource: 'PostConfirmation_ConfirmSignUp',
  callerContext: { awsSdkVersion: 'x', clientId: 'bundleclient' },
  request: { userAttributes: { sub: '00000000-0000-4000-8000-000000000001' } },
  response: {},
};

describe('handler bundles', () => {
  it('load Node built-ins through require only: no static or dynamic ES-module import of node:* (nodejs/node#59686)', async () => {
    for (const name of ['ams-fan-out', 'clickstream-ingest', 'client-events-transform']) {
      const code = (await bundle(name)).toString('utf8');
      // The banner's `import { createRequire } from 'node:module'` is the one ES-module import of a built-in.
      const esmImports = [...code.matchAll(/(?:from\s*|import\s*\(\s*|import\s*)["'](node:[\w/]+|http|https|http2|crypto|stream|fs|os|path|url|zlib)["']/g)].map((m) => m[1]);
      expect(esmImports, name).toEqual(['node:module']);
      if (name !== 'client-events-transform') expect(code, name).toMatch(/\("node:https"\)/); // through the banner's require (minified name)
    }
  });

  it('load node:crypto on first use: the SDK-free transform never loads it unless debug-log sampling draws a number', async () => {
    const event = { records: [{ recordId: 'r1', approximateArrivalTimestamp: 1, data: Buffer.from('{}').toString('base64') }] };
    const transformed = { result: { records: [{ recordId: 'r1', result: 'ProcessingFailed' }] } };
    const plain = await invokeBundle('client-events-transform', event, lambdaEnv({}), 'crypto');
    expect(plain).toMatchObject({ ...transformed, loaded: { atImport: false, afterInvoke: false } });
    expect(plain.stdout).toContain('"message":"transformed"');
    // Sampling configured: Powertools draws with crypto.randomInt, which the lazy stand-in then loads and serves.
    const sampled = await invokeBundle('client-events-transform', event, lambdaEnv({ POWERTOOLS_LOGGER_SAMPLE_RATE: '1' }), 'crypto');
    expect(sampled).toMatchObject({ ...transformed, loaded: { atImport: true } });
    expect(sampled.stdout).toContain('"sampling_rate":1');
  });

  it('bundle only the environment credential provider (no SSO, ini-file, process or web-identity providers)', async () => {
    const code = (await bundle('client-events-post-confirmation')).toString('utf8');
    expect(code).toContain('Unable to find environment variable credentials.');
    for (const marker of ['credential-provider-sso', 'credential-provider-ini', 'credential-provider-process', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      expect(code, marker).not.toContain(marker);
    }
  });

  it('post-confirmation (Cognito, JSON protocol) signs AdminUpdateUserAttributes with the environment credentials', async () => {
    received.length = 0;
    const out = await invokeBundle('client-events-post-confirmation', postConfirmationEvent, lambdaEnv({ ...CREDS, CLIENT_ID_ATTRIBUTE: 'custom:clientId' }));
    expect(out.error).toBeUndefined();
    expect(out.result).toEqual(postConfirmationEvent);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r.target).toBe('AWSCognitoIdentityProviderService.AdminUpdateUserAttributes');
    expect(JSON.parse(r.body)).toMatchObject({ UserPoolId: 'us-east-1_Bundle0001', Username: 'bundle-user', UserAttributes: [{ Name: 'custom:clientId' }] });
    expect(r.sig).toMatchObject({ accessKeyId: CREDS.AWS_ACCESS_KEY_ID, region: 'us-east-1', service: 'cognito-idp', valid: true });
    expect(r.sessionToken).toBe(CREDS.AWS_SESSION_TOKEN);
    expect(r.sig.signedHeaders).toContain('x-amz-security-token');
  });

  it('ams-fan-out (SNS, query protocol) signs PublishBatch with the environment credentials', async () => {
    received.length = 0;
    const event = { Records: [0, 1, 2].map((i) => sqsRecord(JSON.stringify(notificationEnvelope(spTrafficRecord(i))), `m-${i}`)) };
    const out = await invokeBundle('ams-fan-out', event, lambdaEnv({
      ...CREDS,
      DATASET_ID: 'sp-traffic',
      ADVERTISING_REGION: 'NA',
      DATA_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bundle-data',
      CONFIRMATION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bundle-confirm',
    }));
    expect(out).toEqual({ result: { batchItemFailures: [] } });
    expect(received.map((r) => r.action)).toEqual(['PublishBatch']);
    expect(received[0].sig).toMatchObject({ accessKeyId: CREDS.AWS_ACCESS_KEY_ID, service: 'sns', valid: true });
    expect(received[0].sessionToken).toBe(CREDS.AWS_SESSION_TOKEN);
  });

  it('a wrong secret is caught by the fake (the signature check can fail)', async () => {
    received.length = 0;
    const out = await invokeBundle('client-events-post-confirmation', postConfirmationEvent, lambdaEnv({ ...CREDS, AWS_SECRET_ACCESS_KEY: 'another-secret' }));
    expect(out.error).toMatch(/SignatureDoesNotMatch/);
    expect(received[0].sig.valid).toBe(false);
  });

  it('never look past the environment: credentials in ~/.aws/credentials are not used, the call fails clearly', async () => {
    received.length = 0;
    const home = join(dir, 'home-with-profile');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_access_key_id = ${CREDS.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${CREDS.AWS_SECRET_ACCESS_KEY}\n`);
    const out = await invokeBundle('client-events-post-confirmation', postConfirmationEvent, { ...lambdaEnv({}), HOME: home });
    expect(out.error).toMatch(/Unable to find environment variable credentials/);
    expect(received).toHaveLength(0);
  });
});
