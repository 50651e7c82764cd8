/**
 * A model of what our Firehose stream writes to S3, driven by the synthesized `aws_kinesis_firehose_delivery_stream`
 * (read from cdk.tf.json, never from our TypeScript), and of how Athena's text input splits what it wrote into rows.
 *
 * Contracts modelled (AWS documentation):
 * - SNS raw message delivery to a Firehose endpoint delivers the message body only (SNS developer guide, "Amazon
 *   SNS raw message delivery"); the AMS data topic's subscription sets raw_message_delivery = true.
 * - Firehose concatenates the records of one buffer into one S3 object, "by default ... without any delimiters"
 *   (Firehose developer guide, "Understand data delivery"); the `AppendDelimiterToRecord` processor appends its
 *   `Delimiter` parameter (an escaped string: "\\n" is a newline) to every record, once.
 * - `compression_format` GZIP gzips each object and names it `<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<id>.gz`;
 *   `!{timestamp:<fmt>}` in the prefix is the arrival time in `custom_time_zone` (UTC here).
 * - Athena reads text objects with Hadoop's TextInputFormat: one row per "\n"-separated line, a final "\n" ends the
 *   last line without opening another, and an empty line is a row (the OpenX JSON SerDe turns it into all NULLs).
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface StoredObject {
  readonly key: string;
  readonly body: Buffer;
}

interface Processor {
  type: string;
  parameters?: { parameter_name: string; parameter_value: string }[];
}

export interface FirehoseStreamJson {
  name: string;
  destination: string;
  extended_s3_configuration: {
    prefix: string;
    compression_format?: string;
    custom_time_zone?: string;
    processing_configuration?: { enabled: boolean; processors: Processor[] };
  };
}

/** Firehose's unescaping of a Delimiter parameter ("\\n" -> newline, "\\t" -> tab, "\\\\" -> backslash). */
function unescapeDelimiter(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

/** `!{timestamp:yyyy}` etc. of the documented Firehose prefix namespace, at `at` in UTC. */
export function evaluatePrefix(prefix: string, at: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()), MM: pad(at.getUTCMonth() + 1), dd: pad(at.getUTCDate()), HH: pad(at.getUTCHours()),
  };
  return prefix.replace(/!\{timestamp:([^}]+)\}/g, (_, fmt: string) => {
    if (!(fmt in parts)) throw new Error(`the model knows no timestamp format ${fmt}`);
    return parts[fmt];
  });
}

/**
 * Delivers one buffer of `records` (the bytes SNS hands to Firehose) as the synthesized stream would: its processors,
 * then concatenation, then compression, under the prefix evaluated at `arrival`.
 */
export function deliverBuffer(stream: FirehoseStreamJson, records: readonly string[], arrival: Date): StoredObject {
  const s3 = stream.extended_s3_configuration;
  if (s3.custom_time_zone && s3.custom_time_zone !== 'UTC') throw new Error(`the model evaluates UTC only, not ${s3.custom_time_zone}`);
  const processors = s3.processing_configuration?.enabled ? s3.processing_configuration.processors : [];
  let out = [...records];
  for (const p of processors) {
    if (p.type !== 'AppendDelimiterToRecord') throw new Error(`the model has no ${p.type} processor`);
    const delimiter = p.parameters?.find((x) => x.parameter_name === 'Delimiter')?.parameter_value ?? '\\n';
    out = out.map((r) => r + unescapeDelimiter(delimiter));
  }
  const data = Buffer.from(out.join(''), 'utf8');
  const format = s3.compression_format ?? 'UNCOMPRESSED';
  if (format !== 'GZIP' && format !== 'UNCOMPRESSED') throw new Error(`the model has no ${format} compression`);
  const stamp = arrival.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  const key = `${evaluatePrefix(s3.prefix, arrival)}${stream.name}-1-${stamp}-${randomUUID()}${format === 'GZIP' ? '.gz' : ''}`;
  return { key, body: format === 'GZIP' ? gzipSync(data) : data };
}

/** Hadoop LineRecordReader over one object: the rows Athena's JSON SerDe is handed (empty lines included). */
export function textRows(object: StoredObject): string[] {
  const text = (object.key.endsWith('.gz') ? gunzipSync(object.body) : object.body).toString('utf8');
  if (text === '') return [];
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** Hive partition values (`year=2026/...`) in an object key. */
export function hivePartitions(key: string): Record<string, string> {
  return Object.fromEntries([...key.matchAll(/([a-z_]+)=([^/]+)\//g)].map((m) => [m[1], m[2]]));
}
