/**
 * The one place that builds resource names. Every name is `<prefix>-<short region>-<purpose>` and is kept
 * within the AWS limit of its resource type: when it would be too long, it is cut and a deterministic
 * 8-character hash of the full name is appended, so two different long names never collide.
 */
import { createHash } from 'node:crypto';

/** Maximum name lengths (and character rules) per resource type. */
export const NAME_LIMITS = {
  lambda: 64,
  iamRole: 64,
  iamPolicy: 128,
  firehose: 64,
  sqs: 80,
  sns: 256,
  /** `bucket_prefix`: Terraform appends a 26-character unique suffix and S3 allows 63 in all. */
  s3BucketPrefix: 37,
  logGroup: 512,
  alarm: 255,
  glueDatabase: 255,
  glueTable: 255,
  athenaQuery: 128,
  athenaWorkgroup: 128,
  kinesis: 128,
  dynamodb: 255,
  eventBus: 256,
  eventRule: 64,
  apiGateway: 1024,
  cognitoUserPool: 128,
  secret: 512,
  kmsAlias: 256,
  connection: 64,
  apiDestination: 64,
  ecr: 256,
  ecs: 255,
  alb: 32,
  targetGroup: 32,
  securityGroup: 255,
  /** CloudWatch dashboards: A-Z, a-z, 0-9, "-" and "_". */
  dashboard: 255,
} as const;

export type NameKind = keyof typeof NAME_LIMITS;

/** Short forms of AWS regions used inside names (us-east-1 -> use1). */
export function shortRegion(region: string): string {
  const m = /^([a-z]{2})-([a-z]+)-(\d+)$/.exec(region);
  if (!m) throw new Error(`not an AWS region: ${region}`);
  const [, geo, dir, n] = m;
  const d = dir
    .replace('northeast', 'ne').replace('southeast', 'se').replace('northwest', 'nw').replace('southwest', 'sw')
    .replace('north', 'n').replace('south', 's').replace('east', 'e').replace('west', 'w').replace('central', 'c');
  return `${geo}${d}${n}`;
}

export function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Fits `name` within `max` characters, replacing the tail with `-<hash8>` when it is too long. */
export function fit(name: string, max: number): string {
  if (name.length <= max) return name;
  const h = hash8(name);
  return `${name.slice(0, max - h.length - 1).replace(/[-_.]+$/, '')}-${h}`;
}

const SANITIZE: Partial<Record<NameKind, (s: string) => string>> = {
  s3BucketPrefix: (s) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-'),
  glueDatabase: (s) => s.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
  glueTable: (s) => s.toLowerCase().replace(/[^a-z0-9_]/g, '_'),
  alb: (s) => s.replace(/[^A-Za-z0-9-]/g, '-'),
  targetGroup: (s) => s.replace(/[^A-Za-z0-9-]/g, '-'),
  dashboard: (s) => s.replace(/[^A-Za-z0-9_-]/g, '-'),
};

export class Naming {
  /** `<prefix>-<short region>` */
  readonly base: string;

  constructor(
    readonly prefix: string,
    readonly region: string,
  ) {
    this.base = `${prefix}-${shortRegion(region)}`;
  }

  /** A name for `purpose` (e.g. "sp-traffic-fanout") within the limit of `kind`. */
  name(kind: NameKind, ...purpose: string[]): string {
    const raw = [this.base, ...purpose.filter(Boolean)].join('-');
    const sanitize = SANITIZE[kind];
    const clean = sanitize ? sanitize(raw) : raw;
    let out = fit(clean, NAME_LIMITS[kind]);
    if (kind === 's3BucketPrefix') out = out.endsWith('-') ? out : `${out}-`;
    if (out.length > NAME_LIMITS[kind]) out = `${fit(clean, NAME_LIMITS[kind] - 1)}-`;
    return out;
  }

  /** Glue/Athena identifiers use underscores. */
  glue(...purpose: string[]): string {
    return this.name('glueDatabase', ...purpose);
  }
}
