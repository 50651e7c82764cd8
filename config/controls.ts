import { z } from 'zod';
import { bool, section } from './validate.js';

/**
 * Account-wide security controls (config key `controls`, README.md#security): what each costs is written beside it and
 * in the README. Defaults: on where they cost (next to) nothing, off where they cost money per stack.
 */
export const controlsSchema = section({
  lambdaTracing: bool().default(true).describe(
    'X-Ray active tracing on every Lambda function. X-Ray bills recorded traces ($5 per million after 100,000 free a month) and samples 1 request a second plus 5% by default, so the cost stays a fraction of the Lambda bill.',
  ),
  tableDeletionProtection: bool().default(true).describe(
    'Deletion protection on the stateful DynamoDB tables (clickstream records, Buy with Prime events; the token table has buyWithPrime.tokensTableDeletionProtection). Free; `terraform destroy` fails until it is turned off.',
  ),
  bucketVersioning: bool().default(false).describe(
    'Versioning on every data bucket (noncurrent versions expire after 30 days). Costs the storage of overwritten and deleted objects for 30 days; Firehose never overwrites, so it is mostly deletes by lifecycle.',
  ),
  bucketAccessLogging: bool().default(false).describe(
    'S3 server access logs of every data bucket into one log bucket per stack (expires logs after 90 days). Costs the log storage: one object per batch of requests, roughly 0.5 KB per request.',
  ),
  logGroupKms: bool().default(false).describe(
    'Encrypt every log group of a stack with a customer managed KMS key of that stack (rotation on, explicit key policy). Costs $1 a month per stack (key) plus $0.03 per 10,000 KMS requests CloudWatch Logs makes.',
  ),
}).describe('Security controls across every stack (README.md#security): tracing, deletion protection, bucket versioning and access logs, log-group encryption.');

export type ControlsConfig = z.output<typeof controlsSchema>;
