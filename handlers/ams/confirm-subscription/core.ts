/**
 * Pure checks of the Amazon Marketing Stream confirmation handler: which SubscriptionConfirmation messages may be
 * confirmed. A message is accepted only when
 * - it is a JSON SNS SubscriptionConfirmation with every field SNS signs (and the signature fields) as strings;
 * - its TopicArn parses (`arn:aws:sns:<region>:<account>:<name>`), the region is the AWS region of the stack's
 *   advertising region and the account is Amazon's publisher account for this dataset there (contracts/ams.ts);
 * - its SubscribeURL is https on exactly `sns.<region>.amazonaws.com` (no port, no credentials) and, when it
 *   names a TopicArn, names the same one;
 * - (signature.ts) its signature verifies with the certificate from its SigningCertURL.
 */
import { awsRegionOf, publisherAccount, type AdvertisingRegion } from '../../../contracts/ams.js';

/** The fields of an SNS SubscriptionConfirmation this handler relies on. */
export interface SubscriptionConfirmation {
  readonly Type: 'SubscriptionConfirmation';
  readonly MessageId: string;
  readonly Token: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly SubscribeURL: string;
  readonly Timestamp: string;
  readonly SignatureVersion: string;
  readonly Signature: string;
  readonly SigningCertURL: string;
}

export interface Expectation {
  readonly datasetId: string;
  readonly advertisingRegion: AdvertisingRegion;
  /** The AWS region of Amazon's topics (and of this stack) for the advertising region. */
  readonly awsRegion: string;
  /** Amazon's SNS publisher account for this dataset and advertising region. */
  readonly publisherAccount: string;
}

/** What a confirmation must match for `datasetId` in `advertisingRegion`, from the table in contracts/ams.ts. */
export function expectationFor(datasetId: string, advertisingRegion: AdvertisingRegion): Expectation {
  return { datasetId, advertisingRegion, awsRegion: awsRegionOf(advertisingRegion), publisherAccount: publisherAccount(datasetId, advertisingRegion) };
}

export interface TopicArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

const TOPIC_ARN = /^arn:(aws):sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

/** Parses an SNS topic ARN in the `aws` partition; undefined when it is not one. */
export function parseTopicArn(arn: string): TopicArn | undefined {
  const m = TOPIC_ARN.exec(arn);
  return m ? { partition: m[1], region: m[2], account: m[3], name: m[4] } : undefined;
}

/** The only host SNS uses in `region` for SubscribeURL and SigningCertURL. */
export function snsHost(region: string): string {
  return `sns.${region}.amazonaws.com`;
}

/** True when `url` is https on exactly sns.<region>.amazonaws.com, default port, no user info. */
export function isSnsUrl(url: string, region: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && u.hostname === snsHost(region) && u.port === '' && u.username === '' && u.password === '';
}

export type CheckResult =
  | { readonly ok: true; readonly message: SubscriptionConfirmation; readonly topic: TopicArn }
  | { readonly ok: false; readonly reason: string; readonly detail?: Readonly<Record<string, unknown>> };

const REQUIRED = ['MessageId', 'Token', 'TopicArn', 'Message', 'SubscribeURL', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

function refuse(reason: string, detail?: Record<string, unknown>): CheckResult {
  return { ok: false, reason, detail };
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** Checks a confirmation-queue body against `expected` (everything but the signature). */
export function checkConfirmation(body: string, expected: Expectation): CheckResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return refuse('body is not valid JSON', { bodyChars: body.length });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse('body is not a JSON object', { bodyChars: body.length });
  const m = parsed as Record<string, unknown>;
  if (m.Type !== 'SubscriptionConfirmation') {
    return refuse(`Type is ${JSON.stringify(typeof m.Type === 'string' ? m.Type.slice(0, 64) : m.Type ?? null)}, not SubscriptionConfirmation`);
  }
  const missing = REQUIRED.filter((k) => typeof m[k] !== 'string' || m[k] === '');
  if (missing.length) return refuse(`SubscriptionConfirmation lacks ${missing.join(', ')}`);
  const msg = m as unknown as SubscriptionConfirmation;

  const topic = parseTopicArn(msg.TopicArn);
  if (!topic) return refuse('TopicArn is not an SNS topic ARN in the aws partition', { topicArn: msg.TopicArn.slice(0, 300) });
  const detail = { topicArn: msg.TopicArn, snsMessageId: msg.MessageId, expectedRegion: expected.awsRegion, expectedAccount: expected.publisherAccount };
  if (topic.region !== expected.awsRegion) {
    return refuse(`TopicArn region ${topic.region} is not ${expected.awsRegion}, the AWS region of ${expected.advertisingRegion}`, detail);
  }
  if (topic.account !== expected.publisherAccount) {
    return refuse(`TopicArn account ${topic.account} is not Amazon's ${expected.datasetId} publisher account for ${expected.advertisingRegion}`, detail);
  }
  if (!isSnsUrl(msg.SubscribeURL, topic.region)) {
    return refuse(`SubscribeURL is not https://${snsHost(topic.region)}/`, { ...detail, subscribeUrlHost: safeHost(msg.SubscribeURL) ?? 'unparseable' });
  }
  const named = new URL(msg.SubscribeURL).searchParams.get('TopicArn');
  if (named !== null && named !== msg.TopicArn) return refuse('SubscribeURL names another TopicArn', detail);
  return { ok: true, message: msg, topic };
}

/**
 * The string SNS signs for a message (SNS "Verifying the signatures of Amazon SNS messages"): for each signed key
 * in byte order, "<key>\n<value>\n". SubscriptionConfirmation/UnsubscribeConfirmation sign Message, MessageId,
 * SubscribeURL, Timestamp, Token, TopicArn, Type; Notification signs Message, MessageId, Subject (when present),
 * Timestamp, TopicArn, Type.
 */
export function canonicalString(message: Readonly<Record<string, unknown>>): string {
  const keys =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', ...(typeof message.Subject === 'string' ? ['Subject'] : []), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let out = '';
  for (const k of keys) {
    const v = message[k];
    if (typeof v !== 'string') throw new Error(`signed field ${k} is missing`);
    out += `${k}\n${v}\n`;
  }
  return out;
}

/** Node's digest name for an SNS SignatureVersion: "1" = SHA1withRSA, "2" = SHA256withRSA. */
export function signatureAlgorithm(version: string): 'sha1' | 'sha256' | undefined {
  return version === '1' ? 'sha1' : version === '2' ? 'sha256' : undefined;
}
