/**
 * The client event as it travels through the pipeline (shared by the transform Lambda, the generator, tests and
 * the bench). A client sends entries to `POST /event`; the API's mapping template turns each entry into an
 * EventBridge PutEvents entry (Source `clientevents`, DetailType = the environment, Resources = [clientId from
 * the authorizer], Detail = the entry's JSON object). The Firehose rule delivers whole EventBridge events, whose
 * `detail` is that object.
 */
import {
  CLIENT_EVENTS_MAX_ENTRIES, CLIENT_EVENTS_SOURCE, LOYALTY_PURCHASE_EVENT_TYPE,
  PROCESSING_FAILED_LOG_MESSAGE as CONTRACT_PROCESSING_FAILED_LOG_MESSAGE,
} from '../../../contracts/client-events.js';

/** Event types the generator sends; the pipeline accepts any type that matches EVENT_TYPE_PATTERN. */
export const EVENT_TYPES = ['shopping', 'searching', 'paging', 'purchase', LOYALTY_PURCHASE_EVENT_TYPE] as const;
export type KnownEventType = (typeof EVENT_TYPES)[number];

/** detail.eventType: becomes an S3 prefix (dynamic partitioning), so it is kept to a safe alphabet. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** detail.schemaVersion (optional): also an S3 prefix. */
export const SCHEMA_VERSION_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
/**
 * The original sample's name for eventType (its events/event.json sends `analyticType`): used as the event type when
 * `eventType` is absent. The transform then writes `eventType` too (the S3 partition reads it).
 */
export const EVENT_TYPE_ALIAS = 'analyticType';
/** Message of the transform's per-record ProcessingFailed log line, counted by the stack's metric filter (contracts/). */
export const PROCESSING_FAILED_LOG_MESSAGE = CONTRACT_PROCESSING_FAILED_LOG_MESSAGE;
/** schemaVersion written when the client sent none, so every object lands under a schemaVersion= prefix. */
export const UNVERSIONED = 'unversioned';
/** EventBridge `source` the API's mapping template sets (contracts/client-events.ts). */
export const EVENT_SOURCE = CLIENT_EVENTS_SOURCE;
/** Entries per `POST /event` request (contracts/client-events.ts: the API's request model and PutEvents allow 1 to 10). */
export const MAX_ENTRIES = CLIENT_EVENTS_MAX_ENTRIES;

/** The ticket a loyalty purchase carries (used by the Zendesk API destination's input transformer). */
export interface LoyaltyTicket {
  subject: string;
  body: string;
  requesterEmail?: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
}

/** What a client puts in one entry (the EventBridge detail). */
export interface ClientEventDetail {
  eventType: string;
  /** A string, or a number (the original sample's form), stored as its string form. */
  schemaVersion?: string | number;
  ticket?: LoyaltyTicket;
  [field: string]: unknown;
}

/** Request body of `POST /event`: `entry` is the detail as a JSON string (the sample's form) or as an object. */
export interface EventRequestBody {
  entries: { entry: string | ClientEventDetail }[];
}

/** An EventBridge event as the rule target (Firehose) receives it. */
export interface EventBridgeEvent {
  version?: string;
  id?: string;
  'detail-type'?: string;
  source?: string;
  account?: string;
  time?: string;
  region?: string;
  resources?: unknown[];
  detail?: unknown;
  [key: string]: unknown;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
