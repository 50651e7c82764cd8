/**
 * A small client for the Buy with Prime GraphQL API ("Call the Buy with Prime API",
 * documents.buywithprime.amazon.com/bwp-api/docs/call-the-buy-with-prime-api): HTTPS POST with
 * `Authorization: Bearer`, `Content-Type: application/json`, `x-api-target-id` (the business product id) and
 * `x-api-version` (pinned from config, e.g. 2024-11-01); plus the sample's `x-omni-installationid`.
 *
 * A GraphQL `errors` array is a failure even with data. Errors are classified by Buy with Prime's documented error
 * types (`extensions.classification.type`, else `extensions.errorType` / `errorType` / `extensions.code`):
 * ThrottlingError (and HTTP 429/503) is retried with exponential backoff and full jitter, honouring Retry-After;
 * InternalServerError (and HTTP 500/502/504) is retried the same way; AccessDeniedError (even with HTTP 200) and
 * HTTP 401/403 mark the token as refused, so the caller drops its cached token.
 */
import { backoffMs } from '../../shared/backoff.js';

export interface GraphqlError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Record<string, unknown>;
  readonly errorType?: string;
}

export class GraphqlRequestError extends Error {
  override readonly name = 'GraphqlRequestError';
  constructor(
    message: string,
    readonly status: number,
    readonly errors: readonly GraphqlError[] = [],
  ) {
    super(message);
  }
  /** 401/403, or an AccessDeniedError: the token was refused (or lacks the permission). */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403 || this.errors.some((e) => errorTypeOf(e) === 'AccessDeniedError');
  }
  /** The documented error types of the response's errors. */
  get errorTypes(): string[] {
    return [...new Set(this.errors.map(errorTypeOf).filter((t): t is string => !!t))];
  }
}

/** Still throttled after every attempt. */
export class ThrottledError extends Error {
  override readonly name = 'ThrottledError';
  constructor(readonly attempts: number) {
    super(`the Buy with Prime API kept throttling after ${attempts} attempts`);
  }
}

export interface GraphqlClientOptions {
  readonly endpoint: string;
  /** Attempts per request, including the first. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff ceiling, ms. Default 200; doubles per attempt up to maxDelayMs. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Per-request timeout, ms. Default 10000. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** The `x-api-version` header. Default DEFAULT_API_VERSION. */
  readonly apiVersion?: string;
}

/** Buy with Prime's documented error types (the troubleshooting pages of each interface). */
export const BWP_ERROR_TYPES = ['AccessDeniedError', 'ConflictError', 'InternalServerError', 'ResourceNotFoundError', 'ThrottlingError', 'ValidationError'] as const;

const THROTTLE_CODES = new Set(['THROTTLINGERROR', 'THROTTLED', 'THROTTLING', 'THROTTLINGEXCEPTION', 'TOO_MANY_REQUESTS', 'RATE_LIMITED', 'LIMIT_EXCEEDED']);
const SERVER_CODES = new Set(['INTERNALSERVERERROR', 'INTERNALSERVEREXCEPTION', 'INTERNAL_SERVER_ERROR']);

/** The error's type: `extensions.classification.type` (documented), else `extensions.errorType`, `errorType`, `extensions.code`. */
export function errorTypeOf(e: GraphqlError): string | undefined {
  const classification = e.extensions?.classification as Record<string, unknown> | undefined;
  const t = classification?.type ?? e.extensions?.errorType ?? e.errorType ?? classification?.errorType ?? e.extensions?.code;
  return typeof t === 'string' && t ? t : undefined;
}

function isThrottleError(e: GraphqlError): boolean {
  return THROTTLE_CODES.has(String(errorTypeOf(e) ?? '').toUpperCase());
}

function isServerError(e: GraphqlError): boolean {
  return SERVER_CODES.has(String(errorTypeOf(e) ?? '').toUpperCase());
}

/** The API version pinned when the config names none (documented webhook bodies carry apiVersion 2024-11-01). */
export const DEFAULT_API_VERSION = '2024-11-01';

export class GraphqlClient {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Attempts that were throttled (for metrics and tests). */
  throttledAttempts = 0;
  /** Attempts answered with an InternalServerError / HTTP 5xx and retried. */
  serverErrorAttempts = 0;

  constructor(private readonly opts: GraphqlClientOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

  async query<T>(query: string, variables: Record<string, unknown>, auth: { accessToken: string; installationId: string; businessProductId?: string }): Promise<T> {
    const maxAttempts = this.opts.maxAttempts ?? 5;
    const base = this.opts.baseDelayMs ?? 200;
    const cap = this.opts.maxDelayMs ?? 5_000;
    for (let attempt = 1; ; attempt++) {
      const res = await this.fetch(this.opts.endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${auth.accessToken}`,
          'x-omni-installationid': auth.installationId,
          ...(auth.businessProductId ? { 'x-api-target-id': auth.businessProductId } : {}),
          'x-api-version': this.opts.apiVersion ?? DEFAULT_API_VERSION,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      let body: { data?: T; errors?: GraphqlError[] } | undefined;
      const text = await res.text();
      try {
        body = text ? (JSON.parse(text) as typeof body) : undefined;
      } catch {
        body = undefined;
      }
      const errors = Array.isArray(body?.errors) ? body!.errors : [];
      const throttled = res.status === 429 || res.status === 503 || errors.some(isThrottleError);
      const serverError = !throttled && (res.status === 500 || res.status === 502 || res.status === 504 || errors.some(isServerError));
      if (serverError && attempt < maxAttempts) {
        this.serverErrorAttempts++;
        await this.sleep(backoffMs(attempt, base, cap, this.random));
        continue;
      }
      if (throttled) {
        this.throttledAttempts++;
        if (attempt >= maxAttempts) throw new ThrottledError(attempt);
        const retryAfter = Number(res.headers.get('retry-after'));
        const backoff = backoffMs(attempt, base, cap, this.random);
        await this.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, cap) : backoff);
        continue;
      }
      if (!res.ok) {
        throw new GraphqlRequestError(`the Buy with Prime API answered HTTP ${res.status}`, res.status, errors);
      }
      if (errors.length > 0) {
        const summary = errors.map((e) => `${errorTypeOf(e) ? `${errorTypeOf(e)}: ` : ''}${e.message}`).slice(0, 3).join('; ');
        throw new GraphqlRequestError(`the Buy with Prime API returned ${errors.length} GraphQL error(s): ${summary}`, res.status, errors);
      }
      if (!body || body.data === undefined || body.data === null) {
        throw new GraphqlRequestError('the Buy with Prime API returned no data', res.status);
      }
      return body.data;
    }
  }
}

/** The store lookup the sample does. */
export const STORE_QUERY = `query BuyWithPrimeStore {
  buyWithPrimeStore {
    siteId
    widgetId
  }
}`;

/** One order by id. */
export const ORDER_QUERY = `query Order($orderId: String!) {
  order(orderIdentifier: { orderId: $orderId }) {
    id
    orderState {
      createdAt
      placedAt
    }
    summary {
      totalPrice {
        amount
        currencyCode
      }
    }
  }
}`;

export interface StoreResult {
  readonly buyWithPrimeStore: { readonly siteId: string; readonly widgetId?: string } | null;
}

export interface OrderResult {
  readonly order: { readonly id: string; readonly [k: string]: unknown } | null;
}

/**
 * The data subject of a personal data deletion task (documented `personalDataDeletionTask(taskId)` query of the
 * Privacy interface; PersonalDataDeletionTask.dataSubject { type email }).
 */
export const PERSONAL_DATA_DELETION_TASK_QUERY = `query PersonalDataDeletionTask($taskId: String!) {
  personalDataDeletionTask(taskId: $taskId) {
    taskId
    status
    dataSubject {
      type
      email
    }
  }
}`;

export interface PersonalDataDeletionTaskResult {
  readonly personalDataDeletionTask: {
    readonly taskId: string;
    readonly status: string;
    readonly dataSubject: { readonly type: string; readonly email?: string | null } | null;
  } | null;
}
