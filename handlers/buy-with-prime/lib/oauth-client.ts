/**
 * The Buy with Prime OAuth 2.0 client, on openid-client v6: the authorization server metadata comes from
 * configuration (Buy with Prime publishes no discovery document), the client authenticates with
 * client_secret_post, and every grant uses PKCE (S256).
 *
 * `configure` lets tests adjust the openid-client Configuration (e.g. `allowInsecureRequests` for a plain-http
 * loopback test server). Production code never passes it, so every endpoint must be HTTPS.
 */
import * as oidc from 'openid-client';
import type { Refresher, TokenSet } from './token-service.js';

export interface OAuthEndpoints {
  /** Issuer identifier (checked against the `iss` of an ID token, if the server returns one). */
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  /** Space-separated scopes requested at launch; empty for none. */
  readonly scope: string;
}

export interface OAuthClientOptions extends OAuthEndpoints {
  readonly clientSecret: string;
  /** Test hook: adjusts the openid-client Configuration. Never used in production. */
  readonly configure?: (config: oidc.Configuration) => void;
  /** Token endpoint timeout in seconds. Default 10. */
  readonly timeoutSeconds?: number;
}

export interface LaunchParameters {
  readonly state: string;
  readonly codeVerifier: string;
  readonly authorizationUrl: URL;
}

export class OAuthClient {
  readonly config: oidc.Configuration;

  constructor(private readonly opts: OAuthClientOptions) {
    this.config = new oidc.Configuration(
      { issuer: opts.issuer, authorization_endpoint: opts.authorizeUrl, token_endpoint: opts.tokenUrl },
      opts.clientId,
      opts.clientSecret,
    );
    this.config.timeout = opts.timeoutSeconds ?? 10;
    opts.configure?.(this.config);
  }

  /** A fresh state and PKCE verifier (cryptographically random) and the authorization URL carrying them. */
  async launch(redirectUri: string): Promise<LaunchParameters> {
    const state = oidc.randomState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: this.opts.clientId,
      redirect_uri: redirectUri,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    if (this.opts.scope) params.scope = this.opts.scope;
    return { state, codeVerifier, authorizationUrl: oidc.buildAuthorizationUrl(this.config, params) };
  }

  /**
   * The authorization-code grant for a callback: `redirectUri` is the registered install URL and `callback`
   * the query parameters the browser brought back (code, state, ...).
   */
  async exchangeCode(redirectUri: string, callback: URLSearchParams, expectedState: string, codeVerifier: string): Promise<TokenSet> {
    const current = new URL(redirectUri);
    for (const key of ['code', 'state', 'iss', 'error', 'error_description']) {
      const v = callback.get(key);
      if (v !== null) current.searchParams.set(key, v);
    }
    const res = await oidc.authorizationCodeGrant(this.config, current, { expectedState, pkceCodeVerifier: codeVerifier });
    return toTokenSet(res);
  }

  /** The refresh-token grant. */
  readonly refresh: Refresher = async (refreshToken: string) => toTokenSet(await oidc.refreshTokenGrant(this.config, refreshToken));
}

/** Token response members that may name the merchant's business product (the first string one wins). */
export const BUSINESS_PRODUCT_MEMBERS = ['business_product_id', 'businessProductId', 'target_id', 'targetId'] as const;

function toTokenSet(res: oidc.TokenEndpointResponse): TokenSet {
  const raw = res as unknown as Record<string, unknown>;
  const bp = BUSINESS_PRODUCT_MEMBERS.map((k) => raw[k]).find((v): v is string => typeof v === 'string' && v.length > 0);
  return {
    businessProductId: bp,
    accessToken: res.access_token,
    refreshToken: res.refresh_token,
    expiresIn: typeof res.expires_in === 'number' ? res.expires_in : undefined,
    scope: typeof res.scope === 'string' ? res.scope : undefined,
  };
}
