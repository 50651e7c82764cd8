/**
 * The Buy with Prime partner event processor: SQS (fed by EventBridge rules on the partner event bus) ->
 * for every record: route by `detail-type` (routing.ts), find the business product in the `resources` paths and
 * its installation (recorded at install time), get a valid access token, call the GraphQL API (the order named
 * by the event, plus the store lookup), and store the result once in the events table.
 *
 * Events that can never be processed by this deployment - an unknown business product or installation, an
 * uninstalled installation, an undocumented event type - are acknowledged (not retried into the DLQ), logged with
 * their reason and counted (metric UnroutableEvents).
 *
 * Failures are reported per record (ReportBatchItemFailures): the record returns to the queue and, after the
 * queue's maxReceiveCount, lands in the DLQ with its body intact. Throttling that outlasts the client's backoff
 * fails the current record and every later one in the batch without calling the API again, so the batch backs
 * off as a whole.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  GraphqlRequestError, ORDER_QUERY, PERSONAL_DATA_DELETION_TASK_QUERY, STORE_QUERY, ThrottledError,
  type GraphqlClient, type OrderResult, type PersonalDataDeletionTaskResult, type StoreResult,
} from '../lib/graphql.js';
import type { Log } from '../lib/log.js';
import { BWP_METRICS, type Metrics } from '../lib/metrics.js';
import type { InstallationRecord } from '../lib/token-store.js';
import { ReauthorizationRequiredError } from '../lib/token-service.js';
import type { EventsStore } from './events-store.js';
import { resourceIds, ROUTES, type ResourceIds } from './routing.js';

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

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The event type: `detail-type` (as published), else the body's `eventDescriptor` or `eventType`. */
export function eventTypeOf(ev: PartnerEvent): string {
  return ev.detailType || str(ev.detail.eventDescriptor) || str(ev.detail.eventType) || '';
}

/** The installation named by the event itself (the workshop sample's shape); documented events name none. */
export function installationIdOf(ev: PartnerEvent): string | undefined {
  return str(obj(ev.detail.contextKeys)?.installationId) ?? str(ev.detail.installationId);
}

/** The idempotency key: `detail.idempotencyKey` when the event has one, else the EventBridge event id. */
export function idempotencyKeyOf(ev: PartnerEvent): string {
  return str(ev.detail.idempotencyKey) ?? ev.id;
}

/** The resources paths of the event (EventBridge `resources`, else the body's own `resources`). */
export function resourcesOf(ev: PartnerEvent): ResourceIds {
  const fromBody = Array.isArray(ev.detail.resources) ? ev.detail.resources.filter((r): r is string => typeof r === 'string') : [];
  return resourceIds([...ev.resources, ...fromBody]);
}

/**
 * The order id: from a resources path wherever `order/<id>` appears in it, else `detail.data.order.id`, else the
 * sample's `detail.orderIdentifier.orderId` / `detail.orderId`.
 */
export function orderIdOf(ev: PartnerEvent): string | undefined {
  return (
    resourcesOf(ev).orderId ??
    str(obj(obj(ev.detail.data)?.order)?.id) ??
    str(obj(ev.detail.orderIdentifier)?.orderId) ??
    str(ev.detail.orderId)
  );
}

/** Reads installations: the token store. */
export interface Installations {
  installationForBusinessProduct(businessProductId: string): Promise<string | undefined>;
  getInstallation(installationId: string): Promise<InstallationRecord | undefined>;
}

export interface ProcessorDeps {
  readonly tokens: { getAccessToken(installationId: string): Promise<string>; invalidate(installationId: string): void };
  readonly installations: Installations;
  readonly graphql: GraphqlClient;
  readonly events: EventsStore;
  readonly log: Log;
  readonly metrics: Metrics;
  readonly now?: () => number;
}

export type RecordOutcome = 'stored' | 'duplicate' | 'failed' | 'skipped' | 'acknowledged';

export interface BatchResult extends SQSBatchResponse {
  readonly outcomes: Record<string, RecordOutcome>;
}

/** The record is acknowledged without processing (it can never be processed here); counted as UnroutableEvents. */
class Unroutable extends Error {
  constructor(readonly reason: 'unknown_event_type' | 'unknown_installation' | 'uninstalled', message: string) {
    super(message);
  }
}

interface BatchState {
  readonly stores: Map<string, Promise<StoreResult>>;
  readonly installations: Map<string, Promise<InstallationRecord | undefined>>;
}

export async function processBatch(event: SQSEvent, deps: ProcessorDeps): Promise<BatchResult> {
  const outcomes: Record<string, RecordOutcome> = {};
  const failures: { itemIdentifier: string }[] = [];
  const batch: BatchState = { stores: new Map(), installations: new Map() };
  let throttled = false;
  for (const record of event.Records) {
    if (throttled) {
      outcomes[record.messageId] = 'skipped';
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    try {
      outcomes[record.messageId] = await processRecord(record, deps, batch);
    } catch (err) {
      if (err instanceof Unroutable) {
        outcomes[record.messageId] = 'acknowledged';
        deps.metrics.count(BWP_METRICS.unroutableEvents, { reason: err.reason });
        deps.log.warn('event acknowledged without processing', { messageId: record.messageId, reason: err.reason, detail: err.message });
        continue;
      }
      outcomes[record.messageId] = 'failed';
      failures.push({ itemIdentifier: record.messageId });
      if (err instanceof ThrottledError) throttled = true;
      const bad = err instanceof BadEventError;
      const reauth = err instanceof ReauthorizationRequiredError;
      // Kept (DLQ after maxReceiveCount) so it can be redriven once the merchant reinstalls; no token request was made.
      if (reauth) deps.metrics.count(BWP_METRICS.eventsBlockedByReauth, { installationId: err.installationId });
      deps.log[bad ? 'error' : 'warn']('event not processed', {
        messageId: record.messageId,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0),
        reason: bad ? 'bad_event' : reauth ? 'needs_reauth' : err instanceof ThrottledError ? 'throttled' : err instanceof GraphqlRequestError ? 'api_error' : 'error',
        error: err,
      });
    }
  }
  if (throttled) deps.log.warn('throttled by the Buy with Prime API; the rest of the batch returns to the queue', { failed: failures.length });
  return { batchItemFailures: failures, outcomes };
}

async function installationOf(ev: PartnerEvent, ids: ResourceIds, deps: ProcessorDeps, batch: BatchState): Promise<InstallationRecord> {
  let installationId = installationIdOf(ev);
  if (!installationId && ids.businessProductId) installationId = await deps.installations.installationForBusinessProduct(ids.businessProductId);
  if (!installationId) {
    throw new Unroutable(
      'unknown_installation',
      ids.businessProductId
        ? `event ${ev.id}: business product ${ids.businessProductId} belongs to no installation of this app`
        : `event ${ev.id} names no business product (resources) and no installation`,
    );
  }
  let rec = batch.installations.get(installationId);
  if (!rec) {
    rec = deps.installations.getInstallation(installationId);
    batch.installations.set(installationId, rec);
  }
  const found = await rec;
  if (!found) throw new Unroutable('unknown_installation', `event ${ev.id}: installation ${installationId} is not installed`);
  if (found.state === 'uninstalled') throw new Unroutable('uninstalled', `event ${ev.id}: installation ${installationId} was uninstalled`);
  return found;
}

async function processRecord(record: SQSRecord, deps: ProcessorDeps, batch: BatchState): Promise<RecordOutcome> {
  const ev = parsePartnerEvent(record.body);
  const eventType = eventTypeOf(ev);
  if (!eventType) throw new BadEventError(`event ${ev.id} has no event type (detail-type)`);
  const route = ROUTES[eventType];
  if (!route) throw new Unroutable('unknown_event_type', `event ${ev.id}: ${eventType} is not a documented Buy with Prime event type`);
  const ids = resourcesOf(ev);
  const eventId = idempotencyKeyOf(ev);
  const orderId = orderIdOf(ev);
  if (route === 'order' && !orderId) throw new BadEventError(`order event ${ev.id} (${eventType}) names no order (resources order/<id> or detail.data.order.id)`);
  if (route === 'personal_data_deletion' && !ids.personalDataDeletionTaskId) {
    throw new BadEventError(`event ${ev.id} (${eventType}) names no personalDataDeletionTask in its resources`);
  }
  const installation = await installationOf(ev, ids, deps, batch);
  const installationId = installation.installationId;
  const businessProductId = ids.businessProductId ?? installation.businessProductId;

  if (await deps.events.exists(eventId)) {
    deps.log.info('duplicate event skipped', { eventId, eventType, installationId });
    return 'duplicate';
  }
  const base = {
    eventId,
    sourceEventId: ev.id,
    eventType,
    installationId,
    businessProductId,
    eventTime: ev.time,
    processedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    detail: JSON.stringify(ev.detail),
    resources: ev.resources,
  };

  if (route === 'record') {
    const stored = await deps.events.putOnce(base);
    deps.log.info(stored ? 'event recorded' : 'duplicate event skipped', { eventId, eventType, installationId, resources: ev.resources });
    return stored ? 'stored' : 'duplicate';
  }

  const accessToken = await deps.tokens.getAccessToken(installationId);
  const auth = { accessToken, installationId, businessProductId };
  try {
    if (route === 'personal_data_deletion') {
      const taskId = ids.personalDataDeletionTaskId!;
      const res = await deps.graphql.query<PersonalDataDeletionTaskResult>(PERSONAL_DATA_DELETION_TASK_QUERY, { taskId }, auth);
      const email = res.personalDataDeletionTask?.dataSubject?.email;
      const deleted = email ? await deps.events.deleteSubject(email) : 0;
      // The event is recorded without the subject (its detail names only the task).
      const stored = await deps.events.putOnce(base);
      deps.log.info('personal data deleted', { eventId, installationId, taskId, deletedEvents: deleted, subjectKnown: !!email });
      return stored ? 'stored' : 'duplicate';
    }
    let store = batch.stores.get(installationId);
    if (!store) {
      store = deps.graphql.query<StoreResult>(STORE_QUERY, {}, auth);
      batch.stores.set(installationId, store);
      store.catch(() => batch.stores.delete(installationId));
    }
    const storeResult = await store;
    const res = await deps.graphql.query<OrderResult>(ORDER_QUERY, { orderId }, auth);
    if (!res.order) throw new GraphqlRequestError(`order ${orderId} was not found`, 200);
    const stored = await deps.events.putOnce({
      ...base,
      siteId: storeResult.buyWithPrimeStore?.siteId,
      widgetId: storeResult.buyWithPrimeStore?.widgetId,
      orderId,
      order: JSON.stringify(res.order),
    });
    deps.log.info(stored ? 'event stored' : 'duplicate event skipped', { eventId, eventType, installationId, orderId });
    return stored ? 'stored' : 'duplicate';
  } catch (err) {
    // A refused token may have been revoked or rotated elsewhere: read the store again next time.
    if (err instanceof GraphqlRequestError && err.unauthorized) deps.tokens.invalidate(installationId);
    throw err;
  }
}
