/**
 * Sets the Zendesk credentials of a deployed client-events stack's EventBridge connection from the Secrets Manager
 * secret named in the config, so they never pass through Terraform (state, plan or outputs).
 *
 *   npm run client-events:connect -- --region us-east-1 [--config config/prod.json] [--connection-name <name>]
 *       [--secret-name <name or ARN>] [--endpoint http://127.0.0.1:4566]
 *
 * The secret is JSON: `{"email": "agent@example.com", "token": "<Zendesk API token>"}`, or
 * `{"username": "agent@example.com/token", "token": "..."}`. Zendesk's API token authentication uses basic auth with
 * the username `<email>/token` and the token as password; the command builds that username, checks the connection
 * exists with BASIC authorization, and calls UpdateConnection. The token is never printed.
 *
 * Run it after every deployment that (re)creates the connection, and after rotating the token. Until it has run,
 * deliveries to Zendesk fail with 401 and land in the Zendesk target's dead-letter queue (alarmed).
 * Exit codes: 0 updated, 1 failed (AWS error, bad secret), 2 bad arguments or config.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeConnectionCommand, EventBridgeClient, UpdateConnectionCommand } from '@aws-sdk/client-eventbridge';
import { loadConfig, type TributaryConfig } from '../../config/index.js';
import { Naming } from '../../modules/naming.js';
import { ZENDESK_CONNECTION_PURPOSE } from '../../contracts/client-events.js';
import { HelpRequested, UsageError } from '../shared/errors.js';
import { parseToolOptions } from '../shared/args.js';

export { HelpRequested, UsageError };
/** A problem with the secret's content: the message says which key is wrong, never its value. */
export class SecretFormatError extends Error {}

export const USAGE = `usage: npm run client-events:connect -- --region <aws region> [--config <config.json>]
          [--connection-name <name>] [--secret-name <secret name or ARN>] [--endpoint <url>]

Copies the Zendesk credentials from Secrets Manager into the client-events stack's EventBridge connection.
The secret must be JSON: {"email": "agent@example.com", "token": "<API token>"}
                     or: {"username": "agent@example.com/token", "token": "<API token>"}
("apiToken", the original sample's key, is read when "token" is absent.)
Run it after the first deploy of a client-events stack with Zendesk on, after rotating the token, and after any
deployment that replaces the connection. It needs secretsmanager:GetSecretValue on the secret and
events:DescribeConnection / events:UpdateConnection on the connection.

Examples:
  npm run client-events:connect -- --region us-east-1
  TRIBUTARY_CONFIG=config/prod.json npm run client-events:connect -- --region eu-west-1
  npm run client-events:connect -- --region us-east-1 --config config/prod.json --secret-name tributary/zendesk-api

Exit codes: 0 updated, 1 failed (AWS error, bad secret), 2 bad arguments or config.`;

export interface ConnectOptions {
  readonly region: string;
  readonly configPath?: string;
  readonly connectionName?: string;
  readonly secretName?: string;
  /** Endpoint for both AWS clients (tests, LocalStack). */
  readonly endpoint?: string;
}

export function parseArgs(argv: readonly string[]): ConnectOptions {
  const values: Record<string, string | undefined> = parseToolOptions(argv, { region: 'string', config: 'string', 'connection-name': 'string', 'secret-name': 'string', endpoint: 'string' }, USAGE);
  if (!values.region) throw new UsageError(`--region is required\n${USAGE}`);
  if (values.endpoint && !/^https?:\/\/[^\s/]+(\/.*)?$/.test(values.endpoint)) throw new UsageError(`--endpoint must be an http(s) URL, got ${JSON.stringify(values.endpoint)}`);
  return {
    region: values.region,
    configPath: values.config,
    connectionName: values['connection-name'],
    secretName: values['secret-name'],
    endpoint: values.endpoint,
  };
}

/** The connection name the client-events stack of `region` creates. */
export function zendeskConnectionName(config: TributaryConfig, region: string): string {
  return new Naming(config.prefix, region).name('connection', ZENDESK_CONNECTION_PURPOSE);
}

export interface Target {
  readonly region: string;
  readonly connectionName: string;
  readonly secretName: string;
}

/** Checks that the config deploys Zendesk in `region` and works out the connection and secret names. */
export function resolveTarget(config: TributaryConfig, opts: ConnectOptions): Target {
  const ce = config.clientEvents;
  if (!opts.connectionName || !opts.secretName) {
    if (!ce.enabled) throw new UsageError('clientEvents.enabled is false in this config: there is no client-events stack (use --config to name your config)');
    if (!ce.zendesk.enabled) throw new UsageError('clientEvents.zendesk.enabled is false in this config: the stack has no Zendesk connection');
    if (!ce.regions.includes(opts.region as never)) {
      throw new UsageError(`--region ${opts.region} has no client-events stack in this config; configured regions are: ${ce.regions.join(', ')}`);
    }
  }
  return {
    region: opts.region,
    connectionName: opts.connectionName ?? zendeskConnectionName(config, opts.region),
    secretName: opts.secretName ?? ce.zendesk.secretName,
  };
}

const EMAIL = /^[^@\s/]+@[^@\s/]+\.[^@\s/]+$/;

/**
 * Reads Zendesk basic-auth credentials from the secret's JSON text: `{email, token}` or `{username: "<email>/token",
 * token}` (`apiToken`, the original sample's key, is read when `token` is absent). Errors name the missing or
 * malformed key, never a value.
 */
export function credentialsFromSecret(secretString: string | undefined, secretName: string): { username: string; password: string } {
  const expected = 'expected JSON {"email": "<agent e-mail>", "token": "<Zendesk API token>"} or {"username": "<agent e-mail>/token", "token": "<Zendesk API token>"}';
  if (!secretString) throw new SecretFormatError(`secret ${secretName} has no SecretString (binary secrets are not supported); ${expected}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new SecretFormatError(`secret ${secretName} is not JSON; ${expected}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SecretFormatError(`secret ${secretName} is not a JSON object; ${expected}`);
  const s = parsed as Record<string, unknown>;
  // "apiToken" is the key the original sample's secret used.
  const token = s.token ?? s.apiToken;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new SecretFormatError(`secret ${secretName} has no "token" key (the Zendesk API token, a non-empty string); ${expected}`);
  }
  if (/\s/.test(token)) throw new SecretFormatError(`secret ${secretName}: "token" contains whitespace; paste the API token alone`);
  let username: string;
  if (s.username !== undefined) {
    if (typeof s.username !== 'string' || !s.username.endsWith('/token') || !EMAIL.test(s.username.slice(0, -'/token'.length))) {
      throw new SecretFormatError(
        `secret ${secretName}: "username" must be Zendesk's API token form "<agent e-mail>/token" (e.g. "agent@example.com/token"); ` +
          'or give the address alone under "email"',
      );
    }
    username = s.username;
  } else if (s.email !== undefined) {
    if (typeof s.email !== 'string' || !EMAIL.test(s.email)) {
      const hint = typeof s.email === 'string' && s.email.endsWith('/token') ? ' (without "/token": it is added)' : '';
      throw new SecretFormatError(`secret ${secretName}: "email" must be the Zendesk agent's e-mail address${hint}`);
    }
    username = `${s.email}/token`;
  } else {
    throw new SecretFormatError(`secret ${secretName} has neither "email" nor "username"; ${expected}`);
  }
  return { username, password: token };
}

/** agent@example.com/token -> a***@example.com/token */
export function maskUsername(username: string): string {
  return username.replace(/^([^@])[^@]*@/, '$1***@');
}

export interface ConnectDeps {
  readonly secretsManager: Pick<SecretsManagerClient, 'send'>;
  readonly eventBridge: Pick<EventBridgeClient, 'send'>;
  readonly log: (line: string) => void;
}

export interface ConnectResult {
  readonly connectionName: string;
  readonly connectionArn?: string;
  readonly state?: string;
  readonly username: string;
}

/** Reads the secret, checks the connection, and updates its basic-auth parameters. */
export async function connect(target: Target, deps: ConnectDeps): Promise<ConnectResult> {
  const described = await deps.eventBridge.send(new DescribeConnectionCommand({ Name: target.connectionName })).catch((err: Error) => {
    if (err.name === 'ResourceNotFoundException') {
      throw new Error(`connection ${target.connectionName} does not exist in ${target.region}: deploy the client-events stack first`);
    }
    throw err;
  });
  if (described.AuthorizationType !== 'BASIC') {
    throw new Error(`connection ${target.connectionName} uses ${described.AuthorizationType ?? 'no'} authorization, not BASIC: it is not the one the client-events stack creates`);
  }
  const secret = await deps.secretsManager.send(new GetSecretValueCommand({ SecretId: target.secretName })).catch((err: Error) => {
    if (err.name === 'ResourceNotFoundException') {
      throw new Error(`secret ${target.secretName} does not exist in ${target.region}: create it with {"email": ..., "token": ...} (docs/client-events.md)`);
    }
    throw err;
  });
  const { username, password } = credentialsFromSecret(secret.SecretString, target.secretName);
  const updated = await deps.eventBridge.send(
    new UpdateConnectionCommand({
      Name: target.connectionName,
      AuthorizationType: 'BASIC',
      AuthParameters: { BasicAuthParameters: { Username: username, Password: password } },
    }),
  );
  deps.log(`connection ${target.connectionName} (${target.region}): basic auth set for ${maskUsername(username)} from secret ${target.secretName}; state ${updated.ConnectionState ?? 'unknown'}`);
  return { connectionName: target.connectionName, connectionArn: updated.ConnectionArn, state: updated.ConnectionState, username };
}

export function clients(region: string, endpoint?: string): Pick<ConnectDeps, 'secretsManager' | 'eventBridge'> {
  const common = { region, ...(endpoint ? { endpoint } : {}), maxAttempts: 3 };
  return { secretsManager: new SecretsManagerClient(common), eventBridge: new EventBridgeClient(common) };
}

export async function main(argv: readonly string[], log = (l: string) => console.log(l), err = (l: string) => console.error(l)): Promise<number> {
  let target: Target;
  let opts: ConnectOptions;
  try {
    opts = parseArgs(argv);
    const config = loadConfig(opts.configPath);
    target = resolveTarget(config, opts);
  } catch (e) {
    if (e instanceof HelpRequested) {
      log(e.message);
      return 0;
    }
    err((e as Error).message);
    return 2;
  }
  try {
    await connect(target, { ...clients(target.region, opts.endpoint), log });
    return 0;
  } catch (e) {
    err(`client-events:connect failed: ${(e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
