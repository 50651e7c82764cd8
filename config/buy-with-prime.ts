import { DEFAULT_EVENT_TYPES, ROUTES } from '../handlers/buy-with-prime/events/routing.js';
import { AWS_REGIONS, ConfigError, bool, describe, int, join, oneOf, onlyKeys, optStr, regions, section, str, strList, type AwsRegion, type Raw } from './validate.js';

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

/** Settings of the `fargate` deploy target (config key `buyWithPrime.fargate`). */
export interface BwpFargateConfig {
  /** Task CPU units: 256 (default), 512, 1024, 2048 or 4096. */
  readonly cpu: number;
  /** Task memory, MiB, valid for the CPU. Default 512. */
  readonly memoryMb: number;
  /** Tasks at deploy time and the autoscaling range. Defaults 2, 2 and 4. */
  readonly desiredCount: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Target average CPU for autoscaling, percent. Default 60. */
  readonly cpuTargetPercent: number;
  /** VPC CIDR (a /16 to /24 IPv4 block, split into 2 public and 2 private subnets). Default "10.60.0.0/16". */
  readonly vpcCidr: string;
  /** Two Availability Zones. Default ["<region>a", "<region>b"]. */
  readonly availabilityZones: readonly string[];
  /**
   * NAT gateways for the tasks' egress: 1 (default; one NAT in the first AZ), 2 (one per AZ, no cross-AZ
   * dependency) or 0 (tasks run in the public subnets with public IPs; no NAT cost).
   */
  readonly natGateways: 0 | 1 | 2;
  /** ECR image tag the service runs (tags are immutable: push a new tag per release). Default "initial". */
  readonly imageTag: string;
  /** ALB deletion protection. Default false. */
  readonly deletionProtection: boolean;
  /**
   * Image digest ("sha256:<64 hex>") the service runs: pins the exact image (`<repository>@<digest>`) instead of
   * the tag. Unset: the tag (immutable in the repository). Set it for production.
   */
  readonly imageDigest?: string;
  /** Requests per 5 minutes one client IP may send to /launch (WAF rate-based rule on the ALB, 10-2000000). Default 100. */
  readonly launchRateLimitPer5Min: number;
}

/** Buy with Prime partner integration settings (config key `buyWithPrime`). */
export interface BuyWithPrimeConfig {
  /** Synthesize the stack. Default false. */
  readonly enabled: boolean;
  /** The one AWS region of the deployment (a list for uniformity; exactly one). Default ["us-east-1"]. */
  readonly regions: readonly AwsRegion[];
  /** `lambda` (default): Lambda behind an API Gateway HTTP API. `fargate`: ECS Fargate behind an HTTPS ALB. */
  readonly deployTarget: BwpDeployTarget;
  /** OAuth client id of the app (required when enabled). */
  readonly clientId: string;
  /** ARN of the Secrets Manager secret holding the client secret, created outside Terraform (required when enabled). */
  readonly clientSecretArn: string;
  /** Authorization endpoint. Default Buy with Prime's. */
  readonly authorizeUrl: string;
  /** Token endpoint. Default Buy with Prime's. */
  readonly tokenUrl: string;
  /** Issuer identifier for ID-token checks. Default the origin of tokenUrl. */
  readonly issuer: string;
  /** GraphQL API endpoint. Default Buy with Prime's. */
  readonly apiUrl: string;
  /** Buy with Prime API version sent as `x-api-version` (pinned; "Call the Buy with Prime API"). Default "2024-11-01". */
  readonly apiVersion: string;
  /** Scopes requested at launch. Default none. */
  readonly scopes: readonly string[];
  /** PEM (SPKI) of Buy with Prime's P-256 key that signs verification tokens (required when enabled). */
  readonly verificationPublicKey: string;
  /** Longest accepted verification-token lifetime (exp - iat) and age, seconds (30-3600). Default 300. */
  readonly verificationMaxAgeSeconds: number;
  /** Expected `iss` of verification tokens; unset (default) skips the check. */
  readonly verificationIssuer?: string;
  /**
   * Public origin of the app, e.g. "https://bwp.example.com" (the install URL is `<publicBaseUrl>/install`).
   * lambda: optional; default the API's execute-api endpoint, or with certificateArn a custom domain.
   * fargate: required (the name on the ALB certificate).
   */
  readonly publicBaseUrl?: string;
  /** ACM certificate for publicBaseUrl's host, in the deployment region. fargate: required; lambda: optional. */
  readonly certificateArn?: string;
  /** The partner event source, "aws.partner/buywithprime/<partner event source name>" (required when enabled). */
  readonly partnerEventSource: string;
  /**
   * Documented event types routed to the processor, one rule each. Default ORDER_CONFIRMED, REFUND_REQUESTED,
   * REFUND_COMPLETED, RETURN_STARTED, RETURN_COMPLETED, PACKAGE_DELIVERED, PACKAGE_DELIVERY_CANCELLED,
   * PERSONAL_DATA_DELETION_TASK_COMPLETED.
   */
  readonly eventTypes: readonly string[];
  /** Days a processed event (with its raw detail) is kept in the events table (DynamoDB TTL). Default 90. */
  readonly eventRetentionDays: number;
  /** Seconds a launch may take before its state expires. Default 600. */
  readonly launchTtlSeconds: number;
  /** Refresh access tokens this many seconds before they expire. Default 120. */
  readonly refreshAheadSeconds: number;
  /** Install app Lambda memory (MB, default 256) and timeout (s, 3-29, default 10). */
  readonly oauthMemoryMb: number;
  readonly oauthTimeoutSeconds: number;
  /** API Gateway default-route throttling: steady requests/s (default 20) and burst (default 50). */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Event processor memory (MB, default 256), timeout (s, default 60), batch size (1-10, default 10). */
  readonly processorMemoryMb: number;
  readonly processorTimeoutSeconds: number;
  readonly batchSize: number;
  /** Most processor instances the queue's event source runs at once (maximumConcurrency, 2-1000). Default 5. */
  readonly processorMaxConcurrency: number;
  /** Deletion protection of the token table (the installations' only copy of their tokens). Default true. */
  readonly tokensTableDeletionProtection: boolean;
  /** IAM principal ARNs (roles/users) that administer the token KMS key besides the account root. Default none. */
  readonly kmsKeyAdminArns: readonly string[];
  /** Receives before an event moves to the DLQ. Default 5. */
  readonly maxReceiveCount: number;
  /** GraphQL attempts per call (throttling backoff). Default 5. */
  readonly apiMaxAttempts: number;
  /** EventBridge delivery retries to SQS (0-185, default 185) and maximum event age (60-86400 s, default 86400). */
  readonly eventRetryAttempts: number;
  readonly eventMaxAgeSeconds: number;
  readonly fargate: BwpFargateConfig;
}

const KEYS = [
  'enabled', 'regions', 'deployTarget', 'clientId', 'clientSecretArn', 'authorizeUrl', 'tokenUrl', 'issuer', 'apiUrl',
  'scopes', 'verificationPublicKey', 'verificationIssuer', 'publicBaseUrl', 'certificateArn', 'partnerEventSource',
  'eventTypes', 'launchTtlSeconds', 'refreshAheadSeconds', 'oauthMemoryMb', 'oauthTimeoutSeconds', 'apiRateLimit',
  'apiBurstLimit', 'processorMemoryMb', 'processorTimeoutSeconds', 'batchSize', 'maxReceiveCount', 'apiMaxAttempts',
  'eventRetryAttempts', 'eventMaxAgeSeconds', 'fargate', 'eventRetentionDays', 'apiVersion', 'verificationMaxAgeSeconds', 'processorMaxConcurrency', 'tokensTableDeletionProtection', 'kmsKeyAdminArns',
] as const;

const FARGATE_KEYS = [
  'cpu', 'memoryMb', 'desiredCount', 'minCapacity', 'maxCapacity', 'cpuTargetPercent', 'vpcCidr', 'availabilityZones',
  'natGateways', 'imageTag', 'deletionProtection', 'imageDigest', 'launchRateLimitPer5Min',
] as const;

const HTTPS_URL = { pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[^\s?#]*)?$/, hint: 'an https:// URL without query or fragment' };
const ORIGIN = { pattern: /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/, hint: 'an https:// origin in lower case, without path (e.g. "https://bwp.example.com")' };
const SECRET_ARN = { pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, hint: 'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)' };
const CERT_ARN = { pattern: /^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[A-Za-z0-9-]+$/, hint: 'an ACM certificate ARN' };
const PEM = /^-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s\\n]+-----END PUBLIC KEY-----\s*$/;

/** The region inside an ARN. */
export function arnRegion(arn: string): string {
  return arn.split(':')[3] ?? '';
}

function required(o: Raw, path: string, key: string, enabled: boolean, opts: { pattern?: RegExp; hint?: string; maxLength?: number }): string {
  if (o[key] === undefined && !enabled) return '';
  if (o[key] === undefined) throw new ConfigError(join(path, key), `is required when ${path}.enabled is true (${opts.hint ?? 'a string'})`);
  return str(o, path, key, undefined, opts);
}

function parseCidr(o: Raw, path: string): string {
  const cidr = str(o, path, 'vpcCidr', '10.60.0.0/16', { pattern: /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, hint: 'an IPv4 CIDR such as 10.60.0.0/16' });
  const [ip, bits] = cidr.split('/');
  const octets = ip.split('.').map(Number);
  const prefix = Number(bits);
  if (octets.some((n) => n > 255) || prefix < 16 || prefix > 24) {
    throw new ConfigError(join(path, 'vpcCidr'), `${describe(cidr)} must be a valid IPv4 block between /16 and /24 (it is split into four subnets)`);
  }
  const value = octets.reduce((acc, n) => acc * 256 + n, 0);
  if (value % 2 ** (32 - prefix) !== 0) throw new ConfigError(join(path, 'vpcCidr'), `${describe(cidr)} has host bits set`);
  return cidr;
}

export function parseFargateConfig(raw: unknown, path: string, region: string): BwpFargateConfig {
  const o = section(raw, path);
  onlyKeys(o, path, FARGATE_KEYS);
  const cpu = oneOf(o, path, 'cpu', 256, [256, 512, 1024, 2048, 4096]);
  const memoryMb = int(o, path, 'memoryMb', 512, { min: 512, max: 30720 });
  if (!FARGATE_CPU_MEMORY[cpu].includes(memoryMb)) {
    throw new ConfigError(join(path, 'memoryMb'), `${memoryMb} is not valid with cpu ${cpu}; allowed values are: ${FARGATE_CPU_MEMORY[cpu].join(', ')}`);
  }
  const minCapacity = int(o, path, 'minCapacity', 2, { min: 1, max: 100 });
  const maxCapacity = int(o, path, 'maxCapacity', 4, { min: 1, max: 100 });
  const desiredCount = int(o, path, 'desiredCount', minCapacity, { min: 1, max: 100 });
  if (maxCapacity < minCapacity) throw new ConfigError(join(path, 'maxCapacity'), `must be at least minCapacity (${minCapacity})`);
  if (desiredCount < minCapacity || desiredCount > maxCapacity) {
    throw new ConfigError(join(path, 'desiredCount'), `must be between minCapacity (${minCapacity}) and maxCapacity (${maxCapacity})`);
  }
  const azs = strList(o, path, 'availabilityZones', [`${region}a`, `${region}b`], { pattern: /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, hint: 'an Availability Zone name such as us-east-1a' });
  if (azs.length !== 2 || azs[0] === azs[1]) throw new ConfigError(join(path, 'availabilityZones'), 'must name exactly two different Availability Zones');
  azs.forEach((az, i) => {
    if (!az.startsWith(region) || az.length !== region.length + 1) {
      throw new ConfigError(join(join(path, 'availabilityZones'), i), `${describe(az)} is not an Availability Zone of ${region}`);
    }
  });
  return {
    cpu,
    memoryMb,
    desiredCount,
    minCapacity,
    maxCapacity,
    cpuTargetPercent: int(o, path, 'cpuTargetPercent', 60, { min: 10, max: 90 }),
    vpcCidr: parseCidr(o, path),
    availabilityZones: azs,
    natGateways: oneOf(o, path, 'natGateways', 1, [0, 1, 2]) as 0 | 1 | 2,
    imageTag: str(o, path, 'imageTag', 'initial', { pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, hint: 'a Docker image tag' }),
    deletionProtection: bool(o, path, 'deletionProtection', false),
    imageDigest: optStr(o, path, 'imageDigest', { pattern: /^sha256:[0-9a-f]{64}$/, hint: 'an image digest "sha256:<64 lower-case hex>"' }),
    launchRateLimitPer5Min: int(o, path, 'launchRateLimitPer5Min', 100, { min: 10, max: 2_000_000 }),
  };
}

export function parseBuyWithPrimeConfig(raw: unknown, path = 'buyWithPrime'): BuyWithPrimeConfig {
  const o: Raw = section(raw, path);
  onlyKeys(o, path, KEYS);
  const enabled = bool(o, path, 'enabled', false);
  const regionList = regions(o, path, 'regions', ['us-east-1']);
  if (regionList.length !== 1) {
    throw new ConfigError(
      join(path, 'regions'),
      `must list exactly one region (allowed values are: ${AWS_REGIONS.join(', ')}): the app's registered redirect URI, its launch state and the partner event source belong to one region`,
    );
  }
  const region = regionList[0];
  const deployTarget = oneOf(o, path, 'deployTarget', 'lambda', BWP_DEPLOY_TARGETS);
  const tokenUrl = str(o, path, 'tokenUrl', BWP_DEFAULTS.tokenUrl, HTTPS_URL);
  const publicBaseUrl = optStr(o, path, 'publicBaseUrl', ORIGIN);
  const certificateArn = optStr(o, path, 'certificateArn', CERT_ARN);
  if (certificateArn && arnRegion(certificateArn) !== region) {
    throw new ConfigError(join(path, 'certificateArn'), `the certificate must be in the deployment region ${region}, got one in ${arnRegion(certificateArn)}`);
  }
  if (enabled && deployTarget === 'fargate') {
    if (!publicBaseUrl) throw new ConfigError(join(path, 'publicBaseUrl'), 'is required with deployTarget "fargate" (the HTTPS name on the ALB certificate)');
    if (!certificateArn) throw new ConfigError(join(path, 'certificateArn'), 'is required with deployTarget "fargate" (the ALB HTTPS listener)');
  }
  if (enabled && deployTarget === 'lambda' && certificateArn && !publicBaseUrl) {
    throw new ConfigError(join(path, 'publicBaseUrl'), 'is required when certificateArn is set (the custom domain of the API)');
  }
  const verificationPublicKey = required(o, path, 'verificationPublicKey', enabled, { pattern: PEM, hint: 'a PEM "-----BEGIN PUBLIC KEY-----" P-256 public key' });
  const cfg: BuyWithPrimeConfig = {
    enabled,
    regions: regionList,
    deployTarget,
    clientId: required(o, path, 'clientId', enabled, { pattern: /^[\x21-\x7e]{1,256}$/, hint: 'the OAuth client id (printable ASCII, no spaces)' }),
    clientSecretArn: required(o, path, 'clientSecretArn', enabled, SECRET_ARN),
    authorizeUrl: str(o, path, 'authorizeUrl', BWP_DEFAULTS.authorizeUrl, HTTPS_URL),
    tokenUrl,
    issuer: str(o, path, 'issuer', new URL(tokenUrl).origin, { pattern: /^https:\/\/\S+$/, hint: 'an https:// issuer identifier' }),
    apiUrl: str(o, path, 'apiUrl', BWP_DEFAULTS.apiUrl, HTTPS_URL),
    apiVersion: str(o, path, 'apiVersion', '2024-11-01', { pattern: /^20\d\d-[01]\d-[0-3]\d$/, hint: 'an API version date such as 2024-11-01' }),
    scopes: strList(o, path, 'scopes', [], { pattern: /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, hint: 'an OAuth scope token (no spaces or quotes)' }),
    verificationPublicKey,
    verificationIssuer: optStr(o, path, 'verificationIssuer', { maxLength: 512 }),
    verificationMaxAgeSeconds: int(o, path, 'verificationMaxAgeSeconds', 300, { min: 30, max: 3600 }),
    publicBaseUrl,
    certificateArn,
    partnerEventSource: required(o, path, 'partnerEventSource', enabled, {
      pattern: /^aws\.partner\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/,
      hint: 'the partner event source name, e.g. "aws.partner/buywithprime/<partner event source name>"',
      maxLength: 256,
    }),
    eventTypes: strList(o, path, 'eventTypes', BWP_DEFAULTS.eventTypes, { pattern: /^[A-Z][A-Z0-9_]{1,63}$/, hint: 'an event type in upper case, e.g. ORDER_CONFIRMED' }),
    eventRetentionDays: int(o, path, 'eventRetentionDays', 90, { min: 1, max: 3650 }),
    launchTtlSeconds: int(o, path, 'launchTtlSeconds', 600, { min: 60, max: 3600 }),
    refreshAheadSeconds: int(o, path, 'refreshAheadSeconds', 120, { min: 30, max: 600 }),
    oauthMemoryMb: int(o, path, 'oauthMemoryMb', 256, { min: 128, max: 10240 }),
    oauthTimeoutSeconds: int(o, path, 'oauthTimeoutSeconds', 10, { min: 3, max: 29 }),
    apiRateLimit: int(o, path, 'apiRateLimit', 20, { min: 1, max: 10000 }),
    apiBurstLimit: int(o, path, 'apiBurstLimit', 50, { min: 1, max: 5000 }),
    processorMemoryMb: int(o, path, 'processorMemoryMb', 256, { min: 128, max: 10240 }),
    processorTimeoutSeconds: int(o, path, 'processorTimeoutSeconds', 60, { min: 10, max: 900 }),
    batchSize: int(o, path, 'batchSize', 10, { min: 1, max: 10 }),
    processorMaxConcurrency: int(o, path, 'processorMaxConcurrency', 5, { min: 2, max: 1000 }),
    tokensTableDeletionProtection: bool(o, path, 'tokensTableDeletionProtection', true),
    kmsKeyAdminArns: strList(o, path, 'kmsKeyAdminArns', [], { pattern: /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[A-Za-z0-9+=,.@_/-]+$/, hint: 'an IAM role or user ARN' }),
    maxReceiveCount: int(o, path, 'maxReceiveCount', 5, { min: 1, max: 1000 }),
    apiMaxAttempts: int(o, path, 'apiMaxAttempts', 5, { min: 1, max: 10 }),
    eventRetryAttempts: int(o, path, 'eventRetryAttempts', 185, { min: 0, max: 185 }),
    eventMaxAgeSeconds: int(o, path, 'eventMaxAgeSeconds', 86400, { min: 60, max: 86400 }),
    fargate: parseFargateConfig(o.fargate, join(path, 'fargate'), region),
  };
  const seen = new Set<string>();
  cfg.eventTypes.forEach((t, i) => {
    if (seen.has(t)) throw new ConfigError(join(join(path, 'eventTypes'), i), `${describe(t)} is listed twice`);
    if (!ROUTES[t]) {
      throw new ConfigError(join(join(path, 'eventTypes'), i), `${describe(t)} is not a documented Buy with Prime event type; allowed values are: ${Object.keys(ROUTES).join(', ')}`);
    }
    seen.add(t);
  });
  if (cfg.eventTypes.length === 0) throw new ConfigError(join(path, 'eventTypes'), 'must list at least one event type');
  return cfg;
}
