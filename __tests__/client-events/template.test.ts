/**
 * The client-events API mapping templates rendered by established engines (helpers/vtl.ts): velocityjs (what local
 * emulators run) and Apache Velocity 1.7 (what API Gateway runs; skipped with a notice where Java or Debian's
 * `velocity` package is missing), with API Gateway's $input/$util/$context semantics (API Gateway's mapping template
 * reference). Every case is rendered by each engine and must give the same answer: both entry forms, 1 and 10
 * entries, special characters; PutEvents' answer with and without failed entries (PutEvents API reference: Entries
 * in request order, ErrorCode/ErrorMessage on failed ones); a call PutEvents refuses as a whole (its JSON error
 * body `{"__type","message"}`, AWS JSON protocol); the CORS prelude; and the Zendesk input transformer with
 * EventBridge's substitution rules.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_EVENTS_SOURCE, corsResponsePrelude, INTEGRATION_CLIENT_ERROR_TEMPLATE, MAX_ENTRIES, originPattern, PUT_EVENTS_REQUEST_TEMPLATE,
  PUT_EVENTS_RESPONSE_TEMPLATE, REQUEST_MODEL_SCHEMA, ZENDESK_INPUT_TRANSFORMER, ZENDESK_SAMPLE_INPUT_TRANSFORMER,
} from '../../stacks/client-events/templates.js';
import { inputTransform } from '../helpers/client-events-eventbridge.js';
import { availableEngines, escapeJavaScript, parseWithVelocityjs, renderAll, type ApiGatewayRequest, type Rendered } from '../helpers/vtl.js';

const CLIENT_ID = '3f1c2a9e-7b4d-4c1e-9a57-0d2b8c6e5f41';
const STAGE = { environment: 'staging', eventBusName: 'tribx-use1-client-events' };
const ENGINES = availableEngines('client-events-template.test.ts');

interface PutEventsEntry {
  Source: string;
  DetailType: string;
  EventBusName: string;
  Resources: string[];
  Detail: string;
}

const TRICKY = {
  eventType: 'searching',
  schemaVersion: '1.0',
  query: `it's "quoted" \\ back\\slash </script> #if($x) $foreach.index \${sep}{`,
  multiline: 'line 1\nline 2\ttab\r\u0001\u001f',
  unicode: 'café – 東京 😀',
  nested: { list: [1, 2.5, -3, true, false, null], empty: {}, emptyList: [], slash: 'a/b' },
};
const TEN = Array.from({ length: MAX_ENTRIES }, (_, i) => ({ eventType: i % 2 ? 'paging' : 'shopping', schemaVersion: '1.0', n: i }));
const ORIGINS = ['https://shop.example.com', 'https://*.example.org', 'http://localhost:3000'];
const REFUSED_ORIGINS = ['https://evil.example.net', 'https://shop.example.com.evil.net', 'https://example.org', 'https://xexample.org',
  'http://shop.example.com', 'https://shop.example.com:8443', 'http://localhost:3001', 'null'];

const request = (body: unknown, clientId = CLIENT_ID): ApiGatewayRequest => ({
  body: JSON.stringify(body), context: { authorizer: { clientId } }, stageVariables: STAGE,
});
const answer = (body: unknown, headers?: Record<string, string>): ApiGatewayRequest => ({ body: JSON.stringify(body), headers, context: { requestId: 'req-1' } });
const OK_ANSWER = { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };

/** Every render of this file, by name: each engine renders them all in one batch. */
const CASES: Record<string, { template: string; req: ApiGatewayRequest }> = {
  'string entry': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: [{ entry: JSON.stringify({ eventType: 'shopping', schemaVersion: '1.0', productId: 'p-1', price: 12.5 }) }] }) },
  'object entry': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: [{ entry: { eventType: 'purchase', schemaVersion: '2', amount: 99.99, items: [{ sku: 'a', qty: 2 }] } }] }) },
  'ten entries': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: TEN.map((d, i) => ({ entry: i % 3 === 0 ? JSON.stringify(d) : d })) }) },
  'tricky objects': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: [{ entry: TRICKY }, { entry: { ...TRICKY, eventType: 'paging' } }] }) },
  'tricky string': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: [{ entry: JSON.stringify(TRICKY) }] }) },
  'not json': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: [{ entry: 'not json' }, { entry: { eventType: 'shopping' } }] }) },
  'forged resources': { template: PUT_EVENTS_REQUEST_TEMPLATE, req: request({ entries: [{ entry: { eventType: 'shopping', resources: ['evil'], clientId: 'forged' } }] }, 'c-42') },
  'all accepted': { template: PUT_EVENTS_RESPONSE_TEMPLATE, req: answer({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }, { EventId: 'e-2' }] }) },
  'one accepted': { template: PUT_EVENTS_RESPONSE_TEMPLATE, req: answer({ FailedEntryCount: 0, Entries: [{ EventId: 'only' }] }) },
  'some rejected': {
    template: PUT_EVENTS_RESPONSE_TEMPLATE,
    req: answer({
      FailedEntryCount: 2,
      Entries: [
        { EventId: 'e-0' },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { EventId: 'e-2' },
        { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter's "value" isn't valid \\ here` },
      ],
    }),
  },
  'retryable ThrottlingException': { template: PUT_EVENTS_RESPONSE_TEMPLATE, req: answer({ FailedEntryCount: 2, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'x' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'try again' }] }) },
  'retryable InternalFailure': { template: PUT_EVENTS_RESPONSE_TEMPLATE, req: answer({ FailedEntryCount: 2, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'x' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] }) },
  'no error message': { template: PUT_EVENTS_RESPONSE_TEMPLATE, req: answer({ FailedEntryCount: 1, Entries: [{ EventId: 'e-0' }, { ErrorCode: 'InvalidArgument' }] }) },
  'all rejected': { template: PUT_EVENTS_RESPONSE_TEMPLATE, req: answer({ FailedEntryCount: MAX_ENTRIES, Entries: Array.from({ length: MAX_ENTRIES }, () => ({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' })) }) },
  'request refused: size': { template: INTEGRATION_CLIENT_ERROR_TEMPLATE, req: answer({ __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' }) },
  'request refused: quote in message': { template: INTEGRATION_CLIENT_ERROR_TEMPLATE, req: answer({ __type: 'com.amazonaws.events#ValidationException', Message: `it's "bad" \\ here` }) },
  'request refused: access denied': { template: INTEGRATION_CLIENT_ERROR_TEMPLATE, req: answer({ __type: 'AccessDeniedException', message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized' }) },
  'request refused: bus missing': { template: INTEGRATION_CLIENT_ERROR_TEMPLATE, req: answer({ __type: 'ResourceNotFoundException', message: 'Event bus trib-use1-client-events does not exist.' }) },
  'request refused: throttled': { template: INTEGRATION_CLIENT_ERROR_TEMPLATE, req: answer({ __type: 'ThrottlingException', message: 'Rate exceeded' }) },
  ...Object.fromEntries(
    [
      ['cors exact', { Origin: 'https://shop.example.com' }],
      ['cors wildcard lower-case header', { origin: 'https://eu.m.example.org' }],
      ['cors port', { Origin: 'http://localhost:3000' }],
      ['cors none', {}],
      ...REFUSED_ORIGINS.map((o) => [`cors refused ${o}`, { Origin: o }]),
    ].map(([name, headers]) => [name, { template: corsResponsePrelude(ORIGINS) + PUT_EVENTS_RESPONSE_TEMPLATE, req: answer(OK_ANSWER, headers as Record<string, string>) }]),
  ),
  'cors star': { template: corsResponsePrelude(['*']) + PUT_EVENTS_RESPONSE_TEMPLATE, req: answer(OK_ANSWER, { Origin: 'https://anything.example' }) },
  'cors on request refused': { template: corsResponsePrelude(ORIGINS) + INTEGRATION_CLIENT_ERROR_TEMPLATE, req: answer({ __type: 'ValidationException', message: 'x' }, { Origin: 'https://shop.example.com' }) },
};

function expectEnvelope(e: PutEventsEntry): void {
  expect(e).toMatchObject({ Source: CLIENT_EVENTS_SOURCE, DetailType: 'staging', EventBusName: STAGE.eventBusName, Resources: [CLIENT_ID] });
  expect(Object.keys(e).sort()).toEqual(['Detail', 'DetailType', 'EventBusName', 'Resources', 'Source']);
  expect(typeof e.Detail).toBe('string');
}

it('every template parses in velocityjs (a `$name{` reference followed by a brace does not)', () => {
  for (const t of [PUT_EVENTS_REQUEST_TEMPLATE, PUT_EVENTS_RESPONSE_TEMPLATE, INTEGRATION_CLIENT_ERROR_TEMPLATE, corsResponsePrelude(ORIGINS), corsResponsePrelude(['*'])]) {
    expect(() => parseWithVelocityjs(t)).not.toThrow();
  }
  // The construct that broke local emulators: velocityjs refuses it, so the templates must not contain it.
  expect(() => parseWithVelocityjs('#set($sep = "")$sep{"a":1}')).toThrow();
  expect(PUT_EVENTS_RESPONSE_TEMPLATE).not.toMatch(/\$[A-Za-z]\w*\{/);
});

describe.each(ENGINES)('%s', (engine) => {
  const out: Record<string, Rendered> = {};
  beforeAll(() => {
    const names = Object.keys(CASES);
    const rendered = renderAll(engine, names.map((n) => CASES[n]));
    names.forEach((n, i) => (out[n] = rendered[i]));
  });
  const entries = (name: string) => (JSON.parse(out[name].output) as { Entries: PutEventsEntry[] }).Entries;
  const body = (name: string) => JSON.parse(out[name].output) as Record<string, unknown>;

  describe('request template -> PutEvents', () => {
    it('one string entry (the original sample format): Detail is that string', () => {
      const e = entries('string entry');
      expect(e).toHaveLength(1);
      expectEnvelope(e[0]);
      expect(e[0].Detail).toBe(JSON.parse(CASES['string entry'].req.body!).entries[0].entry);
    });

    it('one object entry: Detail is the object serialized', () => {
      const e = entries('object entry');
      expectEnvelope(e[0]);
      expect(JSON.parse(e[0].Detail)).toEqual(JSON.parse(CASES['object entry'].req.body!).entries[0].entry);
    });

    it(`${MAX_ENTRIES} entries of both forms keep their order and content`, () => {
      const e = entries('ten entries');
      expect(e).toHaveLength(MAX_ENTRIES);
      e.forEach((x, i) => {
        expectEnvelope(x);
        expect(JSON.parse(x.Detail)).toEqual(TEN[i]);
      });
    });

    it('special characters survive (quotes, apostrophes, backslashes, control characters, non-ASCII, VTL syntax in data)', () => {
      const e = entries('tricky objects');
      expect(JSON.parse(e[0].Detail)).toEqual(TRICKY);
      expect(JSON.parse(e[1].Detail)).toEqual({ ...TRICKY, eventType: 'paging' });
      expect(entries('tricky string')[0].Detail).toBe(JSON.stringify(TRICKY));
    });

    it('a string entry that is not JSON is passed on as is (PutEvents then reports it as MalformedDetail)', () => {
      expect(entries('not json').map((e) => e.Detail)).toEqual(['not json', '{"eventType":"shopping"}']);
    });

    it('Resources always carries the authorizer clientId, never anything from the body', () => {
      expect(entries('forged resources')[0].Resources).toEqual(['c-42']);
    });
  });

  describe('response template', () => {
    it('all accepted: no status override, event ids in order', () => {
      expect(out['all accepted'].status).toBeUndefined();
      expect(body('all accepted')).toEqual({ failedEntryCount: 0, entryCount: 2, eventIds: ['e-1', 'e-2'] });
      expect(body('one accepted')).toEqual({ failedEntryCount: 0, entryCount: 1, eventIds: ['only'] });
    });

    it('some rejected: 400 with each failed entry, its index and error', () => {
      expect(out['some rejected'].status).toBe(400);
      expect(body('some rejected')).toEqual({
        failedEntryCount: 2,
        entryCount: 4,
        failedEntries: [
          { index: 1, errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' },
          { index: 3, errorCode: 'InvalidArgument', errorMessage: `Parameter's "value" isn't valid \\ here` },
        ],
      });
    });

    it.each(['ThrottlingException', 'InternalFailure'])('a retryable failure (%s) answers 503', (code) => {
      expect(out[`retryable ${code}`].status).toBe(503);
      expect((body(`retryable ${code}`).failedEntries as unknown[]).length).toBe(2);
    });

    it('a failed entry without an error message still yields valid JSON', () => {
      expect(out['no error message'].status).toBe(400);
      expect(body('no error message').failedEntries).toEqual([{ index: 1, errorCode: 'InvalidArgument', errorMessage: '' }]);
    });

    it('all rejected', () => {
      expect(out['all rejected'].status).toBe(400);
      expect((body('all rejected').failedEntries as { index: number }[]).map((e) => e.index)).toEqual([...Array(MAX_ENTRIES).keys()]);
    });
  });

  describe('a PutEvents call refused as a whole (4xx)', () => {
    it("the client's error (e.g. total entry size over 256 KB) is a 400 with EventBridge's type and message, not 500 'try again later'", () => {
      expect(out['request refused: size'].status).toBeUndefined(); // the integration response's own status: 400
      expect(body('request refused: size')).toEqual({
        message: 'EventBridge refused the request: Total size of the entries in the request is over the limit.',
        errorCode: 'ValidationException',
        requestId: 'req-1',
      });
      expect(body('request refused: quote in message')).toMatchObject({ message: `EventBridge refused the request: it's "bad" \\ here`, errorCode: 'com.amazonaws.events#ValidationException' });
    });

    it('setup errors stay 500 without internals; throttling is 503', () => {
      for (const name of ['request refused: access denied', 'request refused: bus missing']) {
        expect(out[name].status, name).toBe(500);
        expect(body(name), name).toEqual({ message: 'the events could not be forwarded; try again later', requestId: 'req-1' });
      }
      expect(out['request refused: throttled'].status).toBe(503);
      expect(body('request refused: throttled').message).toBe('the events could not be forwarded; try again later');
    });
  });

  describe('CORS response prelude', () => {
    it('echoes an allowed origin (exact, wildcard subdomain, with port; either header spelling) with Vary: Origin', () => {
      expect(out['cors exact'].headers).toEqual({ 'Access-Control-Allow-Origin': 'https://shop.example.com', Vary: 'Origin' });
      expect(out['cors wildcard lower-case header'].headers['Access-Control-Allow-Origin']).toBe('https://eu.m.example.org');
      expect(out['cors port'].headers['Access-Control-Allow-Origin']).toBe('http://localhost:3000');
      expect(body('cors exact')).toEqual({ failedEntryCount: 0, entryCount: 1, eventIds: ['e-1'] });
      expect(out['cors on request refused'].headers['Access-Control-Allow-Origin']).toBe('https://shop.example.com');
    });

    it('answers no origin for anything else: other hosts, look-alikes, other schemes or ports, no Origin at all', () => {
      for (const o of REFUSED_ORIGINS) expect(out[`cors refused ${o}`].headers, o).toEqual({ Vary: 'Origin' });
      expect(out['cors none'].headers).toEqual({ Vary: 'Origin' });
    });

    it('"*" allows every origin without Vary', () => {
      expect(out['cors star'].headers).toEqual({ 'Access-Control-Allow-Origin': '*' });
    });
  });
});

describe('CORS and model constants', () => {
  it('CORS is off without origins; origin patterns escape regex characters and expand only a leading "*."', () => {
    expect(corsResponsePrelude([])).toBe('');
    expect(originPattern('https://shop.example.com')).toBe('https://shop\\.example\\.com');
    expect(originPattern('https://*.example.org')).toBe('https://([a-z0-9-]+\\.)+example\\.org');
  });

  it('request model: draft 4, 1 to 10 entries, each a string (at most 262,144 characters) or an object, nothing else', () => {
    expect(REQUEST_MODEL_SCHEMA.$schema).toBe('http://json-schema.org/draft-04/schema#');
    const entries = REQUEST_MODEL_SCHEMA.properties.entries;
    expect(entries).toMatchObject({ type: 'array', minItems: 1, maxItems: 10 });
    expect(entries.items).toMatchObject({ type: 'object', required: ['entry'], additionalProperties: false });
    expect(entries.items.properties.entry).toEqual({ type: ['string', 'object'], minLength: 2, maxLength: 262_144 });
  });
});

describe('Zendesk input transformers (EventBridge: an unquoted placeholder takes the JSON value of its path)', () => {
  const base = { id: 'evt-1', source: CLIENT_EVENTS_SOURCE, resources: [CLIENT_ID] };
  const ticket = { subject: 'Points for "Gold" tier', comment: { body: "It's line 1\nline 2 – café" }, external_id: 'evt-1', tags: ['clientevents', 'loyaltypurchase', CLIENT_ID] };

  it('builds a ticket from a loyalty purchase with ticket {subject, body}', () => {
    const event = { ...base, detail: { eventType: 'loyaltypurchase', ticket: { subject: ticket.subject, body: ticket.comment.body } } };
    expect(JSON.parse(inputTransform(ZENDESK_INPUT_TRANSFORMER, event))).toEqual({ ticket });
  });

  it("builds the same ticket from the sample's shape ticket.ticket {subject, comment.body}", () => {
    const event = { ...base, detail: { eventType: 'loyaltypurchase', ticket: { ticket: { subject: ticket.subject, comment: { body: ticket.comment.body } } } } };
    expect(JSON.parse(inputTransform(ZENDESK_SAMPLE_INPUT_TRANSFORMER, event))).toEqual({ ticket });
  });

  it('uses only paths EventBridge supports (dot notation and array indices)', () => {
    for (const p of [...Object.values(ZENDESK_INPUT_TRANSFORMER.inputPaths), ...Object.values(ZENDESK_SAMPLE_INPUT_TRANSFORMER.inputPaths)]) {
      expect(p).toMatch(/^\$(\.[A-Za-z0-9_-]+|\[\d+\])+$/);
    }
  });
});

it('escapeJavaScript (JS port used with velocityjs) follows Commons Lang 2', () => {
  expect(escapeJavaScript(`a'b"c\\d/e\nf\u0001é😀`)).toBe(`a\\'b\\"c\\\\d\\/e\\nf\\u0001\\u00E9\\uD83D\\uDE00`);
});
