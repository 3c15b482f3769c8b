import type { ForgeError, StorageError } from '../errors.js';

/**
 * Why a token request (a flight) started: no token held (`missing`), the
 * held one expired (`expired`), refresh ahead of expiry (`expiring`),
 * `forceRefresh()` (`forced`), or the server rejected the held token and
 * `invalidate(token)` dropped it (`rejected`, a renewal after a 401).
 */
export type TokenRequestReason = 'missing' | 'expired' | 'expiring' | 'forced' | 'rejected';

/**
 * Payload of `started`: one token request (a flight) begins for a key. It is
 * emitted synchronously inside the `getToken()` / `forceRefresh()` call that
 * started it, so a listener runs in that caller's async context (an
 * OpenTelemetry span can take the caller's active span as its parent).
 *
 * @example
 * ```ts
 * manager.on('started', ({ key, flight, reason }) => log.debug({ key, flight, reason }));
 * ```
 */
export interface TokenRequestStartedEvent {
  readonly serviceName: string;
  readonly key: string;
  /** Identifies this flight in the events that follow; unique per manager. */
  readonly flight: number;
  readonly reason: TokenRequestReason;
}

/**
 * Payload of `attempt`: one HTTP attempt at the token endpoint ended (built-in
 * providers report them). No credential, no body, no URL beyond the origin.
 *
 * @example
 * ```ts
 * manager.on('attempt', ({ attempt, status }) => log.debug(`attempt ${attempt}: HTTP ${status}`));
 * ```
 */
export interface TokenRequestAttemptEvent {
  readonly serviceName: string;
  readonly key: string;
  readonly flight: number;
  /** The `grant_type` sent. */
  readonly grantType: string;
  /** The token endpoint's origin. */
  readonly origin: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** The HTTP status, or `undefined` when no answer came. */
  readonly status: number | undefined;
  /** The transport's reason when the attempt failed (`network`, `timeout`, `server`, …). */
  readonly errorReason: string | undefined;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
}

/**
 * Payload of `reused`: a flight ended with a token found in the storage
 * (another process, or an earlier request, stored it): no token request was made.
 *
 * @example
 * ```ts
 * manager.on('reused', ({ key }) => log.debug(`${key}: token taken from the shared storage`));
 * ```
 */
export interface TokenReusedEvent {
  readonly serviceName: string;
  readonly key: string;
  readonly flight: number;
  readonly reason: TokenRequestReason;
  readonly durationMs: number;
  readonly expiresAt: Date | undefined;
}

/**
 * Payload of `closed`: `close()` was called; flights still open end with no further event.
 *
 * @example
 * ```ts
 * manager.on('closed', ({ serviceName }) => log.info(`${serviceName}: token manager closed`));
 * ```
 */
export interface TokenManagerClosedEvent {
  readonly serviceName: string;
}

/**
 * Payload of `fetched` and `refreshed`: a new token is in use. Never carries the token.
 *
 * @example
 * ```ts
 * manager.on('fetched', ({ key, durationMs, expiresAt }) => log.info({ key, durationMs, expiresAt }));
 * ```
 */
export interface TokenObtainedEvent {
  readonly serviceName: string;
  readonly key: string;
  /** Time spent obtaining the token (provider and storage calls). */
  readonly durationMs: number;
  /** The new token's expiry, or `undefined` when it has none. */
  readonly expiresAt: Date | undefined;
  /** The flight this token ends (see `started`). */
  readonly flight: number;
  readonly reason: TokenRequestReason;
  /** HTTP attempts made at the token endpoint (0 for a custom provider that reports none). */
  readonly attempts: number;
}

/**
 * Payload of `failed`: obtaining a token failed.
 *
 * @example
 * ```ts
 * manager.on('failed', ({ key, error }) => log.warn(`${key}: ${error.code} ${error.message}`));
 * ```
 */
export interface TokenFailedEvent {
  readonly serviceName: string;
  readonly key: string;
  readonly durationMs: number;
  /** The error, already redacted. */
  readonly error: ForgeError;
  readonly flight: number;
  readonly reason: TokenRequestReason;
  /** HTTP attempts made at the token endpoint. */
  readonly attempts: number;
  /** Consecutive failures for this key, this one included. */
  readonly failures: number;
  /** Callers without a usable token get this error until then (`undefined`: the next call tries again). */
  readonly backingOffUntil: Date | undefined;
}

/**
 * Payload of `invalidated`: a token was forgotten after `invalidate()`. A
 * damped `invalidate(token)` (see `unauthorizedDampingMs`) forgets nothing and
 * emits nothing.
 *
 * @example
 * ```ts
 * manager.on('invalidated', ({ key }) => metrics.increment('token.invalidated', { key }));
 * ```
 */
export interface TokenInvalidatedEvent {
  readonly serviceName: string;
  readonly key: string;
  /** `rejected`: `invalidate(token)` after the server refused it; `reset`: `invalidate()` without a token. */
  readonly cause: 'rejected' | 'reset';
}

/**
 * Payload of `storageError`: a storage call failed and was treated as a cache miss.
 *
 * @example
 * ```ts
 * manager.on('storageError', ({ operation, error }) => log.warn(`storage ${operation}: ${error.message}`));
 * ```
 */
export interface StorageErrorEvent {
  readonly serviceName: string;
  readonly key: string;
  /** The storage method that failed: `get`, `set`, `delete`, `lock`, `release` or `subscribe`. */
  readonly operation: string;
  readonly error: StorageError;
}

/**
 * Events of a {@link TokenManager} and their payloads. No payload ever holds a
 * token or a secret.
 *
 * @example
 * ```ts
 * manager.on('failed', ({ key, error }: TokenManagerEvents['failed']) => log.warn(key, error.message));
 * ```
 */
export interface TokenManagerEvents {
  /** A token request (flight) began; emitted in the starting caller's async context. */
  started: TokenRequestStartedEvent;
  /** One HTTP attempt at the token endpoint ended. */
  attempt: TokenRequestAttemptEvent;
  /** A token was obtained with `fetchToken` while none was usable. */
  fetched: TokenObtainedEvent;
  /** A usable token was replaced ahead of expiry, or a refresh token was redeemed. */
  refreshed: TokenObtainedEvent;
  /** A flight ended with a token from the storage, without a token request. */
  reused: TokenReusedEvent;
  failed: TokenFailedEvent;
  invalidated: TokenInvalidatedEvent;
  storageError: StorageErrorEvent;
  closed: TokenManagerClosedEvent;
}

/**
 * A listener for one {@link TokenManagerEvents} event.
 *
 * @example
 * ```ts
 * const onFailed: TokenManagerListener<'failed'> = ({ error }) => console.warn(error.message);
 * manager.on('failed', onFailed);
 * ```
 */
export type TokenManagerListener<E extends keyof TokenManagerEvents> = (
  event: TokenManagerEvents[E],
) => void;

type AnyListener = (event: never) => void;

/**
 * A minimal typed emitter: no dependency on `node:events`, so the manager
 * runs on any runtime. A throwing listener never breaks the manager.
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<AnyListener>>();

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    // Wrapping keeps each registration distinct, so the same function added twice unsubscribes once.
    const entry: AnyListener = (payload) => listener(payload as Events[E]);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#listeners.get(event) === set) this.#listeners.delete(event);
    };
  }

  /** Whether anyone listens, so callers can skip building a payload. */
  has(event: keyof Events): boolean {
    return this.#listeners.has(event);
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch {
        // A listener's bug must not turn into a failed getToken() for every caller.
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
