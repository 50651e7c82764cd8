/** Lambda entry of the partner event processor (SQS event source with ReportBatchItemFailures). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { BWP_EVENTS } from '../../../contracts/buy-with-prime.js';
import { numberEnv, requireEnv } from '../../shared/env.js';
import { oauthSettingsFromEnv } from '../lib/env.js';
import { GraphqlClient } from '../lib/graphql.js';
import { KmsDataKeyCipher } from '../lib/kms.js';
import { createLog } from '../lib/log.js';
import { EmfMetrics } from '../lib/metrics.js';
import { OAuthClient } from '../lib/oauth-client.js';
import { clientSecretLoader } from '../lib/secret.js';
import { TokenStore } from '../lib/token-store.js';
import { TokenService } from '../lib/token-service.js';
import { EventsStore } from './events-store.js';
import { processBatch } from './core.js';
import { awsClient } from '../../shared/aws-client.js';

export const contract = BWP_EVENTS;
const E = BWP_EVENTS.env;
const log = createLog(BWP_EVENTS.service);
const env = process.env;
const settings = oauthSettingsFromEnv(env);
const ddb = awsClient(DynamoDBClient);
const loadSecret = clientSecretLoader(settings.clientSecretId);
let oauth: Promise<OAuthClient> | undefined;
const store = new TokenStore(ddb, settings.tokensTable);
const metrics = new EmfMetrics(env[E.metricsStack] || 'buy-with-prime');
const tokens = new TokenService({
  store,
  cipher: new KmsDataKeyCipher(awsClient(KMSClient), settings.kmsKeyId),
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
  endpoint: requireEnv(env, E.apiUrl),
  maxAttempts: numberEnv(env, E.apiMaxAttempts, 5),
  apiVersion: env[E.apiVersion] || undefined,
});
const events = new EventsStore(ddb, requireEnv(env, E.eventsTable), numberEnv(env, E.eventRetentionDays, 90));

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const { batchItemFailures } = await processBatch(event, { tokens, installations: store, graphql, events, log, metrics });
  return { batchItemFailures };
};
