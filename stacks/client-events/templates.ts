/**
 * The API contract of the client-events REST API, kept apart from the stack so tests can render it:
 * the request model (JSON Schema draft 4), the integration request template that turns a request into an
 * EventBridge PutEvents call, the integration response template that turns PutEvents' answer into the API's answer,
 * and the EventBridge input transformer that turns a loyalty purchase into a Zendesk ticket.
 *
 * Request body (either entry form, 1-10 entries):
 *   {"entries": [{"entry": "{\"eventType\":\"shopping\",...}"}, {"entry": {"eventType": "purchase", ...}}]}
 * Answer: 200 `{"failedEntryCount":0,"entryCount":N,"eventIds":[...]}` when every entry was accepted; otherwise 400
 * (or 503 when a failure is retryable: throttling or an EventBridge internal failure)
 * `{"failedEntryCount":F,"entryCount":N,"failedEntries":[{"index":i,"errorCode":"...","errorMessage":"..."}]}`,
 * where `index` is the entry's position in the request.
 */

import { CLIENT_EVENTS_MAX_ENTRIES as MAX_ENTRIES, CLIENT_EVENTS_SOURCE, LOYALTY_PURCHASE_EVENT_TYPE } from '../../contracts/client-events.js';

/** EventBridge `source`, Zendesk event type and entries per request: contracts/client-events.ts. */
export { CLIENT_EVENTS_SOURCE, LOYALTY_PURCHASE_EVENT_TYPE, MAX_ENTRIES };
/** PutEvents error codes worth retrying: the API answers 503 when any failed entry has one. */
export const RETRYABLE_ERROR_CODES = ['ThrottlingException', 'InternalFailure', 'InternalException'] as const;

/**
 * PutEvents' limit on the total entry size of one call: 256 KB. EventBridge counts, per entry, the UTF-8 bytes of
 * Source, DetailType, Detail and each Resources item (plus 14 for Time, which the template never sets), and refuses
 * the whole call with a 4xx when the sum is over the limit
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
 */
export const MAX_PUT_EVENTS_BYTES = 262_144;
/** Longest string entry the request model accepts: a longer string cannot fit MAX_PUT_EVENTS_BYTES. */
export const MAX_STRING_ENTRY_CHARS = MAX_PUT_EVENTS_BYTES;

/** Stage variables the request template reads. */
export const STAGE_VARIABLES = { environment: 'environment', eventBusName: 'eventBusName' } as const;

/** Request model of POST /event (API Gateway validates bodies against it before anything else runs). */
export const REQUEST_MODEL_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'ClientEvents',
  type: 'object',
  required: ['entries'],
  additionalProperties: false,
  properties: {
    entries: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_ENTRIES,
      items: {
        type: 'object',
        required: ['entry'],
        additionalProperties: false,
        properties: {
          // A JSON object, or a string holding one (the original sample's format). A string longer than
          // MAX_STRING_ENTRY_CHARS is over PutEvents' 256 KB whatever it holds (every character is at least one
          // UTF-8 byte); object entries are measured by EventBridge itself (see INTEGRATION_CLIENT_ERROR_TEMPLATE).
          entry: { type: ['string', 'object'], minLength: 2, maxLength: MAX_STRING_ENTRY_CHARS },
        },
      },
    },
  },
} as const;

/**
 * Integration request template (application/json) -> PutEvents. Detail is the entry: a string entry is already a
 * JSON string literal (`$input.json` of a string starts with a quote) and is used as is; an object entry is
 * serialized and escaped into a string. escapeJavaScript also escapes single quotes (`\'`), which JSON does not
 * allow, so they are turned back. Resources carries the clientId the authorizer put into its context.
 */
export const PUT_EVENTS_REQUEST_TEMPLATE = [
  `#set($entries = $input.path('$.entries'))`,
  `{"Entries":[`,
  `#foreach($item in $entries)`,
  `#set($detail = $input.json("$.entries[$foreach.index].entry"))`,
  `{"Source":"${CLIENT_EVENTS_SOURCE}","DetailType":"$stageVariables.${STAGE_VARIABLES.environment}","EventBusName":"$stageVariables.${STAGE_VARIABLES.eventBusName}",` +
    `"Resources":["$util.escapeJavaScript($context.authorizer.clientId)"],` +
    `"Detail":#if($detail.startsWith('"'))$detail#else"$util.escapeJavaScript($detail).replaceAll("\\\\'","'")"#end}#if($foreach.hasNext),#end`,
  `#end`,
  `]}`,
].join('\n');

const retryableCondition = RETRYABLE_ERROR_CODES.map((c) => `$e.ErrorCode == '${c}'`).join(' || ');

/**
 * Integration response template for PutEvents' 200: when FailedEntryCount > 0 it overrides the method's status
 * (400, or 503 when a failure is retryable) and lists the failed entries with their index in the request.
 * `$!` renders nothing (instead of the reference's text) should an entry lack its error message. The separator is
 * written `${sep}` (formal reference): `$sep{` parses in Apache Velocity 1.7 but not in velocityjs (local emulators).
 */
export const PUT_EVENTS_RESPONSE_TEMPLATE = [
  `#set($failed = $input.path('$.FailedEntryCount'))`,
  `#set($results = $input.path('$.Entries'))`,
  `#if($failed > 0)`,
  `#set($status = 400)`,
  `#foreach($e in $results)`,
  `#if(${retryableCondition})`,
  `#set($status = 503)`,
  `#end`,
  `#end`,
  `#set($context.responseOverride.status = $status)`,
  `#set($sep = '')`,
  `{"failedEntryCount":$failed,"entryCount":$results.size(),"failedEntries":[` +
    `#foreach($e in $results)#if($e.ErrorCode)\${sep}{"index":$foreach.index,"errorCode":"$!util.escapeJavaScript($e.ErrorCode)",` +
    `"errorMessage":"$!util.escapeJavaScript($e.ErrorMessage).replaceAll("\\\\'","'")"}#set($sep = ',')#end#end]}`,
  `#else`,
  `{"failedEntryCount":0,"entryCount":$results.size(),"eventIds":[#foreach($e in $results)"$e.EventId"#if($foreach.hasNext),#end#end]}`,
  `#end`,
].join('\n');

/** Request headers a browser may send on POST /event (the preflight answers with them). */
export const CORS_ALLOW_HEADERS = 'Authorization,Content-Type';
export const CORS_ALLOW_METHODS = 'POST,OPTIONS';
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** A Java regular expression (String.matches: the whole string) for one configured origin. */
export function originPattern(origin: string): string {
  const escaped = origin.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  // "https://*.example.com": one or more subdomain labels in place of the "*".
  return escaped.replace('://*\\.', '://([a-z0-9-]+\\.)+');
}

/**
 * VTL for the top of every response template when CORS is on: answers with Access-Control-Allow-Origin only when
 * the request's Origin is one of `origins` (echoing it, with `Vary: Origin`), or `*` when that is the list.
 * Returns "" when `origins` is empty (CORS off).
 */
export function corsResponsePrelude(origins: readonly string[]): string {
  if (origins.length === 0) return '';
  if (origins.length === 1 && origins[0] === '*') return `#set($context.responseOverride.header.Access-Control-Allow-Origin = '*')\n`;
  const allowed = origins.map((o) => `$corsOrigin.matches('${originPattern(o)}')`).join(' || ');
  return [
    `#set($corsOrigin = "$!input.params('Origin')")`,
    `#if($corsOrigin == '')#set($corsOrigin = "$!input.params('origin')")#end`,
    `#if($corsOrigin != '' && (${allowed}))`,
    `#set($context.responseOverride.header.Access-Control-Allow-Origin = $corsOrigin)`,
    `#end`,
    `#set($context.responseOverride.header.Vary = 'Origin')`,
    '',
  ].join('\n');
}

/** Answer when EventBridge fails (5xx) or the stack's own setup is wrong (see SETUP_ERROR_TYPES) — no internals leak. */
export const INTEGRATION_ERROR_TEMPLATE = '{"message":"the events could not be forwarded; try again later","requestId":"$context.requestId"}';

/**
 * PutEvents errors (`__type` of a 4xx answer) that mean this stack's setup is wrong (role, policy, bus), not the
 * request: the client can do nothing about them, so they stay a 500 without internals. (Error types: the AWS JSON
 * protocol's common errors and PutEvents' own, https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonErrors.html.)
 */
export const SETUP_ERROR_TYPES = [
  'AccessDeniedException', 'ResourceNotFoundException', 'UnrecognizedClientException', 'InvalidSignatureException',
  'IncompleteSignature', 'MissingAuthenticationToken', 'InvalidClientTokenId', 'ExpiredTokenException', 'NotAuthorized',
  'OptInRequired', 'RequestExpired', 'InternalException',
] as const;
/** 4xx PutEvents errors worth a retry: answered 503. */
export const THROTTLING_ERROR_TYPES = ['ThrottlingException', 'LimitExceededException'] as const;

/** A Java regex (String.matches) for an error `__type`, which may carry a namespace before "#". */
const errorTypeRegex = (types: readonly string[]) => `(.*#)?(${types.join('|')})`;

/**
 * Integration response for a PutEvents call refused as a whole with a 4xx (e.g. `ValidationException` "Total size
 * of the entries in the request is over the limit."): the client's request is wrong, so the answer is 400 with
 * EventBridge's error type and message, never "try again later" (a retrying client would loop). Setup errors
 * (SETUP_ERROR_TYPES) become 500 and throttling 503, both without EventBridge's text.
 */
export const INTEGRATION_CLIENT_ERROR_TEMPLATE = [
  `#set($errorType = "$!input.path('$.__type')")`,
  `#set($errorMessage = "$!input.path('$.message')")`,
  `#if($errorMessage == '')#set($errorMessage = "$!input.path('$.Message')")#end`,
  `#if($errorType.matches('${errorTypeRegex(SETUP_ERROR_TYPES)}'))`,
  `#set($context.responseOverride.status = 500)`,
  INTEGRATION_ERROR_TEMPLATE,
  `#elseif($errorType.matches('${errorTypeRegex(THROTTLING_ERROR_TYPES)}'))`,
  `#set($context.responseOverride.status = 503)`,
  INTEGRATION_ERROR_TEMPLATE,
  `#else`,
  `{"message":"EventBridge refused the request: $util.escapeJavaScript($errorMessage).replaceAll("\\\\'","'")","errorCode":"$util.escapeJavaScript($errorType)","requestId":"$context.requestId"}`,
  `#end`,
].join('\n');

/** Gateway response for bodies the model refuses: names what is wrong. */
export const BAD_REQUEST_BODY_TEMPLATE = '{"message":$context.error.messageString,"validationErrors":"$context.error.validationErrorString"}';

/**
 * Loyalty purchase -> Zendesk ticket (`POST /api/v2/tickets.json`). The event's detail carries
 * `ticket: {subject, body}`; the ticket's external_id is the event id and its tags include the clientId. Placeholders that are not quoted take the JSON value (strings arrive quoted and escaped).
 */
export const ZENDESK_INPUT_TRANSFORMER = {
  inputPaths: {
    subject: '$.detail.ticket.subject',
    body: '$.detail.ticket.body',
    eventId: '$.id',
    clientId: '$.resources[0]',
  },
  inputTemplate:
    '{"ticket":{"subject":<subject>,"comment":{"body":<body>},"external_id":<eventId>,' +
    `"tags":["${CLIENT_EVENTS_SOURCE}","${LOYALTY_PURCHASE_EVENT_TYPE}",<clientId>]}}`,
} as const;

/**
 * The original sample's ticket shape: its generator puts the Zendesk request body itself in the detail
 * (`ticket: {ticket: {subject, comment: {body}}}`) and its rule sent `InputPath $.detail.ticket`. A second rule
 * routes that shape into the same ticket as ZENDESK_INPUT_TRANSFORMER builds.
 */
export const ZENDESK_SAMPLE_INPUT_TRANSFORMER = {
  inputPaths: {
    subject: '$.detail.ticket.ticket.subject',
    body: '$.detail.ticket.ticket.comment.body',
    eventId: '$.id',
    clientId: '$.resources[0]',
  },
  inputTemplate: ZENDESK_INPUT_TRANSFORMER.inputTemplate,
} as const;

type Pattern = Record<string, unknown>;
const present = [{ exists: true }];
const absent = [{ exists: false }];

/**
 * detail of a loyalty purchase: `eventType` is "loyaltypurchase", or there is no eventType and `analyticType` (the
 * sample's name for it) is. The transform applies the same alias.
 */
const LOYALTY_DETAIL: Pattern = {
  $or: [{ eventType: [LOYALTY_PURCHASE_EVENT_TYPE] }, { eventType: absent, analyticType: [LOYALTY_PURCHASE_EVENT_TYPE] }],
};

/** Event patterns of the client-events rules (EventBridge content filtering). */
export const RULE_PATTERNS = {
  /** Every client event -> Firehose. */
  all: { source: [CLIENT_EVENTS_SOURCE] },
  /** Loyalty purchases with `ticket: {subject, body}` -> Zendesk (ZENDESK_INPUT_TRANSFORMER). */
  loyalty: { source: [CLIENT_EVENTS_SOURCE], detail: { ...LOYALTY_DETAIL, ticket: { subject: present, body: present } } },
  /** Loyalty purchases with the sample's `ticket: {ticket: {subject, comment: {body}}}` -> Zendesk (ZENDESK_SAMPLE_INPUT_TRANSFORMER). */
  loyaltySample: {
    source: [CLIENT_EVENTS_SOURCE],
    detail: { ...LOYALTY_DETAIL, ticket: { ticket: { subject: present, comment: { body: present } } } },
  },
  /**
   * Loyalty purchases neither ticket rule matches (no ticket, or one missing its subject or body in both shapes):
   * with Zendesk on, a ticket was expected, so they are kept in a queue and alarmed rather than only stored in S3.
   * Not (A and B) and not (C and D) = (not A or not B) and (not C or not D), written as four alternatives.
   */
  loyaltyUnrouted: {
    source: [CLIENT_EVENTS_SOURCE],
    detail: {
      ...LOYALTY_DETAIL,
      ticket: {
        $or: [
          { subject: absent, ticket: { subject: absent } },
          { subject: absent, ticket: { comment: { body: absent } } },
          { body: absent, ticket: { subject: absent } },
          { body: absent, ticket: { comment: { body: absent } } },
        ],
      },
    },
  },
} as const satisfies Record<string, Pattern>;

/** Purpose segment of the Zendesk connection's name (shared by the stack and `npm run client-events:connect`). */
export { ZENDESK_CONNECTION_PURPOSE } from '../../contracts/client-events.js';

/**
 * Password the stack gives the Zendesk connection at creation: not a credential. Terraform then ignores
 * auth_parameters, and `npm run client-events:connect` sets the real ones from Secrets Manager.
 */
export const ZENDESK_PLACEHOLDER_PASSWORD = 'placeholder-run-npm-run-client-events-connect';
