/**
 * Test doubles for the Buy with Prime tests: a local data-key cipher with the KMS interface (no KMS emulator
 * exists), a strict OAuth 2.0 authorization server on top of oauth2-mock-server, a fake GraphQL endpoint, and
 * verification-token signing with a locally generated P-256 key.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { OAuth2Server } from 'oauth2-mock-server';
import type { DataKeyCipher, EncryptionContext } from '../../handlers/buy-with-prime/lib/kms.js';
import { requestHash } from '../../handlers/buy-with-prime/lib/verification.js';

// ---- KMS ------------------------------------------------------------------------------------------------------

function contextBytes(context: EncryptionContext): Buffer {
  return Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))), 'utf8');
}

/** Wraps data keys under a local master key, bound to the encryption context like KMS does. */
export class FakeKmsCipher implements DataKeyCipher {
  private readonly master = randomBytes(32);
  generated = 0;
  decrypted = 0;

  async generateDataKey(context: EncryptionContext): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array }> {
    this.generated++;
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.master, iv);
    c.setAAD(contextBytes(context));
    const ct = Buffer.concat([c.update(plaintext), c.final()]);
    return { plaintext: Buffer.from(plaintext), encrypted: Buffer.concat([iv, ct, c.getAuthTag()]) };
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    this.decrypted++;
    const raw = Buffer.from(encrypted);
    const d = createDecipheriv('aes-256-gcm', this.master, raw.subarray(0, 12));
    d.setAAD(contextBytes(context));
    d.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
    } catch {
      const err = new Error('The ciphertext refers to a customer master key that does not exist, or the encryption context does not match');
      err.name = 'InvalidCiphertextException';
      throw err;
    }
  }
}

// ---- OAuth 2.0 authorization server ----------------------------------------------------------------------------

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly hasChallenge: boolean;
}

type Body = Record<string, string | undefined>;

/**
 * oauth2-mock-server with the checks a real authorization server makes that the mock leaves out: client
 * authentication (client_secret_post), one-time codes bound to their redirect_uri, PKCE required for every code
 * (the mock itself checks the verifier against the challenge), and refresh tokens that must have been issued
 * and rotate on use. Counts token requests per grant type and records every token it issued.
 */
export class StrictOAuthServer {
  readonly server = new OAuth2Server();
  readonly tokenRequests: { grantType: string; status: number }[] = [];
  readonly issuedAccessTokens: string[] = [];
  readonly issuedRefreshTokens: string[] = [];
  /** Access token lifetime the server announces. */
  expiresIn = 900;
  /** When set, the next refresh grant is answered with this OAuth error. */
  failNextRefresh?: string;
  private readonly codes = new Map<string, IssuedCode>();
  private readonly liveRefreshTokens = new Set<string>();

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  get issuer(): string {
    return this.server.issuer.url!;
  }

  async start(): Promise<void> {
    await this.server.issuer.keys.generate('RS256');
    const service = this.server.service;
    service.on('beforeAuthorizeRedirect', (redirect: { url: URL }, req: IncomingMessage & { query?: Body }) => {
      const code = redirect.url.searchParams.get('code');
      const q = req.query ?? {};
      if (code) this.codes.set(code, { clientId: q.client_id ?? '', redirectUri: q.redirect_uri ?? '', hasChallenge: !!q.code_challenge });
    });
    service.on('beforeResponse', (response: { body: Record<string, unknown>; statusCode: number }, req: IncomingMessage & { body?: Body }) => {
      const body = req.body ?? {};
      const grantType = body.grant_type ?? '';
      const fail = (status: number, error: string) => {
        response.statusCode = status;
        response.body = { error };
      };
      if (body.client_id !== this.clientId || body.client_secret !== this.clientSecret) fail(401, 'invalid_client');
      else if (grantType === 'authorization_code') {
        const issued = body.code ? this.codes.get(body.code) : undefined;
        if (body.code) this.codes.delete(body.code); // one-time
        if (!issued || issued.clientId !== this.clientId || issued.redirectUri !== body.redirect_uri) fail(400, 'invalid_grant');
        else if (!issued.hasChallenge || !body.code_verifier) fail(400, 'invalid_grant');
      } else if (grantType === 'refresh_token') {
        const rt = body.refresh_token ?? '';
        if (this.failNextRefresh) {
          fail(400, this.failNextRefresh);
          this.failNextRefresh = undefined;
        } else if (!this.liveRefreshTokens.has(rt)) fail(400, 'invalid_grant');
        else this.liveRefreshTokens.delete(rt); // rotation: a refresh token works once
      } else fail(400, 'unsupported_grant_type');

      if (response.statusCode === 200) {
        const refresh = `rt-${randomUUID()}`;
        response.body.refresh_token = refresh;
        response.body.expires_in = this.expiresIn;
        delete response.body.id_token;
        this.liveRefreshTokens.add(refresh);
        this.issuedRefreshTokens.push(refresh);
        this.issuedAccessTokens.push(String(response.body.access_token));
      }
      this.tokenRequests.push({ grantType, status: response.statusCode });
    });
    await this.server.start(0, '127.0.0.1');
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  countOf(grantType: string): number {
    return this.tokenRequests.filter((r) => r.grantType === grantType).length;
  }
}

// ---- GraphQL ---------------------------------------------------------------------------------------------------

export interface GraphqlCall {
  readonly authorization?: string;
  readonly installationId?: string;
  /** x-api-target-id and x-api-version ("Call the Buy with Prime API"). */
  readonly targetId?: string;
  readonly apiVersion?: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

export type GraphqlReply = { status?: number; headers?: Record<string, string>; body: unknown };

/** A local GraphQL endpoint whose answers the test decides; records every call. */
export class FakeGraphqlServer {
  readonly calls: GraphqlCall[] = [];
  private server?: Server;
  /** Replies used first, in order; then `respond`. */
  readonly queue: GraphqlReply[] = [];
  respond: (call: GraphqlCall) => GraphqlReply = () => ({ body: { data: null } });
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { query?: string; variables?: Record<string, unknown> };
        const call: GraphqlCall = {
          authorization: req.headers.authorization,
          installationId: req.headers['x-omni-installationid'] as string | undefined,
          targetId: req.headers['x-api-target-id'] as string | undefined,
          apiVersion: req.headers['x-api-version'] as string | undefined,
          query: parsed.query ?? '',
          variables: parsed.variables ?? {},
        };
        this.calls.push(call);
        const reply = this.queue.shift() ?? this.respond(call);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

// ---- verification tokens ---------------------------------------------------------------------------------------

export interface SigningKey {
  readonly privateKey: CryptoKey;
  readonly publicKeyPem: string;
}

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicKeyPem: await exportSPKI(publicKey) };
}

/** A Buy with Prime style verification-token for a request to `publicBaseUrl + path?rawQuery` with `body`. */
export async function signVerificationToken(
  key: CryptoKey,
  opts: {
    publicBaseUrl: string; path: string; rawQuery?: string; body?: string; installationId: string; expiresIn?: string | number; hash?: string; alg?: string;
    /** Further claims (e.g. businessProductId). */
    claims?: Record<string, unknown>;
  },
): Promise<string> {
  const hash = opts.hash ?? requestHash(opts.publicBaseUrl, opts.path, opts.rawQuery ?? '', opts.body ?? '');
  return new SignJWT({ ...opts.claims, installationId: opts.installationId, requestHash: hash })
    .setProtectedHeader({ alg: opts.alg ?? 'ES256' })
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '5m')
    .sign(key);
}
