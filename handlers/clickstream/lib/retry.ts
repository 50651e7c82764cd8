/**
 * Backoff and error classification shared by the clickstream handlers: exponential backoff with full jitter,
 * and which AWS errors are worth retrying (throttling and transient service errors).
 */

export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export { backoffMs } from '../../shared/backoff.js';

/** Throttling codes: the caller should slow down (503 with Retry-After at the API). */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'LimitExceededException',
  'KMSThrottlingException',
]);

/** Error names (SDK exception names and per-entry error codes) that mean "try again later": throttling and transient failures. */
export const RETRYABLE_ERRORS: ReadonlySet<string> = new Set([
  ...THROTTLING_ERRORS,
  'InternalFailure',
  'InternalServerError',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

export function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown };
    if (typeof e.code === 'string' && RETRYABLE_ERRORS.has(e.code)) return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'Error';
}

/** Whether a thrown SDK error is transient (throttling, 5xx, network). */
export function isRetryable(err: unknown): boolean {
  if (RETRYABLE_ERRORS.has(errorName(err))) return true;
  const meta = (err as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | undefined) ?? {};
  if (meta.$retryable) return true;
  const status = meta.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}
