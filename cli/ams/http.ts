/**
 * HTTP with retries for the Ads API and the token endpoint: 429 and 5xx (500, 502, 503, 504) and network
 * failures are retried with exponential backoff and full jitter, honouring Retry-After (seconds or an HTTP
 * date) up to a cap; every other status is returned to the caller. Each attempt has its own timeout.
 */
import { backoffMs } from '../../handlers/shared/backoff.js';
import { ApiError } from './errors.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  readonly fetch: FetchLike;
  /** Attempts in all, including the first. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff, ms (doubles per attempt). Default 500. */
  readonly baseDelayMs?: number;
  /** Longest single wait, ms, also the cap on Retry-After. Default 30000. */
  readonly maxDelayMs?: number;
  /** Per-attempt timeout, ms. Default 30000. */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Called before each retry (progress on stderr). */
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string; url: string }) => void;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Delay from a Retry-After header value, ms, or undefined when absent/unparseable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Human cause of a fetch failure (DNS, refused, reset, timeout), without URLs' query strings. */
export function networkCause(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  const code = e?.cause?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host name not resolved (${code})`;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code === 'ECONNRESET') return 'connection reset (ECONNRESET)';
  if (code) return code;
  return e?.cause?.message ?? e?.message ?? String(err);
}

export async function requestWithRetry(url: string, init: RequestInit, opts: HttpOptions): Promise<HttpResponse> {
  const maxAttempts = opts.maxAttempts ?? 5;
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 30_000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const host = new URL(url).host;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let delay: number | undefined;
    try {
      const res = await opts.fetch(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
      const text = await res.text();
      if (!RETRYABLE_STATUS.has(res.status)) return { status: res.status, headers: res.headers, text };
      if (attempt >= maxAttempts) return { status: res.status, headers: res.headers, text };
      reason = `HTTP ${res.status}`;
      delay = retryAfterMs(res.headers.get('retry-after'));
    } catch (err) {
      if (attempt >= maxAttempts) {
        throw new ApiError(
          `could not reach ${host} after ${attempt} attempt(s): ${networkCause(err)}. ` +
            'Check the network/proxy and, if you overrode it, the endpoint (--endpoint / AMS_ADS_API_ENDPOINT, --token-endpoint / AMS_TOKEN_ENDPOINT).',
        );
      }
      reason = networkCause(err);
    }
    const backoff = backoffMs(attempt, base, cap, random);
    const wait = Math.min(cap, delay ?? backoff);
    opts.onRetry?.({ attempt, delayMs: wait, reason, url });
    await sleep(wait);
  }
}
