/**
 * KMS envelope encryption for stored OAuth tokens. Each write asks KMS for a fresh 256-bit data key
 * (GenerateDataKey, bound to an encryption context naming the installation), encrypts every field locally with
 * AES-256-GCM under that key (the field name and context are the additional authenticated data, so fields
 * cannot be swapped between rows or between columns), stores only the KMS-encrypted data key beside the
 * ciphertexts, and wipes the plaintext key. Reading asks KMS to decrypt the data key with the same context.
 *
 * The cipher is an interface so tests can inject a local implementation: there is no KMS emulator.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';

export type EncryptionContext = Readonly<Record<string, string>>;

/** The two KMS operations envelope encryption needs. */
export interface DataKeyCipher {
  /** A new AES-256 data key: its plaintext and its KMS-encrypted form. */
  generateDataKey(context: EncryptionContext): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array }>;
  /** The plaintext of a data key `generateDataKey` encrypted under the same context. */
  decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/** DataKeyCipher over AWS KMS with a symmetric key (id, ARN or alias). */
export class KmsDataKeyCipher implements DataKeyCipher {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async generateDataKey(context: EncryptionContext): Promise<{ plaintext: Uint8Array; encrypted: Uint8Array }> {
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: out.Plaintext, encrypted: out.CiphertextBlob };
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const out = await this.kms.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: encrypted, EncryptionContext: { ...context } }));
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return out.Plaintext;
  }
}

/** Encrypted fields plus the KMS-encrypted data key they share. Values are base64url strings. */
export interface Sealed {
  readonly dataKey: string;
  readonly fields: Readonly<Record<string, string>>;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function aad(context: EncryptionContext, field: string): Buffer {
  const ctx = Object.keys(context)
    .sort()
    .map((k) => `${k}=${context[k]}`)
    .join('&');
  return Buffer.from(`${VERSION}|${ctx}|${field}`, 'utf8');
}

/** Encrypts every value of `fields` under one new data key bound to `context`. */
export async function seal(cipher: DataKeyCipher, context: EncryptionContext, fields: Record<string, string>): Promise<Sealed> {
  const key = await cipher.generateDataKey(context);
  try {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) {
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv('aes-256-gcm', key.plaintext, iv);
      c.setAAD(aad(context, name));
      const ct = Buffer.concat([c.update(value, 'utf8'), c.final()]);
      out[name] = `${VERSION}.${Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url')}`;
    }
    return { dataKey: Buffer.from(key.encrypted).toString('base64url'), fields: out };
  } finally {
    key.plaintext.fill(0);
  }
}

/** Decrypts the fields of `sealed` (all of them, or those named). Fails on any tampering. */
export async function open(cipher: DataKeyCipher, context: EncryptionContext, sealed: Sealed, only?: readonly string[]): Promise<Record<string, string>> {
  const key = await cipher.decryptDataKey(Buffer.from(sealed.dataKey, 'base64url'), context);
  try {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(sealed.fields)) {
      if (only && !only.includes(name)) continue;
      const [version, body] = value.split('.', 2);
      if (version !== VERSION || !body) throw new Error(`encrypted field ${name} has an unknown format`);
      const raw = Buffer.from(body, 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error(`encrypted field ${name} is truncated`);
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      d.setAAD(aad(context, name));
      d.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      out[name] = Buffer.concat([d.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), d.final()]).toString('utf8');
    }
    return out;
  } finally {
    key.fill(0);
  }
}
