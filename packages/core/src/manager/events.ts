import type { ForgeError, StorageError } from '../errors.js';

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
  /** A token was obtained with `fetchToken` while none was usable. */
  fetched: TokenObtainedEvent;
  /** A usable token was replaced ahead of expiry, or a refresh token was redeemed. */
  refreshed: TokenObtainedEvent;
  failed: TokenFailedEvent;
  invalidated: TokenInvalidatedEvent;
  storageError: StorageErrorEvent;
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
