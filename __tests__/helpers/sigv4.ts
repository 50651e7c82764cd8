/**
 * Checks an AWS Signature Version 4 `Authorization` header the way AWS does, from the published algorithm
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html): canonical request
 * (method, URI, sorted query, the signed headers lower-cased with trimmed values, the signed header list, the
 * payload's SHA-256), string to sign (algorithm, X-Amz-Date, scope, hash of the canonical request), signing key
 * derived from the secret by HMAC over date, region, service and "aws4_request". Written from the documentation,
 * not from the SDK, so a test with it shows the SDK signed with the credentials the test expects.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedRequest {
  readonly method: string;
  /** Path and query as received, e.g. "/" or "/?Action=x". */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface SigV4Check {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: string[];
  /** Whether the signature equals the one computed with `secretAccessKey`. */
  readonly valid: boolean;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ percent-encoded. */
const uriEncode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Parses the request's Authorization header and recomputes its signature with `secretAccessKey`. */
export function checkSigV4(req: SignedRequest, secretAccessKey: string): SigV4Check {
  const auth = String(req.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) throw new Error(`not a SigV4 Authorization header: ${JSON.stringify(auth)}`);
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = m;
  const signedHeaders = signedHeaderList.split(';');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const [path, query = ''] = req.url.split('?', 2);
  const canonicalUri = path.split('/').map((seg) => uriEncode(decodeURIComponent(seg))).join('/') || '/';
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=', 2).map((x) => uriEncode(decodeURIComponent(x ?? ''))) as [string, string])
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((h) => {
      const v = req.headers[h];
      if (v === undefined) throw new Error(`signed header ${h} is not in the request`);
      return `${h}:${(Array.isArray(v) ? v.join(',') : v).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  // The payload hash is always computed from the body received (a sent x-amz-content-sha256 must match it).
  const payloadHash = sha256(req.body);
  const sentHash = req.headers['x-amz-content-sha256'];
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return { accessKeyId, date, region, service, signedHeaders, valid: expected === signature && amzDate.startsWith(date) && (sentHash === undefined || sentHash === payloadHash) };
}
