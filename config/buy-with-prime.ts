import { z } from 'zod';
import { DEFAULT_EVENT_TYPES, ROUTES } from '../handlers/buy-with-prime/events/routing.js';
import {
  AWS_REGIONS, asInt, asStr, bool, describe, inShapeOrder, int, oneOf, oneOfNumbers, parseWith, regions, requiredWhenEnabled, rules, section, str, strList,
} from './validate.js';
import { buyWithPrimeMonitoringSchema } from './monitoring.js';

export const BWP_DEPLOY_TARGETS = ['lambda', 'fargate'] as const;
export type BwpDeployTarget = (typeof BWP_DEPLOY_TARGETS)[number];

/** Buy with Prime's production endpoints (the defaults). */
export const BWP_DEFAULTS = {
  authorizeUrl: 'https://console.buywithprime.amazon.com/marketplace/authorize',
  tokenUrl: 'https://api.buywithprime.amazon.com/token',
  apiUrl: 'https://api.buywithprime.amazon.com/graphql',
  /** Documented event types (documents.buywithprime.amazon.com/bwp-api/docs/event-types) the processor acts on. */
  eventTypes: DEFAULT_EVENT_TYPES,
} as const;

/** Fargate CPU units -> the memory sizes (MiB) Fargate accepts with them. */
export const FARGATE_CPU_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

const HTTPS_URL = { pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s?#]*)?$/, hint: 'an https:// URL without query or fragment' };
const ORIGIN = { pattern: /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/, hint: 'an https:// origin in lower case, without path (e.g. "https://bwp.example.com")' };
const SECRET_ARN = { pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, hint: 'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)' };
const CERT_ARN = { pattern: /^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[A-Za-z0-9-]+$/, hint: 'an ACM certificate ARN' };
const PEM = { pattern: /^-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s\\n]+-----END PUBLIC KEY-----\s*$/, hint: 'a PEM "-----BEGIN PUBLIC KEY-----" P-256 public key' };
const CLIENT_ID = { pattern: /^[\x21-\x7e]{1,256}$/, hint: 'the OAuth client id (printable ASCII, no spaces)' };
const PARTNER_EVENT_SOURCE = {
  pattern: /^aws\.partner\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/,
  hint: 'the partner event source name, e.g. "aws.partner/buywithprime/<partner event source name>"',
  maxLength: 256,
};
const AZ = { pattern: /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, hint: 'an Availability Zone name such as us-east-1a' };

/** The region inside an ARN. */
export function arnRegion(arn: string): string {
  return arn.split(':')[3] ?? '';
}

const vpcCidr = str({ pattern: /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, hint: 'an IPv4 CIDR such as 10.60.0.0/16' }).superRefine((cidr, ctx) => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((n) => n > 255) || prefix < 16 || prefix > 24) {
    ctx.addIssue({ code: 'custom', input: cidr, message: `${describe(cidr)} must be a valid IPv4 block between /16 and /24 (it is split into four subnets)` });
    return;
  }
  const value = octets.reduce((acc, n) => acc * 256 + n, 0);
  if (value % 2 ** (32 - prefix) !== 0) ctx.addIssue({ code: 'custom', input: cidr, message: `${describe(cidr)} has host bits set` });
});

/** Settings of the `fargate` deploy target (config key `buyWithPrime.fargate`). */
const fargateShape = {
    cpu: oneOfNumbers([256, 512, 1024, 2048, 4096]).default(256).describe('Task CPU units.'),
    memoryMb: int(512, 30720).default(512).describe('Task memory, MiB, valid for the CPU (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720, in steps of 1024).'),
    desiredCount: int(1, 100).optional().describe('Tasks at deploy time, between minCapacity and maxCapacity. Default minCapacity.'),
    minCapacity: int(1, 100).default(2).describe('Autoscaling minimum of tasks.'),
    maxCapacity: int(1, 100).default(4).describe('Autoscaling maximum of tasks (at least minCapacity).'),
    cpuTargetPercent: int(10, 90).default(60).describe('Target average CPU for autoscaling, percent.'),
    vpcCidr: vpcCidr.default('10.60.0.0/16').describe('VPC CIDR (a /16 to /24 IPv4 block, split into 2 public and 2 private subnets).'),
    availabilityZones: strList(AZ).optional().describe('Two different Availability Zones of the deployment region. Default ["<region>a", "<region>b"].'),
    natGateways: oneOfNumbers([0, 1, 2]).default(1).describe(
      'NAT gateways for the tasks\' egress: 1 (one NAT in the first AZ), 2 (one per AZ, no cross-AZ dependency) or 0 (tasks run in the public subnets with public IPs; no NAT cost).',
    ),
    imageTag: str({ pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, hint: 'a Docker image tag' }).default('initial').describe('ECR image tag the service runs (tags are immutable: push a new tag per release).'),
    deletionProtection: bool().default(false).describe('ALB deletion protection.'),
    imageDigest: str({ pattern: /^sha256:[0-9a-f]{64}$/, hint: 'an image digest "sha256:<64 lower-case hex>"' }).optional().describe(
      'Image digest ("sha256:<64 hex>") the service runs: pins the exact image (`<repository>@<digest>`) instead of the tag. Unset: the tag (immutable in the repository). Set it for production.',
    ),
    launchRateLimitPer5Min: int(10, 2_000_000).default(100).describe('Requests per 5 minutes one client IP may send to /launch (WAF rate-based rule on the ALB).'),
};
const fargateSchema = rules(
  section(fargateShape),
  (v, fail) => {
    const cpu = asInt(v.cpu);
    const memoryMb = asInt(v.memoryMb);
    if (cpu !== undefined && memoryMb !== undefined && FARGATE_CPU_MEMORY[cpu] && !FARGATE_CPU_MEMORY[cpu].includes(memoryMb)) {
      fail('memoryMb', `${memoryMb} is not valid with cpu ${cpu}; allowed values are: ${FARGATE_CPU_MEMORY[cpu].join(', ')}`);
    }
    const min = asInt(v.minCapacity);
    const max = asInt(v.maxCapacity);
    if (min !== undefined && max !== undefined && max < min) fail('maxCapacity', `must be at least minCapacity (${min})`);
    const desired = asInt(v.desiredCount);
    if (desired !== undefined && min !== undefined && max !== undefined && (desired < min || desired > max)) {
      fail('desiredCount', `must be between minCapacity (${min}) and maxCapacity (${max})`);
    }
    const azs = v.availabilityZones;
    if (Array.isArray(azs) && (azs.length !== 2 || azs[0] === azs[1])) fail('availabilityZones', 'must name exactly two different Availability Zones');
  },
);

const EVENT_TYPES = Object.keys(ROUTES);

/** Buy with Prime partner integration settings (config key `buyWithPrime`). */
const shape = {
      enabled: bool().default(false).describe('Synthesize the stack.'),
      regions: regions().default(['us-east-1']).describe('The one AWS region of the deployment (a list for uniformity; exactly one).'),
      deployTarget: oneOf(BWP_DEPLOY_TARGETS).default('lambda').describe('"lambda": Lambda behind an API Gateway HTTP API. "fargate": ECS Fargate behind an HTTPS ALB.'),
      clientId: str(CLIENT_ID).optional().describe('OAuth client id of the app (required when enabled).'),
      clientSecretArn: str(SECRET_ARN).optional().describe('ARN of the Secrets Manager secret holding the client secret, created outside Terraform (required when enabled).'),
      authorizeUrl: str(HTTPS_URL).default(BWP_DEFAULTS.authorizeUrl).describe('Authorization endpoint.'),
      tokenUrl: str(HTTPS_URL).default(BWP_DEFAULTS.tokenUrl).describe('Token endpoint.'),
      issuer: str({ pattern: /^https:\/\/\S+$/, hint: 'an https:// issuer identifier' }).optional().describe('Issuer identifier for ID-token checks. Default the origin of tokenUrl.'),
      apiUrl: str(HTTPS_URL).default(BWP_DEFAULTS.apiUrl).describe('GraphQL API endpoint.'),
      apiVersion: str({ pattern: /^20\d\d-[01]\d-[0-3]\d$/, hint: 'an API version date such as 2024-11-01' }).default('2024-11-01').describe(
        'Buy with Prime API version sent as `x-api-version` (pinned; "Call the Buy with Prime API").',
      ),
      scopes: strList({ pattern: /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, hint: 'an OAuth scope token (no spaces or quotes)' }).default([]).describe('Scopes requested at launch.'),
      verificationPublicKey: str(PEM).optional().describe('PEM (SPKI) of Buy with Prime\'s P-256 key that signs verification tokens (required when enabled).'),
      verificationIssuer: str({ maxLength: 512 }).optional().describe('Expected `iss` of verification tokens; unset skips the check.'),
      verificationMaxAgeSeconds: int(30, 3600).default(300).describe('Longest accepted verification-token lifetime (exp - iat) and age, seconds.'),
      publicBaseUrl: str(ORIGIN).optional().describe(
        'Public origin of the app, e.g. "https://bwp.example.com" (the install URL is `<publicBaseUrl>/install`). lambda: optional; default the API\'s execute-api endpoint, or with certificateArn a custom domain (then required). fargate: required (the name on the ALB certificate).',
      ),
      certificateArn: str(CERT_ARN).optional().describe('ACM certificate for publicBaseUrl\'s host, in the deployment region. fargate: required; lambda: optional.'),
      partnerEventSource: str(PARTNER_EVENT_SOURCE).optional().describe('The partner event source, "aws.partner/buywithprime/<partner event source name>" (required when enabled).'),
      eventTypes: strList({ pattern: /^[A-Z][A-Z0-9_]{1,63}$/, hint: 'an event type in upper case, e.g. ORDER_CONFIRMED' })
        .default([...BWP_DEFAULTS.eventTypes])
        .describe('Documented event types routed to the processor, one rule each.')
        .meta({ items: { enum: EVENT_TYPES }, minItems: 1, uniqueItems: true }),
      eventRetentionDays: int(1, 3650).default(90).describe('Days a processed event (with its raw detail) is kept in the events table (DynamoDB TTL).'),
      launchTtlSeconds: int(60, 3600).default(600).describe('Seconds a launch may take before its state expires.'),
      refreshAheadSeconds: int(30, 600).default(120).describe('Refresh access tokens this many seconds before they expire.'),
      oauthMemoryMb: int(128, 10240).default(256).describe('Install app Lambda memory, MB.'),
      oauthTimeoutSeconds: int(3, 29).default(10).describe('Install app Lambda timeout, seconds.'),
      oauthReservedConcurrency: int(0, 1000).default(20).describe('Concurrent install app invocations reserved (and allowed at most), lambda target. Reserved concurrency caps this public entry point so a flood cannot take the whole Lambda concurrency of the account (default account limit 1000, of which 100 must stay unreserved); 0 reserves nothing (the account pool). Free.'),
      apiRateLimit: int(1, 10000).default(20).describe('API Gateway default-route throttling: steady requests per second.'),
      apiBurstLimit: int(1, 5000).default(50).describe('API Gateway default-route throttling: burst.'),
      processorMemoryMb: int(128, 10240).default(256).describe('Event processor memory, MB.'),
      processorTimeoutSeconds: int(10, 900).default(60).describe('Event processor timeout, seconds.'),
      batchSize: int(1, 10).default(10).describe('Event processor batch size.'),
      processorMaxConcurrency: int(2, 1000).default(5).describe('Most processor instances the queue\'s event source runs at once (maximumConcurrency).'),
      tokensTableDeletionProtection: bool().default(true).describe('Deletion protection of the token table (the installations\' only copy of their tokens).'),
      kmsKeyAdminArns: strList({ pattern: /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[A-Za-z0-9+=,.@_/-]+$/, hint: 'an IAM role or user ARN' }).default([]).describe(
        'IAM principal ARNs (roles/users) that administer the token KMS key besides the account root.',
      ),
      maxReceiveCount: int(1, 1000).default(5).describe('Receives before an event moves to the DLQ.'),
      apiMaxAttempts: int(1, 10).default(5).describe('GraphQL attempts per call (throttling backoff).'),
      eventRetryAttempts: int(0, 185).default(185).describe('EventBridge delivery retries to SQS.'),
      eventMaxAgeSeconds: int(60, 86400).default(86400).describe('Oldest event EventBridge retries, seconds.'),
      fargate: fargateSchema.prefault({}).describe('Settings of the "fargate" deploy target.'),
      monitoring: buyWithPrimeMonitoringSchema.prefault({}),
};
export const buyWithPrimeSchema = rules(
  requiredWhenEnabled(
    section(shape),
    'buyWithPrime',
    { clientId: CLIENT_ID.hint, clientSecretArn: SECRET_ARN.hint, verificationPublicKey: PEM.hint, partnerEventSource: PARTNER_EVENT_SOURCE.hint },
  ),
  (v, fail) => {
    const regionList = v.regions;
    if (Array.isArray(regionList) && regionList.length > 1) {
      fail(
        'regions',
        `must list exactly one region (allowed values are: ${AWS_REGIONS.join(', ')}): the app's registered redirect URI, its launch state and the partner event source belong to one region`,
      );
    }
    const region = Array.isArray(regionList) && regionList.length === 1 ? asStr(regionList[0]) : undefined;
    const certificateArn = asStr(v.certificateArn);
    if (region && certificateArn && CERT_ARN.pattern.test(certificateArn) && arnRegion(certificateArn) !== region) {
      fail('certificateArn', `the certificate must be in the deployment region ${region}, got one in ${arnRegion(certificateArn)}`);
    }
    const enabled = v.enabled === true;
    if (enabled && v.deployTarget === 'fargate') {
      if (v.publicBaseUrl === undefined) fail('publicBaseUrl', 'is required with deployTarget "fargate" (the HTTPS name on the ALB certificate)');
      if (v.certificateArn === undefined) fail('certificateArn', 'is required with deployTarget "fargate" (the ALB HTTPS listener)');
    }
    if (enabled && v.deployTarget === 'lambda' && v.certificateArn !== undefined && v.publicBaseUrl === undefined) {
      fail('publicBaseUrl', 'is required when certificateArn is set (the custom domain of the API)');
    }
    if (Array.isArray(v.eventTypes)) {
      const seen = new Set<unknown>();
      v.eventTypes.forEach((t, i) => {
        if (seen.has(t)) fail(['eventTypes', i], `${describe(t)} is listed twice`);
        else if (typeof t === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(t) && !ROUTES[t]) {
          fail(['eventTypes', i], `${describe(t)} is not a documented Buy with Prime event type; allowed values are: ${EVENT_TYPES.join(', ')}`);
        }
        seen.add(t);
      });
      if (v.eventTypes.length === 0) fail('eventTypes', 'must list at least one event type');
    }
    // Availability Zones belong to the deployment region.
    const azs = (v.fargate as { availabilityZones?: unknown } | undefined)?.availabilityZones;
    if (region && Array.isArray(azs)) {
      azs.forEach((az, i) => {
        if (typeof az === 'string' && (!az.startsWith(region) || az.length !== region.length + 1)) {
          fail(['fargate', 'availabilityZones', i], `${describe(az)} is not an Availability Zone of ${region}`);
        }
      });
    }
  },
)
  .transform((v) => {
    const region = v.regions[0];
    return inShapeOrder(shape, {
      ...v,
      clientId: v.clientId ?? '',
      clientSecretArn: v.clientSecretArn ?? '',
      issuer: v.issuer ?? new URL(v.tokenUrl).origin,
      verificationPublicKey: v.verificationPublicKey ?? '',
      partnerEventSource: v.partnerEventSource ?? '',
      fargate: inShapeOrder(fargateShape, {
        ...v.fargate,
        desiredCount: v.fargate.desiredCount ?? v.fargate.minCapacity,
        availabilityZones: v.fargate.availabilityZones ?? [`${region}a`, `${region}b`],
      }),
    });
  })
  .describe('Buy with Prime partner integration (docs/buy-with-prime.md).');

/** Buy with Prime partner integration settings (config key `buyWithPrime`). */
export type BuyWithPrimeConfig = z.output<typeof buyWithPrimeSchema>;
/** Settings of the `fargate` deploy target (config key `buyWithPrime.fargate`). */
export type BwpFargateConfig = BuyWithPrimeConfig['fargate'];

export function parseBuyWithPrimeConfig(raw: unknown): BuyWithPrimeConfig {
  return parseWith(buyWithPrimeSchema, raw === undefined ? {} : raw, ['buyWithPrime']);
}
