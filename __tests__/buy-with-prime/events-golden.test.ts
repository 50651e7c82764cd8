/**
 * Buy with Prime events as Buy with Prime publishes them. The golden events in fixtures/bwp/events/ are built from
 * documents.buywithprime.amazon.com/bwp-api/docs (Event Types and each event's page; every file carries its source
 * note, including which paths were assumed where the search tool found no page). Each one must be processed - the
 * order queried by the id its resources path names, the thin notice recorded, the data subject's stored events
 * deleted - or, for an undocumented type or an installation this app does not have, deliberately acknowledged and
 * counted (metric UnroutableEvents) instead of retried into the DLQ.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventsStore, subjectHash } from '../../handlers/buy-with-prime/events/events-store.js';
import { processBatch } from '../../handlers/buy-with-prime/events/core.js';
import { ROUTES } from '../../handlers/buy-with-prime/events/routing.js';
import { GraphqlClient } from '../../handlers/buy-with-prime/lib/graphql.js';
import { MemoryLog } from '../../handlers/buy-with-prime/lib/log.js';
import { BWP_METRICS, MemoryMetrics } from '../../handlers/buy-with-prime/lib/metrics.js';
import { TokenStore } from '../../handlers/buy-with-prime/lib/token-store.js';
import { TokenService } from '../../handlers/buy-with-prime/lib/token-service.js';
import { startDynalite, type Dynalite } from '../helpers/dynalite.js';
import { FakeGraphqlServer, FakeKmsCipher } from '../helpers/bwp-fakes.js';
import { sqsRecord } from '../helpers/sqs-records.js';

const DIR = new URL('../fixtures/bwp/events/', import.meta.url);
interface Golden {
  readonly source: string;
  readonly event: Record<string, unknown> & { 'detail-type': string; id: string; resources: string[]; detail: Record<string, unknown> };
}
/** The documentation's examples all share "example-event-id": each golden event gets its own id here. */
function golden(type: string): Golden['event'] {
  const g = JSON.parse(readFileSync(new URL(`${type}.json`, DIR), 'utf8')) as Golden;
  const detail = 'idempotencyKey' in g.event.detail ? { ...g.event.detail, idempotencyKey: `${type}-key` } : g.event.detail;
  return { ...g.event, id: `${type}-id`, detail };
}
const TYPES = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
const BP = 'business-product-id';
const INSTALLATION = 'inst-golden';

let ddb: Dynalite;
let gql: FakeGraphqlServer;
let store: TokenStore;
let events: EventsStore;
let tokens: TokenService;
const log = new MemoryLog();
const metrics = new MemoryMetrics();
let seq = 0;

function batch(...bodies: unknown[]): SQSEvent {
  return { Records: bodies.map((b) => sqsRecord(JSON.stringify(b), `m-${seq++}`, 'bwp-events')) };
}
const deps = () => ({ tokens, installations: store, graphql: new GraphqlClient({ endpoint: gql.url, sleep: async () => {} }), events, log, metrics });

beforeAll(async () => {
  ddb = await startDynalite();
  await Promise.all([ddb.createTable('tokens', { partitionKey: 'pk' }), ddb.createTable('events', { partitionKey: 'event_id' })]);
  gql = new FakeGraphqlServer();
  await gql.start();
  gql.respond = (c) => {
    if (c.query.includes('buyWithPrimeStore')) return { body: { data: { buyWithPrimeStore: { siteId: 'site-1', widgetId: 'w-1' } } } };
    if (c.query.includes('personalDataDeletionTask')) {
      return { body: { data: { personalDataDeletionTask: { taskId: c.variables.taskId, status: 'COMPLETED', dataSubject: { type: 'SHOPPER', email: 'Shopper@Example.com' } } } } };
    }
    return { body: { data: { order: { id: c.variables.orderId } } } };
  };
  store = new TokenStore(ddb.client, 'tokens');
  events = new EventsStore(ddb.client, 'events', 30);
  tokens = new TokenService({ store, cipher: new FakeKmsCipher(), refresher: async () => ({ accessToken: 'at-2' }) });
  await tokens.saveInstallation(INSTALLATION, { accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 900 }, BP);
});

afterAll(async () => {
  await Promise.all([gql?.stop(), ddb?.stop()]);
});

describe('golden events (documented types, EventBridge form)', () => {
  it('there is a golden event for every documented current type, each with a source note', () => {
    for (const t of ['ORDER_CONFIRMED', 'REFUND_REQUESTED', 'REFUND_COMPLETED', 'RETURN_STARTED', 'RETURN_COMPLETED', 'PACKAGE_DELIVERED', 'BUYABILITY_CHANGED', 'PERSONAL_DATA_DELETION_TASK_COMPLETED']) {
      expect(TYPES).toContain(t);
    }
    for (const t of TYPES) {
      const g = JSON.parse(readFileSync(new URL(`${t}.json`, DIR), 'utf8')) as Golden;
      expect(g.source).toMatch(/^https:\/\/documents\.buywithprime\.amazon\.com\//);
      expect(g.event['detail-type']).toBe(t);
      expect(g.event.source).toMatch(/^aws\.partner\/buywithprime\//);
      expect(ROUTES[t], `${t} has a route`).toBeDefined();
    }
  });

  it.each(TYPES.filter((t) => ROUTES[t] === 'order'))('%s: the order named by its resources path is queried and stored', async (type) => {
    const ev = golden(type);
    gql.calls.length = 0;
    const res = await processBatch(batch(ev), deps());
    expect(res.batchItemFailures).toEqual([]);
    expect(Object.values(res.outcomes)).toEqual(['stored']);
    const orderCalls = gql.calls.filter((c) => c.query.includes('order('));
    expect(orderCalls.map((c) => c.variables.orderId)).toEqual(['order-id']);
    expect(orderCalls[0].authorization).toBe('Bearer at-1');
    // The business product of the resources path as x-api-target-id, the pinned version as x-api-version.
    expect(orderCalls[0].targetId).toBe(BP);
    expect(orderCalls[0].apiVersion).toBe('2024-11-01');
    const key = (ev.detail.idempotencyKey as string | undefined) ?? ev.id;
    const item = (await ddb.client.send(new GetItemCommand({ TableName: 'events', Key: { event_id: { S: key } } }))).Item!;
    expect(item.event_type.S).toBe(type);
    expect(item.order_id.S).toBe('order-id');
    expect(item.installation_id.S).toBe(INSTALLATION);
    expect(item.business_product_id.S).toBe(BP);
    // Stored raw details expire (eventRetentionDays = 30 here).
    expect(Number(item.expires_at.N) - Date.now() / 1000).toBeGreaterThan(29 * 86_400);
    // Redelivery is a duplicate: no further API call.
    const calls = gql.calls.length;
    expect(Object.values((await processBatch(batch(ev), deps())).outcomes)).toEqual(['duplicate']);
    expect(gql.calls.length).toBe(calls);
  });

  it.each(TYPES.filter((t) => ROUTES[t] === 'record'))('%s: recorded as received, without an API call', async (type) => {
    gql.calls.length = 0;
    const res = await processBatch(batch(golden(type)), deps());
    expect(res.outcomes).toEqual({ [`m-${seq - 1}`]: 'stored' });
    expect(gql.calls).toHaveLength(0);
  });

  it('PERSONAL_DATA_DELETION_TASK_COMPLETED deletes the stored events of the task\'s data subject', async () => {
    const confirmed = golden('ORDER_CONFIRMED');
    const key = { event_id: { S: confirmed.detail.idempotencyKey as string } };
    expect((await ddb.client.send(new GetItemCommand({ TableName: 'events', Key: key }))).Item).toBeDefined();
    gql.calls.length = 0;
    const res = await processBatch(batch(golden('PERSONAL_DATA_DELETION_TASK_COMPLETED')), deps());
    expect(res.batchItemFailures).toEqual([]);
    expect(gql.calls.map((c) => c.variables)).toEqual([{ taskId: 'example-data-deletion-task-id' }]);
    expect((await ddb.client.send(new GetItemCommand({ TableName: 'events', Key: key }))).Item).toBeUndefined();
    const index = await ddb.client.send(new GetItemCommand({ TableName: 'events', Key: { event_id: { S: `subject#${subjectHash('shopper@example.com')}` } } }));
    expect(index.Item).toBeUndefined();
    expect(log.text()).toContain('"deletedEvents":1');
  });

  it('AccessDeniedError under HTTP 200 fails the record and drops the cached token (documented error type)', async () => {
    const invalidated: string[] = [];
    const spy = { getAccessToken: (id: string) => tokens.getAccessToken(id), invalidate: (id: string) => void invalidated.push(id) };
    gql.queue.push({ body: { data: { buyWithPrimeStore: { siteId: 's' } } } });
    gql.queue.push({ body: { data: null, errors: [{ message: 'denied', extensions: { classification: { type: 'AccessDeniedError', errorType: 'AccessDeniedException', errorCode: 403 } } }] } });
    const ev = { ...golden('RETURN_STARTED'), id: 'denied-1' };
    const res = await processBatch(batch(ev), { ...deps(), tokens: spy });
    expect(Object.values(res.outcomes)).toEqual(['failed']);
    expect(invalidated).toEqual([INSTALLATION]);
  });

  it('acknowledges and counts undocumented types, unknown business products and uninstalled installations', async () => {
    const before = metrics.total(BWP_METRICS.unroutableEvents);
    // The former defaults (ORDER_PLACED ...) are not documented types.
    const undocumented = { ...golden('REFUND_REQUESTED'), 'detail-type': 'ORDER_PLACED', id: 'u-1' };
    const stranger = { ...golden('REFUND_REQUESTED'), id: 'u-2', resources: ['businessProduct/bp-of-someone-else/order/o/refund/r'] };
    await tokens.saveInstallation('inst-gone', { accessToken: 'at-g', refreshToken: 'rt-g' }, 'bp-gone');
    await tokens.deleteInstallation('inst-gone');
    const gone = { ...golden('REFUND_REQUESTED'), id: 'u-3', resources: ['businessProduct/bp-gone/order/o/refund/r'] };
    gql.calls.length = 0;
    const res = await processBatch(batch(undocumented, stranger, gone), deps());
    expect(res.batchItemFailures).toEqual([]);
    expect(Object.values(res.outcomes)).toEqual(['acknowledged', 'acknowledged', 'acknowledged']);
    expect(metrics.total(BWP_METRICS.unroutableEvents) - before).toBe(3);
    expect(metrics.points.slice(-3).map((p) => p.properties.reason)).toEqual(['unknown_event_type', 'unknown_installation', 'uninstalled']);
    expect(gql.calls).toHaveLength(0);
  });
});
