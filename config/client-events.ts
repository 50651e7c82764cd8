import { ConfigError, bool, corsOrigins, describe, int, join, oneOf, onlyKeys, optStr, regions, section, str, type AwsRegion, type Raw } from './validate.js';

/**
 * Who manages API Gateway's account-level CloudWatch Logs role (one setting per account and region, needed by REST
 * API access logs): "manage" (default) creates a role and sets it in the stack's region; "existing" leaves the
 * setting alone because it is already set (by hand, or by another stack).
 */
export const CLIENT_EVENTS_API_GATEWAY_ACCOUNT = ['manage', 'existing'] as const;
export type ClientEventsApiGatewayAccount = (typeof CLIENT_EVENTS_API_GATEWAY_ACCOUNT)[number];

/** API Gateway execution logging level of the stage (written to `API-Gateway-Execution-Logs_<api id>/<stage>`). */
export const CLIENT_EVENTS_EXECUTION_LOG_LEVELS = ['OFF', 'ERROR', 'INFO'] as const;
export type ClientEventsExecutionLogLevel = (typeof CLIENT_EVENTS_EXECUTION_LOG_LEVELS)[number];

/** Cognito user pool feature plans. LITE covers everything this pipeline uses (password sign-in, Lambda triggers). */
export const CLIENT_EVENTS_USER_POOL_TIERS = ['LITE', 'ESSENTIALS', 'PLUS'] as const;
export type ClientEventsUserPoolTier = (typeof CLIENT_EVENTS_USER_POOL_TIERS)[number];

/** Zendesk's tickets endpoint: https://<subdomain>.zendesk.com/api/v2/tickets.json */
export const ZENDESK_TICKETS_ENDPOINT = /^https:\/\/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.zendesk\.com\/api\/v2\/tickets\.json$/;
/** A Secrets Manager secret name (or ARN). */
export const SECRET_NAME = /^(arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Loyalty purchases -> Zendesk tickets (config key `clientEvents.zendesk`). */
export interface ClientEventsZendeskConfig {
  /** Create the connection, API destination and loyalty-purchase rule. Default false. */
  readonly enabled: boolean;
  /** Tickets endpoint, `https://<subdomain>.zendesk.com/api/v2/tickets.json` (required when enabled). */
  readonly ticketsEndpoint: string;
  /**
   * Name (or ARN) of an existing Secrets Manager secret holding `{"email": "...", "token": "..."}` (required when
   * enabled). Terraform never reads it: `npm run client-events:connect` copies it into the connection.
   */
  readonly secretName: string;
  /** Most requests per second EventBridge sends to Zendesk (1-300). Default 10. */
  readonly rateLimitPerSecond: number;
}

/** Authenticated client events pipeline (config key `clientEvents`, docs/client-events.md). */
export interface ClientEventsConfig {
  /** Synthesize client-events stacks at all. Default false. */
  readonly enabled: boolean;
  /** AWS regions, one stack `client-events-<region>` each. Default ["us-east-1"]. */
  readonly regions: readonly AwsRegion[];

  /** API stage name (the URL is `https://<api>.execute-api.<region>.amazonaws.com/<stageName>/event`). Default "v1". */
  readonly stageName: string;
  /** Seconds API Gateway caches an authorizer decision per token (0-3600; 0 turns caching off). Default 300. */
  readonly authorizerCacheTtlSeconds: number;
  /**
   * Browser origins allowed to call POST /event (CORS), e.g. "https://shop.example.com", "https://*.example.com" or
   * "*". Empty (default) turns CORS off: apps and servers call the API directly.
   */
  readonly corsAllowOrigins: readonly string[];
  /** Stage throttling: steady requests per second (default 50) and burst (default 100). */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** Who manages API Gateway's account-level CloudWatch role in the region: "manage" (default) or "existing". */
  readonly apiGatewayAccount: ClientEventsApiGatewayAccount;
  /** Stage execution logging: "OFF" (default), "ERROR" or "INFO". Access logs (JSON) are always on. */
  readonly executionLogLevel: ClientEventsExecutionLogLevel;
  /** Alarm when the API returns at least this many 5xx responses in 5 minutes. Default 1. */
  readonly api5xxAlarmThreshold: number;

  /** Cognito user pool deletion protection: `terraform destroy` fails until it is turned off. Default true. */
  readonly userPoolDeletionProtection: boolean;
  /** Cognito feature plan: "LITE" (default, the cheapest per monthly active user), "ESSENTIALS" or "PLUS". */
  readonly userPoolTier: ClientEventsUserPoolTier;
  /** Minimum password length (8-99). Default 12. */
  readonly passwordMinimumLength: number;
  /** Access and ID token validity in minutes (5-1440, default 60); refresh token validity in days (1-3650, default 30). */
  readonly accessTokenValidityMinutes: number;
  readonly idTokenValidityMinutes: number;
  readonly refreshTokenValidityDays: number;
  /** Token claim the authorizer reads the clientId from when present (skipping the user lookup). Default none. */
  readonly clientIdClaim?: string;

  /** Authorizer Lambda memory (MB, default 256) and timeout (s, 1-10, default 5). */
  readonly authorizerMemoryMb: number;
  readonly authorizerTimeoutSeconds: number;
  /** Transform Lambda memory (MB, default 256) and timeout (s, 1-300, default 60). */
  readonly transformMemoryMb: number;
  readonly transformTimeoutSeconds: number;

  /** Firehose buffering: size in MiB (64-128: dynamic partitioning needs 64+, default 64), interval (0-900 s, default 60). */
  readonly firehoseBufferingSizeMiB: number;
  readonly firehoseBufferingIntervalSeconds: number;
  /** Days after which delivered objects expire; 0 (default) keeps them. */
  readonly dataRetentionDays: number;

  /** EventBridge delivery retries per target (0-185, default 185) and the oldest event retried (60-86400 s, default 86400). */
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  /** Days the targets' dead-letter queues keep an event (1-14). Default 14. */
  readonly dlqRetentionDays: number;

  readonly zendesk: ClientEventsZendeskConfig;
}

const KEYS = [
  'enabled', 'regions', 'stageName', 'authorizerCacheTtlSeconds', 'corsAllowOrigins', 'throttlingRateLimit', 'throttlingBurstLimit',
  'apiGatewayAccount', 'executionLogLevel', 'api5xxAlarmThreshold', 'userPoolDeletionProtection', 'userPoolTier', 'passwordMinimumLength',
  'accessTokenValidityMinutes', 'idTokenValidityMinutes', 'refreshTokenValidityDays', 'clientIdClaim',
  'authorizerMemoryMb', 'authorizerTimeoutSeconds', 'transformMemoryMb', 'transformTimeoutSeconds',
  'firehoseBufferingSizeMiB', 'firehoseBufferingIntervalSeconds', 'dataRetentionDays', 'maximumRetryAttempts',
  'maximumEventAgeSeconds', 'dlqRetentionDays', 'zendesk',
] as const;

const ZENDESK_KEYS = ['enabled', 'ticketsEndpoint', 'secretName', 'rateLimitPerSecond'] as const;

function parseZendesk(raw: unknown, path: string): ClientEventsZendeskConfig {
  const o = section(raw, path);
  onlyKeys(o, path, ZENDESK_KEYS);
  const enabled = bool(o, path, 'enabled', false);
  const required = (key: string, pattern: RegExp, hint: string): string => {
    if (o[key] === undefined && !enabled) return '';
    if (o[key] === undefined) throw new ConfigError(join(path, key), `is required when ${path}.enabled is true (${hint})`);
    return str(o, path, key, undefined, { pattern, hint });
  };
  return {
    enabled,
    ticketsEndpoint: required('ticketsEndpoint', ZENDESK_TICKETS_ENDPOINT, 'Zendesk\'s tickets endpoint, "https://<subdomain>.zendesk.com/api/v2/tickets.json"'),
    secretName: required('secretName', SECRET_NAME, 'the name or ARN of an existing Secrets Manager secret holding {"email", "token"}'),
    rateLimitPerSecond: int(o, path, 'rateLimitPerSecond', 10, { min: 1, max: 300 }),
  };
}

export function parseClientEventsConfig(raw: unknown, path = 'clientEvents'): ClientEventsConfig {
  const o: Raw = section(raw, path);
  onlyKeys(o, path, KEYS);
  const cfg: ClientEventsConfig = {
    enabled: bool(o, path, 'enabled', false),
    regions: regions(o, path, 'regions', ['us-east-1']),
    stageName: str(o, path, 'stageName', 'v1', { pattern: /^[A-Za-z0-9_-]{1,64}$/, hint: '1-64 letters, digits, "-" and "_"' }),
    authorizerCacheTtlSeconds: int(o, path, 'authorizerCacheTtlSeconds', 300, { min: 0, max: 3600 }),
    corsAllowOrigins: corsOrigins(o, path, 'corsAllowOrigins'),
    throttlingRateLimit: int(o, path, 'throttlingRateLimit', 50, { min: 1, max: 10_000 }),
    throttlingBurstLimit: int(o, path, 'throttlingBurstLimit', 100, { min: 1, max: 10_000 }),
    apiGatewayAccount: oneOf(o, path, 'apiGatewayAccount', 'manage', CLIENT_EVENTS_API_GATEWAY_ACCOUNT),
    executionLogLevel: oneOf(o, path, 'executionLogLevel', 'OFF', CLIENT_EVENTS_EXECUTION_LOG_LEVELS),
    api5xxAlarmThreshold: int(o, path, 'api5xxAlarmThreshold', 1, { min: 1, max: 1_000_000 }),
    userPoolDeletionProtection: bool(o, path, 'userPoolDeletionProtection', true),
    userPoolTier: oneOf(o, path, 'userPoolTier', 'LITE', CLIENT_EVENTS_USER_POOL_TIERS),
    passwordMinimumLength: int(o, path, 'passwordMinimumLength', 12, { min: 8, max: 99 }),
    accessTokenValidityMinutes: int(o, path, 'accessTokenValidityMinutes', 60, { min: 5, max: 1440 }),
    idTokenValidityMinutes: int(o, path, 'idTokenValidityMinutes', 60, { min: 5, max: 1440 }),
    refreshTokenValidityDays: int(o, path, 'refreshTokenValidityDays', 30, { min: 1, max: 3650 }),
    clientIdClaim: optStr(o, path, 'clientIdClaim', { pattern: /^[A-Za-z0-9_:.-]{1,64}$/, hint: 'a claim name such as "custom:clientId"' }),
    authorizerMemoryMb: int(o, path, 'authorizerMemoryMb', 256, { min: 128, max: 10240 }),
    // API Gateway waits at most 10 s for a Lambda authorizer.
    authorizerTimeoutSeconds: int(o, path, 'authorizerTimeoutSeconds', 5, { min: 1, max: 10 }),
    transformMemoryMb: int(o, path, 'transformMemoryMb', 256, { min: 128, max: 10240 }),
    // Firehose invokes a transform Lambda for at most 5 minutes.
    transformTimeoutSeconds: int(o, path, 'transformTimeoutSeconds', 60, { min: 1, max: 300 }),
    firehoseBufferingSizeMiB: int(o, path, 'firehoseBufferingSizeMiB', 64, { min: 64, max: 128 }),
    firehoseBufferingIntervalSeconds: int(o, path, 'firehoseBufferingIntervalSeconds', 60, { min: 0, max: 900 }),
    dataRetentionDays: int(o, path, 'dataRetentionDays', 0, { min: 0, max: 36_500 }),
    maximumRetryAttempts: int(o, path, 'maximumRetryAttempts', 185, { min: 0, max: 185 }),
    maximumEventAgeSeconds: int(o, path, 'maximumEventAgeSeconds', 86_400, { min: 60, max: 86_400 }),
    dlqRetentionDays: int(o, path, 'dlqRetentionDays', 14, { min: 1, max: 14 }),
    zendesk: parseZendesk(o.zendesk, join(path, 'zendesk')),
  };
  if (cfg.throttlingBurstLimit < cfg.throttlingRateLimit) {
    throw new ConfigError(join(path, 'throttlingBurstLimit'), `must be at least throttlingRateLimit (${cfg.throttlingRateLimit}), got ${describe(cfg.throttlingBurstLimit)}`);
  }
  return cfg;
}
