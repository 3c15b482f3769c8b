/**
 * The state of one key in a {@link TokenManagerStatus}. Never holds a token.
 *
 * @example
 * ```ts
 * const failing = manager.status().keys.filter((key) => !key.usable && key.lastError);
 * ```
 */
export interface KeyStatus {
  readonly key: string;
  /** A token that can be served right now is held (it may be inside its refresh window). */
  readonly usable: boolean;
  /** Expiry of the held token; `undefined` when none is held or it has no expiry. */
  readonly expiresAt: Date | undefined;
  /** Milliseconds until that expiry (negative once past); `undefined` as for `expiresAt`. */
  readonly expiresInMs: number | undefined;
  /** A token request is in flight for this key. */
  readonly refreshing: boolean;
  /** Consecutive failed token requests; 0 after a success. */
  readonly failures: number;
  /** The error of the last failed request, until a request succeeds. */
  readonly lastError:
    | { readonly name: string; readonly code: string; readonly at: Date }
    | undefined;
  /** No token request starts before this instant (backoff or `Retry-After`); `undefined` when none is pending. */
  readonly backingOffUntil: Date | undefined;
}

/**
 * A snapshot of a token manager for readiness probes and telemetry: what
 * `manager.status()` returns. Cheap (no I/O, one pass over the keys held in
 * process) and free of tokens and secrets.
 *
 * @example
 * ```ts
 * app.get('/ready', (_req, res) => res.status(manager.status().ready ? 200 : 503).end());
 * ```
 */
export interface TokenManagerStatus {
  readonly serviceName: string;
  readonly closed: boolean;
  /**
   * Open, and no key is failing without a usable token. A key never asked for
   * does not count against readiness (tokens are fetched on first use).
   */
  readonly ready: boolean;
  /** `getToken()` calls answered from the in-process tier (hits) and not (misses), since creation. */
  readonly cache: { readonly hits: number; readonly misses: number };
  /** The keys held in process (at most `maxKeys`). */
  readonly keys: readonly KeyStatus[];
}
