/**
 * Buy with Prime events as Buy with Prime publishes them (documents.buywithprime.amazon.com/bwp-api/docs:
 * "Subscribe to Events", "Event Types" and each event's page):
 *
 * - thin EventBridge events: `detail-type` is the event type, `source` is
 *   `aws.partner/buywithprime/<partner event source name>`, `detail` is `{}` (older API versions) or the webhook
 *   body (`idempotencyKey`, `eventDescriptor`, `eventId`, `apiVersion`, `subscriptionId`, `eventTime`, `data`);
 * - `resources` holds key/value paths that start with `businessProduct/<businessProductId>/`, followed by resource
 *   types and ids: `.../order/<orderId>`, `.../order/<orderId>/refund/<refundId>`, `.../order/<orderId>/return/<id>`,
 *   `.../order/<orderId>/delivery/<id>`, `.../items/<itemId>`, `.../carrier/<code>/tracker/<number>`,
 *   `.../personalDataDeletionTask/<taskId>`.
 *
 * This module reads those paths and decides how each documented type is handled (ROUTES).
 */
import { BWP_EVENTS_TABLE_TTL } from '../../../contracts/buy-with-prime.js';

/** TTL attribute of the events table (epoch seconds); shared with the stack (contracts/buy-with-prime.ts). */
export const EVENTS_TABLE_TTL = BWP_EVENTS_TABLE_TTL;

/** How the processor handles an event type. */
export type Route =
  /** Query the order named by the event (and the store), then store the event with the order. */
  | 'order'
  /** Store the event as received (no API call): catalog, tracker and privacy-task notices. */
  | 'record'
  /** Delete the stored data of the task's data subject, then record the event. */
  | 'personal_data_deletion';

/** Every documented event type (current names and the deprecated ones older API versions publish). */
export const ROUTES: Readonly<Record<string, Route>> = {
  ORDER_CONFIRMED: 'order',
  REFUND_REQUESTED: 'order',
  REFUND_COMPLETED: 'order',
  RETURN_STARTED: 'order',
  RETURN_COMPLETED: 'order',
  RETURN_PACKAGE_DELIVERED: 'order',
  RETURN_PACKAGE_DELIVERY_FAILED: 'order',
  RETURN_PACKAGE_IN_TRANSIT: 'order',
  RETURN_ITEM_GRADED: 'order',
  PACKAGE_DELIVERED: 'order',
  PACKAGE_DELIVERY_CANCELLED: 'order',
  PACKAGE_DELIVERY_IN_TRANSIT: 'order',
  // Deprecated names (API version 2024-01-01 and earlier).
  DELIVERY_COMPLETED: 'order',
  DELIVERY_CANCELLED: 'order',
  DELIVERY_IN_TRANSIT: 'order',
  RETURN_DELIVERY_COMPLETED: 'order',
  RETURN_DELIVERY_FAILED: 'order',
  RETURN_DELIVERY_IN_TRANSIT: 'order',
  ITEM_DELIVERED: 'order',
  ITEM_CANCELLED: 'order',
  ITEM_IN_TRANSIT: 'order',
  BUYABILITY_CHANGED: 'record',
  INVENTORY_CHANGED: 'record',
  PACKAGE_TRACKER_MILESTONE_CHANGED: 'record',
  PERSONAL_DATA_DELETION_TASK_FAILED: 'record',
  PERSONAL_DATA_RETRIEVAL_TASK_COMPLETED: 'record',
  PERSONAL_DATA_RETRIEVAL_TASK_FAILED: 'record',
  PERSONAL_DATA_DELETION_TASK_COMPLETED: 'personal_data_deletion',
};

/** The documented event types a stack subscribes to by default (one rule each). */
export const DEFAULT_EVENT_TYPES = [
  'ORDER_CONFIRMED', 'REFUND_REQUESTED', 'REFUND_COMPLETED', 'RETURN_STARTED', 'RETURN_COMPLETED',
  'PACKAGE_DELIVERED', 'PACKAGE_DELIVERY_CANCELLED', 'PERSONAL_DATA_DELETION_TASK_COMPLETED',
] as const;

/** The ids named by an event's resources, by resource type (first occurrence wins). */
export interface ResourceIds {
  readonly businessProductId?: string;
  readonly orderId?: string;
  readonly refundId?: string;
  readonly returnId?: string;
  readonly deliveryId?: string;
  readonly itemId?: string;
  readonly personalDataDeletionTaskId?: string;
  readonly personalDataRetrievalTaskId?: string;
  /** Every key/value pair of every path. */
  readonly all: Readonly<Record<string, string>>;
}

const KEYS: Record<string, keyof Omit<ResourceIds, 'all'>> = {
  businessProduct: 'businessProductId',
  order: 'orderId',
  refund: 'refundId',
  return: 'returnId',
  delivery: 'deliveryId',
  items: 'itemId',
  item: 'itemId',
  personalDataDeletionTask: 'personalDataDeletionTaskId',
  personalDataRetrievalTask: 'personalDataRetrievalTaskId',
};

/** Reads `businessProduct/<id>/<type>/<id>/...` paths (key/value pairs separated by slashes). */
export function resourceIds(resources: readonly string[]): ResourceIds {
  const out: Record<string, string> = {};
  const all: Record<string, string> = {};
  for (const path of resources) {
    const parts = path.split('/');
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const key = parts[i];
      const value = parts[i + 1];
      if (!key || !value) continue;
      all[key] ??= value;
      const field = KEYS[key];
      if (field) out[field] ??= value;
    }
  }
  return { ...out, all };
}
