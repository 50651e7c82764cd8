/**
 * The real entry points, configured only through environment variables as the stack configures them: the
 * install app's Lambda handler (API Gateway payload 2.0), the Fargate server as a separate node process, and the
 * event processor's Lambda handler. AWS services are local: dynalite for DynamoDB, and small JSON-protocol fakes
 * of Secrets Manager and KMS reached through the SDK's AWS_ENDPOINT_URL_<SERVICE> variables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsDataKeyCipher } from '../../handlers/buy-with-prime/lib/kms.js';
import { TokenStore } from '../../handlers/buy-with-prime/lib/token-store.js';
import { TokenService } from '../../handlers/buy-with-prime/lib/token-service.js';
import { startDynalite, type Dynalite } from '../helpers/dynalite.js';
import { awsJsonError, startFakeAwsJson, type FakeAwsJson } from '../helpers/fake-aws-json.js';
import { FakeGraphqlServer, FakeKmsCipher, newSigningKey } from '../helpers/bwp-fakes.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bwp-client-AbCdEf';
const CLIENT_SECRET = 'entry-test-client-secret-value';

let ddb: Dynalite;
let sm: FakeAwsJson;
let kms: FakeAwsJson;
let gql: FakeGraphqlServer;
let env: Record<string, string>;
const cipher = new FakeKmsCipher();

beforeAll(async () => {
  const [d, key] = await Promise.all([startDynalite(), newSigningKey()]);
  ddb = d;
  await Promise.all([ddb.createTable('entry-tokens', { partitionKey: 'pk' }), ddb.createTable('entry-events', { partitionKey: 'event_id' })]);
  sm = await startFakeAwsJson({
    GetSecretValue: (b) => {
      if (b.SecretId !== SECRET_ARN) throw awsJsonError('ResourceNotFoundException', 'not found');
      return { ARN: SECRET_ARN, Name: 'bwp-client', SecretString: JSON.stringify({ client_secret: CLIENT_SECRET }), VersionId: 'v1' };
    },
  });
  kms = await startFakeAwsJson({
    GenerateDataKey: async (b) => {
      const k = await cipher.generateDataKey(b.EncryptionContext ?? {});
      return { KeyId: b.KeyId, Plaintext: Buffer.from(k.plaintext).toString('base64'), CiphertextBlob: Buffer.from(k.encrypted).toString('base64') };
    },
    Decrypt: async (b) => ({
      KeyId: b.KeyId,
      Plaintext: Buffer.from(await cipher.decryptDataKey(Buffer.from(b.CiphertextBlob, 'base64'), b.EncryptionContext ?? {})).toString('base64'),
    }),
  });
  gql = new FakeGraphqlServer();
  await gql.start();
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDENTRYTEST',
    AWS_SECRET_ACCESS_KEY: 'entry-test',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_ENDPOINT_URL_KMS: kms.url,
    BWP_TOKENS_TABLE: 'entry-tokens',
    BWP_EVENTS_TABLE: 'entry-events',
    BWP_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/entry',
    BWP_CLIENT_ID: 'entry-client',
    BWP_CLIENT_SECRET_ID: SECRET_ARN,
    BWP_ISSUER: 'https://auth.example.com',
    BWP_AUTHORIZE_URL: 'https://auth.example.com/authorize',
    BWP_TOKEN_URL: 'https://auth.example.com/token',
    BWP_SCOPES: 'orders:read',
    BWP_PUBLIC_BASE_URL: 'https://bwp.example.com',
    BWP_VERIFICATION_PUBLIC_KEY: key.publicKeyPem,
    BWP_API_URL: gql.url,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  Object.assign(process.env, env);
});

afterAll(async () => {
  await Promise.all([
    sm?.stop(),
    kms?.stop(),
    gql?.stop(),
    ddb?.stop(),
  ]);
});

function apiEvent(method: string, rawPath: string, rawQueryString = ''): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    headers: { host: 'abc.execute-api.us-east-1.amazonaws.com' },
    isBase64Encoded: false,
    requestContext: { requestId: `req-${rawPath.slice(1)}`, http: { method, path: rawPath } },
  } as unknown as APIGatewayProxyEventV2;
}

describe('install app Lambda entry', () => {
  it('serves /health and /launch from environment configuration (secret from Secrets Manager)', async () => {
    const { handler } = (await import('../../handlers/buy-with-prime/oauth/index.js')) as { handler: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2> };
    const health = await handler(apiEvent('GET', '/health'));
    expect(health.statusCode).toBe(200);
    const launch = await handler(apiEvent('GET', '/launch'));
    expect(launch.statusCode).toBe(302);
    const location = new URL(String(launch.headers!.location));
    expect(location.origin + location.pathname).toBe('https://auth.example.com/authorize');
    expect(location.searchParams.get('redirect_uri')).toBe('https://bwp.example.com/install');
    expect(location.searchParams.get('client_id')).toBe('entry-client');
    expect(sm.calls.map((c) => c.op)).toContain('GetSecretValue');
    const items = (await ddb.client.send(new ScanCommand({ TableName: 'entry-tokens' }))).Items ?? [];
    expect(items.filter((i) => i.kind?.S === 'launch')).toHaveLength(1);
    const bad = await handler(apiEvent('GET', '/settings'));
    expect(bad.statusCode).toBe(401);
    expect((bad.headers as Record<string, string>)['x-correlation-id']).toBe('req-settings');
  });
});

describe('Fargate server process', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('listens, answers /health and /launch, and exits cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'handlers/buy-with-prime/oauth/server.ts'], {
      env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', POWERTOOLS_LOG_LEVEL: 'INFO' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
      child!.stdout!.on('data', (d) => {
        out += d;
        const m = /"message":"listening".*?"port":(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child!.stderr!.on('data', (d) => (out += d));
      child!.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    });
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    const launch = await fetch(`http://127.0.0.1:${port}/launch`, { redirect: 'manual' });
    expect(launch.status).toBe(302);
    expect(launch.headers.get('location')).toContain('code_challenge_method=S256');
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"message":"shutting down"');
    expect(out).not.toContain(CLIENT_SECRET);
  });
});

describe('event processor Lambda entry', () => {
  it('processes an SQS batch end to end with KMS-encrypted tokens and the GraphQL API', async () => {
    // An installation stored the way /install stores it, through KMS (the fake above).
    const tokens = new TokenService({
      store: new TokenStore(ddb.client, 'entry-tokens'),
      cipher: new KmsDataKeyCipher(new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), env.BWP_KMS_KEY_ID),
      refresher: async () => {
        throw new Error('no refresh expected');
      },
    });
    await tokens.saveInstallation('inst-entry', { accessToken: 'entry-access-token', refreshToken: 'entry-refresh-token', expiresIn: 900 }, 'bp-entry');
    gql.respond = (c) =>
      c.query.includes('buyWithPrimeStore')
        ? { body: { data: { buyWithPrimeStore: { siteId: 'site-e', widgetId: 'w' } } } }
        : { body: { data: { order: { id: c.variables.orderId } } } };
    const event = {
      Records: [
        {
          messageId: 'm-1',
          body: JSON.stringify({
            // Documented EventBridge form (documents.buywithprime.amazon.com/bwp-api/docs/refund_requested).
            id: 'ev-entry-1', 'detail-type': 'REFUND_REQUESTED', source: 'aws.partner/buywithprime/x', time: '2026-11-24T00:00:00Z',
            resources: ['businessProduct/bp-entry/order/o-entry/refund/rf-entry'], detail: {},
          }),
          attributes: { ApproximateReceiveCount: '1' },
        },
        { messageId: 'm-2', body: '{"broken":', attributes: { ApproximateReceiveCount: '1' } },
      ],
    } as unknown as SQSEvent;
    const { handler } = (await import('../../handlers/buy-with-prime/events/index.js')) as { handler: (e: SQSEvent) => Promise<SQSBatchResponse> };
    const res = await handler(event);
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(gql.calls.map((c) => c.authorization)).toEqual(['Bearer entry-access-token', 'Bearer entry-access-token']);
    expect(kms.calls.map((c) => c.op)).toContain('Decrypt');
    const stored = await ddb.client.send(new GetItemCommand({ TableName: 'entry-events', Key: { event_id: { S: 'ev-entry-1' } } }));
    expect(stored.Item?.site_id.S).toBe('site-e');
  });
});
