/**
 * Seed compatibility: the traffic of the sample this pipeline replaces (aws-samples/client-event-sample, recorded in
 * fixtures/client-events/seed-payloads.json: its events/event.json body and the entries its Python generator
 * sends) goes through what the stack really deploys, read from a real synth with Zendesk on: the request model
 * (validated with ajv; API Gateway models are JSON Schema draft 4, whose keywords used here mean the same in ajv's
 * default draft), the PutEvents request template and the integration responses (rendered by velocityjs and, where
 * installed, Apache Velocity 1.7, with API Gateway's selection of an integration response by status code), PutEvents
 * (entry size and MalformedDetail as AWS documents them), the rules' event patterns and input transformers
 * (EventBridge's documented matching: helpers/client-events-eventbridge.ts), the Firehose transform and the JQ
 * partition query. What lands is checked against docs/client-events.md: S3 prefixes, stored detail, Zendesk tickets,
 * the unrouted-loyalty queue and the API's answer.
 */
import '../../lib/fast-synth.js';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configWith } from '../../config/index.js';
import { handleTransformation, transformRecords } from '../../handlers/client-events/transform/core.js';
import { createLogger, logOutput } from '../../handlers/shared/log.js';
import { PROCESSING_FAILED_FILTER_PATTERN } from '../../stacks/client-events/stack.js';
import { fromRoot } from '../../lib/paths.js';
import { inputPath, inputTransform, matches, putEvents, type EventBridgeEvent, type PutEventsEntry } from '../helpers/client-events-eventbridge.js';
import { resources, synthConfig, type SynthStack } from '../helpers/synth.js';
import { availableEngines, renderAll, type ApiGatewayRequest, type EngineName } from '../helpers/vtl.js';

interface Seed {
  eventJsonBody: { entries: { entry: string }[] };
  generatorEntries: Record<'shopping' | 'searching' | 'paging' | 'purchase' | 'loyaltypurchase', string>;
  generatorRequest: { authorizationHeader: string };
  sampleStack: { detailType: string; zendeskTargetInputPath: string };
}
const SEED = JSON.parse(readFileSync(fromRoot('__tests__/fixtures/client-events/seed-payloads.json'), 'utf8')) as Seed;
const gen = SEED.generatorEntries;
const CLIENT_ID = '8d2f6c1e-4b7a-4f3e-9c0d-1a2b3c4d5e6f';
const ENGINES = availableEngines('client-events-seed.test.ts');
const ZENDESK = { enabled: true, ticketsEndpoint: 'https://acme.zendesk.com/api/v2/tickets.json', secretName: 'tributary/zendesk-api' };

/** The request bodies run through the pipeline. */
const PAYLOADS: Record<string, unknown> = {
  'events/event.json': SEED.eventJsonBody,
  'generator: one entry of each type': { entries: (['shopping', 'searching', 'paging', 'purchase', 'loyaltypurchase'] as const).map((t) => ({ entry: gen[t] })) },
  'generator: a full batch of 10 with two loyalty purchases': {
    entries: (['loyaltypurchase', 'searching', 'paging', 'purchase', 'searching', 'paging', 'purchase', 'loyaltypurchase', 'searching', 'paging'] as const).map((t) => ({ entry: gen[t] })),
  },
  'documented form: object entry with ticket {subject, body}': {
    entries: [{ entry: { eventType: 'loyaltypurchase', schemaVersion: '1.0', ticket: { subject: 'Gold tier', body: 'Redeemed 500 points' } } }],
  },
  'sample name analyticType on a loyalty purchase': {
    entries: [{ entry: JSON.stringify({ analyticType: 'loyaltypurchase', schemaVersion: 3, ticket: { subject: 's', body: 'b' } }) }],
  },
  'loyalty purchases without a usable ticket': {
    entries: [
      { entry: JSON.stringify({ eventType: 'loyaltypurchase', schemaVersion: 2, ticket: { ticket: { subject: 'no comment' } } }) },
      { entry: { eventType: 'loyaltypurchase', schemaVersion: 2 } },
    ],
  },
  'entries totalling more than 256 KB (objects)': {
    entries: [{ entry: { eventType: 'searching', blob: 'x'.repeat(140_000) } }, { entry: { eventType: 'searching', blob: 'y'.repeat(140_000) } }],
  },
  'a string entry longer than 262,144 characters': { entries: [{ entry: `{"eventType":"searching","blob":"${'z'.repeat(262_144)}"}` }] },
};

interface Outcome {
  status: number;
  body: Record<string, unknown>;
  /** S3 key prefix (before the date partitions) and the stored event, per delivered record. */
  stored: { prefix: string; event: EventBridgeEvent & { detail: Record<string, unknown> } }[];
  tickets: Record<string, unknown>[];
  unrouted: EventBridgeEvent[];
  /** Names of the rules each accepted event matched, in event order. */
  ruleMatches: string[][];
}

interface Deployed {
  validate: (body: unknown) => boolean;
  requestTemplate: string;
  integrationResponses: { status: string; pattern?: string; template: string }[];
  rules: { id: string; pattern: Record<string, unknown> }[];
  targets: { ruleId: string; targetId: string; inputTransformer?: { input_paths: Record<string, string>; input_template: string } }[];
  jqQuery: string;
  identityValidationExpression: string;
  environment: string;
  busName: string;
}

/** Terraform evaluates "$${" to "${" (and "%%{" to "%{"): the text API Gateway receives. */
function terraformString(v: unknown): string {
  const s = String(v);
  expect(s.replace(/\$\$\{|%%\{/g, ''), 'no Terraform interpolation inside a mapping template').not.toMatch(/\$\{|%\{/);
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function deployed(s: SynthStack): Deployed {
  const model = Object.values(resources(s, 'aws_api_gateway_model'))[0];
  const { $schema, ...schema } = JSON.parse(String(model.schema)) as Record<string, unknown>;
  expect($schema).toBe('http://json-schema.org/draft-04/schema#');
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
  const integration = resources(s, 'aws_api_gateway_integration')['api-integration'];
  const stage = Object.values(resources(s, 'aws_api_gateway_stage'))[0] as { variables: Record<string, string> };
  const firehose = Object.values(resources(s, 'aws_kinesis_firehose_delivery_stream'))[0] as {
    extended_s3_configuration: { processing_configuration: { processors: { type: string; parameters: { parameter_name: string; parameter_value: string }[] }[] } };
  };
  const jq = firehose.extended_s3_configuration.processing_configuration.processors
    .find((p) => p.type === 'MetadataExtraction')!.parameters.find((p) => p.parameter_name === 'MetadataExtractionQuery')!.parameter_value;
  return {
    validate: (body) => validate(body),
    requestTemplate: terraformString((integration.request_templates as Record<string, string>)['application/json']),
    integrationResponses: Object.values(resources(s, 'aws_api_gateway_integration_response'))
      .filter((r) => String(r.http_method).includes('api-method'))
      .map((r) => ({ status: String(r.status_code), pattern: r.selection_pattern as string | undefined, template: terraformString((r.response_templates as Record<string, string>)['application/json']) })),
    rules: Object.entries(resources(s, 'aws_cloudwatch_event_rule')).map(([id, r]) => ({ id, pattern: JSON.parse(String(r.event_pattern)) as Record<string, unknown> })),
    targets: Object.values(resources(s, 'aws_cloudwatch_event_target')).map((t) => ({
      ruleId: /aws_cloudwatch_event_rule\.([\w-]+)\./.exec(String(t.rule))![1],
      targetId: String(t.target_id),
      inputTransformer: t.input_transformer as Deployed['targets'][number]['inputTransformer'],
    })),
    jqQuery: jq,
    identityValidationExpression: String(Object.values(resources(s, 'aws_api_gateway_authorizer'))[0].identity_validation_expression),
    environment: stage.variables.environment,
    busName: 'bus',
  };
}

/** API Gateway picks the integration response whose selection pattern (a Java regex) matches the whole status code, else the default. */
function selectResponse(d: Deployed, status: number) {
  return d.integrationResponses.find((r) => r.pattern !== undefined && new RegExp(`^(?:${r.pattern})$`).test(String(status))) ?? d.integrationResponses.find((r) => r.pattern === undefined)!;
}

/** Firehose dynamic partitioning with the stack's JQ query (`{key: .a.b, ...}`): a key that is not a string fails the record. */
function partition(jq: string, event: unknown): Record<string, string> | undefined {
  const keys: Record<string, string> = {};
  for (const m of jq.matchAll(/(\w+):\s*\.([\w.]+)/g)) {
    const v = m[2].split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), event);
    if (typeof v !== 'string') return undefined;
    keys[m[1]] = v;
  }
  return keys;
}

function runAll(engine: EngineName, d: Deployed): Record<string, Outcome> {
  const names = Object.keys(PAYLOADS);
  const valid = names.filter((n) => d.validate(PAYLOADS[n]));
  const requests = renderAll(engine, valid.map((n) => ({
    template: d.requestTemplate,
    req: { body: JSON.stringify(PAYLOADS[n]), context: { authorizer: { clientId: CLIENT_ID } }, stageVariables: { environment: d.environment, eventBusName: d.busName } } as ApiGatewayRequest,
  })));
  const calls = requests.map((r) => putEvents((JSON.parse(r.output) as { Entries: PutEventsEntry[] }).Entries));
  const selected = calls.map((c) => selectResponse(d, c.kind === 'answer' ? 200 : c.httpStatus));
  const answers = renderAll(engine, calls.map((c, i) => ({ template: selected[i].template, req: { body: JSON.stringify(c.body), context: { requestId: 'req-seed' } } })));
  const out: Record<string, Outcome> = {};
  for (const n of names.filter((x) => !valid.includes(x))) out[n] = { status: 400, body: { message: 'Invalid request body' }, stored: [], tickets: [], unrouted: [], ruleMatches: [] };
  valid.forEach((n, i) => {
    const call = calls[i];
    const o: Outcome = { status: answers[i].status ?? Number(selected[i].status), body: JSON.parse(answers[i].output) as Record<string, unknown>, stored: [], tickets: [], unrouted: [], ruleMatches: [] };
    out[n] = o;
    if (call.kind !== 'answer') return;
    const toFirehose: EventBridgeEvent[] = [];
    for (const event of call.events) {
      const matched = d.rules.filter((r) => matches(r.pattern, event)).map((r) => r.id);
      o.ruleMatches.push(matched);
      for (const t of d.targets.filter((x) => matched.includes(x.ruleId))) {
        if (t.targetId === 'firehose') toFirehose.push(event);
        else if (t.targetId === 'zendesk') o.tickets.push(JSON.parse(inputTransform(t.inputTransformer!, event)) as Record<string, unknown>);
        else if (t.targetId === 'unrouted-queue') o.unrouted.push(event);
        else throw new Error(`unknown target ${t.targetId}`);
      }
    }
    // EventBridge delivers the whole event (no input transformer on the Firehose target) as one record.
    const result = transformRecords(toFirehose.map((e, k) => ({ recordId: `r${k}`, approximateArrivalTimestamp: 0, data: Buffer.from(JSON.stringify(e)).toString('base64') })));
    result.records.forEach((r, k) => {
      if (r.result !== 'Ok') {
        o.stored.push({ prefix: 'errors/events/processing-failed/', event: toFirehose[k] as Outcome['stored'][number]['event'] });
        return;
      }
      const event = JSON.parse(Buffer.from(r.data!, 'base64').toString('utf8')) as Outcome['stored'][number]['event'];
      const keys = partition(d.jqQuery, event);
      o.stored.push({ prefix: keys ? `events/eventType=${keys.eventType}/schemaVersion=${keys.schemaVersion}/` : 'errors/events/partitioning-failed/', event });
    });
  });
  return out;
}

let synth: ReturnType<typeof synthConfig>;
let d: Deployed;
beforeAll(() => {
  synth = synthConfig(configWith({ ams: { enabled: false }, clientEvents: { enabled: true, zendesk: ZENDESK } }));
  d = deployed(synth.stacks.find((s) => s.name === 'client-events-us-east-1')!);
});
afterAll(() => synth?.cleanup());

describe.each(ENGINES)('seed payloads through the deployed pipeline (%s)', (engine) => {
  let out: Record<string, Outcome>;
  beforeAll(() => {
    out = runAll(engine, d);
  });
  const prefixes = (name: string) => out[name].stored.map((s) => s.prefix);

  it('events/event.json (analyticType, numeric schemaVersion): 200, every event stored under its type and the string form of its version', () => {
    const o = out['events/event.json'];
    expect(o.status).toBe(200);
    expect(o.body).toMatchObject({ failedEntryCount: 0, entryCount: 4 });
    expect(prefixes('events/event.json')).toEqual([
      'events/eventType=shopping/schemaVersion=1/',
      'events/eventType=searching/schemaVersion=1/',
      'events/eventType=paging/schemaVersion=2/',
      'events/eventType=paging/schemaVersion=2/',
    ]);
    // Stored detail: the sample's fields kept, eventType added from analyticType, version as a string, clientId stamped.
    expect(o.stored[0].event.detail).toEqual({ analyticType: 'shopping', eventType: 'shopping', schemaVersion: '1', data: { itemSku: 123 }, accountNumber: CLIENT_ID });
    expect(o.stored[2].event).toMatchObject({ source: 'clientevents', 'detail-type': d.environment, resources: [CLIENT_ID] });
    expect(o.tickets).toEqual([]);
    expect(o.unrouted).toEqual([]);
  });

  it("generator, one entry of each type: the sample's malformed shopping entry is refused by index (400, MalformedDetail), the others stored; the loyalty purchase opens a ticket", () => {
    const o = out['generator: one entry of each type'];
    expect(o.status).toBe(400);
    expect(o.body).toEqual({ failedEntryCount: 1, entryCount: 5, failedEntries: [{ index: 0, errorCode: 'MalformedDetail', errorMessage: 'Detail is malformed.' }] });
    expect(prefixes('generator: one entry of each type')).toEqual([
      'events/eventType=searching/schemaVersion=1/',
      'events/eventType=paging/schemaVersion=2/',
      'events/eventType=purchase/schemaVersion=2/',
      'events/eventType=loyaltypurchase/schemaVersion=2/',
    ]);
    const loyalty = o.stored[3].event;
    expect(o.tickets).toEqual([
      { ticket: { subject: 'Loyalty customer purchase', comment: { body: 'This customer has made a loyalty purchase' }, external_id: loyalty.id, tags: ['clientevents', 'loyaltypurchase', CLIENT_ID] } },
    ]);
    // The ticket rule of the sample's shape, never the unrouted one.
    expect(o.ruleMatches[3].sort()).toEqual(['rule-all', 'rule-loyalty-sample']);
    // Subject and comment are what the sample's target (InputPath $.detail.ticket) sent Zendesk for the same event.
    const sampleBody = JSON.parse(inputPath(SEED.sampleStack.zendeskTargetInputPath, loyalty)) as { ticket: { subject: string; comment: { body: string } } };
    expect(o.tickets[0]).toMatchObject({ ticket: { subject: sampleBody.ticket.subject, comment: sampleBody.ticket.comment } });
  });

  it('generator, a full batch of 10: 200, 10 stored, one ticket per loyalty purchase', () => {
    const o = out['generator: a full batch of 10 with two loyalty purchases'];
    expect(o.status).toBe(200);
    expect(o.body.eventIds).toHaveLength(10);
    expect(o.stored.every((s) => s.prefix.startsWith('events/eventType='))).toBe(true);
    expect(o.stored).toHaveLength(10);
    expect(o.tickets.map((t) => (t.ticket as { external_id: string }).external_id)).toEqual([o.stored[0].event.id, o.stored[7].event.id]);
  });

  it('the documented ticket {subject, body} and the analyticType alias both open tickets', () => {
    expect(out['documented form: object entry with ticket {subject, body}'].tickets).toMatchObject([{ ticket: { subject: 'Gold tier', comment: { body: 'Redeemed 500 points' } } }]);
    const alias = out['sample name analyticType on a loyalty purchase'];
    expect(alias.tickets).toMatchObject([{ ticket: { subject: 's', comment: { body: 'b' } } }]);
    expect(alias.stored.map((s) => s.prefix)).toEqual(['events/eventType=loyaltypurchase/schemaVersion=3/']);
  });

  it('loyalty purchases no ticket rule matches are stored and kept in the unrouted queue (alarmed), never only dropped', () => {
    const o = out['loyalty purchases without a usable ticket'];
    expect(o.status).toBe(200);
    expect(o.tickets).toEqual([]);
    expect(o.unrouted).toHaveLength(2);
    expect(o.stored).toHaveLength(2);
    expect(o.ruleMatches.map((m) => m.sort())).toEqual([['rule-all', 'rule-loyalty-unrouted'], ['rule-all', 'rule-loyalty-unrouted']]);
  });

  it("a call over PutEvents' 256 KB is answered 400 with EventBridge's message; nothing is stored", () => {
    const o = out['entries totalling more than 256 KB (objects)'];
    expect(o.status).toBe(400);
    expect(o.body).toMatchObject({ errorCode: 'ValidationException', message: 'EventBridge refused the request: Total size of the entries in the request is over the limit.' });
    expect(o.stored).toEqual([]);
  });

  it('a string entry longer than 262,144 characters is refused by the request model (400) before anything runs', () => {
    expect(d.validate(PAYLOADS['a string entry longer than 262,144 characters'])).toBe(false);
    expect(out['a string entry longer than 262,144 characters'].status).toBe(400);
  });

  it("the sample's Authorization header (the bare access token) passes the deployed identity validation expression", () => {
    expect(SEED.generatorRequest.authorizationHeader).toBe('<access token>');
    const token = 'eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJ1MSIsInRva2VuX3VzZSI6ImFjY2VzcyJ9.c2lnbmF0dXJl';
    expect(new RegExp(d.identityValidationExpression).test(token)).toBe(true);
  });

  it('non-loyalty events match only the Firehose rule; every loyalty purchase matches exactly one of the ticket rules or the unrouted rule', () => {
    for (const o of Object.values(out)) {
      for (const m of o.ruleMatches) {
        expect(m).toContain('rule-all');
        expect(m.length).toBeLessThanOrEqual(2);
      }
    }
  });
});

describe('EventBridge matcher (helpers/client-events-eventbridge.ts) on the documented examples', () => {
  // eb-event-patterns-content-based-filtering.html, "Exists matching".
  const ec2 = { source: 'aws.ec2', detail: { state: 'running', list: ['a', 'b'], obj: { x: 1 } } };
  it('exact values, arrays in the event, exists on leaves only, $or', () => {
    expect(matches({ detail: { state: [{ exists: true }] } }, ec2)).toBe(true);
    expect(matches({ detail: { missing: [{ exists: false }] } }, ec2)).toBe(true);
    expect(matches({ detail: { obj: [{ exists: true }] } }, ec2)).toBe(false);
    expect(matches({ detail: { obj: [{ exists: false }] } }, ec2)).toBe(false);
    expect(matches({ detail: { list: ['b'] } }, ec2)).toBe(true);
    expect(matches({ source: ['aws.s3'] }, ec2)).toBe(false);
    expect(matches({ detail: { $or: [{ state: ['stopped'] }, { list: ['a'] }] } }, ec2)).toBe(true);
    expect(matches({ detail: { nope: { deeper: [{ exists: false }] } } }, ec2)).toBe(true);
    expect(() => matches({ source: [{ prefix: 'aws.' }] }, ec2)).toThrow(/not implemented/);
  });
});

describe('ProcessingFailed records are counted (metric filter on the transform log)', () => {
  /**
   * CloudWatch Logs JSON filter pattern `{ $.field = "value" }` (the one form the stack uses; "Filter pattern syntax
   * for JSON log events" in the CloudWatch Logs user guide), applied to one log event.
   */
  function filterMatches(pattern: string, line: string): boolean {
    const m = /^\{ \$\.(\w+) = "([^"]*)" \}$/.exec(pattern);
    if (!m) throw new Error(`filter pattern form not implemented here: ${pattern}`);
    try {
      return (JSON.parse(line) as Record<string, unknown>)[m[1]] === m[2];
    } catch {
      return false;
    }
  }

  it("the transform's real log output has one line the stack's filter counts per ProcessingFailed record, and none for Ok ones", () => {
    // Lambda sends both stdout and stderr to the function's log group (Powertools writes warnings to stderr): every
    // line the logger writes, on either descriptor (handlers/shared/log.ts logOutput).
    const lines: string[] = [];
    const spies = [vi.spyOn(logOutput, 'write').mockImplementation((_fd, line) => void lines.push(...line.split('\n').filter(Boolean)))];
    const good = Buffer.from(JSON.stringify({ resources: [CLIENT_ID], detail: { eventType: 'paging', schemaVersion: 2 } })).toString('base64');
    const bad = Buffer.from(JSON.stringify({ resources: [CLIENT_ID], detail: { schemaVersion: 2 } })).toString('base64');
    try {
      const result = handleTransformation(
        { invocationId: 'i', deliveryStreamArn: 'arn', region: 'us-east-1', records: [good, bad, 'not base64!', good].map((data, i) => ({ recordId: `r${i}`, approximateArrivalTimestamp: 0, data })) },
        createLogger('client-events-transform'),
      );
      expect(result.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed', 'Ok']);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => filterMatches(PROCESSING_FAILED_FILTER_PATTERN, l))).toHaveLength(2);
  });
});
