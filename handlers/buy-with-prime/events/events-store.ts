/**
 * The processed-events table: one item per partner event, keyed by its idempotency key (the event's
 * `detail.idempotencyKey`, else the EventBridge event id). Writes are conditional puts, so a redelivered event
 * (SQS at-least-once delivery, a redrive from the DLQ) is stored once.
 *
 * Stored raw event details can hold shopper data (the 2024-11-01 event body carries `data.order.customer`), so
 * every item gets an `expires_at` TTL (config `eventRetentionDays`), and every e-mail address found in a stored
 * event is indexed as `subject#<sha256(lower-case e-mail)>` -> the ids of the events that name it. A
 * PERSONAL_DATA_DELETION_TASK_COMPLETED event deletes the events of its data subject through that index.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand,
  type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

import { EVENTS_TABLE_TTL } from './routing.js';

export { EVENTS_TABLE_TTL };
export const EVENTS_TABLE_KEY = 'event_id';

export interface ProcessedEvent {
  readonly eventId: string;
  readonly sourceEventId: string;
  readonly eventType: string;
  readonly installationId: string;
  readonly eventTime: string;
  readonly processedAt: string;
  readonly businessProductId?: string;
  readonly siteId?: string;
  readonly widgetId?: string;
  readonly orderId?: string;
  /** The order as the API returned it, JSON. */
  readonly order?: string;
  /** The event detail, JSON. */
  readonly detail: string;
  /** The event's resources paths. */
  readonly resources?: readonly string[];
}

/** sha256 of a lower-cased, trimmed e-mail address: how data subjects are indexed (the address is not stored). */
export function subjectHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase(), 'utf8').digest('hex');
}

/** Every string value under a key named "email" (any depth). */
export function emailsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) emailsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.toLowerCase() === 'email' && typeof v === 'string' && v.includes('@')) out.add(v);
      else emailsIn(v, out);
    }
  }
  return out;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export class EventsStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    readonly tableName: string,
    /** Days a stored event is kept (DynamoDB TTL). Default 90. */
    readonly retentionDays = 90,
    private readonly now: () => number = Date.now,
  ) {}

  private expiresAt(): AttributeValue {
    return { N: String(Math.floor(this.now() / 1000) + this.retentionDays * 86_400) };
  }

  async exists(eventId: string): Promise<boolean> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [EVENTS_TABLE_KEY]: { S: eventId } }, ProjectionExpression: '#k', ExpressionAttributeNames: { '#k': EVENTS_TABLE_KEY } }),
    );
    return !!out.Item;
  }

  /** Stores `ev` unless an item with its id exists, and indexes the e-mail addresses it names. Returns false for a duplicate. */
  async putOnce(ev: ProcessedEvent): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      [EVENTS_TABLE_KEY]: { S: ev.eventId },
      source_event_id: { S: ev.sourceEventId },
      event_type: { S: ev.eventType },
      installation_id: { S: ev.installationId },
      event_time: { S: ev.eventTime },
      processed_at: { S: ev.processedAt },
      detail: { S: ev.detail },
      [EVENTS_TABLE_TTL]: this.expiresAt(),
    };
    if (ev.businessProductId) item.business_product_id = { S: ev.businessProductId };
    if (ev.siteId) item.site_id = { S: ev.siteId };
    if (ev.widgetId) item.widget_id = { S: ev.widgetId };
    if (ev.orderId) item.order_id = { S: ev.orderId };
    if (ev.order) item.order_json = { S: ev.order };
    if (ev.resources?.length) item.resources = { L: ev.resources.map((r) => ({ S: r })) };
    // Index the data subjects first: an event is never stored without its index entry.
    const subjects = [...new Set([...emailsIn(safeParse(ev.detail)), ...emailsIn(safeParse(ev.order))].map(subjectHash))];
    for (const hash of subjects) {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [EVENTS_TABLE_KEY]: { S: `subject#${hash}` } },
          UpdateExpression: 'ADD event_ids :id SET #ttl = :exp',
          ExpressionAttributeNames: { '#ttl': EVENTS_TABLE_TTL },
          ExpressionAttributeValues: { ':id': { SS: [ev.eventId] }, ':exp': this.expiresAt() },
        }),
      );
    }
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#k)',
          ExpressionAttributeNames: { '#k': EVENTS_TABLE_KEY },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Deletes every stored event that names the data subject with this e-mail, and the subject's index entry. Returns the count. */
  async deleteSubject(email: string): Promise<number> {
    const key = { [EVENTS_TABLE_KEY]: { S: `subject#${subjectHash(email)}` } };
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    const ids = out.Item?.event_ids?.SS ?? [];
    for (const id of ids) {
      await this.ddb.send(new DeleteItemCommand({ TableName: this.tableName, Key: { [EVENTS_TABLE_KEY]: { S: id } } }));
    }
    await this.ddb.send(new DeleteItemCommand({ TableName: this.tableName, Key: key }));
    return ids.length;
  }
}

function safeParse(json: string | undefined): unknown {
  if (!json) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
