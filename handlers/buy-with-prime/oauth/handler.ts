/**
 * Builds the install app from environment variables and AWS clients; shared by the Lambda entry (index.ts) and
 * the Fargate server (server.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BWP_OAUTH } from '../../../contracts/buy-with-prime.js';
import { numberEnv, requireEnv } from '../../shared/env.js';
import { oauthSettingsFromEnv } from '../lib/env.js';
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

const E = BWP_OAUTH.env;

/** The install app over the variables of contracts/buy-with-prime.ts BWP_OAUTH. */
export function appFromEnv(env: NodeJS.ProcessEnv, clients: RuntimeClients, log: Log): App {
  const s = oauthSettingsFromEnv(env);
  const publicBaseUrl = requireEnv(env, E.publicBaseUrl);
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
    launchTtlSeconds: numberEnv(env, E.launchTtlSeconds, 600),
    store,
    tokens,
    oauth,
    verifier: new VerificationTokenVerifier({
      publicKeyPem: requireEnv(env, E.verificationPublicKey),
      publicBaseUrl,
      issuer: env[E.verificationIssuer] || undefined,
      maxTokenAgeSeconds: numberEnv(env, E.verificationMaxAgeSeconds, 300),
    }),
    log,
  });
}
