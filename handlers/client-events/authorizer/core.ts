/**
 * REST API TOKEN authorizer for client events (pure core over injectable ports).
 *
 * 1. The Authorization header value is `Bearer <access token>` or the bare token; anything else is refused.
 * 2. The token is verified with aws-jwt-verify against the user pool's JWKS: RS256 signature, `exp`, issuer
 *    `https://cognito-idp.<region>.amazonaws.com/<poolId>`, `token_use` = access and `client_id` = the app
 *    client. The JWKS is fetched once and cached by the verifier (module level in the entry, so it survives
 *    across invocations of a warm container); an unknown `kid` refetches it (key rotation).
 * 3. The clientId comes from a claim (CLIENT_ID_CLAIM, when set and present in the token: no network call) or
 *    from the user's custom attribute through Cognito GetUser with the access token (which also refuses revoked
 *    tokens). GetUser answers are cached per token for a short TTL.
 * 4. Allow `execute-api:Invoke` on every method of the stage (`arn:...:<apiId>/<stage>/*\/*`, so API Gateway's
 *    cached result works for the whole API), principalId = sub, context = { clientId }.
 *
 * An invalid, expired or revoked token throws Error('Unauthorized') (API Gateway answers 401); a valid token
 * whose user has no usable clientId gets a Deny policy (403). Any other failure (Cognito throttling or outage)
 * throws a different error, which API Gateway answers with 500, so a transient fault is not a clean 401.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { SimpleFetcher, type Fetcher } from 'aws-jwt-verify/https';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { CLIENT_EVENTS_AUTHORIZER, CLIENT_ID_ATTRIBUTE } from '../../../contracts/client-events.js';
import { intEnv, requireEnv } from '../../shared/env.js';
import { clientIdAttributeFromEnv } from '../lib/client-id.js';
import type { Logger } from '../../shared/log.js';

export const DEFAULT_CLIENT_ID_ATTRIBUTE = CLIENT_ID_ATTRIBUTE;
export const DEFAULT_USER_CACHE_SECONDS = 60;
/** Entries kept in the per-token GetUser cache before the oldest are evicted. */
export const USER_CACHE_MAX_ENTRIES = 5_000;
/** What a clientId may look like (it becomes the PutEvents Resources entry and detail.accountNumber). */
export const CLIENT_ID_VALUE_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const USER_POOL_ID_PATTERN = /^([a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/;

export interface AuthorizerSettings {
  userPoolId: string;
  /** The user pool app client whose access tokens are accepted. */
  appClientId: string;
  clientIdAttribute: string;
  /** When set and the token carries this claim, its value is the clientId (no GetUser call). */
  clientIdClaim?: string;
  /** Expected `iss`; default https://cognito-idp.<region>.amazonaws.com/<poolId>. */
  issuer: string;
  /** Where the JWKS is fetched from; default <issuer>/.well-known/jwks.json. */
  jwksUri: string;
  userCacheSeconds: number;
}

export class Unauthorized extends Error {
  constructor() {
    super('Unauthorized');
    this.name = 'Unauthorized';
  }
}

/** Cognito's issuer for a user pool (the region is the pool id's prefix). */
export function cognitoIssuer(userPoolId: string): string {
  const m = USER_POOL_ID_PATTERN.exec(userPoolId);
  if (!m) throw new Error(`user pool id ${JSON.stringify(userPoolId)} is not of the form <region>_<id>`);
  return `https://cognito-idp.${m[1]}.amazonaws.com/${userPoolId}`;
}

const E = CLIENT_EVENTS_AUTHORIZER.env;

/**
 * Settings from the environment (contracts/client-events.ts CLIENT_EVENTS_AUTHORIZER): USER_POOL_ID,
 * USER_POOL_CLIENT_ID, CLIENT_ID_ATTRIBUTE (default custom:clientId), CLIENT_ID_CLAIM (optional),
 * USER_CACHE_SECONDS (default 60). TOKEN_ISSUER and JWKS_URI override the issuer and JWKS location (tests only).
 */
export function authorizerSettingsFromEnv(env: NodeJS.ProcessEnv): AuthorizerSettings {
  const userPoolId = requireEnv(env, E.userPoolId);
  const issuer = env[E.tokenIssuer] || cognitoIssuer(userPoolId);
  const clientIdAttribute = clientIdAttributeFromEnv(env, E.clientIdAttribute);
  return {
    userPoolId,
    appClientId: requireEnv(env, E.userPoolClientId),
    clientIdAttribute,
    clientIdClaim: env[E.clientIdClaim] || undefined,
    issuer,
    jwksUri: env[E.jwksUri] || `${issuer}/.well-known/jwks.json`,
    userCacheSeconds: intEnv(env, E.userCacheSeconds, DEFAULT_USER_CACHE_SECONDS, 0, 3600),
  };
}

/** A fetcher for plain-http JWKS locations (loopback test servers); https goes through aws-jwt-verify's own. */
function httpFetcher(timeoutMs: number): Fetcher {
  return {
    async fetch(uri: string): Promise<ArrayBuffer> {
      const res = await fetch(uri, { signal: AbortSignal.timeout(timeoutMs) });
      if (res.status !== 200) throw new Error(`JWKS fetch from ${uri} answered ${res.status}`);
      return res.arrayBuffer();
    },
  };
}

export interface TokenVerifier {
  verify(token: string): Promise<JwtPayload>;
}

/** The access-token verifier; create it once per container so its JWKS cache is reused. */
export function createTokenVerifier(settings: Pick<AuthorizerSettings, 'issuer' | 'jwksUri' | 'appClientId'>): TokenVerifier {
  const fetcher = settings.jwksUri.startsWith('http://') ? httpFetcher(3000) : new SimpleFetcher();
  const verifier = JwtVerifier.create(
    {
      issuer: settings.issuer,
      jwksUri: settings.jwksUri,
      audience: null, // Cognito access tokens have no aud; client_id is checked below
      customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: 'access', clientId: settings.appClientId }),
    },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
  return { verify: (token) => verifier.verify(token) };
}

export interface AuthorizerPorts {
  verifier: TokenVerifier;
  /** Cognito GetUser with the access token: the user's attributes by name. */
  getUserAttributes(accessToken: string): Promise<Record<string, string>>;
  log?: Logger;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

/** The bearer token from the header value, or undefined when the value is not of an accepted form. */
export function tokenFromHeader(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(?:Bearer\s+)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(value.trim());
  if (!m) return undefined;
  return m[1];
}

/** `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/*\/*` for the method ARN of the request. */
export function apiWideResource(methodArn: string): string | undefined {
  const parts = methodArn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'execute-api') return undefined;
  const [apiId, stage] = parts[5].split('/');
  if (!apiId || !stage) return undefined;
  return `${parts.slice(0, 5).join(':')}:${apiId}/${stage}/*/*`;
}

function policy(principalId: string, effect: 'Allow' | 'Deny', resource: string, context?: Record<string, string>): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
    ...(context ? { context } : {}),
  };
}

/** Errors from Cognito GetUser that mean "this token is not good" (answer 401), not "try again". */
const TOKEN_REFUSED = new Set(['NotAuthorizedException', 'UserNotFoundException', 'PasswordResetRequiredException', 'UserNotConfirmedException']);

export type Authorizer = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export function createAuthorizer(settings: AuthorizerSettings, ports: AuthorizerPorts): Authorizer {
  const now = ports.now ?? Date.now;
  // Per-token cache of the clientId (undefined = the user has none); Map keeps insertion order for eviction.
  const cache = new Map<string, { clientId: string | undefined; until: number }>();

  async function clientIdFromUser(token: string, payload: JwtPayload): Promise<string | undefined> {
    const key = typeof payload.jti === 'string' ? payload.jti : token;
    const hit = cache.get(key);
    const t = now();
    if (hit && hit.until > t) return hit.clientId;
    if (hit) cache.delete(key);
    let attributes: Record<string, string>;
    try {
      attributes = await ports.getUserAttributes(token);
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      if (TOKEN_REFUSED.has(name)) {
        ports.log?.warn('token refused by Cognito GetUser', { sub: payload.sub, error: err });
        throw new Unauthorized();
      }
      ports.log?.error('Cognito GetUser failed', { sub: payload.sub, error: err });
      throw new Error('GetUser failed');
    }
    const clientId = attributes[settings.clientIdAttribute];
    if (settings.userCacheSeconds > 0) {
      const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity;
      cache.set(key, { clientId, until: Math.min(t + settings.userCacheSeconds * 1000, exp) });
      while (cache.size > USER_CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    }
    return clientId;
  }

  return async (event) => {
    const resource = typeof event.methodArn === 'string' ? apiWideResource(event.methodArn) : undefined;
    if (!resource) {
      ports.log?.error('authorizer event without a usable methodArn', { methodArn: event.methodArn });
      throw new Unauthorized();
    }
    const token = tokenFromHeader(event.authorizationToken);
    if (!token) {
      ports.log?.warn('authorization header is not a bearer token');
      throw new Unauthorized();
    }
    let payload: JwtPayload;
    try {
      payload = await ports.verifier.verify(token);
    } catch (err) {
      ports.log?.warn('token refused', { reason: (err as Error)?.constructor?.name ?? 'Error', error: err });
      throw new Unauthorized();
    }
    const sub = typeof payload.sub === 'string' ? payload.sub : '';
    if (!sub) {
      ports.log?.warn('token has no sub');
      throw new Unauthorized();
    }
    let clientId: unknown;
    let from: 'claim' | 'user' = 'user';
    if (settings.clientIdClaim && payload[settings.clientIdClaim] !== undefined) {
      clientId = payload[settings.clientIdClaim];
      from = 'claim';
    } else {
      clientId = await clientIdFromUser(token, payload);
    }
    if (typeof clientId !== 'string' || !CLIENT_ID_VALUE_PATTERN.test(clientId)) {
      ports.log?.warn('denied: the user has no usable clientId', { sub, from, present: clientId !== undefined });
      return policy(sub, 'Deny', resource);
    }
    ports.log?.debug('allowed', { sub, from });
    return policy(sub, 'Allow', resource, { clientId });
  };
}
