/**
 * Client events handlers: the Firehose transform (record contract, malformed records kept), the Cognito
 * PostConfirmation trigger and the REST API TOKEN authorizer (tokens signed by a local key whose JWKS is served on
 * 127.0.0.1), each as a pure core and as the Lambda entry with the environment the stack sets.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, FirehoseTransformationEvent, FirehoseTransformationResult, PostConfirmationTriggerEvent,
} from 'aws-lambda';
import { MemoryLogger } from '../../handlers/shared/log.js';
import { EVENT_SOURCE } from '../../handlers/client-events/lib/event.js';
import { MAX_RECORD_BYTES, decodeBase64, handleTransformation, transformEvent, transformRecords } from '../../handlers/client-events/transform/core.js';
import { decide, onPostConfirmation, postConfirmationSettingsFromEnv, type UpdateUserAttributesInput } from '../../handlers/client-events/post-confirmation/core.js';
import {
  Unauthorized, apiWideResource, authorizerSettingsFromEnv, cognitoIssuer, createAuthorizer, createTokenVerifier, tokenFromHeader, type AuthorizerSettings,
} from '../../handlers/client-events/authorizer/core.js';
import { APP_CLIENT_ID, COGNITO_ISSUER, FakeCognito, POOL_ID, TokenSigner } from '../helpers/client-events-fakes.js';

const CLIENT_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/dev/POST/event';
const API_WIDE = 'arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*/*';

let cognito: FakeCognito;

beforeAll(async () => {
  cognito = await FakeCognito.start();
});
afterAll(async () => {
  await cognito?.stop();
});

// ---- transform ------------------------------------------------------------------------------------------------

/** An EventBridge event as the Firehose rule target receives it (detail = the client's entry object). */
function ebEvent(detail: unknown, resources: unknown = [CLIENT_ID]): Record<string, unknown> {
  return {
    version: '0', id: randomUUID(), 'detail-type': 'dev', source: EVENT_SOURCE, account: '123456789012',
    time: '2026-11-30T03:00:00Z', region: 'us-east-1', resources, detail,
  };
}
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64');
const firehoseEvent = (datas: string[]): FirehoseTransformationEvent => ({
  invocationId: randomUUID(), deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/x', region: 'us-east-1',
  records: datas.map((data, i) => ({ recordId: `rec-${i}`, approximateArrivalTimestamp: 1_700_000_000_000, data })),
});
const decodeOut = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');

describe('transform', () => {
  it('sets detail.accountNumber from resources[0], defaults schemaVersion and writes one JSON line per record', () => {
    // The two entry forms the API accepts ({"entry": "<json string>"} and {"entry": {...}}) both become detail objects.
    const fromString = JSON.parse(JSON.stringify({ eventType: 'shopping', schemaVersion: '1.0', sku: 'A-1', quantity: 2 }));
    const fromObject = { eventType: 'searching', query: 'red shoes', accountNumber: 'spoofed' };
    const events = [ebEvent(fromString), ebEvent(fromObject)];
    const res = transformRecords(firehoseEvent(events.map(b64)).records);
    expect(res.stats).toEqual({ ok: 2, failed: 0, reasons: {} });
    expect(res.records.map((r) => [r.recordId, r.result])).toEqual([['rec-0', 'Ok'], ['rec-1', 'Ok']]);
    const lines = res.records.map((r) => decodeOut(r.data));
    for (const l of lines) {
      expect(l.endsWith('\n')).toBe(true);
      expect(l.indexOf('\n')).toBe(l.length - 1);
    }
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(a).toEqual({ ...events[0], detail: { ...fromString, accountNumber: CLIENT_ID } });
    // A client-sent accountNumber is replaced by the authenticated clientId.
    expect(b.detail).toEqual({ eventType: 'searching', query: 'red shoes', accountNumber: CLIENT_ID, schemaVersion: 'unversioned' });
    expect(b.resources).toEqual([CLIENT_ID]);
  });

  it('keeps every malformed record as ProcessingFailed with its original data, in order, never omitted', () => {
    const huge = JSON.stringify(ebEvent({ eventType: 'shopping', pad: 'x'.repeat(MAX_RECORD_BYTES) }));
    const cases: [string, string, string][] = [
      ['not base64', '%%%not-base64%%%', 'data is not base64'],
      ['non-UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64'), 'record is not valid UTF-8'],
      ['not JSON', b64('{"detail": '), 'record is not JSON'],
      ['array', b64([ebEvent({ eventType: 'shopping' })]), 'record is not a JSON object'],
      ['empty', '', 'empty record'],
      ['no detail', b64({ ...ebEvent({}), detail: undefined }), 'event has no detail object'],
      ['detail string', b64(ebEvent('{"eventType":"shopping"}')), 'event has no detail object'],
      ['no resources', b64({ ...ebEvent({ eventType: 'shopping' }), resources: undefined }), 'event has no clientId in resources[0]'],
      ['empty resources', b64(ebEvent({ eventType: 'shopping' }, [])), 'event has no clientId in resources[0]'],
      ['resource not string', b64(ebEvent({ eventType: 'shopping' }, [42])), 'event has no clientId in resources[0]'],
      ['eventType missing', b64(ebEvent({ sku: 'A' })), 'detail.eventType (or analyticType) is missing'],
      ['analyticType path', b64(ebEvent({ analyticType: '../x' })), 'detail.eventType must match ^[A-Za-z0-9_-]{1,64}$'],
      // The alias applies only when eventType is absent (the Zendesk rules' patterns say the same).
      ['eventType null beside analyticType', b64(ebEvent({ eventType: null, analyticType: 'shopping' })), 'detail.eventType must match ^[A-Za-z0-9_-]{1,64}$'],
      ['eventType path', b64(ebEvent({ eventType: '../../etc' })), 'detail.eventType must match ^[A-Za-z0-9_-]{1,64}$'],
      ['eventType long', b64(ebEvent({ eventType: 'x'.repeat(65) })), 'detail.eventType must match ^[A-Za-z0-9_-]{1,64}$'],
      ['eventType number', b64(ebEvent({ eventType: 7 })), 'detail.eventType must match ^[A-Za-z0-9_-]{1,64}$'],
      ['schemaVersion slash', b64(ebEvent({ eventType: 'paging', schemaVersion: '1/2' })), 'detail.schemaVersion must be a number or match ^[A-Za-z0-9._-]{1,32}$'],
      ['schemaVersion boolean', b64(ebEvent({ eventType: 'paging', schemaVersion: true })), 'detail.schemaVersion must be a number or match ^[A-Za-z0-9._-]{1,32}$'],
      ['schemaVersion object', b64(ebEvent({ eventType: 'paging', schemaVersion: { major: 2 } })), 'detail.schemaVersion must be a number or match ^[A-Za-z0-9._-]{1,32}$'],
      ['schemaVersion 1e+21', b64(ebEvent({ eventType: 'paging', schemaVersion: 1e21 })), 'detail.schemaVersion must be a number or match ^[A-Za-z0-9._-]{1,32}$'],
      ['huge', b64(huge), `record is ${Buffer.byteLength(huge)} bytes, more than ${MAX_RECORD_BYTES}`],
    ];
    const good = b64(ebEvent({ eventType: 'purchase', schemaVersion: '2' }));
    const datas = [good, ...cases.map((c) => c[1]), good];
    const log = new MemoryLogger();
    const res = handleTransformation(firehoseEvent(datas), log);
    expect(res.records).toHaveLength(datas.length);
    expect(res.records.map((r) => r.recordId)).toEqual(datas.map((_, i) => `rec-${i}`));
    expect(res.records[0].result).toBe('Ok');
    expect(res.records.at(-1)!.result).toBe('Ok');
    cases.forEach(([name, data], i) => {
      const out = res.records[i + 1];
      expect({ name, result: out.result, data: out.data }).toEqual({ name, result: 'ProcessingFailed', data });
    });
    const warned = log.entries.filter((e) => e.level === 'warn').map((e) => [e.attributes?.recordId, e.attributes?.reason]);
    expect(warned).toEqual(cases.map(([, , reason], i) => [`rec-${i + 1}`, reason]));
    expect(log.entries.find((e) => e.message === 'transformed')?.attributes).toMatchObject({ records: datas.length, ok: 2, failed: cases.length });
    expect(res.records.some((r) => r.result === 'Dropped')).toBe(false);
  });

  // Issue 12, defect 1: the original sample sends `"schemaVersion": 1` and (events/event.json) `analyticType`
  // instead of eventType (fixtures/client-events/seed-payloads.json); both used to end as ProcessingFailed.
  it("accepts the sample's numeric schemaVersion (stored and partitioned as its string form) and analyticType as eventType", () => {
    const cases: [Record<string, unknown>, { eventType: string; schemaVersion: string }][] = [
      [{ analyticType: 'shopping', schemaVersion: 1, data: { itemSku: 123 } }, { eventType: 'shopping', schemaVersion: '1' }],
      [{ eventType: 'paging', schemaVersion: 2 }, { eventType: 'paging', schemaVersion: '2' }],
      [{ eventType: 'paging', schemaVersion: 2.5 }, { eventType: 'paging', schemaVersion: '2.5' }],
      [{ eventType: 'paging', schemaVersion: 0 }, { eventType: 'paging', schemaVersion: '0' }],
      // eventType wins over the alias when both are present.
      [{ eventType: 'purchase', analyticType: 'shopping' }, { eventType: 'purchase', schemaVersion: 'unversioned' }],
    ];
    for (const [detail, expected] of cases) {
      const outcome = transformEvent(Buffer.from(JSON.stringify(ebEvent(detail))));
      expect(outcome, JSON.stringify(detail)).toMatchObject({ ok: true, ...expected });
      if (!outcome.ok) continue;
      const stored = JSON.parse(outcome.line) as { detail: Record<string, unknown> };
      expect(stored.detail).toEqual({ ...detail, ...expected, accountNumber: CLIENT_ID });
    }
  });

  it('accepts a record just under the size limit and multi-byte UTF-8 text', () => {
    const base = JSON.stringify(ebEvent({ eventType: 'shopping', note: '' }));
    const near = JSON.stringify(ebEvent({ eventType: 'shopping', note: 'y'.repeat(MAX_RECORD_BYTES - Buffer.byteLength(base) - 10) }));
    expect(Buffer.byteLength(near)).toBeLessThan(MAX_RECORD_BYTES);
    expect(transformEvent(Buffer.from(near)).ok).toBe(true);
    const unicode = transformEvent(Buffer.from(JSON.stringify(ebEvent({ eventType: 'searching', query: 'café 東京 😀' }))));
    expect(unicode.ok && JSON.parse(unicode.line).detail.query).toBe('café 東京 😀');
  });

  it('decodes base64 strictly', () => {
    expect(decodeBase64('eyJhIjoxfQ==')?.toString()).toBe('{"a":1}');
    expect(decodeBase64('eyJhIjoxfQ')).toBeUndefined(); // unpadded length
    expect(decodeBase64('ey$hIjoxfQ==')).toBeUndefined();
    expect(decodeBase64('eyJh=joxfQ==')).toBeUndefined(); // padding inside
    expect(decodeBase64('eyJh IjoxfQ=')).toBeUndefined(); // whitespace
    expect(decodeBase64('')?.length).toBe(0);
    expect(decodeBase64(undefined)).toBeUndefined();
  });

  it('entry: handler answers the Firehose contract with only records', async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const { handler } = await import('../../handlers/client-events/transform/index.js');
    const out = (await handler(firehoseEvent([b64(ebEvent({ eventType: 'loyaltypurchase', ticket: { subject: 's', body: 'b' } })), 'bad!']))) as FirehoseTransformationResult;
    expect(Object.keys(out)).toEqual(['records']);
    expect(out.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed']);
    expect(JSON.parse(decodeOut(out.records[0].data)).detail).toMatchObject({ eventType: 'loyaltypurchase', accountNumber: CLIENT_ID, ticket: { subject: 's' } });
  });
});

// ---- post-confirmation ----------------------------------------------------------------------------------------

function confirmEvent(triggerSource: string, username: string, attributes: Record<string, string> = {}): PostConfirmationTriggerEvent {
  return {
    version: '1', region: 'us-east-1', userPoolId: POOL_ID, userName: username, triggerSource,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: APP_CLIENT_ID },
    request: { userAttributes: { sub: randomUUID(), email: `${username}@example.com`, ...attributes } },
    response: {},
  } as PostConfirmationTriggerEvent;
}

describe('post-confirmation', () => {
  const settings = { clientIdAttribute: 'custom:clientId' };

  it('assigns a new UUID on sign-up confirmation and returns the event unchanged', async () => {
    const calls: UpdateUserAttributesInput[] = [];
    const event = confirmEvent('PostConfirmation_ConfirmSignUp', 'alice');
    const before = structuredClone(event);
    const out = await onPostConfirmation(event, settings, { updateUserAttributes: async (i) => void calls.push(i), newClientId: () => CLIENT_ID });
    expect(out).toEqual(before);
    expect(calls).toEqual([{ userPoolId: POOL_ID, username: 'alice', attributes: [{ Name: 'custom:clientId', Value: CLIENT_ID }] }]);
  });

  it('leaves the user alone on password reset and when a clientId exists (the sample regenerated it)', async () => {
    const calls: UpdateUserAttributesInput[] = [];
    const ports = { updateUserAttributes: async (i: UpdateUserAttributesInput) => void calls.push(i), newClientId: () => randomUUID() };
    const reset = confirmEvent('PostConfirmation_ConfirmForgotPassword', 'bob', { 'custom:clientId': CLIENT_ID });
    const resetNoId = confirmEvent('PostConfirmation_ConfirmForgotPassword', 'bob');
    const existing = confirmEvent('PostConfirmation_ConfirmSignUp', 'carol', { 'custom:clientId': CLIENT_ID });
    expect(await onPostConfirmation(reset, settings, ports)).toBe(reset);
    expect(await onPostConfirmation(resetNoId, settings, ports)).toBe(resetNoId);
    expect(await onPostConfirmation(existing, settings, ports)).toBe(existing);
    expect(calls).toEqual([]);
    expect([decide(reset, settings), decide(existing, settings)]).toEqual(['skipped-trigger', 'skipped-existing']);
    expect(decide(confirmEvent('PostConfirmation_ConfirmSignUp', 'd', { 'custom:clientId': '' }), settings)).toBe('assigned');
  });

  it('throws (and logs) when the update fails, so the failure is visible', async () => {
    const log = new MemoryLogger();
    const err = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    await expect(
      onPostConfirmation(confirmEvent('PostConfirmation_ConfirmSignUp', 'dave'), settings, { updateUserAttributes: async () => Promise.reject(err), newClientId: () => CLIENT_ID, log }),
    ).rejects.toThrow('Rate exceeded');
    expect(log.entries.find((e) => e.level === 'error')?.message).toBe('post-confirmation: could not set the clientId');
  });

  it('reads CLIENT_ID_ATTRIBUTE with its default and refuses a name Cognito would not accept', () => {
    expect(postConfirmationSettingsFromEnv({})).toEqual({ clientIdAttribute: 'custom:clientId' });
    expect(postConfirmationSettingsFromEnv({ CLIENT_ID_ATTRIBUTE: 'custom:acct' })).toEqual({ clientIdAttribute: 'custom:acct' });
    expect(() => postConfirmationSettingsFromEnv({ CLIENT_ID_ATTRIBUTE: 'clientId' })).toThrow(/CLIENT_ID_ATTRIBUTE must be "custom:"/);
    expect(() => postConfirmationSettingsFromEnv({ CLIENT_ID_ATTRIBUTE: 'custom:' + 'x'.repeat(21) })).toThrow(/CLIENT_ID_ATTRIBUTE/);
  });
});

// ---- authorizer -----------------------------------------------------------------------------------------------

const tokenEvent = (authorizationToken: string, methodArn = METHOD_ARN): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken, methodArn });

describe('authorizer', () => {
  let settings: AuthorizerSettings;
  let signer: TokenSigner;

  beforeAll(() => {
    signer = cognito.signer;
    settings = authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID, USER_POOL_CLIENT_ID: APP_CLIENT_ID, JWKS_URI: cognito.jwksUri });
  });

  /** A fresh authorizer (own verifier, so its own JWKS cache) over the fake Cognito. */
  function authorizer(overrides: Partial<AuthorizerSettings> = {}, now?: () => number) {
    const log = new MemoryLogger();
    const s = { ...settings, ...overrides };
    const getUserCalls: string[] = [];
    const users = new Map<string, Record<string, string>>();
    const authorize = createAuthorizer(s, {
      verifier: createTokenVerifier(s),
      getUserAttributes: async (token) => {
        getUserCalls.push(token);
        const sub = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub as string;
        const attrs = users.get(sub);
        if (!attrs) throw Object.assign(new Error('Access Token has been revoked'), { name: 'NotAuthorizedException' });
        return attrs;
      },
      log,
      now,
    });
    return { authorize, log, getUserCalls, users };
  }

  it('derives the issuer from the pool id and reads its environment', () => {
    expect(cognitoIssuer(POOL_ID)).toBe(COGNITO_ISSUER);
    expect(cognitoIssuer('eu-west-2_AbC123')).toBe('https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbC123');
    expect(() => cognitoIssuer('nope')).toThrow(/not of the form/);
    expect(authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID, USER_POOL_CLIENT_ID: 'c' })).toEqual({
      userPoolId: POOL_ID, appClientId: 'c', clientIdAttribute: 'custom:clientId', clientIdClaim: undefined,
      issuer: COGNITO_ISSUER, jwksUri: `${COGNITO_ISSUER}/.well-known/jwks.json`, userCacheSeconds: 60,
    });
    expect(() => authorizerSettingsFromEnv({ USER_POOL_CLIENT_ID: 'c' })).toThrow('environment variable USER_POOL_ID is not set');
    expect(() => authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID })).toThrow('environment variable USER_POOL_CLIENT_ID is not set');
    expect(() => authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID, USER_POOL_CLIENT_ID: 'c', USER_CACHE_SECONDS: '-1' })).toThrow(/USER_CACHE_SECONDS/);
    expect(authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID, USER_POOL_CLIENT_ID: 'c', CLIENT_ID_ATTRIBUTE: 'custom:acct' }).clientIdAttribute).toBe('custom:acct');
    expect(() => authorizerSettingsFromEnv({ USER_POOL_ID: POOL_ID, USER_POOL_CLIENT_ID: 'c', CLIENT_ID_ATTRIBUTE: 'clientId' })).toThrow(
      'environment variable CLIENT_ID_ATTRIBUTE must be "custom:" and 1 to 20 characters, got "clientId"',
    );
  });

  it('parses the header and the method ARN', () => {
    expect(tokenFromHeader('Bearer a.b.c')).toBe('a.b.c');
    expect(tokenFromHeader('bearer   a.b.c ')).toBe('a.b.c');
    expect(tokenFromHeader('a.b.c')).toBe('a.b.c');
    for (const bad of [undefined, '', 'Bearer', 'Bearer a.b', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c d', 'Bearer a.b.c.d']) expect(tokenFromHeader(bad)).toBeUndefined();
    expect(apiWideResource(METHOD_ARN)).toBe(API_WIDE);
    expect(apiWideResource('arn:aws-cn:execute-api:cn-north-1:123456789012:a1/prod/GET/x/y')).toBe('arn:aws-cn:execute-api:cn-north-1:123456789012:a1/prod/*/*');
    expect(apiWideResource('not-an-arn')).toBeUndefined();
  });

  it('allows a valid access token: principal = sub, context.clientId from the user, policy for the whole stage', async () => {
    const { authorize, users, getUserCalls, log } = authorizer();
    const sub = randomUUID();
    users.set(sub, { sub, 'custom:clientId': CLIENT_ID });
    const token = await signer.sign({ sub });
    const expected: APIGatewayAuthorizerResult = {
      principalId: sub,
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: API_WIDE }] },
      context: { clientId: CLIENT_ID },
    };
    expect(await authorize(tokenEvent(`Bearer ${token}`))).toEqual(expected);
    expect(await authorize(tokenEvent(token))).toEqual(expected); // bare token
    expect(getUserCalls).toEqual([token]); // cached per token
    expect(log.text()).not.toContain(token);
  });

  it('refuses expired, wrong-issuer, wrong-client, id and badly signed tokens with Unauthorized (401)', async () => {
    const { authorize, users, getUserCalls, log } = authorizer();
    const sub = randomUUID();
    users.set(sub, { 'custom:clientId': CLIENT_ID });
    const other = await TokenSigner.create(signer.kid); // same kid, different key
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      expired: await signer.sign({ sub, iat: now - 7200, expiresIn: 3600 }),
      wrongIssuer: await signer.sign({ sub, issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other0001' }),
      wrongClient: await signer.sign({ sub, clientId: 'someotherclientid' }),
      idToken: await signer.sign({ sub, tokenUse: 'id' }),
      badSignature: await other.sign({ sub }),
      unknownKid: await signer.sign({ sub, kid: 'not-in-the-jwks' }),
      tampered: (await signer.sign({ sub })).replace(/\.([^.]+)\./, (_, p: string) => `.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), client_id: 'x' })).toString('base64url')}.`),
    };
    for (const [name, token] of Object.entries(bad)) {
      await expect(authorize(tokenEvent(`Bearer ${token}`)), name).rejects.toThrow(Unauthorized);
      await expect(authorize(tokenEvent(`Bearer ${token}`)), name).rejects.toThrow(/^Unauthorized$/);
    }
    for (const header of ['', 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt', 'Bearer ..']) {
      await expect(authorize(tokenEvent(header)), header).rejects.toThrow(/^Unauthorized$/);
    }
    expect(getUserCalls).toEqual([]);
    const reasons = log.entries.filter((e) => e.message === 'token refused').map((e) => e.attributes?.reason);
    expect(reasons).toEqual(expect.arrayContaining(['JwtExpiredError', 'JwtInvalidIssuerError', 'CognitoJwtInvalidClientIdError', 'CognitoJwtInvalidTokenUseError', 'JwtInvalidSignatureError', 'KidNotFoundInJwksError']));
    for (const t of Object.values(bad)) expect(log.text()).not.toContain(t);
  });

  it('denies (403) a valid token whose user has no clientId, or an unusable one', async () => {
    const { authorize, users } = authorizer();
    const sub = randomUUID();
    users.set(sub, { sub, email: 'x@example.com' });
    const token = await signer.sign({ sub });
    const res = await authorize(tokenEvent(`Bearer ${token}`));
    expect(res).toEqual({ principalId: sub, policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: API_WIDE }] } });
    const sub2 = randomUUID();
    users.set(sub2, { 'custom:clientId': 'has spaces/and slashes' });
    expect((await authorize(tokenEvent(await signer.sign({ sub: sub2 })))).policyDocument.Statement[0].Effect).toBe('Deny');
  });

  it('refuses a token Cognito GetUser refuses (revoked) and fails (not 401) when Cognito is unavailable', async () => {
    const { authorize } = authorizer();
    await expect(authorize(tokenEvent(await signer.sign()))).rejects.toThrow(/^Unauthorized$/); // no such user -> NotAuthorizedException
    const failing = createAuthorizer(settings, {
      verifier: createTokenVerifier(settings),
      getUserAttributes: async () => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' })),
    });
    await expect(failing(tokenEvent(await signer.sign()))).rejects.toThrow('GetUser failed');
  });

  it('fetches the JWKS once and reuses it (warm container)', async () => {
    const { authorize, users } = authorizer();
    const before = cognito.jwksRequests;
    for (let i = 0; i < 5; i++) {
      const sub = randomUUID();
      users.set(sub, { 'custom:clientId': CLIENT_ID });
      await authorize(tokenEvent(`Bearer ${await signer.sign({ sub })}`));
    }
    expect(cognito.jwksRequests - before).toBe(1);
  });

  it('takes the clientId from a claim when CLIENT_ID_CLAIM is set (no GetUser), else falls back to the user', async () => {
    const { authorize, users, getUserCalls } = authorizer({ clientIdClaim: 'custom:clientId' });
    const sub = randomUUID();
    const withClaim = await signer.sign({ sub, extraClaims: { 'custom:clientId': 'claim-client-id' } });
    expect((await authorize(tokenEvent(withClaim))).context).toEqual({ clientId: 'claim-client-id' });
    expect(getUserCalls).toEqual([]);
    users.set(sub, { 'custom:clientId': CLIENT_ID });
    expect((await authorize(tokenEvent(await signer.sign({ sub })))).context).toEqual({ clientId: CLIENT_ID });
    expect(getUserCalls).toHaveLength(1);
    const badClaim = await signer.sign({ sub, extraClaims: { 'custom:clientId': 12 } });
    expect((await authorize(tokenEvent(badClaim))).policyDocument.Statement[0].Effect).toBe('Deny');
  });

  it('caches GetUser per token for USER_CACHE_SECONDS (and never past the token expiry)', async () => {
    let t = 1_000_000_000_000;
    const { authorize, users, getUserCalls } = authorizer({ userCacheSeconds: 60 }, () => t);
    const sub = randomUUID();
    users.set(sub, { 'custom:clientId': CLIENT_ID });
    const token = await signer.sign({ sub });
    await authorize(tokenEvent(token));
    t += 59_000;
    await authorize(tokenEvent(token));
    expect(getUserCalls).toHaveLength(1);
    t += 2_000;
    await authorize(tokenEvent(token));
    expect(getUserCalls).toHaveLength(2);
    const off = authorizer({ userCacheSeconds: 0 });
    off.users.set(sub, { 'custom:clientId': CLIENT_ID });
    await off.authorize(tokenEvent(token));
    await off.authorize(tokenEvent(token));
    expect(off.getUserCalls).toHaveLength(2);
  });

  it('refuses an event without a usable methodArn', async () => {
    const { authorize } = authorizer();
    await expect(authorize(tokenEvent(await signer.sign(), 'arn:aws:lambda:x'))).rejects.toThrow(/^Unauthorized$/);
  });
});

// ---- Lambda entries over the fake Cognito ---------------------------------------------------------------------

describe('entries with the environment the stack sets', () => {
  let postConfirmation: (e: PostConfirmationTriggerEvent) => Promise<PostConfirmationTriggerEvent>;
  let authorize: (e: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      CLIENT_ID_ATTRIBUTE: 'custom:clientId',
      USER_POOL_ID: POOL_ID,
      USER_POOL_CLIENT_ID: APP_CLIENT_ID,
      JWKS_URI: cognito.jwksUri,
    });
    postConfirmation = (await import('../../handlers/client-events/post-confirmation/index.js')).handler;
    authorize = (await import('../../handlers/client-events/authorizer/index.js')).handler;
  });

  it('sign-up confirmation sets a UUID clientId once; a password reset keeps it; the authorizer then allows', async () => {
    const user = cognito.addUser(`user-${randomUUID()}`, 'Passw0rd!');
    const signUp = confirmEvent('PostConfirmation_ConfirmSignUp', user.username);
    expect(await postConfirmation(signUp)).toEqual(signUp);
    const clientId = user.attributes['custom:clientId'];
    expect(clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const updates = cognito.callsOf('AdminUpdateUserAttributes').filter((c) => c.body.Username === user.username);
    expect(updates).toEqual([{ op: 'AdminUpdateUserAttributes', body: { UserPoolId: POOL_ID, Username: user.username, UserAttributes: [{ Name: 'custom:clientId', Value: clientId }] } }]);

    await postConfirmation(confirmEvent('PostConfirmation_ConfirmForgotPassword', user.username, { 'custom:clientId': clientId }));
    await postConfirmation(confirmEvent('PostConfirmation_ConfirmSignUp', user.username, { 'custom:clientId': clientId }));
    expect(user.attributes['custom:clientId']).toBe(clientId);
    expect(cognito.callsOf('AdminUpdateUserAttributes').filter((c) => c.body.Username === user.username)).toHaveLength(1);

    // Sign in against the fake pool and call the authorizer entry with the access token it issued.
    const auth = await fetch(cognito.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
      body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: APP_CLIENT_ID, AuthParameters: { USERNAME: user.username, PASSWORD: 'Passw0rd!' } }),
    }).then((r) => r.json() as Promise<{ AuthenticationResult: { AccessToken: string; IdToken: string } }>);
    const res = await authorize(tokenEvent(`Bearer ${auth.AuthenticationResult.AccessToken}`));
    expect(res).toMatchObject({ principalId: user.sub, context: { clientId }, policyDocument: { Statement: [{ Effect: 'Allow', Resource: API_WIDE }] } });
    expect(cognito.callsOf('GetUser').at(-1)?.body).toEqual({ AccessToken: auth.AuthenticationResult.AccessToken });
    await expect(authorize(tokenEvent(`Bearer ${auth.AuthenticationResult.IdToken}`))).rejects.toThrow(/^Unauthorized$/);
  });

  it('post-confirmation entry fails loudly when Cognito refuses the update', async () => {
    await expect(postConfirmation(confirmEvent('PostConfirmation_ConfirmSignUp', 'nobody-here'))).rejects.toThrow(/User does not exist/);
  });

  it('authorizer entry: revoked token -> 401, user without clientId -> Deny', async () => {
    const user = cognito.addUser(`user-${randomUUID()}`, 'pw');
    const signIn = async () =>
      (await fetch(cognito.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth' },
        body: JSON.stringify({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: APP_CLIENT_ID, AuthParameters: { USERNAME: user.username, PASSWORD: 'pw' } }),
      }).then((r) => r.json() as Promise<{ AuthenticationResult: { AccessToken: string } }>)).AuthenticationResult.AccessToken;
    const noClientId = await signIn();
    expect((await authorize(tokenEvent(noClientId))).policyDocument.Statement[0].Effect).toBe('Deny');
    const revoked = await signIn();
    cognito.revoked.add(revoked);
    await expect(authorize(tokenEvent(revoked))).rejects.toThrow(/^Unauthorized$/);
  });
});
