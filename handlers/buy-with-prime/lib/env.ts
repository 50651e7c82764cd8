/** Reading the Buy with Prime handlers' settings from environment variables (set by the stack). */

import { numberEnv, requireEnv } from '../../shared/env.js';

export { numberEnv, requireEnv };

/** Settings shared by the install app and the event processor. */
export interface OAuthSettings {
  readonly tokensTable: string;
  readonly kmsKeyId: string;
  readonly clientId: string;
  readonly clientSecretId: string;
  readonly issuer: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly scope: string;
  readonly refreshAheadSeconds: number;
}

export function oauthSettingsFromEnv(env: NodeJS.ProcessEnv): OAuthSettings {
  return {
    tokensTable: requireEnv(env, 'BWP_TOKENS_TABLE'),
    kmsKeyId: requireEnv(env, 'BWP_KMS_KEY_ID'),
    clientId: requireEnv(env, 'BWP_CLIENT_ID'),
    clientSecretId: requireEnv(env, 'BWP_CLIENT_SECRET_ID'),
    issuer: requireEnv(env, 'BWP_ISSUER'),
    authorizeUrl: requireEnv(env, 'BWP_AUTHORIZE_URL'),
    tokenUrl: requireEnv(env, 'BWP_TOKEN_URL'),
    scope: env.BWP_SCOPES ?? '',
    refreshAheadSeconds: numberEnv(env, 'BWP_REFRESH_AHEAD_SECONDS', 120),
  };
}
