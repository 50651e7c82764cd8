/** Unit tests of the Buy with Prime pure cores: request hash, verification token, envelope encryption, log redaction, GraphQL client, event parsing, adapters, secret parsing. */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../handlers/buy-with-prime/oauth/core.js';
import { fromApiGateway, toApiGateway } from '../../handlers/buy-with-prime/oauth/http.js';
import { idempotencyKeyOf, installationIdOf, resourcesOf, orderIdOf, parsePartnerEvent, BadEventError } from '../../handlers/buy-with-prime/events/core.js';
import { GraphqlClient, GraphqlRequestError, ThrottledError } from '../../handlers/buy-with-prime/lib/graphql.js';
import { open, seal } from '../../handlers/buy-with-prime/lib/kms.js';
import { MemoryLog, REDACTED, redact } from '../../handlers/buy-with-prime/lib/log.js';
import { parseClientSecret, secretRegion } from '../../handlers/buy-with-prime/lib/secret.js';
import { canonicalUrl, requestHash, stripVerificationToken, VerificationError, VerificationTokenVerifier } from '../../handlers/buy-with-prime/lib/verification.js';
import { FakeKmsCipher, newSigningKey, signVerificationToken } from '../helpers/bwp-fakes.js';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('request hash', () => {
  it('lower-cases the public URL, drops verification-token, keeps the rest byte for byte', () => {
    expect(stripVerificationToken('code=A%2Fb&verification-token=x.y.z&state=S')).toBe('code=A%2Fb&state=S');
    expect(stripVerificationToken('verification-token=t')).toBe('');
    expect(stripVerificationToken('verification%2Dtoken=t&a=1')).toBe('a=1');
    expect(canonicalUrl('https://BWP.Example.com', '/Install', 'code=AbC&verification-token=t')).toBe('https://bwp.example.com/install?code=AbC');
    expect(canonicalUrl('https://bwp.example.com/', '/settings', '')).toBe('https://bwp.example.com/settings');
  });

  it('is sha256(url + sha256(body)) with an empty body hash for an empty body', () => {
    expect(requestHash('https://a.example.com', '/settings', '', '')).toBe(sha('https://a.example.com/settings'));
    const body = '{"installationId":"i-1"}';
    expect(requestHash('https://a.example.com', '/uninstall', 'x=1', body)).toBe(sha(`https://a.example.com/uninstall?x=1${sha(body)}`));
    expect(requestHash('https://a.example.com', '/uninstall', '', Buffer.from(body))).toBe(requestHash('https://a.example.com', '/uninstall', '', body));
  });
});

describe('verification token', async () => {
  const key = await newSigningKey();
  const base = 'https://bwp.example.com';
  const verifier = new VerificationTokenVerifier({ publicKeyPem: key.publicKeyPem, publicBaseUrl: base });
  const req = (token: string, extra: Partial<{ rawQuery: string; body: string; header: boolean }> = {}) => ({
    path: '/settings',
    rawQuery: extra.header ? (extra.rawQuery ?? '') : `${extra.rawQuery ? `${extra.rawQuery}&` : ''}verification-token=${token}`,
    headers: extra.header ? { 'verification-token': token } : {},
    body: extra.body ?? '',
  });

  it('accepts a genuine token from the query or the header and returns the installation id', async () => {
    const t = await signVerificationToken(key.privateKey, { publicBaseUrl: base, path: '/settings', rawQuery: 'lang=en', installationId: 'inst-9' });
    await expect(verifier.verify(req(t, { rawQuery: 'lang=en' }))).resolves.toMatchObject({ installationId: 'inst-9' });
    await expect(verifier.verify(req(t, { rawQuery: 'lang=en', header: true }))).resolves.toMatchObject({ installationId: 'inst-9' });
  });

  async function reason(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return 'accepted';
    } catch (err) {
      expect(err).toBeInstanceOf(VerificationError);
      return (err as VerificationError).reason;
    }
  }

  it('names why a token is refused', async () => {
    const other = await newSigningKey();
    const sign = (o: Partial<Parameters<typeof signVerificationToken>[1]>, k = key) =>
      signVerificationToken(k.privateKey, { publicBaseUrl: base, path: '/settings', installationId: 'i', ...o });
    expect(await reason(verifier.verify({ path: '/settings', rawQuery: '', headers: {}, body: '' }))).toBe('missing');
    expect(await reason(verifier.verify(req('not.a.jwt')))).toBe('malformed');
    expect(await reason(verifier.verify(req(await sign({}, other))))).toBe('bad_signature');
    expect(await reason(verifier.verify(req(await sign({ expiresIn: Math.floor(Date.now() / 1000) - 60 }))))).toBe('expired');
    expect(await reason(verifier.verify(req(await sign({ path: '/uninstall' }))))).toBe('hash_mismatch');
    expect(await reason(verifier.verify(req(await sign({}), { rawQuery: 'extra=1' })))).toBe('hash_mismatch');
    expect(await reason(verifier.verify(req(await sign({ hash: 'zz' }))))).toBe('claims');
    expect(await reason(verifier.verify(req(await sign({ installationId: '' }))))).toBe('claims');
  });

  it('refuses other algorithms (HS256 with the public key as secret)', async () => {
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ installationId: 'i', requestHash: requestHash(base, '/settings', '', '') })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(key.publicKeyPem));
    expect(await reason(verifier.verify(req(forged)))).toBe('bad_signature');
  });
});

describe('KMS envelope', () => {
  it('round-trips, binds ciphertexts to their context and field, and detects tampering', async () => {
    const cipher = new FakeKmsCipher();
    const ctx = { purpose: 'bwp-oauth-tokens', installation_id: 'i-1' };
    const sealed = await seal(cipher, ctx, { access_token: 'AT-secret', refresh_token: 'RT-secret' });
    expect(JSON.stringify(sealed)).not.toContain('secret');
    expect(await open(cipher, ctx, sealed)).toEqual({ access_token: 'AT-secret', refresh_token: 'RT-secret' });
    expect(await open(cipher, ctx, sealed, ['access_token'])).toEqual({ access_token: 'AT-secret' });
    expect(cipher.generated).toBe(1);
    // Another installation's context cannot decrypt it.
    await expect(open(cipher, { ...ctx, installation_id: 'i-2' }, sealed)).rejects.toThrow(/encryption context/);
    // Swapping fields fails authentication.
    const swapped = { ...sealed, fields: { access_token: sealed.fields.refresh_token } };
    await expect(open(cipher, ctx, swapped)).rejects.toThrow();
    // A flipped byte fails authentication.
    const body = Buffer.from(sealed.fields.access_token.slice(3), 'base64url');
    body[body.length - 20] ^= 1;
    await expect(open(cipher, ctx, { ...sealed, fields: { access_token: `v1.${body.toString('base64url')}` } })).rejects.toThrow();
  });
});

describe('log redaction', () => {
  it('replaces sensitive attributes at any depth and reduces errors to name/message/codes', () => {
    const err = Object.assign(new Error('boom'), { code: 'X', error: 'invalid_grant', status: 400, response: { body: 'access_token=leak' } });
    const out = redact({ installationId: 'i', access_token: 'a', nested: { refreshToken: 'r', Authorization: 'Bearer b', list: [{ client_secret: 's' }] }, err }) as Record<string, any>;
    expect(out.installationId).toBe('i');
    expect(out.access_token).toBe(REDACTED);
    expect(out.nested.refreshToken).toBe(REDACTED);
    expect(out.nested.Authorization).toBe(REDACTED);
    expect(out.nested.list[0].client_secret).toBe(REDACTED);
    expect(out.err).toEqual({ name: 'Error', message: 'boom', code: 'X', oauthError: 'invalid_grant', status: 400 });
    const log = new MemoryLog();
    log.info('x', { code: 'auth-code-value' });
    expect(log.text()).not.toContain('auth-code-value');
  });
});

describe('GraphQL client', () => {
  function client(replies: { status?: number; body: unknown; headers?: Record<string, string> }[], sleeps: number[] = []) {
    const calls: RequestInit[] = [];
    const fetchFn = (async (_url: string, init: RequestInit) => {
      calls.push(init);
      const r = replies.shift()!;
      return new Response(JSON.stringify(r.body), { status: r.status ?? 200, headers: r.headers });
    }) as unknown as typeof fetch;
    return { c: new GraphqlClient({ endpoint: 'https://api.example.com/graphql', fetch: fetchFn, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, maxAttempts: 3, baseDelayMs: 100 }), calls };
  }
  const auth = { accessToken: 'tok', installationId: 'i-1' };

  it('sends the bearer token and installation header and returns data', async () => {
    const { c, calls } = client([{ body: { data: { ok: 1 } } }]);
    await expect(c.query('q', { a: 1 }, auth)).resolves.toEqual({ ok: 1 });
    const h = calls[0].headers as Record<string, string>;
    expect(h.authorization).toBe('Bearer tok');
    expect(h['x-omni-installationid']).toBe('i-1');
    expect(JSON.parse(calls[0].body as string)).toEqual({ query: 'q', variables: { a: 1 } });
  });

  it('sends the documented x-api-version (pinned) and x-api-target-id (business product) headers', async () => {
    // documents.buywithprime.amazon.com/bwp-api/docs/call-the-buy-with-prime-api: Authorization, Content-Type,
    // x-api-target-id (the business product id / TargetId), x-api-version.
    const { calls } = client([{ body: { data: { ok: 1 } } }]);
    const pinned = new GraphqlClient({ endpoint: 'https://api.example.com/graphql', apiVersion: '2024-04-01', fetch: (async (_u: string, init: RequestInit) => {
      calls.push(init);
      return new Response(JSON.stringify({ data: { ok: 1 } }));
    }) as unknown as typeof fetch });
    await pinned.query('q', {}, { ...auth, businessProductId: 'bp-1' });
    const h = calls[0].headers as Record<string, string>;
    expect(h['x-api-version']).toBe('2024-04-01');
    expect(h['x-api-target-id']).toBe('bp-1');
    expect(h['content-type']).toBe('application/json');
    const { c, calls: defaults } = client([{ body: { data: { ok: 1 } } }]);
    await c.query('q', {}, auth);
    expect((defaults[0].headers as Record<string, string>)['x-api-version']).toBe('2024-11-01');
  });

  // The documented error shape (privacy-mutations-startpersonaldataretrievaltask example):
  // errors[].extensions.classification = { type, code, details, errorType, errorCode }.
  const bwpError = (type: string, errorType: string, errorCode: number) => ({
    message: `${type} happened`,
    extensions: { classification: { type, code: 'UnspecifiedError', details: {}, errorType, errorCode } },
  });

  it('retries ThrottlingError (classification.type) with backoff, though the HTTP status is 200', async () => {
    const sleeps: number[] = [];
    const { c } = client([{ body: { data: null, errors: [bwpError('ThrottlingError', 'ThrottlingException', 429)] } }, { body: { data: { ok: 2 } } }], sleeps);
    await expect(c.query('q', {}, auth)).resolves.toEqual({ ok: 2 });
    expect(sleeps).toHaveLength(1);
    expect(c.throttledAttempts).toBe(1);
  });

  it('retries InternalServerError and HTTP 500, and reports it when it persists', async () => {
    const sleeps: number[] = [];
    const { c } = client([{ body: { errors: [bwpError('InternalServerError', 'InternalServerException', 500)] } }, { status: 500, body: {} }, { body: { data: { ok: 3 } } }], sleeps);
    await expect(c.query('q', {}, auth)).resolves.toEqual({ ok: 3 });
    expect(sleeps).toHaveLength(2);
    const { c: c2 } = client([0, 1, 2].map(() => ({ body: { errors: [bwpError('InternalServerError', 'InternalServerException', 500)] } })));
    const err = (await c2.query('q', {}, auth).catch((e: unknown) => e)) as GraphqlRequestError;
    expect(err).toBeInstanceOf(GraphqlRequestError);
    expect(err.errorTypes).toEqual(['InternalServerError']);
  });

  it('treats AccessDeniedError with HTTP 200 as a refused token', async () => {
    const { c } = client([{ body: { data: null, errors: [bwpError('AccessDeniedError', 'AccessDeniedException', 403)] } }]);
    const err = (await c.query('q', {}, auth).catch((e: unknown) => e)) as GraphqlRequestError;
    expect(err.status).toBe(200);
    expect(err.unauthorized).toBe(true);
    expect(err.message).toContain('AccessDeniedError');
  });

  it('treats an errors array as failure even with data', async () => {
    const { c } = client([{ body: { data: { x: 1 }, errors: [{ message: 'bad field' }] } }]);
    await expect(c.query('q', {}, auth)).rejects.toThrow(/1 GraphQL error\(s\): bad field/);
  });

  it('reports 401 as unauthorized', async () => {
    const { c } = client([{ status: 401, body: { message: 'expired' } }]);
    const err = (await c.query('q', {}, auth).catch((e: unknown) => e)) as GraphqlRequestError;
    expect(err).toBeInstanceOf(GraphqlRequestError);
    expect(err.unauthorized).toBe(true);
  });

  it('backs off exponentially with jitter, honours Retry-After, and gives up with ThrottledError', async () => {
    const sleeps: number[] = [];
    const { c } = client([{ status: 429, body: {} }, { status: 503, body: {}, headers: { 'retry-after': '2' } }, { status: 429, body: {} }], sleeps);
    await expect(c.query('q', {}, auth)).rejects.toBeInstanceOf(ThrottledError);
    expect(sleeps).toEqual([50, 2000]); // 0.5 * 100, then Retry-After 2 s
  });
});

describe('partner event parsing', () => {
  const ev = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    parsePartnerEvent(JSON.stringify({ id: 'e-1', 'detail-type': 'ORDER_PLACED', source: 'aws.partner/x', time: 't', resources: [], detail, ...extra }));

  it('finds installation, order id and idempotency key', () => {
    const e = ev({ eventType: 'ORDER_PLACED', contextKeys: { installationId: 'i-1' }, orderIdentifier: { orderId: 'o-1' }, idempotencyKey: 'k-1' });
    expect(installationIdOf(e)).toBe('i-1');
    expect(orderIdOf(e)).toBe('o-1');
    expect(idempotencyKeyOf(e)).toBe('k-1');
    // Documented paths (documents.buywithprime.amazon.com/bwp-api/docs/refund_requested): the order is not the last segment.
    const r = ev({}, { resources: ['businessProduct/bp-1/order/o-77/refund/rf-1'] });
    expect(orderIdOf(r)).toBe('o-77');
    expect(resourcesOf(r)).toMatchObject({ businessProductId: 'bp-1', orderId: 'o-77', refundId: 'rf-1' });
    expect(idempotencyKeyOf(r)).toBe('e-1');
    // detail.data.order.id of the 2024-11-01 body (order_confirmed page) when no path names the order.
    expect(orderIdOf(ev({ data: { order: { id: 'o-9' } } }))).toBe('o-9');
  });

  it('rejects what is not an event', () => {
    expect(() => parsePartnerEvent('nope')).toThrow(BadEventError);
    expect(() => parsePartnerEvent('[]')).toThrow(/not a JSON object/);
    expect(() => parsePartnerEvent('{"detail":{}}')).toThrow(/no "id"/);
    expect(() => parsePartnerEvent('{"id":"x"}')).toThrow(/no "detail"/);
  });
});

describe('API Gateway adapter', () => {
  it('maps a payload 2.0 event (base64 body) to the app and back', async () => {
    const event = {
      version: '2.0',
      routeKey: 'POST /uninstall',
      rawPath: '/uninstall',
      rawQueryString: 'a=1',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from('{"x":1}').toString('base64'),
      isBase64Encoded: true,
      requestContext: { requestId: 'req-123', http: { method: 'POST', path: '/uninstall' } },
    } as unknown as APIGatewayProxyEventV2;
    const req = fromApiGateway(event);
    expect(req).toMatchObject({ method: 'POST', path: '/uninstall', rawQuery: 'a=1', requestId: 'req-123' });
    expect(req.headers['content-type']).toBe('application/json');
    expect(Buffer.from(req.body).toString()).toBe('{"x":1}');
    const app = createApp({ publicBaseUrl: 'https://a.example.com', launchTtlSeconds: 60, log: new MemoryLog() } as never);
    const res = toApiGateway(await app({ ...req, path: '/health', method: 'GET' }));
    expect(res.statusCode).toBe(200);
    expect((res.headers as Record<string, string>)['x-correlation-id']).toBe('req-123');
  });

  it('carries cookies the payload 2.0 way: event.cookies in, response cookies out (not a set-cookie header)', () => {
    // docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html (payload 2.0).
    const event = {
      version: '2.0', rawPath: '/install', rawQueryString: '', headers: {}, cookies: ['a=1', '__Host-bwp-launch=xyz'],
      requestContext: { requestId: 'r', http: { method: 'GET', path: '/install' } },
    } as unknown as APIGatewayProxyEventV2;
    expect(fromApiGateway(event).headers.cookie).toBe('a=1; __Host-bwp-launch=xyz');
    const out = toApiGateway({ status: 302, headers: { location: 'x', 'set-cookie': 'k=v; HttpOnly' }, body: '' });
    expect(out.cookies).toEqual(['k=v; HttpOnly']);
    expect(out.headers).toEqual({ location: 'x' });
  });
});

describe('client secret', () => {
  it('accepts a plain string or JSON with client_secret', () => {
    expect(parseClientSecret('abc')).toBe('abc');
    expect(parseClientSecret('{"client_id":"x","client_secret":"s3"}')).toBe('s3');
    expect(() => parseClientSecret('{"client_id":"x"}')).toThrow(/client_secret/);
    expect(() => parseClientSecret('')).toThrow(/empty/);
    expect(secretRegion('arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf')).toBe('eu-west-1');
    expect(secretRegion('plain-name')).toBeUndefined();
  });
});
