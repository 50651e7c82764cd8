/**
 * `npm run client-events:connect` against a fake AWS JSON endpoint on 127.0.0.1 (Secrets Manager GetSecretValue,
 * EventBridge DescribeConnection/UpdateConnection): the username is built in Zendesk's `<email>/token` form, the
 * secret's problems are explained by key, missing resources are explained, and the token is never printed.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clients, connect, credentialsFromSecret, main, maskUsername, parseArgs, resolveTarget, SecretFormatError, UsageError,
  zendeskConnectionName,
} from '../../cli/client-events/connection.js';
import { configWith, loadConfig } from '../../config/index.js';
import { fromRoot } from '../../lib/paths.js';
import { awsJsonError, startFakeAwsJson, type AwsJsonCall, type FakeAwsJson } from '../helpers/fake-aws-json.js';

const TOKEN = 'zd-TOKEN-s3cr3t-value-0123456789';
const FULL = 'config/examples/full.json';

let fake: FakeAwsJson;
let endpoint: string;
/** Secrets by SecretId (the SecretString), and connections by name (their AuthorizationType). */
let secrets: Record<string, string> = {};
let connections: Record<string, string> = {};

beforeAll(async () => {
  fake = await startFakeAwsJson({
    GetSecretValue: (body) => {
      const s = secrets[String(body.SecretId)];
      if (s === undefined) throw awsJsonError('ResourceNotFoundException', 'Secret not found');
      return { ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${body.SecretId}-AbCdEf`, Name: body.SecretId, SecretString: s };
    },
    DescribeConnection: (body) => {
      const type = connections[String(body.Name)];
      if (type === undefined) throw awsJsonError('ResourceNotFoundException', 'Connection not found');
      return { Name: body.Name, AuthorizationType: type, ConnectionState: 'AUTHORIZED' };
    },
    UpdateConnection: (body) => ({ ConnectionArn: `arn:aws:events:us-east-1:123456789012:connection/${body.Name}/abc`, ConnectionState: 'AUTHORIZING' }),
  });
  endpoint = fake.url;
});
afterAll(() => fake.stop());
const calls = (): AwsJsonCall[] => fake.calls;

const config = loadConfig(FULL);
const target = resolveTarget(config, { region: 'us-east-1' });

beforeEach(() => {
  fake.calls.length = 0;
  secrets = { [config.clientEvents.zendesk.secretName]: JSON.stringify({ email: 'agent@example.com', token: TOKEN }) };
  connections = { [target.connectionName]: 'BASIC' };
});

const deps = (lines: string[]) => ({
  ...clients('us-east-1', endpoint),
  log: (l: string) => lines.push(l),
});

// The SDK needs credentials; the fake endpoint ignores the signature.
process.env.AWS_ACCESS_KEY_ID ??= 'AKIAFAKEFORTESTS0000';
process.env.AWS_SECRET_ACCESS_KEY ??= 'fake-secret-for-tests';

describe('client-events:connect', () => {
  it('names the connection and secret from the config', () => {
    expect(target).toEqual({ region: 'us-east-1', connectionName: 'tribx-use1-client-events-zendesk', secretName: 'tributary/zendesk-api' });
    expect(zendeskConnectionName(config, 'eu-west-1')).toBe('tribx-euw1-client-events-zendesk');
  });

  it('email + token: sets basic auth with username <email>/token and the token as password, never printing it', async () => {
    const lines: string[] = [];
    const result = await connect(target, deps(lines));
    expect(calls().map((c) => c.target)).toEqual(['AWSEvents.DescribeConnection', 'secretsmanager.GetSecretValue', 'AWSEvents.UpdateConnection']);
    expect(calls()[1].body).toEqual({ SecretId: 'tributary/zendesk-api' });
    expect(calls()[2].body).toEqual({
      Name: 'tribx-use1-client-events-zendesk',
      AuthorizationType: 'BASIC',
      AuthParameters: { BasicAuthParameters: { Username: 'agent@example.com/token', Password: TOKEN } },
    });
    expect(result).toMatchObject({ state: 'AUTHORIZING', username: 'agent@example.com/token' });
    expect(lines.join('\n')).toContain('a***@example.com/token');
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain('agent@');
  });

  it('username already in <email>/token form is used as is', async () => {
    secrets['tributary/zendesk-api'] = JSON.stringify({ username: 'ops@example.com/token', token: TOKEN });
    await connect(target, deps([]));
    expect((calls()[2].body.AuthParameters as { BasicAuthParameters: unknown }).BasicAuthParameters).toEqual({ Username: 'ops@example.com/token', Password: TOKEN });
  });

  it('a bad secret is explained by key, nothing is updated, and the token never appears in the message', async () => {
    secrets['tributary/zendesk-api'] = JSON.stringify({ email: 'agent@example.com', password: TOKEN });
    const e = await connect(target, deps([])).catch((x: Error) => x);
    expect(e).toBeInstanceOf(SecretFormatError);
    expect(String(e)).toMatch(/no "token" key/);
    expect(String(e)).not.toContain(TOKEN);
    expect(calls().map((c) => c.target)).not.toContain('AWSEvents.UpdateConnection');
  });

  it('a missing connection says to deploy the stack; a missing secret says to create it', async () => {
    connections = {};
    await expect(connect(target, deps([]))).rejects.toThrow(/connection tribx-use1-client-events-zendesk does not exist in us-east-1: deploy the client-events stack first/);
    connections = { [target.connectionName]: 'API_KEY' };
    await expect(connect(target, deps([]))).rejects.toThrow(/uses API_KEY authorization, not BASIC/);
    connections = { [target.connectionName]: 'BASIC' };
    secrets = {};
    await expect(connect(target, deps([]))).rejects.toThrow(/secret tributary\/zendesk-api does not exist in us-east-1/);
  });

  it('main(): runs end to end with --endpoint (exit 0), and reports failures with exit 1', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(['--region', 'us-east-1', '--config', FULL, '--endpoint', endpoint], (l) => out.push(l), (l) => err.push(l))).toBe(0);
    expect(out.join('\n')).toMatch(/basic auth set for a\*\*\*@example\.com\/token/);
    secrets = {};
    expect(await main(['--region', 'us-east-1', '--config', FULL, '--endpoint', endpoint], (l) => out.push(l), (l) => err.push(l))).toBe(1);
    expect(err.join('\n')).toMatch(/client-events:connect failed: secret .* does not exist/);
    expect([...out, ...err].join('\n')).not.toContain(TOKEN);
  });

  it('main(): --help prints usage with examples on stdout and exits 0; a missing --region exits 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await main(['--help'], (l) => out.push(l), (l) => err.push(l))).toBe(0);
    expect(out.join('\n')).toMatch(/^usage: npm run client-events:connect[\s\S]*Examples:[\s\S]*Exit codes: 0 updated/);
    expect(err).toEqual([]);
    expect(await main(['--config', FULL], (l) => out.push(l), (l) => err.push(l))).toBe(2);
    expect(err.join('\n')).toMatch(/^--region is required/);
  });

  it('the command itself (npm run client-events:connect) updates the connection', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/client-events/connection.ts', '--region', 'us-east-1', '--config', FULL, '--endpoint', endpoint], {
      cwd: fromRoot(),
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAFAKEFORTESTS0000', AWS_SECRET_ACCESS_KEY: 'fake', AWS_PROFILE: '' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, output).toBe(0);
    expect(output).toContain('tribx-use1-client-events-zendesk (us-east-1): basic auth set');
    expect(output).not.toContain(TOKEN);
    expect(calls().find((c) => c.target === 'AWSEvents.UpdateConnection')).toBeDefined();
  });
});

describe('arguments and config', () => {
  it('requires --region and rejects unknown options', () => {
    expect(() => parseArgs([])).toThrow(UsageError);
    expect(() => parseArgs([])).toThrow(/--region is required/);
    expect(() => parseArgs(['--region', 'us-east-1', '--token', 'x'])).toThrow(/^unknown option --token\n/);
    expect(() => parseArgs(['--region', 'us-east-1', '--endpoint', 'ftp://x'])).toThrow(/--endpoint must be an http\(s\) URL/);
    expect(parseArgs(['--region', 'eu-west-1', '--secret-name', 's'])).toMatchObject({ region: 'eu-west-1', secretName: 's' });
  });

  it('refuses a config without client events or Zendesk, or a region without a stack', () => {
    expect(() => resolveTarget(configWith({}), { region: 'us-east-1' })).toThrow(/clientEvents\.enabled is false/);
    expect(() => resolveTarget(configWith({ clientEvents: { enabled: true } }), { region: 'us-east-1' })).toThrow(/clientEvents\.zendesk\.enabled is false/);
    expect(() => resolveTarget(config, { region: 'ap-south-1' })).toThrow(/no client-events stack in this config; configured regions are: us-east-1, eu-west-1/);
    expect(resolveTarget(configWith({}), { region: 'ap-south-1', connectionName: 'c', secretName: 's' })).toEqual({ region: 'ap-south-1', connectionName: 'c', secretName: 's' });
  });
});

describe('secret format', () => {
  it.each([
    [undefined, /no SecretString/],
    ['not json', /is not JSON/],
    ['[1]', /not a JSON object/],
    [JSON.stringify({ email: 'a@example.com' }), /no "token" key/],
    [JSON.stringify({ email: 'a@example.com', token: '' }), /no "token" key/],
    [JSON.stringify({ email: 'a@example.com', token: 'two words' }), /"token" contains whitespace/],
    [JSON.stringify({ token: 't' }), /neither "email" nor "username"/],
    [JSON.stringify({ email: 'a@example.com/token', token: 't' }), /"email" must be .* \(without "\/token": it is added\)/],
    [JSON.stringify({ email: 'not-an-address', token: 't' }), /"email" must be the Zendesk agent's e-mail address/],
    [JSON.stringify({ username: 'a@example.com', token: 't' }), /"username" must be Zendesk's API token form "<agent e-mail>\/token"/],
  ])('%j is refused with the key named', (secret, message) => {
    expect(() => credentialsFromSecret(secret, 'zd')).toThrow(message);
  });

  // The original sample's secret (template.yaml resolves proto/zendesk keys "username" and "apiToken"):
  // "apiToken" is read as "token", so the sample's secret works once its username has Zendesk's "/token" form.
  it('accepts the sample\'s key name "apiToken" for the token ("token" wins when both are there)', () => {
    expect(credentialsFromSecret(JSON.stringify({ username: 'agent@example.com/token', apiToken: 'abc' }), 'zd')).toEqual({ username: 'agent@example.com/token', password: 'abc' });
    expect(credentialsFromSecret(JSON.stringify({ email: 'agent@example.com', apiToken: 'abc', token: 'def' }), 'zd').password).toBe('def');
    expect(() => credentialsFromSecret(JSON.stringify({ email: 'agent@example.com', apiToken: '' }), 'zd')).toThrow(/no "token" key/);
  });

  it('masks the username it prints', () => {
    expect(maskUsername('agent@example.com/token')).toBe('a***@example.com/token');
  });
});
