/**
 * Verification of the `verification-token` Buy with Prime attaches to the requests it sends (or redirects the
 * merchant's browser with) to a partner app: an ES256 JWT signed with Buy with Prime's key, whose public half
 * comes from configuration. Its claims carry `installationId` and `requestHash`, binding the token to the exact
 * request.
 *
 * Canonical request (what `requestHash` covers), for a request with path P, raw query string Q and body B:
 *
 *   url       = lowercase(publicBaseUrl + P) + ("?" + Q' if Q' is not empty)
 *               where publicBaseUrl is the app's configured public origin (e.g. "https://bwp.example.com") and
 *               Q' is Q with every `verification-token=...` parameter removed, the other parameters kept
 *               byte for byte and in order (joined by "&");
 *   bodyHash  = hex(sha256(B)) when B is not empty, else "" (the empty string);
 *   requestHash = hex(sha256(utf8(url + bodyHash)))
 *
 * The path is the one received (a trailing slash included). The URL is the public one (configured, never taken
 * from the Host header, which a proxy or attacker controls). A token may live at most `maxTokenAgeSeconds`; the
 * app remembers every accepted token until its `exp` (replay cache) and refuses it a second time.
 * The token is read from the `verification-token` query parameter, or else from the `verification-token`
 * header. Hashes are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, importSPKI, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';

export const VERIFICATION_TOKEN = 'verification-token';

/** The request as the app sees it. */
export interface VerifiableRequest {
  /** Path without query, e.g. "/install". */
  readonly path: string;
  /** Raw query string without "?", exactly as received. */
  readonly rawQuery: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | Uint8Array;
}

export type VerificationFailure = 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'hash_mismatch' | 'claims' | 'too_long_lived' | 'replayed';

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(readonly reason: VerificationFailure, message: string) {
    super(message);
  }
}

export interface VerifiedToken {
  readonly installationId: string;
  readonly claims: JWTPayload;
  /** hex(sha256(token)): the replay cache key (the token itself is never stored). */
  readonly tokenHash: string;
  /** The token's `exp`, epoch seconds: how long the replay cache must remember it. */
  readonly expiresAt: number;
}

/** Removes every verification-token parameter from a raw query string, keeping the rest byte for byte. */
export function stripVerificationToken(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter((part) => part !== '' && decodeName(part.split('=', 1)[0]) !== VERIFICATION_TOKEN)
    .join('&');
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

export function canonicalUrl(publicBaseUrl: string, path: string, rawQuery: string): string {
  const base = `${publicBaseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`.toLowerCase();
  const q = stripVerificationToken(rawQuery);
  return q ? `${base}?${q}` : base;
}

export function requestHash(publicBaseUrl: string, path: string, rawQuery: string, body: string | Uint8Array): string {
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const bodyHash = bodyBytes.length ? createHash('sha256').update(bodyBytes).digest('hex') : '';
  return createHash('sha256').update(canonicalUrl(publicBaseUrl, path, rawQuery) + bodyHash, 'utf8').digest('hex');
}

/** The token from the query string (first occurrence) or the header. */
export function findVerificationToken(req: VerifiableRequest): string | undefined {
  const fromQuery = new URLSearchParams(req.rawQuery).get(VERIFICATION_TOKEN);
  return fromQuery || req.headers[VERIFICATION_TOKEN] || undefined;
}

export interface VerifierOptions {
  /** PEM (SPKI) of Buy with Prime's P-256 public key. */
  readonly publicKeyPem: string;
  /** The app's public origin, e.g. "https://bwp.example.com". */
  readonly publicBaseUrl: string;
  /** Accepted clock skew, seconds. Default 30. */
  readonly clockToleranceSeconds?: number;
  /**
   * Longest accepted token lifetime, seconds: `exp - iat` (and, without `iat`, `exp - now`) may not exceed it, and
   * a token issued longer ago is refused. Default 300.
   */
  readonly maxTokenAgeSeconds?: number;
  /** Expected `iss`, if configured. */
  readonly issuer?: string;
  /** Clock for tests: epoch ms. */
  readonly now?: () => number;
}

export class VerificationTokenVerifier {
  private key?: Promise<CryptoKey>;

  constructor(private readonly opts: VerifierOptions) {}

  private publicKey(): Promise<CryptoKey> {
    this.key ??= importSPKI(this.opts.publicKeyPem.replace(/\\n/g, '\n').trim(), 'ES256');
    return this.key;
  }

  async verify(req: VerifiableRequest): Promise<VerifiedToken> {
    const token = findVerificationToken(req);
    if (!token) throw new VerificationError('missing', 'the request carries no verification-token');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.publicKey(), {
        algorithms: ['ES256'],
        clockTolerance: this.opts.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp'],
        issuer: this.opts.issuer,
        currentDate: this.opts.now ? new Date(this.opts.now()) : undefined,
      }));
    } catch (err) {
      throw mapJoseError(err);
    }
    const installationId = payload.installationId;
    const expected = payload.requestHash;
    if (typeof installationId !== 'string' || !/^[A-Za-z0-9._:-]{1,200}$/.test(installationId)) {
      throw new VerificationError('claims', 'the verification-token has no valid installationId claim');
    }
    if (typeof expected !== 'string' || !/^[0-9a-fA-F]{64}$/.test(expected)) {
      throw new VerificationError('claims', 'the verification-token has no valid requestHash claim');
    }
    const maxAge = this.opts.maxTokenAgeSeconds ?? 300;
    const tolerance = this.opts.clockToleranceSeconds ?? 30;
    const nowSec = Math.floor((this.opts.now ? this.opts.now() : Date.now()) / 1000);
    const exp = payload.exp!;
    const issued = typeof payload.iat === 'number' ? payload.iat : undefined;
    if (exp - (issued ?? nowSec) > maxAge + tolerance || (issued !== undefined && nowSec - issued > maxAge + tolerance)) {
      throw new VerificationError('too_long_lived', `the verification-token is valid for longer than ${maxAge} s (or was issued longer ago)`);
    }
    const actual = requestHash(this.opts.publicBaseUrl, req.path, req.rawQuery, req.body);
    if (!timingSafeEqual(Buffer.from(actual, 'hex'), Buffer.from(expected.toLowerCase(), 'hex'))) {
      throw new VerificationError('hash_mismatch', 'the verification-token was issued for a different request (requestHash mismatch)');
    }
    return { installationId, claims: payload, tokenHash: createHash('sha256').update(token, 'utf8').digest('hex'), expiresAt: exp };
  }
}

function mapJoseError(err: unknown): VerificationError {
  if (err instanceof joseErrors.JWTExpired) return new VerificationError('expired', 'the verification-token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return new VerificationError('not_yet_valid', 'the verification-token is not valid yet');
    return new VerificationError('claims', `the verification-token claim "${err.claim}" is invalid`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new VerificationError('bad_signature', 'the verification-token signature is invalid');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new VerificationError('bad_signature', 'the verification-token is not signed with ES256');
  return new VerificationError('malformed', 'the verification-token is not a valid JWS');
}
