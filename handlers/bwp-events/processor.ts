/**
 * The Buy with Prime partner event processor: SQS (fed by EventBridge rules on the partner event bus) ->
 * for every record: resolve the installation, get a valid access token, call the GraphQL API (the order named
 * by the event, plus the store lookup), and store the result once in the events table.
 *
 * Failures are reported per record (ReportBatchItemFailures): the record returns to the queue and, after the
 * queue's maxReceiveCount, lands in the DLQ with its body intact. Throttling that outlasts the client's backoff
 * fails the current record and every later one in the batch without calling the API again, so the batch backs
 * off as a whole.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { GraphqlRequestError, ORDER_QUERY, STORE_QUERY, ThrottledError, type GraphqlClient, type OrderResult, type StoreResult } from '../lib/bwp-graphql.js';
import type { Log } from '../lib/bwp-log.js';
import type { EventsStore } from './events-store.js';

/** A Buy with Prime partner event as EventBridge delivers it. */
export interface PartnerEvent {
  readonly id: string;
  readonly detailType: string;
  readonly source: string;
  readonly time: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/** The record can never succeed as it is (kept in the DLQ for inspection). */
export class BadEventError extends Error {
  override readonly name = 'BadEventError';
}

export function parsePartnerEvent(body: string): PartnerEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new BadEventError('the message body is not JSON');
  }
  const o = raw as Record<string, unknown>;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new BadEventError('the message body is not a JSON object');
  if (typeof o.id !== 'string' || !o.id) throw new BadEventError('the event has no "id"');
  if (!o.detail || typeof o.detail !== 'object' || Array.isArray(o.detail)) throw new BadEventError('the event has no "detail" object');
  return {
    id: o.id,
    detailType: typeof o['detail-type'] === 'string' ? o['detail-type'] : '',
    source: typeof o.source === 'string' ? o.source : '',
    time: typeof o.time === 'string' ? o.time : '',
    resources: Array.isArray(o.resources) ? o.resources.filter((r): r is string => typeof r === 'string') : [],
    detail: o.detail as Record<string, unknown>,
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

export function eventTypeOf(ev: PartnerEvent): string {
  return str(ev.detail.eventType) ?? ev.detailType;
}

export function installationIdOf(ev: PartnerEvent): string | undefined {
  const keys = ev.detail.contextKeys as Record<string, unknown> | undefined;
  return str(keys?.installationId) ?? str(ev.detail.installationId);
}

/** The idempotency key: `detail.idempotencyKey` when the event has one, else the EventBridge event id. */
export function idempotencyKeyOf(ev: PartnerEvent): string {
  return str(ev.detail.idempotencyKey) ?? ev.id;
}

/**
 * The order id of an order event: `detail.orderIdentifier.orderId`, `detail.orderId`, or the last path segment
 * of a resource naming an order (".../order/<id>").
 */
export function orderIdOf(ev: PartnerEvent): string | undefined {
  const ident = ev.detail.orderIdentifier as Record<string, unknown> | undefined;
  const fromDetail = str(ident?.orderId) ?? str(ev.detail.orderId);
  if (fromDetail) return fromDetail;
  for (const r of ev.resources) {
    const m = /(?:^|[/:])orders?[/:]([^/:]+)$/i.exec(r);
    if (m) return m[1];
  }
  return undefined;
}

export function isOrderEvent(ev: PartnerEvent): boolean {
  return /^(ORDER|REFUND|RETURN|FULFILLMENT|DELIVERY|SHIPMENT)/i.test(eventTypeOf(ev)) || orderIdOf(ev) !== undefined;
}

export interface ProcessorDeps {
  readonly tokens: { getAccessToken(installationId: string): Promise<string>; invalidate(installationId: string): void };
  readonly graphql: GraphqlClient;
  readonly events: EventsStore;
  readonly log: Log;
  readonly now?: () => number;
}

export type RecordOutcome = 'stored' | 'duplicate' | 'failed' | 'skipped';

export interface BatchResult extends SQSBatchResponse {
  readonly outcomes: Record<string, RecordOutcome>;
}

export async function processBatch(event: SQSEvent, deps: ProcessorDeps): Promise<BatchResult> {
  const outcomes: Record<string, RecordOutcome> = {};
  const failures: { itemIdentifier: string }[] = [];
  const stores = new Map<string, Promise<StoreResult>>();
  let throttled = false;
  for (const record of event.Records) {
    if (throttled) {
      outcomes[record.messageId] = 'skipped';
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      outcomes[record.messageId] = await processRecord(record, deps, stores);
    } catch (err) {
      outcomes[record.messageId] = 'failed';
      failures.push({ itemIdentifier: record.messageId });
      if (err instanceof ThrottledError) throttled = true;
      const bad = err instanceof BadEventError;
      deps.log[bad ? 'error' : 'warn']('event not processed', {
        messageId: record.messageId,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0),
        reason: bad ? 'bad_event' : err instanceof ThrottledError ? 'throttled' : err instanceof GraphqlRequestError ? 'api_error' : 'error',
        error: err,
      });
    }
  }
  if (throttled) deps.log.warn('throttled by the Buy with Prime API; the rest of the batch returns to the queue', { failed: failures.length });
  return { batchItemFailures: failures, outcomes };
}

async function processRecord(record: SQSRecord, deps: ProcessorDeps, stores: Map<string, Promise<StoreResult>>): Promise<RecordOutcome> {
  const ev = parsePartnerEvent(record.body);
  const eventId = idempotencyKeyOf(ev);
  const eventType = eventTypeOf(ev);
  const installationId = installationIdOf(ev);
  if (!installationId) throw new BadEventError(`event ${ev.id} names no installation (detail.contextKeys.installationId)`);
  if (!eventType) throw new BadEventError(`event ${ev.id} has no event type`);
  const orderId = orderIdOf(ev);
  if (isOrderEvent(ev) && !orderId) throw new BadEventError(`order event ${ev.id} (${eventType}) carries no order id`);

  if (await deps.events.exists(eventId)) {
    deps.log.info('duplicate event skipped', { eventId, eventType, installationId });
    return 'duplicate';
  }

  const accessToken = await deps.tokens.getAccessToken(installationId);
  const auth = { accessToken, installationId };
  try {
    let store = stores.get(installationId);
    if (!store) {
      store = deps.graphql.query<StoreResult>(STORE_QUERY, {}, auth);
      stores.set(installationId, store);
      store.catch(() => stores.delete(installationId));
    }
    const storeResult = await store;
    let order: OrderResult['order'] | undefined;
    if (orderId) {
      const res = await deps.graphql.query<OrderResult>(ORDER_QUERY, { orderId }, auth);
      if (!res.order) throw new GraphqlRequestError(`order ${orderId} was not found`, 200);
      order = res.order;
    }
    const stored = await deps.events.putOnce({
      eventId,
      sourceEventId: ev.id,
      eventType,
      installationId,
      eventTime: ev.time,
      processedAt: new Date((deps.now ?? Date.now)()).toISOString(),
      siteId: storeResult.buyWithPrimeStore?.siteId,
      widgetId: storeResult.buyWithPrimeStore?.widgetId,
      orderId,
      order: order ? JSON.stringify(order) : undefined,
      detail: JSON.stringify(ev.detail),
    });
    deps.log.info(stored ? 'event stored' : 'duplicate event skipped', { eventId, eventType, installationId, orderId });
    return stored ? 'stored' : 'duplicate';
  } catch (err) {
    // A refused token may have been revoked or rotated elsewhere: read the store again next time.
    if (err instanceof GraphqlRequestError && err.unauthorized) deps.tokens.invalidate(installationId);
    throw err;
  }
}
