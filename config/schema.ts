/**
 * The config file's schema, declared once: config/index.ts validates with it, its types are the TributaryConfig
 * the stacks read, and scripts/config-schema.ts writes it as JSON Schema to config/schema.json for editors.
 */
import { z } from 'zod';
import { amsSchema } from './ams.js';
import { buyWithPrimeSchema } from './buy-with-prime.js';
import { clickstreamSchema } from './clickstream.js';
import { clientEventsSchema } from './client-events.js';
import { controlsSchema } from './controls.js';
import { LOG_RETENTION_DAYS, bool, describe, oneOfNumbers, section, str } from './validate.js';

export const PREFIX_PATTERN = /^[a-z][a-z0-9-]{1,11}$/;

const prefix = str({ pattern: PREFIX_PATTERN, hint: '2-12 characters of a-z, 0-9 and "-", starting with a letter' }).superRefine((v, ctx) => {
  if (PREFIX_PATTERN.test(v) && (v.endsWith('-') || v.includes('--'))) {
    ctx.addIssue({ code: 'custom', input: v, message: `${describe(v)} may not end with "-" or contain "--"` });
  }
}).meta({ not: { pattern: '(-$|--)' } });

const TAG_RULE = 'tag keys are at most 128 characters, values 256, and may not start with "aws:"';
const tags = z.record(
  z.string().max(128, { error: TAG_RULE }).regex(/^(?!aws:)/, { error: TAG_RULE }),
  z.string({ error: (iss) => `must be a string, got ${describe(iss.input)}` }).max(256, { error: TAG_RULE }),
  { error: (iss) => `must be an object, got ${describe(iss.input)}` },
);

const backend = z.discriminatedUnion(
  'type',
  [
    section({
      type: z.literal('local').default('local').describe('"local": state/<prefix>/<stack>.tfstate beside the output folder.'),
    }),
    section({
      type: z.literal('s3').describe('"s3": state in an existing S3 bucket, encrypted, with S3-native locking.'),
      bucket: str({ pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, hint: 'an S3 bucket name' }).describe('Existing state bucket.'),
      keyPrefix: str({ pattern: /^[A-Za-z0-9!_.*'()\/-]{1,200}$/, hint: 'an S3 key prefix' }).default('tributary').describe('Key prefix; each stack\'s state is `<keyPrefix>/<prefix>/<stack>.tfstate`.'),
      region: str({ pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, hint: 'an AWS region such as us-east-1' }).describe('Region of the state bucket.'),
      useLockfile: bool().default(true).describe('S3-native state locking (Terraform >= 1.10).'),
    }).transform((v) => ({ ...v, encrypt: true as const })),
  ],
  // zod reports a non-object here as invalid_type, which the union's issue type does not list.
  { error: (iss) => ((iss.code as string) === 'invalid_type' ? `must be an object, got ${describe(iss.input)}` : undefined) },
);

export const configSchema = section({
  $schema: z.string().optional().describe('The JSON Schema of this file, for editors (ignored by Tributary): "./schema.json" relative to config/.'),
  $comment: z.string().optional().describe('Free text (ignored).'),
  prefix: prefix.default('trib').describe('Short lowercase prefix for every resource name: 2-12 of a-z, 0-9 and "-", starting with a letter. Use a different prefix for each deployment in an account.'),
  environment: str({ pattern: /^[a-z][a-z0-9-]{0,15}$/, hint: '1-16 characters of a-z, 0-9 and "-"' }).default('dev').describe('Environment label (dev, staging, prod...): tags, EventBridge detail types.'),
  logRetentionDays: oneOfNumbers(LOG_RETENTION_DAYS).default(30).describe('CloudWatch Logs retention for every log group, one of the values CloudWatch accepts.'),
  alarmEmail: str({ pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/, hint: 'an e-mail address' }).optional().describe(
    'E-mail subscribed to every stack\'s alerts topic (confirm the e-mail AWS sends). Default none.',
  ),
  tags: tags.default({}).describe('Tags applied to every resource through the provider\'s default_tags.'),
  backend: backend.prefault({ type: 'local' }).describe('Terraform state backend (docs/deploy.md#where-state-lives).'),
  controls: controlsSchema.prefault({}),
  ams: amsSchema.prefault({}),
  buyWithPrime: buyWithPrimeSchema.prefault({}),
  clickstream: clickstreamSchema.prefault({}),
  clientEvents: clientEventsSchema.prefault({}),
})
  .transform(({ $schema: _schema, $comment: _comment, ...config }) => config)
  .describe('Tributary configuration (README.md#configuration). Every key is optional; the defaults are documented here.');

export type TributaryConfig = z.output<typeof configSchema>;
export type BackendConfig = TributaryConfig['backend'];

/** The keys a config file may have at the top level. */
export const TOP_LEVEL_KEYS = Object.keys(configSchema.in.shape) as readonly string[];

/** The JSON Schema of a config file (draft-07, what editors support best), as committed at config/schema.json. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
}
