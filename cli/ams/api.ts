/**
 * Amazon Marketing Stream subscription API client (Amazon Ads API, media type
 * application/vnd.amazonmarketingstreamsubscriptions.v1+json):
 *
 *   POST /streams/subscriptions            create (sponsored-ads datasets)   body {dataSetId, destination, notes?, clientRequestToken}
 *   GET  /streams/subscriptions            list, ?maxResults=&startingToken= -> {subscriptions, nextToken?}
 *   GET  /streams/subscriptions/{id}       get
 *   PUT  /streams/subscriptions/{id}       update {status?: "ARCHIVED", notes?}
 *   /dsp/streams/subscriptions[...]         the same for DSP (adsp-*) datasets, with the Amazon-Ads-Account-ID header
 *
 * Contract: Amazon's OpenAPI spec of the subscription API (copy with source note in __tests__/fixtures/ams/); the
 * tests validate every request this client sends against it.
 *
 * Every request carries Amazon-Advertising-API-ClientId, Authorization: Bearer and, when a profile is configured,
 * Amazon-Advertising-API-Scope. A 401 refreshes the access token once and retries.
 */
import { createHash } from 'node:crypto';
import { AMS_REGIONS, dataset as datasetInfo, type AdvertisingRegion } from '../../contracts/ams.js';
import type { TokenProvider } from './auth.js';
import type { AdsCredentials } from './credentials.js';
import { ApiError, AuthError, ConfigurationError } from './errors.js';
import { requestWithRetry, type HttpOptions } from './http.js';

export const SUBSCRIPTIONS_MEDIA_TYPE = 'application/vnd.amazonmarketingstreamsubscriptions.v1+json';
/**
 * The DSP advertiser account header of /dsp/streams/subscriptions, as Amazon's OpenAPI spec names it (required
 * there). Not `Amazon-Ads-AccountId`, which is the optional account header of the sponsored-ads /streams paths.
 */
export const DSP_ACCOUNT_HEADER = 'Amazon-Ads-Account-ID';

export const SUBSCRIPTION_STATUSES = [
  'PROVISIONING', 'PENDING_CONFIRMATION', 'ACTIVE', 'ARCHIVED', 'FAILED_CONFIRMATION', 'FAILED_PROVISIONING', 'SUSPENDED',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** States in which a subscription delivers or is on its way to delivering: never create a second one. */
export const LIVE_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'PENDING_CONFIRMATION', 'PROVISIONING']);

export interface SqsDestination {
  readonly sqsDestination: { readonly queueArn: string };
}
export interface FirehoseDestination {
  readonly firehoseDestination: {
    readonly deliveryStreamArn: string;
    readonly subscriberRoleArn: string;
    readonly subscriptionRoleArn: string;
  };
}
export type Destination = SqsDestination | FirehoseDestination;

export interface Subscription {
  readonly subscriptionId: string;
  readonly dataSetId: string;
  readonly status: string;
  readonly destination?: Partial<SqsDestination & FirehoseDestination>;
  readonly destinationArn?: string;
  readonly notes?: string;
  readonly clientRequestToken?: string;
  readonly createdDate?: string;
  readonly updatedDate?: string;
  readonly statusDetails?: string;
  readonly [k: string]: unknown;
}

const PARTITION = 'arn:aws(?:-[a-z]+)*';
/** Destination ARNs; the first group of sqs/firehose is the AWS region. */
export const ARN_PATTERNS = {
  sqs: new RegExp(`^${PARTITION}:sqs:([a-z0-9-]+):(\\d{12}):[A-Za-z0-9_-]{1,80}(?:\\.fifo)?$`),
  firehose: new RegExp(`^${PARTITION}:firehose:([a-z0-9-]+):(\\d{12}):deliverystream/[A-Za-z0-9_.-]{1,64}$`),
  role: new RegExp(`^${PARTITION}:iam::(\\d{12}):role/[\\w+=,.@/-]{1,512}$`),
} as const;
export const ARN_KINDS: Readonly<Record<keyof typeof ARN_PATTERNS, string>> = {
  sqs: 'an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)',
  firehose: 'a Firehose delivery stream ARN (arn:aws:firehose:<region>:<account>:deliverystream/<name>)',
  role: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
};

/** The destination ARN of a subscription whichever way the API reports it. */
export function destinationArnOf(s: Pick<Subscription, 'destination' | 'destinationArn'>): string | undefined {
  return s.destination?.sqsDestination?.queueArn ?? s.destination?.firehoseDestination?.deliveryStreamArn ?? s.destinationArn;
}

export function isDsp(dataSetId: string): boolean {
  try {
    return datasetInfo(dataSetId).family === 'dsp';
  } catch {
    return dataSetId.startsWith('adsp-');
  }
}

/**
 * A client request token (22-36 characters, UUID-shaped) derived from everything that identifies the wanted
 * subscription, so re-running the same create returns the same subscription instead of a duplicate. `generation`
 * distinguishes a replacement for a subscription that can no longer deliver (e.g. the ids of the dead ones).
 */
export function deriveClientRequestToken(parts: {
  scope: string;
  region: AdvertisingRegion;
  dataSetId: string;
  destinationArn: string;
  generation?: string;
}): string {
  const h = createHash('sha256')
    .update(['tributary-ams-v1', parts.scope, parts.region, parts.dataSetId, parts.destinationArn, parts.generation ?? ''].join('\n'))
    .digest('hex');
  // RFC 4122 shape, version 5-like nibble and variant bits so it reads as a GUID.
  const v = `5${h.slice(13, 16)}`;
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16) + h.slice(17, 20);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${v}-${variant}-${h.slice(20, 32)}`;
}

export interface AdsApiOptions {
  readonly creds: AdsCredentials;
  readonly tokens: TokenProvider;
  readonly http: HttpOptions;
  /** Overrides every region's API host (tests, proxies), e.g. http://127.0.0.1:1234; `{region}` becomes na/eu/fe. */
  readonly endpoint?: string;
  /** DSP advertiser account (overrides the credentials' ads_account_id). */
  readonly adsAccountId?: string;
  /** Page size for list (1-5000). Default 500. */
  readonly pageSize?: number;
}

export interface CreateInput {
  readonly region: AdvertisingRegion;
  readonly dataSetId: string;
  readonly destination: Destination;
  readonly notes?: string;
  readonly clientRequestToken: string;
}

/** Pulls a readable message out of an Ads API error body ({code, details} or {message} shapes). */
export function apiMessage(text: string): { code?: string; message?: string } {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const str = (k: string) => (typeof j[k] === 'string' ? (j[k] as string) : undefined);
    const nested = Array.isArray(j.errors) && j.errors[0] && typeof j.errors[0] === 'object' ? (j.errors[0] as Record<string, unknown>) : undefined;
    return {
      code: str('code') ?? (typeof nested?.code === 'string' ? nested.code : undefined),
      message: str('details') ?? str('message') ?? str('description') ?? (typeof nested?.message === 'string' ? nested.message : undefined),
    };
  } catch {
    const t = text.trim();
    return { message: t && t.length < 300 && !t.startsWith('<') ? t : undefined };
  }
}

export class AdsApi {
  /** Requests sent to the Ads API (not the token endpoint), for tests. */
  requests = 0;

  constructor(private readonly opts: AdsApiOptions) {}

  hostFor(region: AdvertisingRegion): string {
    const base = this.opts.endpoint ? this.opts.endpoint.replaceAll('{region}', region.toLowerCase()) : AMS_REGIONS[region].apiHost;
    return base.replace(/\/+$/, '');
  }

  private headers(dsp: boolean, token: string, withBody: boolean): Record<string, string> {
    const h: Record<string, string> = {
      'Amazon-Advertising-API-ClientId': this.opts.creds.clientId,
      Authorization: `Bearer ${token}`,
      Accept: SUBSCRIPTIONS_MEDIA_TYPE,
    };
    if (withBody) h['Content-Type'] = SUBSCRIPTIONS_MEDIA_TYPE;
    if (this.opts.creds.profileId) h['Amazon-Advertising-API-Scope'] = this.opts.creds.profileId;
    if (dsp) {
      const account = this.opts.adsAccountId ?? this.opts.creds.adsAccountId;
      if (!account) {
        throw new ConfigurationError(
          `DSP (adsp-*) subscriptions need the DSP advertiser account id: pass --ads-account-id, set AD_API_ADS_ACCOUNT_ID, ` +
            `or add ads_account_id to account "${this.opts.creds.account}" in ${this.opts.creds.source}`,
        );
      }
      h[DSP_ACCOUNT_HEADER] = account;
    } else if (!this.opts.creds.profileId) {
      throw new ConfigurationError(
        `sponsored-ads subscriptions need an advertising profile: add profile_id to account "${this.opts.creds.account}" ` +
          `in ${this.opts.creds.source} or set AD_API_PROFILE_ID`,
      );
    }
    return h;
  }

  private async call(
    region: AdvertisingRegion,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    dsp: boolean,
    body?: unknown,
    what = 'request',
  ): Promise<unknown> {
    const url = `${this.hostFor(region)}${dsp ? '/dsp' : ''}${path}`;
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.tokens.accessToken(region, attempt > 1);
      this.requests++;
      const res = await requestWithRetry(
        url,
        { method, headers: this.headers(dsp, token, body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) },
        this.opts.http,
      );
      if (res.status === 401 && attempt === 1) continue; // refresh the access token once
      if (res.status >= 200 && res.status < 300) {
        if (!res.text.trim()) return {};
        try {
          return JSON.parse(res.text) as unknown;
        } catch {
          throw new ApiError(`${what}: the Ads API answered HTTP ${res.status} with a body that is not JSON`, res.status);
        }
      }
      const { code, message } = apiMessage(res.text);
      const detail = `${code ? `${code}: ` : ''}${message ?? 'no message'}`;
      const where = `${region} (${new URL(url).host}${dsp ? ', DSP' : ''})`;
      if (res.status === 401) {
        throw new AuthError(
          `${what}: the Ads API rejected the access token in ${where} even after a refresh (HTTP 401, ${detail}). ` +
            `The refresh token of account "${this.opts.creds.account}" may belong to another client_id, or lack Amazon Ads API access.`,
          401,
        );
      }
      if (res.status === 403) {
        throw new AuthError(
          `${what}: forbidden in ${where} (HTTP 403, ${detail}). Check that profile ${this.opts.creds.profileId ?? '(none)'}` +
            `${dsp ? ` / DSP account ${this.opts.adsAccountId ?? this.opts.creds.adsAccountId}` : ''} belongs to this region and that the login has access to it.`,
          403,
        );
      }
      if (res.status === 404) {
        throw new ApiError(`${what}: not found in ${where} (HTTP 404, ${detail}). Is it in another region (--region) or ${dsp ? 'not a DSP subscription (drop --dsp)' : 'a DSP subscription (--dsp)'}?`, 404, code);
      }
      if (res.status === 400 || res.status === 422 || res.status === 409) {
        throw new ApiError(`${what}: the Ads API refused the request in ${where} (HTTP ${res.status}): ${detail}`, res.status, code);
      }
      if (res.status === 429 || res.status >= 500) {
        throw new ApiError(`${what}: the Ads API kept answering HTTP ${res.status} in ${where} after retries (${detail}); try again later`, res.status, code);
      }
      throw new ApiError(`${what}: unexpected HTTP ${res.status} from ${where}: ${detail}`, res.status, code);
    }
  }

  async create(input: CreateInput): Promise<{ subscriptionId: string; clientRequestToken: string }> {
    const body: Record<string, unknown> = {
      clientRequestToken: input.clientRequestToken,
      dataSetId: input.dataSetId,
      destination: input.destination,
    };
    if (input.notes) body.notes = input.notes;
    const res = (await this.call(input.region, 'POST', '/streams/subscriptions', isDsp(input.dataSetId), body, `create ${input.dataSetId}`)) as Record<string, unknown>;
    if (typeof res.subscriptionId !== 'string') throw new ApiError(`create ${input.dataSetId}: the response has no subscriptionId`);
    return { subscriptionId: res.subscriptionId, clientRequestToken: typeof res.clientRequestToken === 'string' ? res.clientRequestToken : input.clientRequestToken };
  }

  async get(region: AdvertisingRegion, subscriptionId: string, dsp: boolean): Promise<Subscription> {
    const res = (await this.call(region, 'GET', `/streams/subscriptions/${encodeURIComponent(subscriptionId)}`, dsp, undefined, `get ${subscriptionId}`)) as Record<string, unknown>;
    const sub = (res.subscription && typeof res.subscription === 'object' ? res.subscription : res) as Subscription;
    if (typeof sub.subscriptionId !== 'string') throw new ApiError(`get ${subscriptionId}: the response has no subscription`);
    return sub;
  }

  /** Every subscription of the region (one family), following nextToken to the last page. */
  async listAll(region: AdvertisingRegion, dsp: boolean): Promise<Subscription[]> {
    const out: Subscription[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 1; ; page++) {
      const q = new URLSearchParams({ maxResults: String(this.opts.pageSize ?? 500) });
      if (token) q.set('startingToken', token);
      const res = (await this.call(region, 'GET', `/streams/subscriptions?${q}`, dsp, undefined, 'list subscriptions')) as Record<string, unknown>;
      if (!Array.isArray(res.subscriptions)) throw new ApiError('list subscriptions: the response has no "subscriptions" list');
      out.push(...(res.subscriptions as Subscription[]));
      const next = typeof res.nextToken === 'string' && res.nextToken ? res.nextToken : undefined;
      if (!next) return out;
      if (seen.has(next) || page >= 10_000) throw new ApiError('list subscriptions: the API repeated a nextToken; stopping instead of looping');
      seen.add(next);
      token = next;
    }
  }

  async update(region: AdvertisingRegion, subscriptionId: string, dsp: boolean, change: { status?: 'ARCHIVED'; notes?: string }): Promise<void> {
    await this.call(region, 'PUT', `/streams/subscriptions/${encodeURIComponent(subscriptionId)}`, dsp, change, `update ${subscriptionId}`);
  }
}
