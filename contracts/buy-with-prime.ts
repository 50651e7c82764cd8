/**
 * Contracts of the Buy with Prime pipeline shared by stacks/buy-with-prime/ and handlers/buy-with-prime/: the
 * install app's routes, the KMS encryption context of the token data keys, the custom metrics, the events table's
 * TTL attribute, the Terraform outputs and the environment of the install app (Lambda or Fargate container) and
 * of the event processor. No cdktf import.
 */
import { POWERTOOLS_LOGGER_ENV, type HandlerEnvContract } from './env.js';
import { handlerZipName } from './handlers.js';

/** The install app's routes (API Gateway routes of the lambda target; the Fargate server serves the same paths). */
export const BWP_ROUTE_TABLE = {
  launch: { method: 'GET', path: '/launch' },
  install: { method: 'GET', path: '/install' },
  settings: { method: 'GET', path: '/settings' },
  uninstall: { method: 'POST', path: '/uninstall' },
  health: { method: 'GET', path: '/health' },
} as const;
export type BwpRouteName = keyof typeof BWP_ROUTE_TABLE;

/** The API Gateway route keys ("GET /launch", ...), in BWP_ROUTE_TABLE's order. */
export const BWP_ROUTES = Object.values(BWP_ROUTE_TABLE).map((r) => `${r.method} ${r.path}` as const);

/**
 * The KMS encryption context every token data key is bound to: `{ purpose: "bwp-oauth-tokens", installation_id }`.
 * The handlers pass it to GenerateDataKey and Decrypt; the stack's key policy and role statements allow only
 * calls whose `kms:EncryptionContext:purpose` is this value, so a drift between the two denies every KMS call.
 */
export const BWP_TOKEN_CONTEXT = {
  purposeKey: 'purpose',
  purpose: 'bwp-oauth-tokens',
  installationKey: 'installation_id',
} as const;
/** The condition key naming the purpose (AWS KMS condition keys: kms:EncryptionContext:context-key). */
export const BWP_TOKEN_CONTEXT_CONDITION_KEY = `kms:EncryptionContext:${BWP_TOKEN_CONTEXT.purposeKey}` as const;

/** Custom metrics (Embedded Metric Format) written by the handlers and alarmed on by the stack. */
export const BWP_METRICS = {
  namespace: 'Tributary/BuyWithPrime',
  /** Dimension name; its value is the stack name (the event processor's `metricsStack` variable). */
  dimension: 'Stack',
  /** Events acknowledged without processing: unknown or uninstalled installation, undocumented type. */
  unroutableEvents: 'UnroutableEvents',
  /** Refreshes refused by the authorization server: the installation moved to needs_reauth. */
  installationsNeedingReauth: 'InstallationsNeedingReauth',
  /** Events failed because their installation needs reauthorization (no token request was made). */
  eventsBlockedByReauth: 'EventsBlockedByReauth',
} as const;

/** TTL attribute of the events table (epoch seconds): the stack enables TTL on it, the processor writes it. */
export const BWP_EVENTS_TABLE_TTL = 'expires_at';

/** Terraform outputs of every Buy with Prime stack. */
export const BWP_OUTPUTS = {
  publicBaseUrl: 'public_base_url',
  installUrl: 'install_url',
  launchUrl: 'launch_url',
  tokensTable: 'tokens_table_name',
  eventsTable: 'events_table_name',
  eventBus: 'event_bus_name',
  eventsQueueUrl: 'events_queue_url',
  eventsDlqUrl: 'events_dlq_url',
  kmsKeyArn: 'kms_key_arn',
  apiEndpoint: 'api_endpoint',
  customDomainTarget: 'custom_domain_target',
  albDnsName: 'alb_dns_name',
  ecrRepositoryUrl: 'ecr_repository_url',
  ecsClusterName: 'ecs_cluster_name',
  ecsServiceName: 'ecs_service_name',
} as const;

/** The token store and OAuth client settings both the install app and the event processor read. */
export const BWP_OAUTH_CLIENT_ENV = {
  tokensTable: 'BWP_TOKENS_TABLE',
  kmsKeyId: 'BWP_KMS_KEY_ID',
  clientId: 'BWP_CLIENT_ID',
  clientSecretId: 'BWP_CLIENT_SECRET_ID',
  issuer: 'BWP_ISSUER',
  authorizeUrl: 'BWP_AUTHORIZE_URL',
  tokenUrl: 'BWP_TOKEN_URL',
  scopes: 'BWP_SCOPES',
  refreshAheadSeconds: 'BWP_REFRESH_AHEAD_SECONDS',
} as const;

const BWP_INSTALL_APP_ENV = {
  ...BWP_OAUTH_CLIENT_ENV,
  publicBaseUrl: 'BWP_PUBLIC_BASE_URL',
  verificationPublicKey: 'BWP_VERIFICATION_PUBLIC_KEY',
  launchTtlSeconds: 'BWP_LAUNCH_TTL_SECONDS',
  verificationMaxAgeSeconds: 'BWP_VERIFICATION_MAX_AGE_SECONDS',
  verificationIssuer: 'BWP_VERIFICATION_ISSUER',
} as const;

/** The install app as a Lambda behind the HTTP API (handlers/buy-with-prime/oauth/index.ts; deployTarget "lambda"). */
export const BWP_OAUTH = {
  zip: handlerZipName('buy-with-prime', 'oauth'),
  service: 'bwp-oauth',
  env: BWP_INSTALL_APP_ENV,
  optional: [BWP_INSTALL_APP_ENV.verificationIssuer],
  library: POWERTOOLS_LOGGER_ENV,
} as const satisfies HandlerEnvContract;

/**
 * The install app as the Fargate container's node:http server (handlers/buy-with-prime/oauth/server.ts;
 * deployTarget "fargate"): the Lambda's variables plus the port to listen on (the task definition's container port)
 * and the address to bind (tests and local runs only; 0.0.0.0 in the container).
 */
export const BWP_OAUTH_SERVER = {
  zip: BWP_OAUTH.zip,
  service: BWP_OAUTH.service,
  env: { ...BWP_INSTALL_APP_ENV, port: 'PORT', host: 'HOST' },
  optional: BWP_OAUTH.optional,
  testOnly: ['HOST'],
  library: POWERTOOLS_LOGGER_ENV,
  unread: {
    NODE_ENV:
      'the Node.js convention for production processes; no code bundled into server.mjs reads it, and ' +
      'docker/bwp-oauth.Dockerfile sets it as well (kept so the task definition does not change)',
  },
} as const satisfies HandlerEnvContract;

/** The partner event processor (handlers/buy-with-prime/events): SQS -> token, GraphQL lookups -> events table. */
export const BWP_EVENTS = {
  zip: handlerZipName('buy-with-prime', 'events'),
  service: 'bwp-events',
  env: {
    ...BWP_OAUTH_CLIENT_ENV,
    eventsTable: 'BWP_EVENTS_TABLE',
    apiUrl: 'BWP_API_URL',
    apiMaxAttempts: 'BWP_API_MAX_ATTEMPTS',
    apiVersion: 'BWP_API_VERSION',
    eventRetentionDays: 'BWP_EVENT_RETENTION_DAYS',
    /** The stack name: the value of the metrics' dimension (BWP_METRICS.dimension). */
    metricsStack: 'BWP_METRICS_STACK',
  },
  library: POWERTOOLS_LOGGER_ENV,
} as const satisfies HandlerEnvContract;
