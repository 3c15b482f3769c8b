import type { DPoP } from '../dpop/dpop.js';
import {
  ConfigurationError,
  ForgeError,
  ForgeErrorCode,
  isForgeError,
  StorageError,
  TokenEndpointError,
} from '../errors.js';
import type { TokenProvider, TokenRequestAttempt, TokenRequestContext } from '../provider.js';
import { redact } from '../redact.js';
import { InMemoryTokenStorage } from '../storage/in-memory-storage.js';
import type { StorageCapabilities, TokenStorage } from '../storage.js';
import { isToken, Token, type TokenInit } from '../token.js';
import type { MaybePromise } from '../types.js';
import { backoffDelay } from './backoff.js';
import { type Deferred, deferred } from './deferred.js';
import {
  Emitter,
  type TokenManagerEvents,
  type TokenManagerListener,
  type TokenRequestReason,
} from './events.js';
import { KeyOrder } from './key-order.js';
import {
  type ResolvedOptions,
  resolveOptions,
  type TokenManagerOptions,
  validateProvider,
  validateStorage,
} from './options.js';
import { scheduleOf, type TokenSchedule } from './schedule.js';
import type { KeyStatus, TokenManagerStatus } from './status.js';
import { FAILED, StorageGuard } from './storage-guard.js';
import { Timers } from './timers.js';

/** A token in the hot tier, with its already-resolved promise so a hit allocates nothing. */
interface Entry {
  readonly token: Token;
  readonly promise: Promise<Token>;
  readonly staleAt: number;
  readonly refreshAt: number;
}

/** Why a flight runs: no usable token, refresh ahead, or `forceRefresh()`. */
type Mode = 'load' | 'refresh' | 'force';

interface KeyState {
  readonly key: string;
  entry: Entry | undefined;
  /** The one in-flight request for this key: single-flight. */
  flight: Deferred<Token> | undefined;
  /** Consecutive failed refreshes, for the backoff. */
  failures: number;
  /** No new request starts before this instant (backoff, or the server's Retry-After). */
  retryAt: number;
  /** The last failure, served to callers without a usable token until `retryAt`. */
  failure: Promise<Token> | undefined;
  /** Class name, code and time of the last failure, for `status()`; cleared by a success. */
  lastError: { readonly name: string; readonly code: string; readonly at: Date } | undefined;
  /** `invalidate(token)` dropped the token: the next flight is a renewal after a 401. */
  rejectedPending: boolean;
  /** When `invalidate(token)` last dropped a token (manager clock): damping counts from here. */
  rejectedAt: number;
  /** The access token dropped then: a late 401 for it is no new rejection, and it is never taken back. */
  rejected: string | undefined;
  /** A dropped token whose refresh token the next request redeems (RFC 6749 §6) instead of the original grant. */
  renewWith: Token | undefined;
  /** Neighbours in the order keys entered the tier (see {@link KeyOrder}). */
  older: KeyState | undefined;
  newer: KeyState | undefined;
}

/** One token request for a key, as the events report it. */
interface Flight {
  readonly id: number;
  readonly reason: TokenRequestReason;
  attempts: number;
}

interface Obtained {
  readonly token: Token;
  readonly source: 'storage' | 'fetch' | 'refresh';
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
// How often a process waiting on another's lock re-reads the storage when no notification comes.
const LOCK_POLL_MS = 250;

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function isInvalidGrant(error: unknown): boolean {
  return (
    isForgeError(error) &&
    error.code === ForgeErrorCode.Authentication &&
    (error as ForgeError & { error?: unknown }).error === 'invalid_grant'
  );
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ConfigurationError(
      'provider.cacheKey',
      'must return (or resolve to) a non-empty string that identifies the token',
    );
  }
  return key;
}

/**
 * Keeps tokens from a {@link TokenProvider} fresh for any number of callers:
 * one request per key however many callers wait (single-flight), a
 * background refresh ahead of expiry, the still-valid token served while the
 * token endpoint fails, and compare-and-invalidate after a 401. Tokens are
 * kept in an in-process tier in front of the {@link TokenStorage}, which is
 * shared between processes.
 *
 * @example
 * ```ts
 * const manager = new TokenManager(provider, { storage: new InMemoryTokenStorage() });
 * manager.on('failed', ({ key, error }) => console.warn(key, error.message));
 * const token = await manager.getToken();
 * await fetch(url, { headers: { authorization: token.authorizationHeader } });
 * await manager.close();
 * ```
 */
export class TokenManager<TInput = void> {
  /** The provider's service name. */
  readonly serviceName: string;
  readonly #provider: TokenProvider<TInput>;
  readonly #storage: TokenStorage;
  readonly #ownsStorage: boolean;
  readonly #guard: StorageGuard;
  readonly #options: ResolvedOptions;
  readonly #clock: () => number;
  readonly #states = new Map<string, KeyState>();
  readonly #order = new KeyOrder<KeyState>();
  readonly #events = new Emitter<TokenManagerEvents>();
  readonly #timers = new Timers();
  // One controller per token request, aborted by close(), rather than one per manager: workerd
  // forbids making one at global scope (where a Worker builds its manager) and refuses a signal
  // made while serving another request.
  readonly #inFlight = new Set<AbortController>();
  readonly #wakers = new Map<string, Set<() => void>>();
  // The provider's DPoP key: every cache key then names its thumbprint, so a
  // token bound to one key is never served for another (decision 0014).
  readonly #dpop: DPoP | undefined;
  #defaultKey: string | undefined;
  #defaultKeyPending: Promise<string> | undefined;
  #subscribed = false;
  #unsubscribe: (() => void) | undefined;
  #closed = false;
  #flights = 0;
  #hits = 0;
  #misses = 0;

  constructor(provider: TokenProvider<TInput>, options?: TokenManagerOptions) {
    validateProvider(provider);
    this.#options = resolveOptions(options);
    validateStorage(options?.storage);
    this.#provider = provider;
    this.#dpop = provider.dpop;
    this.serviceName = provider.serviceName;
    this.#clock = this.#options.clock;
    this.#ownsStorage = options?.storage === undefined;
    this.#storage = options?.storage ?? new InMemoryTokenStorage();
    this.#guard = new StorageGuard(
      this.#storage,
      this.#options.storageTimeoutMs,
      this.#timers,
      (key, operation, error) => {
        if (this.#events.has('storageError')) {
          this.#events.emit('storageError', {
            serviceName: this.serviceName,
            key,
            operation,
            error,
          });
        }
      },
    );
    if (provider.cacheKey === undefined) this.#defaultKey = provider.serviceName;
  }

  /**
   * What the storage guarantees (declared, or inferred from its methods):
   * with `fleetLock: false` single-flight holds per process, so each process
   * makes its own token request per expiry.
   *
   * @example
   * ```ts
   * if (!manager.storageCapabilities.fleetLock) console.info('one token request per process per expiry');
   * ```
   */
  get storageCapabilities(): StorageCapabilities {
    return this.#guard.capabilities;
  }

  /**
   * Resolves to a usable token for `input` (omit it for single-token
   * providers). A cached token is returned at once; inside its refresh window
   * it is still returned at once while one background refresh starts; only
   * when no usable token exists do callers wait, all of them for the same
   * single request.
   *
   * @example
   * ```ts
   * const { authorizationHeader } = await manager.getToken();
   * ```
   */
  getToken(input?: TInput): Promise<Token> {
    if (input === undefined && this.#dpop === undefined) {
      const key = this.#defaultKey;
      if (key !== undefined) {
        // The hot path: one Map lookup and a cached, already-resolved promise.
        const entry = this.#states.get(key)?.entry;
        if (entry !== undefined && this.#clock() < entry.refreshAt) {
          this.#hits++;
          return entry.promise;
        }
        return this.#get(key, input as TInput);
      }
    }
    return this.#withKey(input, (key) => this.#get(key, input as TInput));
  }

  /**
   * Compare-and-invalidate, for a token the server rejected (a 401): forgets
   * `token` (from this manager and the storage) unless a newer token already
   * replaced it, so a late 401 for an old token never throws away a fresh
   * one. Its refresh token is kept in this process, so the next request
   * redeems it (RFC 6749 §6) rather than the original grant. Damped: when a
   * token obtained after such a 401 is rejected too within
   * `unauthorizedDampingMs`, it is kept and nothing is emitted, so an API
   * that rejects every token costs about one token request per interval.
   *
   * Without `token`, forgets whatever is cached for `input`, refresh token
   * included (never damped).
   *
   * @example
   * ```ts
   * if (response.status === 401) await manager.invalidate(sentToken);
   * ```
   */
  async invalidate(token?: Token, input?: TInput): Promise<void> {
    if (token !== undefined && !isToken(token)) {
      throw new ConfigurationError('token', 'must be the Token that was sent, or omitted');
    }
    if (this.#closed) return;
    const key = await this.#keyOf(input, token?.jkt);
    if (this.#closed) return;
    if (token === undefined) {
      const state = this.#states.get(key);
      if (state !== undefined) {
        state.entry = undefined;
        // A deliberate reset (a user signing out, say) keeps nothing to renew with.
        state.renewWith = undefined;
      }
      await this.#guard.delete(key, undefined);
      this.#emitInvalidated(key, 'reset');
      return;
    }
    const state = this.#state(key);
    const held = state.entry?.token;
    const stale =
      held === undefined
        ? token.accessToken === state.rejected
        : held.accessToken !== token.accessToken;
    const now = this.#clock();
    // Stale: a newer token replaced it, or it is already gone. Damped: the token
    // obtained since the last rejection is rejected too; a new one would fare no better.
    if (stale || now - state.rejectedAt < this.#options.unauthorizedDampingMs) {
      this.#shed(state);
      return;
    }
    state.rejectedAt = now;
    state.rejected = token.accessToken;
    state.rejectedPending = true;
    const dropped = held ?? token;
    if (dropped.refreshToken !== undefined) state.renewWith = dropped;
    state.entry = undefined;
    this.#shed(state);
    await this.#guard.delete(key, token);
    this.#emitInvalidated(key, 'rejected');
  }

  /**
   * Obtains a new token now, even if the cached one is still usable (which
   * keeps being served until the new one arrives, or if the request fails).
   * Joins a request already in flight for the same key.
   *
   * @example
   * ```ts
   * const fresh = await manager.forceRefresh();
   * ```
   */
  forceRefresh(input?: TInput): Promise<Token> {
    return this.#withKey(input, (key) => {
      if (this.#closed) return Promise.reject(this.#closedError());
      const state = this.#state(key);
      return (state.flight ?? this.#start(key, input as TInput, state, 'force')).promise;
    });
  }

  /**
   * Subscribes to an event; returns the unsubscribe function. Payloads never
   * contain a token or a secret.
   *
   * @example
   * ```ts
   * const off = manager.on('refreshed', ({ key, durationMs }) => metrics.timing(key, durationMs));
   * off();
   * ```
   */
  on<E extends keyof TokenManagerEvents>(event: E, listener: TokenManagerListener<E>): () => void {
    if (typeof listener !== 'function') {
      throw new ConfigurationError('listener', 'must be a function');
    }
    return this.#events.on(event, listener);
  }

  /**
   * Stops the manager: aborts requests in flight, rejects their waiters with
   * a `ForgeError` of code `FORGE_CLOSED`, unsubscribes from the storage and
   * clears every timer, so the process can exit. Disposes the storage only
   * when the manager created it. Idempotent.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void manager.close());
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Before the listeners are dropped: telemetry ends the spans of flights cut short.
    if (this.#events.has('closed')) this.#events.emit('closed', { serviceName: this.serviceName });
    const error = this.#closedError();
    for (const controller of this.#inFlight) controller.abort(error);
    for (const state of this.#states.values()) state.flight?.reject(error);
    this.#states.clear();
    this.#order.clear();
    this.#timers.clearAll();
    for (const wakers of [...this.#wakers.values()]) for (const wake of [...wakers]) wake();
    this.#wakers.clear();
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    if (unsubscribe !== undefined) {
      try {
        unsubscribe();
      } catch {
        // Closing must succeed even if the storage is already gone.
      }
    }
    this.#events.clear();
    if (this.#ownsStorage) await this.#storage.dispose?.();
  }

  /**
   * A snapshot for readiness probes and telemetry: per key held in process,
   * whether a usable token is held, when it expires, the last error's class
   * and whether requests are backing off; plus cache hit and miss counts.
   * No I/O, no token, no secret.
   *
   * @example
   * ```ts
   * const { ready, keys } = manager.status();
   * if (!ready) console.warn(keys.filter((key) => key.lastError).map((key) => key.lastError?.code));
   * ```
   */
  status(): TokenManagerStatus {
    const now = this.#clock();
    const keys: KeyStatus[] = [];
    let ready = !this.#closed;
    for (const state of this.#states.values()) {
      const entry = state.entry;
      const usable = entry !== undefined && now < entry.staleAt;
      const expiresAtMs = entry?.token.expiresAtMs ?? Number.POSITIVE_INFINITY;
      const finite = Number.isFinite(expiresAtMs);
      if (!usable && state.lastError !== undefined) ready = false;
      keys.push({
        key: state.key,
        usable,
        expiresAt: finite ? new Date(expiresAtMs) : undefined,
        expiresInMs: finite ? expiresAtMs - now : undefined,
        refreshing: state.flight !== undefined,
        failures: state.failures,
        lastError: state.lastError,
        backingOffUntil: state.retryAt > now ? new Date(state.retryAt) : undefined,
      });
    }
    return {
      serviceName: this.serviceName,
      closed: this.#closed,
      ready,
      cache: { hits: this.#hits, misses: this.#misses },
      keys,
    };
  }

  [INSPECT](): string {
    return `TokenManager { serviceName: '${this.serviceName}', keys: ${this.#states.size}, closed: ${this.#closed} }`;
  }

  #emitInvalidated(key: string, cause: 'rejected' | 'reset'): void {
    if (this.#events.has('invalidated')) {
      this.#events.emit('invalidated', { serviceName: this.serviceName, key, cause });
    }
  }

  #closedError(): ForgeError {
    return new ForgeError(
      ForgeErrorCode.Closed,
      `The token manager for "${this.serviceName}" is closed; create a new TokenManager to get tokens again.`,
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw this.#closedError();
  }

  /** The DPoP key of this manager's provider, if it binds tokens to one. */
  get dpop(): DPoP | undefined {
    return this.#dpop;
  }

  #keyOf(input: TInput | undefined, jkt?: string): MaybePromise<string> {
    const dpop = this.#dpop;
    if (dpop === undefined) return this.#baseKeyOf(input);
    const base = this.#baseKeyOf(input);
    const bind = (key: string): MaybePromise<string> => {
      const thumbprint = jkt ?? dpop.thumbprint;
      if (thumbprint !== undefined) return `${key}#dpop:${thumbprint}`;
      return dpop.ready().then((loaded) => `${key}#dpop:${loaded}`);
    };
    return typeof base === 'string' ? bind(base) : base.then(bind);
  }

  #baseKeyOf(input: TInput | undefined): MaybePromise<string> {
    if (input === undefined) {
      if (this.#defaultKey !== undefined) return this.#defaultKey;
      if (this.#defaultKeyPending !== undefined) return this.#defaultKeyPending;
    }
    const cacheKey = this.#provider.cacheKey;
    const raw =
      cacheKey === undefined ? this.serviceName : cacheKey.call(this.#provider, input as TInput);
    if (typeof raw === 'string') {
      const key = checkKey(raw);
      if (input === undefined) this.#defaultKey = key;
      return key;
    }
    const pending = Promise.resolve(raw).then(checkKey);
    if (input === undefined) {
      this.#defaultKeyPending = pending;
      pending.then(
        (key) => {
          this.#defaultKey = key;
        },
        () => {
          this.#defaultKeyPending = undefined;
        },
      );
    }
    return pending;
  }

  #withKey(input: TInput | undefined, run: (key: string) => Promise<Token>): Promise<Token> {
    let key: MaybePromise<string>;
    try {
      key = this.#keyOf(input);
    } catch (error) {
      return Promise.reject(error);
    }
    return typeof key === 'string' ? run(key) : key.then(run);
  }

  #get(key: string, input: TInput): Promise<Token> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (!this.#subscribed) this.#subscribe();
    const state = this.#state(key);
    const entry = state.entry;
    const now = this.#clock();
    if (entry !== undefined && now < entry.staleAt) {
      this.#hits++;
      if (now >= entry.refreshAt && state.flight === undefined && now >= state.retryAt) {
        this.#start(key, input, state, 'refresh');
      }
      return entry.promise;
    }
    this.#misses++;
    if (state.flight !== undefined) return state.flight.promise;
    // During a backoff every caller gets the last error at once: an outage costs
    // token requests at the backoff schedule, not at the request rate.
    if (state.failure !== undefined && now < state.retryAt) return state.failure;
    return this.#start(key, input, state, 'load').promise;
  }

  #state(key: string): KeyState {
    let state = this.#states.get(key);
    if (state === undefined) {
      // A full tier with its oldest key in flight grows for now; #shed trims it when flights settle.
      if (this.#states.size >= this.#options.maxKeys) this.#dropOldestIdle();
      state = {
        key,
        entry: undefined,
        flight: undefined,
        failures: 0,
        retryAt: 0,
        failure: undefined,
        lastError: undefined,
        rejectedPending: false,
        rejectedAt: Number.NEGATIVE_INFINITY,
        rejected: undefined,
        renewWith: undefined,
        older: undefined,
        newer: undefined,
      };
      this.#states.set(key, state);
      this.#order.push(state);
    }
    return state;
  }

  /**
   * Drops the oldest key unless a request is in flight for it: O(1), where a
   * search for an idle key would cost O(keys in flight) per new key. Its
   * token is still in the storage.
   */
  #dropOldestIdle(): boolean {
    const oldest = this.#order.oldest;
    if (oldest === undefined || oldest.flight !== undefined) return false;
    this.#forget(oldest);
    return true;
  }

  /** Brings an over-full tier one key closer to `maxKeys`: the oldest idle key, else the idle `state`. */
  #shed(state: KeyState): void {
    if (this.#states.size <= this.#options.maxKeys || this.#dropOldestIdle()) return;
    if (state.flight === undefined && this.#states.get(state.key) === state) this.#forget(state);
  }

  #forget(state: KeyState): void {
    this.#states.delete(state.key);
    this.#order.remove(state);
  }

  #adopt(state: KeyState, token: Token, schedule?: TokenSchedule): void {
    const { staleAt, refreshAt } =
      schedule ?? scheduleOf(token, this.#options.skewMs, this.#options.refreshAhead);
    state.entry = { token, promise: Promise.resolve(token), staleAt, refreshAt };
    state.failures = 0;
    state.retryAt = 0;
    state.failure = undefined;
    state.lastError = undefined;
    state.renewWith = undefined;
  }

  #start(key: string, input: TInput, state: KeyState, mode: Mode): Deferred<Token> {
    const flight = deferred<Token>();
    state.flight = flight;
    const info: Flight = { id: ++this.#flights, reason: this.#reasonOf(state, mode), attempts: 0 };
    state.rejectedPending = false;
    // Synchronous, so listeners run in the async context of the caller that started the flight.
    if (this.#events.has('started')) {
      this.#events.emit('started', {
        serviceName: this.serviceName,
        key,
        flight: info.id,
        reason: info.reason,
      });
    }
    this.#run(key, input, state, mode, info).then(
      (token) => {
        if (state.flight === flight) state.flight = undefined;
        this.#shed(state);
        flight.resolve(token);
      },
      (error: unknown) => {
        if (state.flight === flight) state.flight = undefined;
        this.#shed(state);
        flight.reject(error);
      },
    );
    return flight;
  }

  #reasonOf(state: KeyState, mode: Mode): TokenRequestReason {
    if (mode === 'force') return 'forced';
    if (mode === 'refresh') return 'expiring';
    if (state.rejectedPending) return 'rejected';
    return state.entry === undefined ? 'missing' : 'expired';
  }

  async #run(
    key: string,
    input: TInput,
    state: KeyState,
    mode: Mode,
    flight: Flight,
  ): Promise<Token> {
    const started = this.#clock();
    const current = state.entry?.token;
    // After a 401 the dropped token's refresh token is the one to redeem.
    const base = state.renewWith ?? current;
    let unusable = false;
    try {
      const { token, source } = await this.#obtain(key, input, mode, state, current, base, flight);
      this.#assertOpen();
      const schedule = scheduleOf(token, this.#options.skewMs, this.#options.refreshAhead);
      if (source !== 'storage' && this.#clock() >= schedule.staleAt) {
        unusable = true;
        // Its refresh token, if any, is the newest one: a rotating server has spent the previous.
        if (token.refreshToken !== undefined) state.renewWith = token;
        throw this.#expiredOnArrival();
      }
      this.#adopt(state, token, schedule);
      if (source === 'storage') {
        if (this.#events.has('reused')) {
          this.#events.emit('reused', {
            serviceName: this.serviceName,
            key,
            flight: flight.id,
            reason: flight.reason,
            durationMs: this.#clock() - started,
            expiresAt: token.expiresAt,
          });
        }
      } else {
        const event =
          source === 'refresh' || (mode !== 'load' && current !== undefined)
            ? 'refreshed'
            : 'fetched';
        if (this.#events.has(event)) {
          this.#events.emit(event, {
            serviceName: this.serviceName,
            key,
            durationMs: this.#clock() - started,
            expiresAt: token.expiresAt,
            flight: flight.id,
            reason: flight.reason,
            attempts: flight.attempts,
          });
        }
      }
      return token;
    } catch (thrown) {
      if (this.#closed) throw this.#closedError();
      const error = this.#toForgeError(thrown, [current, base]);
      state.failures += 1;
      // A token that expires on arrival will do so again: no free retry for that.
      const freeRetry = mode === 'load' && !unusable;
      const failedAt = this.#clock();
      state.retryAt = failedAt + this.#retryDelay(state.failures, freeRetry, error);
      state.lastError = { name: error.name, code: error.code, at: new Date(failedAt) };
      const failure = Promise.reject(error);
      // Callers attach their own handlers; this one only keeps an unawaited copy quiet.
      failure.catch(() => undefined);
      state.failure = failure;
      if (this.#events.has('failed')) {
        this.#events.emit('failed', {
          serviceName: this.serviceName,
          key,
          durationMs: failedAt - started,
          error,
          flight: flight.id,
          reason: flight.reason,
          attempts: flight.attempts,
          failures: state.failures,
          backingOffUntil: state.retryAt > failedAt ? new Date(state.retryAt) : undefined,
        });
      }
      throw error;
    }
  }

  /**
   * How long to wait before the next request after `failures` failures in a
   * row: with `freeRetry` (a failed load) the first is retried by the next
   * call (a one-off glitch costs nothing), later ones back off with full
   * jitter, and never sooner than the server's `Retry-After`.
   */
  #retryDelay(failures: number, freeRetry: boolean, error: ForgeError): number {
    const attempt = freeRetry ? failures - 1 : failures;
    const backoff = attempt === 0 ? 0 : backoffDelay(attempt, this.#options.backoff);
    const retryAfterMs = (error as ForgeError & { retryAfterMs?: unknown }).retryAfterMs;
    return typeof retryAfterMs === 'number' ? Math.max(backoff, retryAfterMs) : backoff;
  }

  /** Whether a token found in the storage ends this flight without asking the provider. */
  #acceptable(stored: Token, mode: Mode, current: Token | undefined, state: KeyState): boolean {
    // A storage whose delete failed still holds the token the server rejected.
    if (stored.accessToken === state.rejected) return false;
    const now = this.#clock();
    const { staleAt, refreshAt } = scheduleOf(
      stored,
      this.#options.skewMs,
      this.#options.refreshAhead,
    );
    if (now >= staleAt) return false;
    if (mode === 'load') return true;
    if (current === undefined || stored.accessToken === current.accessToken) return false;
    return mode === 'force' || now < refreshAt;
  }

  async #obtain(
    key: string,
    input: TInput,
    mode: Mode,
    state: KeyState,
    current: Token | undefined,
    base: Token | undefined,
    flight: Flight,
  ): Promise<Obtained> {
    const read = await this.#guard.get(key, base);
    this.#assertOpen();
    const stored = read === FAILED ? undefined : read;
    if (stored !== undefined && this.#acceptable(stored, mode, current, state)) {
      return { token: stored, source: 'storage' };
    }
    if (this.#guard.hasLock) {
      const lock = await this.#guard.lock(key, this.#options.lockTtlMs);
      this.#assertOpen();
      if (lock !== FAILED && lock !== undefined) {
        try {
          // Double-checked: the previous holder may have stored a token just before we locked.
          const again = await this.#guard.get(key, base);
          this.#assertOpen();
          const latest = again === FAILED ? undefined : again;
          if (latest !== undefined && this.#acceptable(latest, mode, current, state)) {
            return { token: latest, source: 'storage' };
          }
          // The storage holds the newest refresh token: a rotating server never sees one twice.
          return await this.#fetch(key, input, latest?.refreshToken ? latest : base, state, flight);
        } finally {
          await this.#guard.release(key, lock);
        }
      }
      if (lock === undefined) {
        const theirs = await this.#waitForHolder(key, mode, state, current, base);
        if (theirs !== undefined) return { token: theirs, source: 'storage' };
      }
    }
    return this.#fetch(key, input, stored?.refreshToken ? stored : base, state, flight);
  }

  /** Waits for another process's token, woken by the storage or a modest re-read interval. */
  async #waitForHolder(
    key: string,
    mode: Mode,
    state: KeyState,
    current: Token | undefined,
    base: Token | undefined,
  ): Promise<Token | undefined> {
    // Counting waited time (not reading the clock) bounds the loop whatever the clock does.
    let waited = 0;
    while (waited < this.#options.lockWaitMs) {
      const step = Math.min(LOCK_POLL_MS, this.#options.lockWaitMs - waited);
      await this.#sleepOrWake(key, step);
      this.#assertOpen();
      waited += step;
      const read = await this.#guard.get(key, base);
      this.#assertOpen();
      if (read !== FAILED && read !== undefined && this.#acceptable(read, mode, current, state)) {
        return read;
      }
    }
    return undefined;
  }

  #sleepOrWake(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.#wakers.get(key);
      if (wakers === undefined) {
        wakers = new Set();
        this.#wakers.set(key, wakers);
      }
      const set = wakers;
      const wake = (): void => {
        this.#timers.clear(handle);
        set.delete(wake);
        if (set.size === 0 && this.#wakers.get(key) === set) this.#wakers.delete(key);
        resolve();
      };
      const handle = this.#timers.set(wake, ms);
      set.add(wake);
    });
  }

  async #fetch(
    key: string,
    input: TInput,
    base: Token | undefined,
    state: KeyState,
    flight: Flight,
  ): Promise<Obtained> {
    this.#assertOpen();
    const controller = new AbortController();
    this.#inFlight.add(controller);
    try {
      return await this.#request(key, input, base, state, controller.signal, flight);
    } finally {
      this.#inFlight.delete(controller);
    }
  }

  async #request(
    key: string,
    input: TInput,
    base: Token | undefined,
    state: KeyState,
    signal: AbortSignal,
    flight: Flight,
  ): Promise<Obtained> {
    const onAttempt = (attempt: TokenRequestAttempt): void => {
      flight.attempts++;
      if (this.#closed || !this.#events.has('attempt')) return;
      this.#events.emit('attempt', {
        serviceName: this.serviceName,
        key,
        flight: flight.id,
        grantType: attempt.grantType,
        origin: attempt.origin,
        attempt: attempt.attempt,
        status: attempt.status,
        errorReason: attempt.errorReason,
        startedAt: attempt.startedAt,
        durationMs: attempt.durationMs,
      });
    };
    const context: TokenRequestContext = { key, signal, onAttempt };
    const provider = this.#provider;
    let token: unknown;
    let source: Obtained['source'] = 'fetch';
    if (base?.refreshToken !== undefined && typeof provider.refreshToken === 'function') {
      try {
        token = await provider.refreshToken(base, input, context);
        source = 'refresh';
      } catch (error) {
        // The refresh token was revoked or already used: start over with the primary grant.
        if (!isInvalidGrant(error)) throw error;
        this.#assertOpen();
        if (state.renewWith?.refreshToken === base.refreshToken) state.renewWith = undefined;
        token = await provider.fetchToken(input, context);
      }
    } else {
      token = await provider.fetchToken(input, context);
    }
    this.#assertOpen();
    const obtained = this.#asToken(token);
    // A failed write still leaves the token in the hot tier: the guard reports and swallows it.
    await this.#guard.set(key, obtained, this.#storageTtl(obtained));
    return { token: obtained, source };
  }

  /** A provider's answer as a `Token`: as is, or built from a plain object with its fields. */
  #asToken(value: unknown): Token {
    if (isToken(value)) return value;
    if (typeof value === 'object' && value !== null && 'accessToken' in value) {
      try {
        return new Token(value as TokenInit);
      } catch (error) {
        throw new TokenEndpointError(
          `The provider for "${this.serviceName}" resolved to an object that is not a valid token (${
            error instanceof ConfigurationError ? `\`${error.option}\` is invalid` : 'unreadable'
          }). Resolve to a Token or to { accessToken, expiresAt?, tokenType?, refreshToken?, scope? }.`,
          { serviceName: this.serviceName, reason: 'malformed', cause: error },
        );
      }
    }
    throw new TokenEndpointError(
      `The provider for "${this.serviceName}" resolved to something that is not a token; its fetchToken/refreshToken must resolve to a Token or to { accessToken, expiresAt?, … }.`,
      { serviceName: this.serviceName, reason: 'malformed' },
    );
  }

  #storageTtl(token: Token): number {
    const untilExpiry = token.expiresAtMs - this.#clock();
    if (!Number.isFinite(untilExpiry)) return this.#options.refreshTokenTtlMs;
    const ttl =
      token.refreshToken === undefined
        ? untilExpiry
        : Math.max(untilExpiry, this.#options.refreshTokenTtlMs);
    return Math.max(1, Math.ceil(ttl));
  }

  #toForgeError(error: unknown, known: readonly (Token | undefined)[]): ForgeError {
    if (isForgeError(error)) return error;
    const secrets = known.flatMap((token) => [token?.accessToken, token?.refreshToken]);
    return new TokenEndpointError(
      `Getting a token for "${this.serviceName}" failed: ${redact(messageOf(error), secrets)}. Check the provider; the next getToken() tries again.`,
      { serviceName: this.serviceName, reason: 'network' },
    );
  }

  #expiredOnArrival(): TokenEndpointError {
    return new TokenEndpointError(
      `The token endpoint for "${this.serviceName}" issued a token that is already expired (expires_in of 0 or less, or an expiry before it arrived), so it is not used. Check the server's token lifetime and the provider's clock; the next getToken() tries again after a backoff.`,
      { serviceName: this.serviceName, reason: 'malformed' },
    );
  }

  #subscribe(): void {
    this.#subscribed = true;
    const subscribe = this.#storage.subscribe;
    if (typeof subscribe !== 'function') return;
    try {
      this.#unsubscribe = subscribe.call(this.#storage, (key) => {
        void this.#onRemoteChange(key);
      });
    } catch (error) {
      // Without notifications, lock waiters still re-read on an interval.
      this.#events.emit('storageError', {
        serviceName: this.serviceName,
        key: '*',
        operation: 'subscribe',
        error: new StorageError(
          'subscribe',
          `Storage subscribe failed: ${redact(messageOf(error))}; other processes' tokens are picked up on the next miss. Check the storage's connection.`,
        ),
      });
    }
  }

  async #onRemoteChange(key: unknown): Promise<void> {
    if (typeof key !== 'string' || this.#closed) return;
    const wakers = this.#wakers.get(key);
    if (wakers !== undefined) for (const wake of [...wakers]) wake();
    const state = this.#states.get(key);
    if (state?.entry === undefined) return;
    const read = await this.#guard.get(key, state.entry.token);
    const held = state.entry;
    if (this.#closed || held === undefined) return;
    if (read === FAILED) {
      // The change is real but unreadable right now: keep serving the held token
      // and let the next call's background refresh (storage first) pick it up.
      state.entry = { ...held, refreshAt: this.#clock() };
      return;
    }
    if (read !== undefined && read.accessToken === held.token.accessToken) return;
    if (
      read !== undefined &&
      this.#clock() < scheduleOf(read, this.#options.skewMs, false).staleAt
    ) {
      this.#adopt(state, read);
    } else {
      // Another process dropped the token; its refresh token can still renew it here.
      if (held.token.refreshToken !== undefined) state.renewWith = held.token;
      state.entry = undefined;
    }
  }
}
