/**
 * SNS message signature verification. The signing certificate is fetched only from an https URL on exactly
 * sns.<region>.amazonaws.com (the region of the message's TopicArn) whose path ends in .pem, and cached per
 * container (one fetch per certificate URL while the Lambda container lives).
 *
 * Tests inject `fetchCert` to serve a locally generated certificate. A test that exercises the real https fetcher
 * against a loopback server passes `testCertOrigin` (e.g. "https://127.0.0.1:43121"): it is accepted only for a
 * loopback host and never inside Lambda (AWS_LAMBDA_FUNCTION_NAME set), and it is an extra allowed origin, not a
 * replacement for the production host check. The Lambda entry never sets it.
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { get } from 'node:https';
import { canonicalString, isSnsUrl, signatureAlgorithm } from './core.js';

/** Returns the PEM text at `url`. */
export type CertFetcher = (url: string) => Promise<string>;

export interface HttpsCertFetcherOptions {
  /** Extra trusted CA certificates (PEM), for a test's loopback server. Default: Node's bundled roots. */
  readonly ca?: string;
  readonly timeoutMs?: number;
  /** Largest accepted response (default 16 KiB; SNS signing certificates are about 2 KiB). */
  readonly maxBytes?: number;
}

/** Fetches a certificate over https (certificate-verified TLS), with a timeout and a size limit. */
export function httpsCertFetcher(options: HttpsCertFetcherOptions = {}): CertFetcher {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 16_384;
  return (url) =>
    new Promise<string>((resolve, reject) => {
      if (!url.startsWith('https://')) {
        reject(new Error('certificate URL is not https'));
        return;
      }
      const req = get(url, { timeout: timeoutMs, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`certificate fetch answered HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy(new Error(`certificate larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`certificate fetch timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
    });
}

export interface VerifierOptions {
  readonly fetchCert?: CertFetcher;
  /** Tests only: one extra loopback https origin certificates may come from (see the file comment). */
  readonly testCertOrigin?: string;
  readonly now?: () => Date;
}

export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_CACHED_CERTS = 32;

export class SnsSignatureVerifier {
  private readonly fetchCert: CertFetcher;
  private readonly testOrigin?: string;
  private readonly now: () => Date;
  private readonly cache = new Map<string, Promise<X509Certificate>>();
  /** How many certificates were fetched (not served from the cache). */
  fetches = 0;

  constructor(options: VerifierOptions = {}) {
    this.fetchCert = options.fetchCert ?? httpsCertFetcher();
    this.now = options.now ?? (() => new Date());
    if (options.testCertOrigin !== undefined) {
      const u = new URL(options.testCertOrigin);
      if (u.protocol !== 'https:' || !LOOPBACK_HOSTS.has(u.hostname) || u.origin !== options.testCertOrigin) {
        throw new Error('testCertOrigin must be an https loopback origin such as https://127.0.0.1:<port>');
      }
      if (process.env.AWS_LAMBDA_FUNCTION_NAME) throw new Error('testCertOrigin is for tests and is refused inside Lambda');
      this.testOrigin = u.origin;
    }
  }

  /** Whether a certificate may be fetched from `url` for a message of a topic in `region`. */
  certUrlAllowed(url: string, region: string): boolean {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (!u.pathname.endsWith('.pem') || u.search !== '' || u.hash !== '') return false;
    if (isSnsUrl(url, region)) return true;
    return this.testOrigin !== undefined && u.origin === this.testOrigin && u.username === '' && u.password === '';
  }

  private certificate(url: string): Promise<X509Certificate> {
    let cert = this.cache.get(url);
    if (!cert) {
      this.fetches++;
      cert = this.fetchCert(url).then((pem) => {
        if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('response is not a PEM certificate');
        return new X509Certificate(pem);
      });
      cert.catch(() => this.cache.delete(url));
      if (this.cache.size >= MAX_CACHED_CERTS) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(url, cert);
    }
    return cert;
  }

  /** Verifies an SNS message's signature; `region` is the region of its TopicArn. */
  async verify(message: Readonly<Record<string, unknown>>, region: string): Promise<VerifyResult> {
    const version = typeof message.SignatureVersion === 'string' ? message.SignatureVersion : '';
    const algorithm = signatureAlgorithm(version);
    if (!algorithm) return { ok: false, reason: `unsupported SignatureVersion ${JSON.stringify(version.slice(0, 8))}` };
    const certUrl = typeof message.SigningCertURL === 'string' ? message.SigningCertURL : '';
    if (!this.certUrlAllowed(certUrl, region)) {
      let host = 'unparseable';
      try {
        host = new URL(certUrl).host;
      } catch {
        /* keep "unparseable" */
      }
      return { ok: false, reason: `SigningCertURL is not an https .pem URL on sns.${region}.amazonaws.com (host ${host})` };
    }
    const signature = typeof message.Signature === 'string' ? message.Signature : '';
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return { ok: false, reason: 'Signature is not base64' };
    let canonical: string;
    try {
      canonical = canonicalString(message);
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
    let cert: X509Certificate;
    try {
      cert = await this.certificate(certUrl);
    } catch (err) {
      return { ok: false, reason: `signing certificate unavailable: ${(err as Error).message.slice(0, 200)}` };
    }
    const now = this.now().getTime();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      return { ok: false, reason: `signing certificate is not valid now (valid ${cert.validFrom} to ${cert.validTo})` };
    }
    let valid = false;
    try {
      valid = verifySignature(algorithm, Buffer.from(canonical, 'utf8'), cert.publicKey, Buffer.from(signature, 'base64'));
    } catch (err) {
      return { ok: false, reason: `signature check failed: ${(err as Error).message.slice(0, 200)}` };
    }
    return valid ? { ok: true } : { ok: false, reason: `signature does not verify (SignatureVersion ${version})` };
  }
}
