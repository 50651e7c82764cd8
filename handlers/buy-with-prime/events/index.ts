/** Lambda entry of the partner event processor (SQS event source with ReportBatchItemFailures). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { numberEnv, oauthSettingsFromEnv, requireEnv } from '../lib/env.js';
import { GraphqlClient } from '../lib/graphql.js';
import { KmsDataKeyCipher } from '../lib/kms.js';
import { createLog } from '../lib/log.js';
import { BWP_METRICS_STACK_ENV, EmfMetrics } from '../lib/metrics.js';
import { OAuthClient } from '../lib/oauth-client.js';
import { clientSecretLoader } from '../lib/secret.js';
import { TokenStore } from '../lib/token-store.js';
import { TokenService } from '../lib/token-service.js';
import { EventsStore } from './events-store.js';
import { processBatch } from './core.js';

const log = createLog('bwp-events');
const env = process.env;
const settings = oauthSettingsFromEnv(env);
const ddb = new DynamoDBClient({});
const loadSecret = clientSecretLoader(settings.clientSecretId);
let oauth: Promise<OAuthClient> | undefined;
const store = new TokenStore(ddb, settings.tokensTable);
const metrics = new EmfMetrics(env[BWP_METRICS_STACK_ENV] || 'buy-with-prime');
const tokens = new TokenService({
  store,
  cipher: new KmsDataKeyCipher(new KMSClient({}), settings.kmsKeyId),
  refresher: async (refreshToken) => {
    oauth ??= loadSecret().then((clientSecret) => new OAuthClient({ ...settings, clientSecret }));
    oauth.catch(() => (oauth = undefined));
    return (await oauth).refresh(refreshToken);
  },
  refreshAheadSeconds: settings.refreshAheadSeconds,
  log,
  metrics,
});
const graphql = new GraphqlClient({
  endpoint: requireEnv(env, 'BWP_API_URL'),
  maxAttempts: numberEnv(env, 'BWP_API_MAX_ATTEMPTS', 5),
  apiVersion: env.BWP_API_VERSION || undefined,
});
const events = new EventsStore(ddb, requireEnv(env, 'BWP_EVENTS_TABLE'), numberEnv(env, 'BWP_EVENT_RETENTION_DAYS', 90));

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { batchItemFailures } = await processBatch(event, { tokens, installations: store, graphql, events, log, metrics });
  return { batchItemFailures };
};
