/** Full-jitter exponential backoff: a random delay in [0, min(capMs, baseMs * 2^(attempt-1))] ms, attempt >= 1. */
export function backoffMs(attempt: number, baseMs = 50, capMs = 2000, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));
}
