/**
 * Login with Amazon refresh-token grant: POST application/x-www-form-urlencoded grant_type=refresh_token,
 * client_id, client_secret, refresh_token to the token endpoint of the advertising region. The access token is
 * kept in memory until shortly before it expires (expires_in minus a margin) and never printed.
 */
import type { AdvertisingRegion } from '../../contracts/ams.js';
import type { AdsCredentials } from './credentials.js';
import { ApiError, AuthError } from './errors.js';
import { requestWithRetry, type HttpOptions } from './http.js';

export const TOKEN_ENDPOINTS: Readonly<Record<AdvertisingRegion, string>> = {
  NA: 'https://api.amazon.com/auth/o2/token',
  EU: 'https://api.amazon.co.uk/auth/o2/token',
  FE: 'https://api.amazon.co.jp/auth/o2/token',
};

/** Refresh this long before the token's stated expiry. */
export const EXPIRY_MARGIN_MS = 60_000;

export interface TokenProviderOptions {
  readonly http: HttpOptions;
  /** Overrides every region's endpoint (tests, proxies); `{region}` becomes na/eu/fe. */
  readonly endpoint?: string;
  readonly now?: () => number;
  /** Receives every access token obtained, so output can be scrubbed of it. */
  readonly onSecret?: (secret: string) => void;
}

interface Cached {
  readonly token: string;
  readonly expiresAt: number;
}

export class TokenProvider {
  private readonly cache = new Map<string, Cached>();
  /** Token requests made (for tests and --verbose). */
  requests = 0;

  constructor(
    private readonly creds: AdsCredentials,
    private readonly opts: TokenProviderOptions,
  ) {}

  endpointFor(region: AdvertisingRegion): string {
    return this.opts.endpoint ? this.opts.endpoint.replaceAll('{region}', region.toLowerCase()) : TOKEN_ENDPOINTS[region];
  }

  /** An access token for `region`, from the cache unless `force` or close to expiry. */
  async accessToken(region: AdvertisingRegion, force = false): Promise<string> {
    const url = this.endpointFor(region);
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(url);
    if (!force && hit && hit.expiresAt - EXPIRY_MARGIN_MS > now) return hit.token;
    this.requests++;
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.creds.clientId,
      client_secret: this.creds.clientSecret,
      refresh_token: this.creds.refreshToken,
    });
    const res = await requestWithRetry(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', accept: 'application/json' }, body: body.toString() },
      this.opts.http,
    );
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(res.text) as Record<string, unknown>;
    } catch {
      /* handled below */
    }
    if (res.status === 200 && typeof json.access_token === 'string' && json.access_token) {
      const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600;
      this.opts.onSecret?.(json.access_token);
      if (typeof json.refresh_token === 'string') this.opts.onSecret?.(json.refresh_token);
      this.cache.set(url, { token: json.access_token, expiresAt: now + expiresIn * 1000 });
      return json.access_token;
    }
    const code = typeof json.error === 'string' ? json.error : undefined;
    const host = new URL(url).host;
    if (res.status === 400 || res.status === 401) {
      const why =
        code === 'invalid_grant'
          ? 'the refresh token is invalid, expired or revoked, or was issued to another client_id'
          : code === 'invalid_client' || code === 'unauthorized_client'
            ? 'client_id/client_secret were rejected'
            : 'the credentials were rejected';
      throw new AuthError(
        `login with Amazon failed at ${host} (HTTP ${res.status}${code ? ` ${code}` : ''}): ${why}. ` +
          `Check account "${this.creds.account}" in ${this.creds.source}.`,
        res.status,
      );
    }
    throw new ApiError(`login with Amazon failed at ${host}: HTTP ${res.status}${code ? ` ${code}` : ''}`, res.status);
  }
}
