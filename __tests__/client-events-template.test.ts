/**
 * The client-events API mapping templates rendered with a minimal VTL renderer (helpers/vtl.ts) against sample
 * requests: both entry forms, 1 and 10 entries, special characters; PutEvents' answer with and without failed
 * entries; and the Zendesk input transformer with EventBridge's substitution rules.
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_EVENTS_SOURCE, corsResponsePrelude, MAX_ENTRIES, originPattern, PUT_EVENTS_REQUEST_TEMPLATE, PUT_EVENTS_RESPONSE_TEMPLATE, REQUEST_MODEL_SCHEMA,
  ZENDESK_INPUT_TRANSFORMER,
} from '../stacks/client-events-templates.js';
import { apiGatewayContext, escapeJavaScript, jsonPath, renderVtl } from './helpers/vtl.js';

const CLIENT_ID = '3f1c2a9e-7b4d-4c1e-9a57-0d2b8c6e5f41';
const STAGE = { environment: 'staging', eventBusName: 'tribx-use1-client-events' };

interface PutEventsEntry {
  Source: string;
  DetailType: string;
  EventBusName: string;
  Resources: string[];
  Detail: string;
}

function renderRequest(body: unknown, clientId = CLIENT_ID): { Entries: PutEventsEntry[] } {
  const text = renderVtl(
    PUT_EVENTS_REQUEST_TEMPLATE,
    apiGatewayContext({ body: JSON.stringify(body), context: { authorizer: { clientId } }, stageVariables: STAGE }),
  );
  return JSON.parse(text) as { Entries: PutEventsEntry[] };
}

function renderResponse(putEventsAnswer: unknown): { status?: number; body: Record<string, unknown> } {
  const vars = apiGatewayContext({ body: JSON.stringify(putEventsAnswer), context: { requestId: 'req-1' } });
  const text = renderVtl(PUT_EVENTS_RESPONSE_TEMPLATE, vars);
  const ctx = vars.context as { responseOverride?: { status?: number } };
  return { status: ctx.responseOverride?.status, body: JSON.parse(text) as Record<string, unknown> };
}

const TRICKY = {
  eventType: 'searching',
  schemaVersion: '1.0',
  query: `it's "quoted" \\ back\\slash </script> #if($x) $foreach.index`,
  multiline: 'line 1\nline 2\ttab\r\u0001\u001f',
  unicode: 'café – 東京 😀',
  nested: { list: [1, 2.5, -3, true, false, null], empty: {}, emptyList: [], slash: 'a/b' },
};

function expectEnvelope(e: PutEventsEntry): void {
  expect(e).toMatchObject({ Source: CLIENT_EVENTS_SOURCE, DetailType: 'staging', EventBusName: STAGE.eventBusName, Resources: [CLIENT_ID] });
  expect(Object.keys(e).sort()).toEqual(['Detail', 'DetailType', 'EventBusName', 'Resources', 'Source']);
  expect(typeof e.Detail).toBe('string');
}

describe('request template -> PutEvents', () => {
  it('one string entry (the original sample format): Detail is that string', () => {
    const detail = { eventType: 'shopping', schemaVersion: '1.0', productId: 'p-1', price: 12.5 };
    const out = renderRequest({ entries: [{ entry: JSON.stringify(detail) }] });
    expect(out.Entries).toHaveLength(1);
    expectEnvelope(out.Entries[0]);
    expect(out.Entries[0].Detail).toBe(JSON.stringify(detail));
  });

  it('one object entry: Detail is the object serialized', () => {
    const detail = { eventType: 'purchase', schemaVersion: '2', amount: 99.99, items: [{ sku: 'a', qty: 2 }] };
    const out = renderRequest({ entries: [{ entry: detail }] });
    expect(out.Entries).toHaveLength(1);
    expectEnvelope(out.Entries[0]);
    expect(JSON.parse(out.Entries[0].Detail)).toEqual(detail);
  });

  it(`${MAX_ENTRIES} entries of both forms keep their order and content`, () => {
    const details = Array.from({ length: MAX_ENTRIES }, (_, i) => ({ eventType: i % 2 ? 'paging' : 'shopping', schemaVersion: '1.0', n: i }));
    const out = renderRequest({ entries: details.map((d, i) => ({ entry: i % 3 === 0 ? JSON.stringify(d) : d })) });
    expect(out.Entries).toHaveLength(MAX_ENTRIES);
    out.Entries.forEach((e, i) => {
      expectEnvelope(e);
      expect(JSON.parse(e.Detail)).toEqual(details[i]);
    });
  });

  it('special characters survive in object entries (quotes, apostrophes, backslashes, control characters, non-ASCII, VTL syntax)', () => {
    const out = renderRequest({ entries: [{ entry: TRICKY }, { entry: { ...TRICKY, eventType: 'paging' } }] });
    expect(out.Entries).toHaveLength(2);
    expect(JSON.parse(out.Entries[0].Detail)).toEqual(TRICKY);
    expect(JSON.parse(out.Entries[1].Detail)).toEqual({ ...TRICKY, eventType: 'paging' });
  });

  it('special characters survive in string entries', () => {
    const out = renderRequest({ entries: [{ entry: JSON.stringify(TRICKY) }] });
    expect(out.Entries[0].Detail).toBe(JSON.stringify(TRICKY));
    expect(JSON.parse(out.Entries[0].Detail)).toEqual(TRICKY);
  });

  it('a string entry that is not JSON is passed on as is (PutEvents then reports it as MalformedDetail)', () => {
    const out = renderRequest({ entries: [{ entry: 'not json' }, { entry: { eventType: 'shopping' } }] });
    expect(out.Entries.map((e) => e.Detail)).toEqual(['not json', '{"eventType":"shopping"}']);
  });

  it('Resources always carries the authorizer clientId, never anything from the body', () => {
    const out = renderRequest({ entries: [{ entry: { eventType: 'shopping', resources: ['evil'], clientId: 'forged' } }] }, 'c-42');
    expect(out.Entries[0].Resources).toEqual(['c-42']);
  });
});

describe('response template', () => {
  it('all accepted: no status override, event ids in order', () => {
    const r = renderResponse({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }, { EventId: 'e-2' }] });
    expect(r.status).toBeUndefined();
    expect(r.body).toEqual({ failedEntryCount: 0, entryCount: 2, eventIds: ['e-1', 'e-2'] });
  });

  it('one entry: accepted', () => {
    expect(renderResponse({ FailedEntryCount: 0, Entries: [{ EventId: 'only' }] }).body).toEqual({ failedEntryCount: 0, entryCount: 1, eventIds: ['only'] });
  });

  it('some rejected: 400 with each failed entry, its index and error', () => {
    const r = renderResponse({
      FailedEntryCount: 2,
      Entries: [
        { EventId: 'e-0' },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { EventId: 'e-2' },
        { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter's "value" isn't valid \\ here` },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      failedEntryCount: 2,
      entryCount: 4,
      failedEntries: [
        { index: 1, errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' },
        { index: 3, errorCode: 'InvalidArgument', errorMessage: `Parameter's "value" isn't valid \\ here` },
      ],
    });
  });

  it.each(['ThrottlingException', 'InternalFailure'])('a retryable failure (%s) answers 503', (code) => {
    const r = renderResponse({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'x' }, { ErrorCode: code, ErrorMessage: 'try again' }] });
    expect(r.status).toBe(503);
    expect((r.body.failedEntries as unknown[]).length).toBe(2);
  });

  it('a failed entry without an error message still yields valid JSON', () => {
    const r = renderResponse({ FailedEntryCount: 1, Entries: [{ EventId: 'e-0' }, { ErrorCode: 'InvalidArgument' }] });
    expect(r.status).toBe(400);
    expect(r.body.failedEntries).toEqual([{ index: 1, errorCode: 'InvalidArgument', errorMessage: '' }]);
  });

  it('all rejected', () => {
    const entries = Array.from({ length: MAX_ENTRIES }, () => ({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }));
    const r = renderResponse({ FailedEntryCount: MAX_ENTRIES, Entries: entries });
    expect(r.status).toBe(400);
    expect((r.body.failedEntries as { index: number }[]).map((e) => e.index)).toEqual([...Array(MAX_ENTRIES).keys()]);
  });
});

describe('CORS response prelude', () => {
  /** Renders the prelude before the success response template for a request with `headers`. */
  function cors(origins: string[], headers: Record<string, string>) {
    const vars = apiGatewayContext({ body: JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }), headers });
    const text = renderVtl(corsResponsePrelude(origins) + PUT_EVENTS_RESPONSE_TEMPLATE, vars);
    const header = ((vars.context as { responseOverride?: { header?: Record<string, string> } }).responseOverride?.header ?? {});
    return { header, body: JSON.parse(text) as Record<string, unknown> };
  }
  const ORIGINS = ['https://shop.example.com', 'https://*.example.org', 'http://localhost:3000'];

  it('is empty when CORS is off', () => {
    expect(corsResponsePrelude([])).toBe('');
  });

  it('echoes an allowed origin (exact, wildcard subdomain, with port; either header spelling) with Vary: Origin', () => {
    expect(cors(ORIGINS, { Origin: 'https://shop.example.com' }).header).toEqual({ 'Access-Control-Allow-Origin': 'https://shop.example.com', Vary: 'Origin' });
    expect(cors(ORIGINS, { origin: 'https://eu.m.example.org' }).header['Access-Control-Allow-Origin']).toBe('https://eu.m.example.org');
    expect(cors(ORIGINS, { Origin: 'http://localhost:3000' }).header['Access-Control-Allow-Origin']).toBe('http://localhost:3000');
    // The body is unchanged by the prelude.
    expect(cors(ORIGINS, { Origin: 'https://shop.example.com' }).body).toEqual({ failedEntryCount: 0, entryCount: 1, eventIds: ['e-1'] });
  });

  it('answers no origin for anything else: other hosts, look-alikes, other schemes or ports, no Origin at all', () => {
    for (const origin of ['https://evil.example.net', 'https://shop.example.com.evil.net', 'https://example.org', 'https://xexample.org',
      'http://shop.example.com', 'https://shop.example.com:8443', 'http://localhost:3001', 'null']) {
      expect(cors(ORIGINS, { Origin: origin }).header, origin).toEqual({ Vary: 'Origin' });
    }
    expect(cors(ORIGINS, {}).header).toEqual({ Vary: 'Origin' });
  });

  it('"*" allows every origin without Vary', () => {
    expect(cors(['*'], { Origin: 'https://anything.example' }).header).toEqual({ 'Access-Control-Allow-Origin': '*' });
  });

  it('origin patterns escape regex characters and expand only a leading "*." subdomain', () => {
    expect(originPattern('https://shop.example.com')).toBe('https://shop\\.example\\.com');
    expect(originPattern('https://*.example.org')).toBe('https://([a-z0-9-]+\\.)+example\\.org');
  });
});

describe('request model (JSON Schema draft 4)', () => {
  it('requires 1 to 10 entries, each a string or an object, and nothing else', () => {
    expect(REQUEST_MODEL_SCHEMA.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(REQUEST_MODEL_SCHEMA.required).toEqual(['entries']);
    const entries = REQUEST_MODEL_SCHEMA.properties.entries;
    expect(entries).toMatchObject({ type: 'array', minItems: 1, maxItems: 10 });
    expect(entries.items).toMatchObject({ type: 'object', required: ['entry'], additionalProperties: false });
    expect(entries.items.properties.entry.type).toEqual(['string', 'object']);
  });
});

describe('Zendesk input transformer', () => {
  /** EventBridge's substitution: an unquoted placeholder takes the JSON value of its path. */
  function transform(event: unknown): unknown {
    let out = ZENDESK_INPUT_TRANSFORMER.inputTemplate;
    for (const [name, path] of Object.entries(ZENDESK_INPUT_TRANSFORMER.inputPaths)) {
      out = out.split(`<${name}>`).join(JSON.stringify(jsonPath(event, path)));
    }
    return JSON.parse(out);
  }

  it('builds a ticket from the loyalty purchase, its id and clientId', () => {
    const event = {
      id: 'evt-1',
      source: CLIENT_EVENTS_SOURCE,
      resources: [CLIENT_ID],
      detail: { eventType: 'loyaltypurchase', ticket: { subject: `Points for "Gold" tier`, body: "It's line 1\nline 2 – café" } },
    };
    expect(transform(event)).toEqual({
      ticket: {
        subject: 'Points for "Gold" tier',
        comment: { body: "It's line 1\nline 2 – café" },
        external_id: 'evt-1',
        tags: ['clientevents', 'loyaltypurchase', CLIENT_ID],
      },
    });
  });

  it('uses only paths EventBridge supports (dot notation and array indices)', () => {
    for (const p of Object.values(ZENDESK_INPUT_TRANSFORMER.inputPaths)) expect(p).toMatch(/^\$(\.[A-Za-z0-9_-]+|\[\d+\])+$/);
  });
});

describe('renderer helpers', () => {
  it('escapeJavaScript follows Commons Lang 2', () => {
    expect(escapeJavaScript(`a'b"c\\d/e\nf\u0001é😀`)).toBe(`a\\'b\\"c\\\\d\\/e\\nf\\u0001\\u00E9\\uD83D\\uDE00`);
  });
});
