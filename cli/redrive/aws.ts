/**
 * AWS clients of the redrive CLI, one set per region (the default credential chain; AWS_ENDPOINT_URL_<SERVICE>
 * works as in every SDK v3 client), and the redaction of samples shown by `status`.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  readonly events: EventBridgeClient;
  readonly firehose: FirehoseClient;
  readonly s3: S3Client;
  readonly cloudwatch: CloudWatchClient;
}

export type ClientFactory = (region: string) => AwsClients;

/** Real clients, one set per region, built on first use. */
export function defaultClients(): ClientFactory {
  const cache = new Map<string, AwsClients>();
  return (region) => {
    let c = cache.get(region);
    if (!c) {
      c = {
        sqs: new SQSClient({ region }),
        kinesis: new KinesisClient({ region }),
        dynamodb: new DynamoDBClient({ region }),
        events: new EventBridgeClient({ region }),
        firehose: new FirehoseClient({ region }),
        s3: new S3Client({ region }),
        cloudwatch: new CloudWatchClient({ region }),
      };
      cache.set(region, c);
    }
    return c;
  };
}

/** Keys whose values say what went wrong or where, never what a person sent: shown as they are. */
const SAFE_KEYS = new Set([
  'reason', 'source', 'part', 'parts', 'encoding', 'payloadBytes', 'rejectedAt', 'errorCode', 'ErrorCode', 'condition',
  'shardId', 'startSequenceNumber', 'endSequenceNumber', 'batchSize', 'approximateInvokeCount', 'detail-type',
  'version', 'attemptsMade', 'functionError', 'statusCode', 'field', 'Index',
]);

function redactValue(v: unknown, key: string | undefined, depth: number): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'string') return key && SAFE_KEYS.has(key) ? (v.length > 80 ? `${v.slice(0, 80)}…` : v) : `<${v.length} chars>`;
  if (depth > 3) return '<…>';
  if (Array.isArray(v)) return v.length > 3 ? [...v.slice(0, 3).map((x) => redactValue(x, key, depth + 1)), `<+${v.length - 3} more>`] : v.map((x) => redactValue(x, key, depth + 1));
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, redactValue(x, k, depth + 1)]));
  return `<${typeof v}>`;
}

/**
 * A sample safe to print: JSON keeps its keys, numbers and the values of diagnostic keys (reason, errorCode, shard
 * and sequence numbers...); every other string becomes `<N chars>`. Text that is not JSON becomes `<N bytes of text>`.
 */
export function redact(text: string, max = 200): string {
  let out: string;
  try {
    out = JSON.stringify(redactValue(JSON.parse(text), undefined, 0));
  } catch {
    out = `<${Buffer.byteLength(text)} bytes of text>`;
  }
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** "3m", "2h 5m", "4d 1h" for a duration in seconds. */
export function age(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** `--since`: an ISO date-time, or a duration back from now ("90m", "6h", "2d"). */
export function parseSince(value: string, now: Date): Date | undefined {
  const m = /^(\d+)\s*(m|h|d)$/.exec(value.trim());
  if (m) return new Date(now.getTime() - Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']);
  const t = Date.parse(value);
  return Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(value) ? undefined : new Date(t);
}
