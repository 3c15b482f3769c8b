/**
 * The wait before retry number `attempt` (1-based): "full jitter", a uniform
 * random delay between 0 and `min(maxMs, baseMs * 2^(attempt-1))`, so a
 * fleet of clients that failed together does not retry together.
 *
 * @example
 * ```ts
 * fullJitterDelay(3, 100, 5_000); // somewhere in [0, 400)
 * ```
 */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date. Returns milliseconds from `now`, or `undefined` when the header is
 * absent or unreadable. A date in the past means "now" (0).
 *
 * @example
 * ```ts
 * parseRetryAfter('2');                              // 2000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT');  // ms until then, or 0
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only dates that carry a time zone: a bare number or word must not parse as a local date.
  if (!/[a-z]{3},?\s|GMT|UTC|Z$/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
