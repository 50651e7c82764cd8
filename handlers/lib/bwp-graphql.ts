/**
 * A small client for the Buy with Prime GraphQL API: bearer token plus the `x-omni-installationid` header,
 * a GraphQL `errors` array treated as failure, and exponential backoff with full jitter on throttling (HTTP 429
 * or 503, or a GraphQL error whose code says throttled), honouring Retry-After.
 */
import { backoffMs } from './backoff.js';

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
  /** 401/403: the token was refused. */
  get unauthorized(): boolean {
    return this.status === 401 || this.status === 403;
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
}

const THROTTLE_CODES = new Set(['THROTTLED', 'THROTTLING', 'THROTTLINGEXCEPTION', 'TOO_MANY_REQUESTS', 'RATE_LIMITED', 'LIMIT_EXCEEDED']);

function isThrottleError(e: GraphqlError): boolean {
  const code = String(e.extensions?.code ?? e.extensions?.errorType ?? e.errorType ?? '').toUpperCase();
  return THROTTLE_CODES.has(code);
}

export class GraphqlClient {
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Attempts that were throttled (for metrics and tests). */
  throttledAttempts = 0;

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
      const throttled = res.status === 429 || res.status === 503 || (errors.length > 0 && errors.some(isThrottleError));
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
        const summary = errors.map((e) => e.message).slice(0, 3).join('; ');
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
