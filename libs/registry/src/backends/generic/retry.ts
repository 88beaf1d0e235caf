/** Retry policy for idempotent upstream requests: exponential backoff with full jitter. */

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;
/** A Retry-After longer than this is not waited for: the client gets TOOMANYREQUESTS instead. */
export const MAX_RETRY_AFTER_MS = 10_000;

/** Statuses worth another try: gateways in trouble and rate limiting. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Delay before retry number `attempt` (0-based), full jitter so replicas do not stampede. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date); undefined when absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
