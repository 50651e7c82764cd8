/**
 * Contracts of the client-events pipeline shared by stacks/client-events/, handlers/client-events/ and
 * cli/client-events/: the route, the Terraform outputs, the Cognito attribute holding the clientId, the Zendesk
 * connection's name segment and the environment of each Lambda. No cdktf import.
 */
import type { HandlerEnvContract } from './env.js';
import { handlerZipName } from './handlers.js';

/** The one route of the REST API (the resource's path part is the path without its slash). */
export const CLIENT_EVENTS_ROUTE = { method: 'POST', path: '/event' } as const;
export const CLIENT_EVENTS_ROUTE_KEY = `${CLIENT_EVENTS_ROUTE.method} ${CLIENT_EVENTS_ROUTE.path}` as const;

/** Terraform outputs of every client-events stack (cli/client-events/generator.ts takes event_url and user_pool_client_id). */
export const CLIENT_EVENTS_OUTPUTS = {
  eventUrl: 'event_url',
  apiId: 'api_id',
  userPoolId: 'user_pool_id',
  userPoolClientId: 'user_pool_client_id',
  eventBusName: 'event_bus_name',
  bucketName: 'bucket_name',
  deliveryStreamName: 'delivery_stream_name',
  firehoseDlqUrl: 'firehose_target_dlq_url',
  zendeskConnectionName: 'zendesk_connection_name',
  zendeskDlqUrl: 'zendesk_target_dlq_url',
} as const;

/** EventBridge `source` of every client event: the API's request template sets it, the rules match on it. */
export const CLIENT_EVENTS_SOURCE = 'clientevents';
/** detail.eventType of the events that become Zendesk tickets (the rule matches it, the generator sends it). */
export const LOYALTY_PURCHASE_EVENT_TYPE = 'loyaltypurchase';
/** Entries per `POST /event` request: the API's request model allows 1 to this many, as PutEvents does (10). */
export const CLIENT_EVENTS_MAX_ENTRIES = 10;
/**
 * Message of the transform's log line for each record it returns as ProcessingFailed: the stack's metric filter
 * counts these lines (Firehose publishes no metric for records a transform marks ProcessingFailed).
 */
export const PROCESSING_FAILED_LOG_MESSAGE = 'record kept as ProcessingFailed';

/** The user attribute holding the clientId: the user pool's schema declares it, both Cognito handlers read it. */
export const CLIENT_ID_ATTRIBUTE = 'custom:clientId';

/** Purpose segment of the Zendesk connection's name (the stack names it, `npm run client-events:connect` finds it). */
export const ZENDESK_CONNECTION_PURPOSE = 'client-events-zendesk';

/** The REST API's TOKEN authorizer (handlers/client-events/authorizer). */
export const CLIENT_EVENTS_AUTHORIZER = {
  zip: handlerZipName('client-events', 'authorizer'),
  service: 'client-events-authorizer',
  env: {
    userPoolId: 'USER_POOL_ID',
    userPoolClientId: 'USER_POOL_CLIENT_ID',
    clientIdAttribute: 'CLIENT_ID_ATTRIBUTE',
    /** Set when the configuration names a token claim carrying the clientId (clientEvents.clientIdClaim). */
    clientIdClaim: 'CLIENT_ID_CLAIM',
    /** Seconds a GetUser answer is cached per token (default 60); no configuration key sets it. */
    userCacheSeconds: 'USER_CACHE_SECONDS',
    /** Issuer and JWKS location overrides (default: Cognito's for the pool), for tests against a local JWKS. */
    tokenIssuer: 'TOKEN_ISSUER',
    jwksUri: 'JWKS_URI',
  },
  optional: ['CLIENT_ID_CLAIM'],
  testOnly: ['USER_CACHE_SECONDS', 'TOKEN_ISSUER', 'JWKS_URI'],
} as const satisfies HandlerEnvContract;

/** The Cognito PostConfirmation trigger (handlers/client-events/post-confirmation). */
export const CLIENT_EVENTS_POST_CONFIRMATION = {
  zip: handlerZipName('client-events', 'post-confirmation'),
  service: 'client-events-post-confirmation',
  env: { clientIdAttribute: 'CLIENT_ID_ATTRIBUTE' },
} as const satisfies HandlerEnvContract;

/** The Firehose transformation (handlers/client-events/transform): no environment. */
export const CLIENT_EVENTS_TRANSFORM = {
  zip: handlerZipName('client-events', 'transform'),
  service: 'client-events-transform',
  env: {},
} as const satisfies HandlerEnvContract;
