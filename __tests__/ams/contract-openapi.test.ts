/**
 * The AMS subscriptions CLI against Amazon's published contract of the subscription API.
 *
 * Contract source: Amazon's OpenAPI 3 spec of the Amazon Marketing Stream subscription API,
 * __tests__/fixtures/ams/ams-subscriptions-openapi.json (source note in __tests__/fixtures/ams/README.md), read by
 * the ajv-based validator in helpers/openapi-contract.ts. Nothing here restates the contract from our own code:
 * headers, media types and body schemas come from the spec file.
 *
 * 1. The validator refuses what the spec refuses (so the checks below can fail).
 * 2. Every request the CLI can send (create/get/list/update/archive, sponsored ads and DSP, SQS and Firehose
 *    destinations, paged lists) is run against the fake Ads API, which enforces the same spec, and each recorded
 *    request is validated again here; every operation of the spec is exercised.
 * 3. The fake answers a request the spec refuses with the spec's 400 error shape.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAdsApi, runAms, type CliRun } from '../helpers/fake-ads-api.js';
import { OpenApiContract } from '../helpers/openapi-contract.js';

const contract = OpenApiContract.load();
const spec = contract.spec as { paths: Record<string, Record<string, { operationId: string; parameters?: { in: string; name: string; required?: boolean }[]; requestBody?: { content: Record<string, unknown> } }>> };

// Facts read from the spec file (not from our code), used to build requests below.
const MEDIA = Object.keys(spec.paths['/streams/subscriptions'].post.requestBody!.content)[0];
const requiredHeaders = (path: string, method: string) =>
  (spec.paths[path][method].parameters ?? []).filter((p) => p.in === 'header' && p.required).map((p) => p.name);

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:trib-use1-sp-traffic-ingress';
const QUEUE_DSP = 'arn:aws:sqs:us-east-1:123456789012:trib-use1-adsp-traffic-ingress';
const FIREHOSE = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/trib-use1-sp-conversion';
const FIREHOSE_DSP = 'arn:aws:firehose:us-east-1:123456789012:deliverystream/trib-use1-adsp-conversion';
const SUBSCRIBER = 'arn:aws:iam::123456789012:role/trib-use1-sp-conversion-ams-subscriber';
const SUBSCRIPTION = 'arn:aws:iam::123456789012:role/trib-use1-sp-conversion-ams-subscription';
const TOKEN = '0123456789abcdef0123456789';

describe('the validator refuses what Amazon\'s spec refuses', () => {
  const dspHeaders = { 'Amazon-Advertising-API-ClientId': 'client', 'Amazon-Ads-Account-ID': 'ENTITY1', 'Content-Type': MEDIA, Accept: MEDIA };
  const body = (o: unknown) => JSON.stringify(o);
  const create = { clientRequestToken: TOKEN, dataSetId: 'adsp-traffic', destination: { sqsDestination: { queueArn: QUEUE } } };

  it('reads the DSP operations\' required headers from the spec: Amazon-Ads-Account-ID, not Amazon-Ads-AccountId', () => {
    for (const method of ['get', 'post']) expect(requiredHeaders('/dsp/streams/subscriptions', method).sort()).toEqual(['Amazon-Ads-Account-ID', 'Amazon-Advertising-API-ClientId']);
    expect(requiredHeaders('/streams/subscriptions', 'post')).toEqual(['Amazon-Advertising-API-ClientId']);
  });

  it('accepts a DSP create as the spec describes it (header names in any case)', () => {
    const lower = Object.fromEntries(Object.entries(dspHeaders).map(([k, v]) => [k.toLowerCase(), v]));
    for (const headers of [dspHeaders, lower]) {
      expect(contract.validateRequest({ method: 'POST', path: '/dsp/streams/subscriptions', headers, body: body(create) })).toMatchObject({ ok: true, operation: 'CreateDspStreamSubscription' });
    }
  });

  it('refuses the sponsored-ads account header on a DSP path', () => {
    const { 'Amazon-Ads-Account-ID': _, ...rest } = dspHeaders;
    const r = contract.validateRequest({ method: 'POST', path: '/dsp/streams/subscriptions', headers: { ...rest, 'Amazon-Ads-AccountId': 'ENTITY1' }, body: body(create) });
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual(['header parameter Amazon-Ads-Account-ID is required']);
  });

  it('refuses other media types, bodies outside the schema and unknown query parameters', () => {
    const cases: [Parameters<OpenApiContract['validateRequest']>[0], RegExp][] = [
      [{ method: 'POST', path: '/dsp/streams/subscriptions', headers: { ...dspHeaders, 'Content-Type': 'application/json' }, body: body(create) }, /Content-Type "application\/json" is not one of/],
      [{ method: 'GET', path: '/dsp/streams/subscriptions', headers: { ...dspHeaders, Accept: 'application/json' } }, /Accept "application\/json" admits none/],
      [{ method: 'POST', path: '/streams/subscriptions', headers: dspHeaders, body: body({ dataSetId: 'sp-traffic' }) }, /must have required property 'clientRequestToken'/],
      [{ method: 'POST', path: '/streams/subscriptions', headers: dspHeaders, body: body({ ...create, clientRequestToken: 'short' }) }, /clientRequestToken must NOT have fewer than 22 characters/],
      [{ method: 'POST', path: '/streams/subscriptions', headers: dspHeaders, body: body({ ...create, destination: { firehoseDestination: { deliveryStreamArn: FIREHOSE } } }) }, /firehoseDestination must have required property 'subscriberRoleArn'/],
      [{ method: 'POST', path: '/streams/subscriptions', headers: dspHeaders, body: body({ ...create, notes: 'x'.repeat(129) }) }, /notes must NOT have more than 128 characters/],
      [{ method: 'POST', path: '/streams/subscriptions', headers: dspHeaders }, /requires a request body/],
      [{ method: 'PUT', path: '/streams/subscriptions/abc', headers: dspHeaders, body: body({ status: 'ACTIVE' }) }, /status must be equal to one of the allowed values \(ARCHIVED\)/],
      [{ method: 'GET', path: '/streams/subscriptions', query: new URLSearchParams({ maxResults: '5001' }), headers: dspHeaders }, /maxResults must be <= 5000/],
      [{ method: 'GET', path: '/streams/subscriptions', query: new URLSearchParams({ pageSize: '10' }), headers: dspHeaders }, /query parameter pageSize is not defined/],
      [{ method: 'GET', path: '/streams/subscriptions/abc', headers: {} }, /header parameter Amazon-Advertising-API-ClientId is required/],
      [{ method: 'GET', path: `/streams/subscriptions/${'a'.repeat(256)}`, headers: dspHeaders }, /path parameter subscriptionId must NOT have more than 255 characters/],
    ];
    for (const [req, message] of cases) {
      const r = contract.validateRequest(req);
      expect(r.ok, `${req.method} ${req.path}`).toBe(false);
      expect(r.errors.join('\n')).toMatch(message);
    }
    expect(contract.validateRequest({ method: 'DELETE', path: '/streams/subscriptions/abc', headers: dspHeaders })).toMatchObject({ ok: false, routeFound: false });
    expect(contract.validateRequest({ method: 'GET', path: '/streams/subscription', headers: dspHeaders })).toMatchObject({ ok: false, routeFound: false });
  });

  it('checks responses against the spec: get answers {subscription}, errors {code?, message}', () => {
    const sub = { subscriptionId: 'amzn1.x', dataSetId: 'sp-traffic', status: 'ACTIVE', createdDate: '2026-01-01T00:00:00Z', updatedDate: '2026-01-01T00:00:00Z' };
    expect(contract.validateResponse('GET', '/streams/subscriptions/x', 200, MEDIA, body({ subscription: sub })).ok).toBe(true);
    expect(contract.validateResponse('GET', '/streams/subscriptions/x', 200, MEDIA, body(sub)).errors).toEqual(["response 200 must have required property 'subscription'"]);
    expect(contract.validateResponse('GET', '/streams/subscriptions/x', 400, MEDIA, body({ code: 'BAD_REQUEST', details: 'x' })).ok).toBe(false);
    expect(contract.validateResponse('GET', '/streams/subscriptions/x', 400, MEDIA, body({ code: 'BAD_REQUEST', message: 'x' })).ok).toBe(true);
  });
});

describe('every request the CLI sends is valid under the spec, and the fake enforces it', () => {
  let fake: FakeAdsApi;
  beforeAll(async () => {
    fake = await new FakeAdsApi({ pageLimit: 2 }).start();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.subscriptions.length = 0;
    fake.requests.length = 0;
    fake.contractRejections.length = 0;
    fake.responseViolations.length = 0;
  });

  const ok = (r: CliRun, what: string) => {
    expect(r.leaked).toEqual([]);
    expect({ what, code: r.code, stderr: r.stderr, rejected: fake.contractRejections }).toEqual({ what, code: 0, stderr: '', rejected: [] });
    return r;
  };
  /** Validates every recorded Ads API request again, independently of the fake's handling. */
  const validated = () =>
    fake.adsRequests().map((q) => {
      const r = contract.validateRequest({ method: q.method, path: q.path.replace(/^\/(na|eu|fe)(?=\/)/, ''), query: q.query, headers: q.headers, body: q.body });
      expect(r.errors, `${q.method} ${q.path}`).toEqual([]);
      return r.operation!;
    });

  it('sponsored ads and DSP: create (SQS and Firehose), get, list every page, update notes, archive', async () => {
    const dsp = ['--ads-account-id', fake.adsAccounts[0]];
    const created: Record<string, string> = {};
    for (const [name, argv] of [
      ['sp sqs', ['create', '--dataset', 'sp-traffic', '--region', 'NA', '--queue-arn', QUEUE, '--notes', 'contract']],
      ['sp firehose', ['create', '--dataset', 'sp-conversion', '--region', 'NA', '--firehose', FIREHOSE, '--subscriber-role', SUBSCRIBER, '--subscription-role', SUBSCRIPTION]],
      ['dsp sqs', ['create', '--dataset', 'adsp-traffic', '--region', 'NA', '--queue-arn', QUEUE_DSP, ...dsp]],
      ['dsp firehose', ['create', '--dataset', 'adsp-conversion', '--region', 'NA', '--firehose', FIREHOSE_DSP, '--subscriber-role', SUBSCRIBER, '--subscription-role', SUBSCRIPTION, ...dsp]],
    ] as const) {
      const r = ok(await runAms(fake, [...argv, '--json']), `create ${name}`);
      created[name] = (JSON.parse(r.stdout) as { subscriptionId: string }).subscriptionId;
    }
    // More than one page (pageLimit 2) so startingToken is sent too.
    for (let i = 0; i < 3; i++) fake.seed({ dataSetId: 'sp-traffic', status: 'ARCHIVED', region: 'na' });
    for (let i = 0; i < 3; i++) fake.seed({ dataSetId: 'adsp-traffic', status: 'ARCHIVED', region: 'na', dsp: true });

    ok(await runAms(fake, ['get', created['sp sqs']]), 'get sp');
    ok(await runAms(fake, ['get', created['dsp sqs'], '--dsp', ...dsp]), 'get dsp');
    expect(JSON.parse(ok(await runAms(fake, ['list', '--json']), 'list sp').stdout).count).toBe(5);
    expect(JSON.parse(ok(await runAms(fake, ['list', '--dsp', '--json', ...dsp]), 'list dsp').stdout).count).toBe(5);
    ok(await runAms(fake, ['update', created['sp firehose'], '--notes', 'moved']), 'update sp');
    ok(await runAms(fake, ['update', created['dsp firehose'], '--notes', 'moved', '--dsp', ...dsp]), 'update dsp');
    ok(await runAms(fake, ['archive', created['sp sqs']]), 'archive sp');
    ok(await runAms(fake, ['archive', created['dsp sqs'], '--dsp', ...dsp]), 'archive dsp');

    const operations = validated();
    const all = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(operations)).toEqual(new Set(all));
    expect(fake.adsRequests().some((q) => q.query.has('startingToken') && q.path.includes('/dsp/'))).toBe(true);
    expect(fake.responseViolations).toEqual([]);
    // The DSP requests carry the DSP header the spec names.
    for (const q of fake.adsRequests().filter((x) => x.path.includes('/dsp/'))) expect(q.headers['amazon-ads-account-id']).toBe(fake.adsAccounts[0]);
  });

  it('status reads both families across regions with valid requests only', async () => {
    fake.seed({ dataSetId: 'sp-traffic', status: 'ACTIVE', region: 'na' });
    fake.seed({ dataSetId: 'adsp-traffic', status: 'ACTIVE', region: 'eu', dsp: true });
    const r = await runAms(fake, ['status', '--region', 'NA,EU', '--dataset', 'sp-traffic,adsp-traffic', '--ads-account-id', fake.adsAccounts[0], '--json']);
    expect(r.leaked).toEqual([]);
    expect(fake.contractRejections).toEqual([]);
    expect(new Set(validated())).toEqual(new Set(['ListStreamSubscriptions', 'ListDspStreamSubscriptions']));
    expect(fake.responseViolations).toEqual([]);
  });

  it('the fake answers a request the spec refuses with HTTP 400 and the spec\'s error shape', async () => {
    const token = await (await fetch(`${fake.url}/na/auth/o2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: fake.refreshToken }),
    })).json() as { access_token: string };
    const send = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
      fetch(`${fake.url}/na${path}`, { ...init, headers: { authorization: `Bearer ${token.access_token}`, 'Amazon-Advertising-API-ClientId': fake.clientId, Accept: MEDIA, ...headers } });

    // The header the CLI used to send on DSP paths.
    const old = await send('/dsp/streams/subscriptions', { 'Amazon-Ads-AccountId': fake.adsAccounts[0] });
    expect(old.status).toBe(400);
    const err = (await old.json()) as { message: string };
    expect(contract.validateResponse('GET', '/dsp/streams/subscriptions', 400, old.headers.get('content-type') ?? undefined, JSON.stringify(err))).toMatchObject({ ok: true });
    expect(err.message).toContain('Amazon-Ads-Account-ID is required');

    const right = await send('/dsp/streams/subscriptions', { 'Amazon-Ads-Account-ID': fake.adsAccounts[0] });
    expect(right.status).toBe(200);

    const badBody = await send('/streams/subscriptions', { 'Amazon-Advertising-API-Scope': fake.profiles[0], 'Content-Type': MEDIA }, {
      method: 'POST', body: JSON.stringify({ clientRequestToken: TOKEN, dataSetId: 'sp-traffic', destination: { firehoseDestination: { deliveryStreamArn: FIREHOSE } } }),
    });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { message: string }).message).toMatch(/subscriberRoleArn/);

    const json = await send('/streams/subscriptions', { 'Amazon-Advertising-API-Scope': fake.profiles[0], 'Content-Type': 'application/json' }, {
      method: 'POST', body: JSON.stringify({ clientRequestToken: TOKEN, dataSetId: 'sp-traffic', destination: { sqsDestination: { queueArn: QUEUE } } }),
    });
    expect(json.status).toBe(400);
    expect(fake.subscriptions).toHaveLength(0);
    expect(fake.contractRejections).toHaveLength(3);
  });
});
