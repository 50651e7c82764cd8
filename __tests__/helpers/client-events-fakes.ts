/**
 * Test doubles for the client events tests, all on 127.0.0.1 (port 0, closed by the test that started them):
 *
 * - TokenSigner: a local RSA key (jose) that signs tokens with the claims Cognito puts in access and id tokens.
 * - FakeCognito: an AWS JSON 1.1 endpoint (X-Amz-Target AWSCognitoIdentityProviderService.<Op>) for InitiateAuth
 *   (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH), GetUser and AdminUpdateUserAttributes, issuing real signed tokens,
 *   and the pool's JWKS at GET /.well-known/jwks.json (requests counted). Point an SDK client at it with
 *   `endpoint` or AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER.
 * - FakeEventApi: `POST /event` as the REST API answers it (stacks/client-events/templates.ts): 401 without a
 *   token the FakeCognito issued (or an expired one), 400 for a body outside the request model, 200 when every
 *   entry is accepted, 400 (503 when retryable) with the failed entries and their index when some are rejected.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export const POOL_ID = 'us-east-1_TestPool01';
export const APP_CLIENT_ID = '4example0client0id0abcdefg';
export const REGION = 'us-east-1';
export const COGNITO_ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL_ID}`;

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

// ---- tokens ---------------------------------------------------------------------------------------------------

export interface TokenOptions {
  sub?: string;
  username?: string;
  issuer?: string;
  clientId?: string;
  tokenUse?: 'access' | 'id';
  /** Seconds since the epoch; default now. */
  iat?: number;
  expiresIn?: number;
  extraClaims?: Record<string, unknown>;
  kid?: string;
}

/** Signs Cognito-shaped tokens with a local RSA key; `jwks` is the public half. */
export class TokenSigner {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly kid: string,
  ) {}

  static async create(kid = `kid-${randomUUID()}`): Promise<TokenSigner> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    return new TokenSigner(privateKey, { ...jwk, kid, alg: 'RS256', use: 'sig' }, kid);
  }

  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  async sign(o: TokenOptions = {}): Promise<string> {
    const iat = o.iat ?? Math.floor(Date.now() / 1000);
    const sub = o.sub ?? randomUUID();
    const tokenUse = o.tokenUse ?? 'access';
    const claims: Record<string, unknown> =
      tokenUse === 'access'
        ? {
            sub, client_id: o.clientId ?? APP_CLIENT_ID, origin_jti: randomUUID(), event_id: randomUUID(), token_use: 'access',
            scope: 'aws.cognito.signin.user.admin', auth_time: iat, jti: randomUUID(), username: o.username ?? sub,
          }
        : {
            sub, aud: o.clientId ?? APP_CLIENT_ID, origin_jti: randomUUID(), event_id: randomUUID(), token_use: 'id',
            auth_time: iat, jti: randomUUID(), 'cognito:username': o.username ?? sub, email: 'user@example.com', email_verified: true,
          };
    return new SignJWT({ ...claims, ...o.extraClaims })
      .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? this.kid })
      .setIssuer(o.issuer ?? COGNITO_ISSUER)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (o.expiresIn ?? 3600))
      .sign(this.privateKey);
  }
}

// ---- Cognito --------------------------------------------------------------------------------------------------

export interface FakeUser {
  username: string;
  password: string;
  sub: string;
  attributes: Record<string, string>;
}

export interface CognitoCall {
  op: string;
  body: Record<string, unknown>;
}

type Json = Record<string, unknown>;

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export class FakeCognito {
  readonly server: Server;
  endpoint = '';
  readonly calls: CognitoCall[] = [];
  readonly users = new Map<string, FakeUser>();
  jwksRequests = 0;
  /** Access and id token lifetime, seconds. */
  accessTokenSeconds = 3600;
  /** Clock for issued tokens, seconds since the epoch (tests move it). */
  now: () => number = () => Math.floor(Date.now() / 1000);
  /** Access tokens GetUser refuses (revoked). */
  readonly revoked = new Set<string>();
  /** The next call of this operation fails with this error type (once). */
  failNext?: { op: string; type: string; status?: number };
  private readonly accessTokens = new Map<string, string>(); // token -> username
  private readonly refreshTokens = new Map<string, string>(); // refresh token -> username
  readonly issuedAccessTokens: string[] = [];

  constructor(
    readonly signer: TokenSigner,
    readonly poolId = POOL_ID,
    readonly appClientId = APP_CLIENT_ID,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<FakeCognito> {
    const f = new FakeCognito(await TokenSigner.create());
    f.endpoint = await listen(f.server);
    return f;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  get jwksUri(): string {
    return `${this.endpoint}/.well-known/jwks.json`;
  }

  addUser(username: string, password: string, attributes: Record<string, string> = {}): FakeUser {
    const user = { username, password, sub: randomUUID(), attributes: { ...attributes } };
    this.users.set(username, user);
    return user;
  }

  callsOf(op: string): CognitoCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** Whether `token` is an access token this fake issued and has not expired or been revoked. */
  accepts(token: string): boolean {
    if (!this.accessTokens.has(token) || this.revoked.has(token)) return false;
    const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).exp as number;
    return exp > this.now();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      this.jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.signer.jwks));
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('AWSCognitoIdentityProviderService.') ? target.slice('AWSCognitoIdentityProviderService.'.length) : '';
    let body: Json = {};
    try {
      body = JSON.parse((await readBody(req)) || '{}') as Json;
    } catch {
      body = {};
    }
    this.calls.push({ op, body });
    try {
      if (this.failNext && this.failNext.op === op) {
        const f = this.failNext;
        this.failNext = undefined;
        throw new AwsError(f.type, `injected ${f.type}`, f.status ?? 400);
      }
      const out = await this.dispatch(op, body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(out));
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalErrorException', String(err), 500);
      res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': e.type }).end(JSON.stringify({ __type: e.type, message: e.message }));
    }
  }

  private async issue(user: FakeUser, withRefresh: boolean): Promise<Json> {
    const iat = this.now();
    const access = await this.signer.sign({ sub: user.sub, username: user.username, iat, expiresIn: this.accessTokenSeconds, clientId: this.appClientId });
    const id = await this.signer.sign({ sub: user.sub, username: user.username, iat, expiresIn: this.accessTokenSeconds, tokenUse: 'id', clientId: this.appClientId });
    this.accessTokens.set(access, user.username);
    this.issuedAccessTokens.push(access);
    const result: Json = { AccessToken: access, IdToken: id, ExpiresIn: this.accessTokenSeconds, TokenType: 'Bearer' };
    if (withRefresh) {
      const refresh = `refresh-${randomUUID()}`;
      this.refreshTokens.set(refresh, user.username);
      result.RefreshToken = refresh;
    }
    return { AuthenticationResult: result, ChallengeParameters: {} };
  }

  private async dispatch(op: string, body: Json): Promise<Json> {
    switch (op) {
      case 'InitiateAuth': {
        if (body.ClientId !== this.appClientId) throw new AwsError('ResourceNotFoundException', 'User pool client does not exist.');
        const params = (body.AuthParameters ?? {}) as Record<string, string>;
        if (body.AuthFlow === 'USER_PASSWORD_AUTH') {
          const user = this.users.get(params.USERNAME);
          if (!user || user.password !== params.PASSWORD) throw new AwsError('NotAuthorizedException', 'Incorrect username or password.');
          return this.issue(user, true);
        }
        if (body.AuthFlow === 'REFRESH_TOKEN_AUTH') {
          const username = this.refreshTokens.get(params.REFRESH_TOKEN);
          const user = username ? this.users.get(username) : undefined;
          if (!user) throw new AwsError('NotAuthorizedException', 'Invalid Refresh Token');
          return this.issue(user, false);
        }
        throw new AwsError('InvalidParameterException', `auth flow ${String(body.AuthFlow)} is not enabled for the client`);
      }
      case 'GetUser': {
        const token = String(body.AccessToken ?? '');
        const username = this.accessTokens.get(token);
        if (!username || !this.accepts(token)) throw new AwsError('NotAuthorizedException', 'Access Token has been revoked');
        const user = this.users.get(username)!;
        return {
          Username: user.username,
          UserAttributes: [{ Name: 'sub', Value: user.sub }, ...Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value }))],
        };
      }
      case 'AdminUpdateUserAttributes': {
        if (body.UserPoolId !== this.poolId) throw new AwsError('ResourceNotFoundException', 'User pool does not exist.');
        const user = this.users.get(String(body.Username));
        if (!user) throw new AwsError('UserNotFoundException', 'User does not exist.');
        for (const a of (body.UserAttributes ?? []) as { Name: string; Value: string }[]) user.attributes[a.Name] = a.Value;
        return {};
      }
      default:
        throw new AwsError('UnknownOperationException', `operation ${op} is not faked`);
    }
  }
}

// ---- the REST API ---------------------------------------------------------------------------------------------

export interface ReceivedRequest {
  authorization?: string;
  body: unknown;
}

/** Decides, per entry detail, whether the fake API rejects it (true or a PutEvents error code) (default: none). */
export type RejectRule = (detail: Record<string, unknown>) => boolean | string;

export class FakeEventApi {
  readonly server: Server;
  url = '';
  readonly requests: ReceivedRequest[] = [];
  rejectIf: RejectRule = () => false;
  /** Next responses with these statuses (e.g. 429, 503), before normal handling. */
  readonly failures: number[] = [];

  constructor(private readonly cognito: FakeCognito) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(cognito: FakeCognito): Promise<FakeEventApi> {
    const api = new FakeEventApi(cognito);
    api.url = `${await listen(api.server)}/dev/event`;
    return api;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  /** Every entry detail received, in order. */
  details(): Record<string, unknown>[] {
    return this.requests.flatMap((r) => {
      const entries = ((r.body as { entries?: { entry: unknown }[] })?.entries ?? []);
      return entries.map((e) => (typeof e.entry === 'string' ? JSON.parse(e.entry) : e.entry) as Record<string, unknown>);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const authorization = req.headers.authorization;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    this.requests.push({ authorization, body });
    const send = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    const forced = this.failures.shift();
    if (forced) return void send(forced, { message: 'forced failure' });
    if (req.method !== 'POST' || !req.url?.endsWith('/event')) return void send(404, { message: 'Not Found' });
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token || !this.cognito.accepts(token)) return void send(401, { message: 'Unauthorized' });
    const entries = (body as { entries?: unknown })?.entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) return void send(400, { message: 'Invalid request body' });
    // The answers of stacks/client-events/templates.ts (PUT_EVENTS_RESPONSE_TEMPLATE).
    const results = entries.map((e: { entry?: unknown }) => {
      const detail = typeof e.entry === 'string' ? (JSON.parse(e.entry) as Record<string, unknown>) : (e.entry as Record<string, unknown>);
      const code = this.rejectIf(detail);
      return code ? { errorCode: code === true ? 'InvalidArgument' : code, errorMessage: 'rejected by the fake' } : { eventId: randomUUID() };
    });
    const failedEntries = results.flatMap((r, index) => ('errorCode' in r ? [{ index, errorCode: r.errorCode, errorMessage: r.errorMessage }] : []));
    if (failedEntries.length === 0) return void send(200, { failedEntryCount: 0, entryCount: entries.length, eventIds: results.map((r) => (r as { eventId: string }).eventId) });
    const retryable = failedEntries.some((f) => ['ThrottlingException', 'InternalFailure', 'InternalException'].includes(String(f.errorCode)));
    send(retryable ? 503 : 400, { failedEntryCount: failedEntries.length, entryCount: entries.length, failedEntries });
  }
}
