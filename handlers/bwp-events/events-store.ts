/**
 * The processed-events table: one item per partner event, keyed by its idempotency key (the event's
 * `detail.idempotencyKey`, else the EventBridge event id). Writes are conditional puts, so a redelivered event
 * (SQS at-least-once delivery, a redrive from the DLQ) is stored once.
 */
import {
  ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export const EVENTS_TABLE_KEY = 'event_id';

export interface ProcessedEvent {
  readonly eventId: string;
  readonly sourceEventId: string;
  readonly eventType: string;
  readonly installationId: string;
  readonly eventTime: string;
  readonly processedAt: string;
  readonly siteId?: string;
  readonly widgetId?: string;
  readonly orderId?: string;
  /** The order as the API returned it, JSON. */
  readonly order?: string;
  /** The event detail, JSON. */
  readonly detail: string;
}

export class EventsStore {
  constructor(
    private readonly ddb: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async exists(eventId: string): Promise<boolean> {
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [EVENTS_TABLE_KEY]: { S: eventId } }, ProjectionExpression: '#k', ExpressionAttributeNames: { '#k': EVENTS_TABLE_KEY } }),
    );
    return !!out.Item;
  }

  /** Stores `ev` unless an item with its id exists. Returns false for a duplicate. */
  async putOnce(ev: ProcessedEvent): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      [EVENTS_TABLE_KEY]: { S: ev.eventId },
      source_event_id: { S: ev.sourceEventId },
      event_type: { S: ev.eventType },
      installation_id: { S: ev.installationId },
      event_time: { S: ev.eventTime },
      processed_at: { S: ev.processedAt },
      detail: { S: ev.detail },
    };
    if (ev.siteId) item.site_id = { S: ev.siteId };
    if (ev.widgetId) item.widget_id = { S: ev.widgetId };
    if (ev.orderId) item.order_id = { S: ev.orderId };
    if (ev.order) item.order_json = { S: ev.order };
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
      if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}
