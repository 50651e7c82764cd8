/**
 * Test-only SNS signing: a locally generated RSA key and a self-signed X.509 certificate (DER built here, so no
 * openssl is needed), and signed SubscriptionConfirmation messages exactly as SNS signs them.
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { canonicalString } from '../../handlers/ams/confirm-subscription/core.js';

// --- minimal DER encoding ---
function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(value.length), value]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
function int(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));

export interface TestCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly privateKey: KeyObject;
}

/**
 * A self-signed RSA certificate for `commonName`, valid from `notBefore` to `notAfter` (default: a day ago to a
 * year ahead), with a subjectAltName for 127.0.0.1 and localhost so it can also serve TLS on loopback.
 */
export function generateTestCert(options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {}): TestCert {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const san = seq(oid('2.5.29.17'), tlv(0x04, seq(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost')))));
  const cn = options.commonName ?? 'sns.amazonaws.com';
  const tbs = seq(
    tlv(0xa0, int(2)),
    int(Math.floor(Math.random() * 2 ** 31) + 1),
    sha256WithRsa,
    name(cn),
    seq(time(options.notBefore ?? new Date(Date.now() - 86_400_000)), time(options.notAfter ?? new Date(Date.now() + 365 * 86_400_000))),
    name(cn),
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(san)),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, keyPem, privateKey: createPrivateKey(keyPem) };
}

/** Signs an SNS message in place of SNS: Signature over the canonical string with SHA1 (v1) or SHA256 (v2). */
export function signSnsMessage<T extends Record<string, unknown>>(message: T, privateKey: KeyObject, version: '1' | '2' = '1'): T & { Signature: string; SignatureVersion: string } {
  const withVersion = { ...message, SignatureVersion: version };
  const signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(canonicalString(withVersion), 'utf8'), privateKey).toString('base64');
  return { ...withVersion, Signature: signature };
}

export interface ConfirmationOptions {
  readonly region?: string;
  readonly account?: string;
  readonly topicName?: string;
  readonly token?: string;
  readonly certUrl?: string;
  readonly subscribeHost?: string;
  readonly version?: '1' | '2';
}

/** A signed SubscriptionConfirmation as Amazon's topic would send it (defaults: sp-traffic NA). */
export function signedConfirmation(privateKey: KeyObject, o: ConfirmationOptions = {}): Record<string, string> {
  const region = o.region ?? 'us-east-1';
  const topicArn = `arn:aws:sns:${region}:${o.account ?? '906013806264'}:${o.topicName ?? 'sp-traffic-topic'}`;
  const token = o.token ?? `2336412f37fb687f5d51e6e2425c464de${Math.random().toString(16).slice(2)}`;
  const host = o.subscribeHost ?? `sns.${region}.amazonaws.com`;
  const message = {
    Type: 'SubscriptionConfirmation',
    MessageId: `165545c9-2a5c-472c-8df2-7ff2be2b3b1b-${Math.random().toString(16).slice(2, 8)}`,
    Token: token,
    TopicArn: topicArn,
    Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `https://${host}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`,
    Timestamp: new Date().toISOString(),
    SigningCertURL: o.certUrl ?? `https://sns.${region}.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000test.pem`,
  };
  return signSnsMessage(message, privateKey, o.version ?? '1') as unknown as Record<string, string>;
}
