import type { Token } from '../token.js';
import type { RefreshAheadOptions } from './options.js';

/** When a token stops being usable and when its background refresh becomes due. */
export interface TokenSchedule {
  /** From this instant the token must not be sent. `Infinity` for a token without expiry. */
  readonly staleAt: number;
  /** From this instant a background refresh is due. */
  readonly refreshAt: number;
}

/**
 * Computes the usable period of a token from its expiry (which providers take
 * from the local clock when the response arrived) minus the skew, and the
 * refresh window before that.
 *
 * Both are bounded by the token's own lifetime: a token that lives shorter
 * than the skew stays usable for half its lifetime rather than never, and the
 * refresh window never covers more than half of the usable period, so short
 * tokens are not refreshed on every call.
 */
export function scheduleOf(
  token: Token,
  skewMs: number,
  refreshAhead: Required<RefreshAheadOptions> | false,
): TokenSchedule {
  const expiresAt = token.expiresAtMs;
  if (!Number.isFinite(expiresAt)) {
    return { staleAt: Number.POSITIVE_INFINITY, refreshAt: Number.POSITIVE_INFINITY };
  }
  const lifetime = Math.max(0, expiresAt - token.issuedAtMs);
  const staleAt = expiresAt - Math.min(skewMs, lifetime / 2);
  if (refreshAhead === false) return { staleAt, refreshAt: staleAt };
  const usable = Math.max(0, staleAt - token.issuedAtMs);
  const window = Math.min(
    Math.max(lifetime * refreshAhead.fraction, refreshAhead.minMs),
    refreshAhead.maxMs,
    usable / 2,
  );
  return { staleAt, refreshAt: staleAt - window };
}
