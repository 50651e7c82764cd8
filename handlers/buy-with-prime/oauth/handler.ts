/**
 * Builds the install app from environment variables and AWS clients; shared by the Lambda entry (index.ts) and
 * the Fargate server (server.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { numberEnv, oauthSettingsFromEnv, requireEnv } from '../lib/env.js';
import { KmsDataKeyCipher } from '../lib/kms.js';
import type { Log } from '../lib/log.js';
import { OAuthClient } from '../lib/oauth-client.js';
import { clientSecretLoader } from '../lib/secret.js';
import { TokenStore } from '../lib/token-store.js';
import { TokenService } from '../lib/token-service.js';
import { VerificationTokenVerifier } from '../lib/verification.js';
import { createApp, type App } from './core.js';

export interface RuntimeClients {
  readonly ddb: DynamoDBClient;
  readonly kms: KMSClient;
  /** Default: a client in the secret's region. */
  readonly secrets?: SecretsManagerClient;
}

export function appFromEnv(env: NodeJS.ProcessEnv, clients: RuntimeClients, log: Log): App {
  const s = oauthSettingsFromEnv(env);
  const publicBaseUrl = requireEnv(env, 'BWP_PUBLIC_BASE_URL');
  const store = new TokenStore(clients.ddb, s.tokensTable);
  const loadSecret = clientSecretLoader(s.clientSecretId, clients.secrets);
  let client: Promise<OAuthClient> | undefined;
  const oauth = () => {
    client ??= loadSecret()
      .then((clientSecret) => new OAuthClient({ ...s, clientSecret }))
      .catch((err) => {
        client = undefined;
        throw err;
      });
    return client;
  };
  const tokens = new TokenService({
    store,
    cipher: new KmsDataKeyCipher(clients.kms, s.kmsKeyId),
    refresher: async (refreshToken) => (await oauth()).refresh(refreshToken),
    refreshAheadSeconds: s.refreshAheadSeconds,
    log,
  });
  return createApp({
    publicBaseUrl,
    launchTtlSeconds: numberEnv(env, 'BWP_LAUNCH_TTL_SECONDS', 600),
    store,
    tokens,
    oauth,
    verifier: new VerificationTokenVerifier({
      publicKeyPem: requireEnv(env, 'BWP_VERIFICATION_PUBLIC_KEY'),
      publicBaseUrl,
      issuer: env.BWP_VERIFICATION_ISSUER || undefined,
      maxTokenAgeSeconds: numberEnv(env, 'BWP_VERIFICATION_MAX_AGE_SECONDS', 300),
    }),
    log,
  });
}
