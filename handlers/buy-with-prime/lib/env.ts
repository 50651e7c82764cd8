/**
 * Reading the settings both Buy with Prime handlers share from environment variables (contracts/buy-with-prime.ts
 * BWP_OAUTH_CLIENT_ENV, set by stacks/buy-with-prime/stack.ts), through handlers/shared/env.ts.
 */
import { BWP_OAUTH_CLIENT_ENV as E } from '../../../contracts/buy-with-prime.js';
import { numberEnv, requireEnv } from '../../shared/env.js';

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
    tokensTable: requireEnv(env, E.tokensTable),
    kmsKeyId: requireEnv(env, E.kmsKeyId),
    clientId: requireEnv(env, E.clientId),
    clientSecretId: requireEnv(env, E.clientSecretId),
    issuer: requireEnv(env, E.issuer),
    authorizeUrl: requireEnv(env, E.authorizeUrl),
    tokenUrl: requireEnv(env, E.tokenUrl),
    scope: env[E.scopes] ?? '',
    refreshAheadSeconds: numberEnv(env, E.refreshAheadSeconds, 120),
  };
}
