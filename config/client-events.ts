import { z } from 'zod';
import { asInt, bool, corsOrigins, inShapeOrder, int, oneOf, parseWith, regions, requiredWhenEnabled, rules, section, str } from './validate.js';
import { clientEventsMonitoringSchema } from './monitoring.js';

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

/** Multi-factor authentication of the user pool: "optional" lets each user add a TOTP app; "on" requires one. */
export const CLIENT_EVENTS_MFA = ['off', 'optional', 'on'] as const;
/** Cognito threat protection (advanced security): "audit" records risky sign-ins, "enforced" also blocks them. Plus tier. */
export const CLIENT_EVENTS_THREAT_PROTECTION = ['off', 'audit', 'enforced'] as const;

/** Cognito user pool feature plans. LITE covers everything this pipeline uses (password sign-in, Lambda triggers). */
export const CLIENT_EVENTS_USER_POOL_TIERS = ['LITE', 'ESSENTIALS', 'PLUS'] as const;
export type ClientEventsUserPoolTier = (typeof CLIENT_EVENTS_USER_POOL_TIERS)[number];

/** Zendesk's tickets endpoint: https://<subdomain>.zendesk.com/api/v2/tickets.json */
export const ZENDESK_TICKETS_ENDPOINT = /^https:\/\/[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.zendesk\.com\/api\/v2\/tickets\.json$/;
/** A Secrets Manager secret name (or ARN). */
export const SECRET_NAME = /^(arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/;

const TICKETS_HINT = 'Zendesk\'s tickets endpoint, "https://<subdomain>.zendesk.com/api/v2/tickets.json"';
const SECRET_HINT = 'the name or ARN of an existing Secrets Manager secret holding {"email", "token"}';

/** Loyalty purchases -> Zendesk tickets (config key `clientEvents.zendesk`). */
const zendeskShape = {
    enabled: bool().default(false).describe('Create the connection, API destination and loyalty-purchase rule.'),
    ticketsEndpoint: str({ pattern: ZENDESK_TICKETS_ENDPOINT, hint: TICKETS_HINT }).optional().describe('Tickets endpoint, `https://<subdomain>.zendesk.com/api/v2/tickets.json` (required when enabled).'),
    secretName: str({ pattern: SECRET_NAME, hint: SECRET_HINT }).optional().describe(
      'Name (or ARN) of an existing Secrets Manager secret holding `{"email": "...", "token": "..."}` (required when enabled). Terraform never reads it: `npm run client-events:connect` copies it into the connection.',
    ),
    rateLimitPerSecond: int(1, 300).default(10).describe('Most requests per second EventBridge sends to Zendesk.'),
    allowSelfSignUp: bool().default(false).describe(
      'Accept `clientEvents.selfSignUp: true` with Zendesk on: then anyone who signs up can open Zendesk tickets (at the client throttling rate). Default false: the config is refused.',
    ),
};
export const clientEventsZendeskSchema = requiredWhenEnabled(
  section(zendeskShape),
  'clientEvents.zendesk',
  { ticketsEndpoint: TICKETS_HINT, secretName: SECRET_HINT },
)
  .transform((v) => inShapeOrder(zendeskShape, { ...v, ticketsEndpoint: v.ticketsEndpoint ?? '', secretName: v.secretName ?? '' }))
  .describe('Loyalty purchases -> Zendesk tickets.');

/** Authenticated client events pipeline (config key `clientEvents`, docs/client-events.md). */
export const clientEventsSchema = rules(
  section({
    enabled: bool().default(false).describe('Synthesize client-events stacks at all.'),
    regions: regions().default(['us-east-1']).describe('AWS regions, one stack `client-events-<region>` each.'),

    stageName: str({ pattern: /^[A-Za-z0-9_-]{1,64}$/, hint: '1-64 letters, digits, "-" and "_"' }).default('v1').describe(
      'API stage name (the URL is `https://<api>.execute-api.<region>.amazonaws.com/<stageName>/event`).',
    ),
    authorizerCacheTtlSeconds: int(0, 3600).default(300).describe('Seconds API Gateway caches an authorizer decision per token; 0 turns caching off.'),
    corsAllowOrigins: corsOrigins().describe(
      'Browser origins allowed to call POST /event (CORS), e.g. "https://shop.example.com", "https://*.example.com" or "*". Empty turns CORS off: apps and servers call the API directly.',
    ),
    throttlingRateLimit: int(1, 10_000).default(50).describe('Stage throttling: steady requests per second.'),
    throttlingBurstLimit: int(1, 10_000).default(100).describe('Stage throttling: burst (at least throttlingRateLimit).'),
    apiGatewayAccount: oneOf(CLIENT_EVENTS_API_GATEWAY_ACCOUNT).default('manage').describe(
      'Who manages API Gateway\'s account-level CloudWatch Logs role in the region: "manage" creates a role and sets it; "existing" leaves the setting alone because it is already set.',
    ),
    executionLogLevel: oneOf(CLIENT_EVENTS_EXECUTION_LOG_LEVELS).default('OFF').describe('Stage execution logging: "OFF", "ERROR" or "INFO". Access logs (JSON) are always on.'),
    api5xxAlarmThreshold: int(1, 1_000_000).default(1).describe('Alarm when the API returns at least this many 5xx responses in 5 minutes.'),

    userPoolDeletionProtection: bool().default(true).describe('Cognito user pool deletion protection: `terraform destroy` fails until it is turned off.'),
    userPoolTier: oneOf(CLIENT_EVENTS_USER_POOL_TIERS).default('LITE').describe('Cognito feature plan: "LITE" (the cheapest per monthly active user), "ESSENTIALS" or "PLUS".'),
    passwordMinimumLength: int(8, 99).default(12).describe('Minimum password length.'),
    accessTokenValidityMinutes: int(5, 1440).default(60).describe('Access token validity, minutes.'),
    idTokenValidityMinutes: int(5, 1440).default(60).describe('ID token validity, minutes.'),
    refreshTokenValidityDays: int(1, 3650).default(30).describe('Refresh token validity, days.'),
    clientIdClaim: str({ pattern: /^[A-Za-z0-9_:.-]{1,64}$/, hint: 'a claim name such as "custom:clientId"' }).optional().describe(
      'Token claim the authorizer reads the clientId from when present (skipping the user lookup). Default none.',
    ),

    authorizerMemoryMb: int(128, 10240).default(256).describe('Authorizer Lambda memory, MB.'),
    // API Gateway waits at most 10 s for a Lambda authorizer.
    authorizerTimeoutSeconds: int(1, 10).default(5).describe('Authorizer Lambda timeout, seconds (API Gateway waits at most 10 s).'),
    authorizerReservedConcurrency: int(0, 1000).default(50).describe('Concurrent authorizer invocations reserved (and allowed at most) for POST /event (cached decisions do not invoke it). Reserved concurrency caps this public entry point so a flood cannot take the whole Lambda concurrency of the account (default account limit 1000, of which 100 must stay unreserved); 0 reserves nothing (the account pool). Free.'),
    transformMemoryMb: int(128, 10240).default(256).describe('Transform Lambda memory, MB.'),
    // Firehose invokes a transform Lambda for at most 5 minutes.
    transformTimeoutSeconds: int(1, 300).default(60).describe('Transform Lambda timeout, seconds (Firehose invokes it for at most 5 minutes).'),

    firehoseBufferingSizeMiB: int(64, 128).default(64).describe('Firehose buffering size, MiB (dynamic partitioning needs 64 or more).'),
    firehoseBufferingIntervalSeconds: int(0, 900).default(60).describe('Firehose buffering interval, seconds.'),
    dataRetentionDays: int(0, 36_500).default(0).describe('Days after which delivered objects expire; 0 keeps them.'),

    maximumRetryAttempts: int(0, 185).default(185).describe('EventBridge delivery retries per target.'),
    maximumEventAgeSeconds: int(60, 86_400).default(86_400).describe('Oldest event EventBridge retries, seconds.'),
    dlqRetentionDays: int(1, 14).default(14).describe('Days the targets\' dead-letter queues keep an event.'),

    selfSignUp: bool().optional().describe(
      'Anyone may create a user with the app client (Cognito self sign-up). Default: true, or false when Zendesk is on (then true needs zendesk.allowSelfSignUp). Off: users are created by an administrator (AdminCreateUser).',
    ),
    mfa: oneOf(CLIENT_EVENTS_MFA).default('optional').describe(
      'Multi-factor authentication with a TOTP app: "off", "optional" (each user may add one; no cost) or "on" (required; Cognito allows "on" only when the pool is created, so an existing pool keeps its setting until it is recreated). SMS factors are not configured (they cost per message).',
    ),
    threatProtection: oneOf(CLIENT_EVENTS_THREAT_PROTECTION).default('off').describe(
      'Cognito threat protection (advanced security mode): "off", "audit" (risk of each sign-in recorded) or "enforced" (risky sign-ins blocked or challenged). Needs userPoolTier "PLUS", billed per monthly active user (about 4x LITE; see Cognito pricing).',
    ),
    waf: section({
      enabled: bool().default(false).describe('An AWS WAF web ACL on the API stage: $5 a month per web ACL, $1 per rule, $0.60 per million requests.'),
      perClientRateLimit: int(10, 2_000_000_000).default(600).describe('Requests per 5 minutes one access token (the Authorization header) may send before WAF blocks it: throttling per client, so one user cannot use up the stage limit for everyone.'),
      perIpRateLimit: int(10, 2_000_000_000).default(3000).describe('Requests per 5 minutes one source IP may send (any token, or none).'),
    }).prefault({}).describe('Optional WAF web ACL on the stage, with per-client (token) and per-IP rate-based rules and the free AWS known-bad-inputs rule group.'),

    zendesk: clientEventsZendeskSchema.prefault({}),
    monitoring: clientEventsMonitoringSchema.prefault({}),
  }),
  (v, fail) => {
    const rate = asInt(v.throttlingRateLimit);
    const burst = asInt(v.throttlingBurstLimit);
    if (rate !== undefined && burst !== undefined && burst < rate) fail('throttlingBurstLimit', `must be at least throttlingRateLimit (${rate}), got ${burst}`);
    const zendesk = (v.zendesk ?? {}) as { enabled?: unknown; allowSelfSignUp?: unknown };
    if (v.selfSignUp === true && zendesk.enabled === true && zendesk.allowSelfSignUp !== true) {
      fail('selfSignUp', 'is true while zendesk is enabled: anyone could sign up and open Zendesk tickets; set zendesk.allowSelfSignUp true to accept that, or leave selfSignUp unset (off with Zendesk)');
    }
    if (v.threatProtection !== undefined && v.threatProtection !== 'off' && (v.userPoolTier ?? 'LITE') !== 'PLUS') {
      fail('threatProtection', `"${String(v.threatProtection)}" needs userPoolTier "PLUS" (Cognito threat protection is a Plus feature), got "${String(v.userPoolTier ?? 'LITE')}"`);
    }
  },
).describe('Authenticated client events: Cognito, API Gateway, EventBridge, Firehose, Zendesk (docs/client-events.md).');

/** Loyalty purchases -> Zendesk tickets (config key `clientEvents.zendesk`). */
export type ClientEventsZendeskConfig = z.output<typeof clientEventsZendeskSchema>;
/** Authenticated client events pipeline (config key `clientEvents`, docs/client-events.md). */
export type ClientEventsConfig = z.output<typeof clientEventsSchema>;

export function parseClientEventsConfig(raw: unknown): ClientEventsConfig {
  return parseWith(clientEventsSchema, raw === undefined ? {} : raw, ['clientEvents']);
}
