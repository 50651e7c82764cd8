/**
 * Helpers for SQS-triggered handlers that use ReportBatchItemFailures: collect per-record failures with a reason
 * and turn them into the partial batch response, and run async work with bounded concurrency.
 */
import type { SQSBatchResponse } from 'aws-lambda';

export interface RecordFailure {
  /** The SQS messageId (the batch item identifier Lambda expects). */
  readonly messageId: string;
  readonly reason: string;
}

/**
 * Failures of one batch, keyed by SQS messageId. The first reason recorded for a message wins, so a later
 * generic error cannot hide the specific cause.
 */
export class BatchFailures {
  private readonly byId = new Map<string, string>();

  add(messageId: string, reason: string): void {
    if (!this.byId.has(messageId)) this.byId.set(messageId, reason);
  }

  has(messageId: string): boolean {
    return this.byId.has(messageId);
  }

  get size(): number {
    return this.byId.size;
  }

  list(): RecordFailure[] {
    return [...this.byId].map(([messageId, reason]) => ({ messageId, reason }));
  }

  /** The partial batch response, in the order the failures were recorded. */
  response(): SQSBatchResponse {
    return { batchItemFailures: [...this.byId.keys()].map((itemIdentifier) => ({ itemIdentifier })) };
  }
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results keep the items' order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/** A short, safe description of an error from an SDK call (name/code and message, never a request body). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { Code?: unknown; code?: unknown }).Code ?? (err as { code?: unknown }).code;
    const message = err.message.length > 300 ? `${err.message.slice(0, 300)}...` : err.message;
    return `${err.name}${code && code !== err.name ? ` (${String(code)})` : ''}: ${message}`;
  }
  return String(err);
}
