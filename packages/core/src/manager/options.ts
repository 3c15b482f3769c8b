import { ConfigurationError } from '../errors.js';
import type { TokenStorage } from '../storage.js';

/**
 * The refresh window: how long before a token becomes unusable one
 * background refresh starts.
 *
 * @example
 * ```ts
 * new TokenManager(provider, { refreshAhead: { fraction: 0.25, minMs: 10_000, maxMs: 120_000 } });
 * ```
 */
export interface RefreshAheadOptions {
  /** Share of the token's lifetime; default `0.2`. Between 0 (exclusive) and 1 (exclusive). */
  readonly fraction?: number;
  /** Lower bound of the window in milliseconds; default `5_000`. */
  readonly minMs?: number;
  /** Upper bound of the window in milliseconds; default `300_000`. */
  readonly maxMs?: number;
}

/**
 * Spacing of retries after a failed background refresh (exponential, full jitter).
 *
 * @example
 * ```ts
 * new TokenManager(provider, { backoff: { baseMs: 500, maxMs: 30_000 } });
 * ```
 */
export interface BackoffOptions {
  /** First retry ceiling in milliseconds; default `1_000`. */
  readonly baseMs?: number;
  /** Largest retry ceiling in milliseconds; default `60_000`. */
  readonly maxMs?: number;
}

/**
 * Options of a {@link TokenManager}. Every field is optional.
 *
 * @example
 * ```ts
 * const options: TokenManagerOptions = {
 *   storage: new InMemoryTokenStorage({ maxEntries: 1_000 }),
 *   skewMs: 10_000,
 *   refreshAhead: { fraction: 0.25 },
 *   unauthorizedDampingMs: 30_000,
 * };
 * ```
 */
export interface TokenManagerOptions {
  /** Where tokens are kept and shared between processes; default a new `InMemoryTokenStorage`. */
  readonly storage?: TokenStorage;
  /** A token is unusable this long before its expiry; default `30_000`. */
  readonly skewMs?: number;
  /** Refresh window before expiry, or `false` to refresh only once a token is unusable. */
  readonly refreshAhead?: RefreshAheadOptions | false;
  /** Retry spacing after a failed background refresh. */
  readonly backoff?: BackoffOptions;
  /** Lifetime of a cross-process lock; default `10_000`. */
  readonly lockTtlMs?: number;
  /** How long to wait for another process's token before fetching one; default `lockTtlMs`. */
  readonly lockWaitMs?: number;
  /**
   * How long storages keep an entry that carries a refresh token (and one
   * without expiry); default 30 days.
   */
  readonly refreshTokenTtlMs?: number;
  /** Upper bound on each storage call; a slower call is a cache miss. Default `1_000`. */
  readonly storageTimeoutMs?: number;
  /**
   * Most keys kept in the manager's in-process tier; default `10_000`. A new
   * key drops the oldest idle one; keys with a request in flight stay until it
   * settles, and the tier shrinks back to `maxKeys` as they do.
   */
  readonly maxKeys?: number;
  /**
   * Damping of renewals after a 401, per key, in milliseconds; default
   * `30_000`, `0` switches it off. Once a token obtained after
   * `invalidate(token)` is rejected too within this interval, that
   * `invalidate(token)` keeps it (no `invalidated` event, no new request): an
   * API that answers 401 to everything costs about one token request per
   * interval, however many calls get a 401. `invalidate()` without a token and
   * `forceRefresh()` are never damped.
   */
  readonly unauthorizedDampingMs?: number;
  /** Epoch-milliseconds clock, injectable for tests; default `Date.now`. */
  readonly clock?: () => number;
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly skewMs: number;
  readonly refreshAhead: Required<RefreshAheadOptions> | false;
  readonly backoff: Required<BackoffOptions>;
  readonly lockTtlMs: number;
  readonly lockWaitMs: number;
  readonly refreshTokenTtlMs: number;
  readonly storageTimeoutMs: number;
  readonly maxKeys: number;
  readonly unauthorizedDampingMs: number;
  readonly clock: () => number;
}

const DAY_MS = 86_400_000;

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem);
}

function duration(option: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(option, `must be an integer number of milliseconds >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return typeof value;
}

function plainObject(option: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, `must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function resolveRefreshAhead(value: unknown): Required<RefreshAheadOptions> | false {
  if (value === false) return false;
  const input = value === undefined ? {} : plainObject('refreshAhead', value);
  const fraction = input.fraction ?? 0.2;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
    fail(
      'refreshAhead.fraction',
      `must be a number between 0 and 1 (exclusive), got ${describe(fraction)}`,
    );
  }
  const minMs = duration('refreshAhead.minMs', input.minMs, 5_000);
  const maxMs = duration('refreshAhead.maxMs', input.maxMs, 300_000);
  if (maxMs < minMs) fail('refreshAhead.maxMs', `must be >= refreshAhead.minMs (${minMs})`);
  return { fraction, minMs, maxMs };
}

function resolveBackoff(value: unknown): Required<BackoffOptions> {
  const input = value === undefined ? {} : plainObject('backoff', value);
  const baseMs = duration('backoff.baseMs', input.baseMs, 1_000, 1);
  const maxMs = duration('backoff.maxMs', input.maxMs, 60_000, 1);
  if (maxMs < baseMs) fail('backoff.maxMs', `must be >= backoff.baseMs (${baseMs})`);
  return { baseMs, maxMs };
}

/**
 * Validates {@link TokenManagerOptions} and fills in defaults; throws a
 * `ConfigurationError` naming the first bad option.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  const input = options === undefined ? {} : plainObject('options', options);
  const skew = input.skewMs;
  if (skew !== undefined && (typeof skew !== 'number' || !Number.isFinite(skew) || skew < 0)) {
    fail('skewMs', `must be a finite number of milliseconds >= 0, got ${describe(skew)}`);
  }
  const clock = input.clock ?? (() => Date.now());
  if (typeof clock !== 'function') fail('clock', 'must be a function returning epoch milliseconds');
  const lockTtlMs = duration('lockTtlMs', input.lockTtlMs, 10_000, 1);
  return {
    skewMs: (skew as number | undefined) ?? 30_000,
    refreshAhead: resolveRefreshAhead(input.refreshAhead),
    backoff: resolveBackoff(input.backoff),
    lockTtlMs,
    lockWaitMs: duration('lockWaitMs', input.lockWaitMs, lockTtlMs),
    refreshTokenTtlMs: duration('refreshTokenTtlMs', input.refreshTokenTtlMs, 30 * DAY_MS, 1),
    storageTimeoutMs: duration('storageTimeoutMs', input.storageTimeoutMs, 1_000, 1),
    maxKeys: duration('maxKeys', input.maxKeys, 10_000, 1),
    unauthorizedDampingMs: duration('unauthorizedDampingMs', input.unauthorizedDampingMs, 30_000),
    clock: clock as () => number,
  };
}

/** Throws a `ConfigurationError` unless `storage` has the required `TokenStorage` methods. */
export function validateStorage(storage: unknown): void {
  if (storage === undefined) return;
  const value = plainObject('storage', storage);
  for (const method of ['get', 'set', 'delete', 'has'] as const) {
    if (typeof value[method] !== 'function') {
      fail(`storage.${method}`, 'must be a function: pass an object implementing TokenStorage');
    }
  }
  const { capabilities } = value;
  if (capabilities === undefined) return;
  const declared = plainObject('storage.capabilities', capabilities);
  for (const flag of ['fleetLock', 'changeNotifications', 'ttl', 'encryption'] as const) {
    if (typeof declared[flag] !== 'boolean') {
      fail(
        `storage.capabilities.${flag}`,
        'must be a boolean: a storage declares { fleetLock, changeNotifications, ttl, encryption }, or no capabilities at all',
      );
    }
  }
}

/** Throws a `ConfigurationError` unless `provider` satisfies `TokenProvider`. */
export function validateProvider(provider: unknown): void {
  if (typeof provider !== 'object' || provider === null) {
    fail('provider', `must be an object implementing TokenProvider, got ${describe(provider)}`);
  }
  const value = provider as Record<string, unknown>;
  if (typeof value.serviceName !== 'string' || value.serviceName.trim() === '') {
    fail('provider.serviceName', 'must be a non-empty string naming the service');
  }
  if (typeof value.fetchToken !== 'function') {
    fail('provider.fetchToken', 'must be a function returning a Promise<Token>');
  }
  for (const optional of ['refreshToken', 'cacheKey'] as const) {
    if (value[optional] !== undefined && typeof value[optional] !== 'function') {
      fail(`provider.${optional}`, 'must be a function when present');
    }
  }
  const dpop = value.dpop as { proof?: unknown; ready?: unknown } | undefined;
  if (
    dpop !== undefined &&
    (typeof dpop?.proof !== 'function' || typeof dpop.ready !== 'function')
  ) {
    fail(
      'provider.dpop',
      'must be a DPoP instance (the `dpop` option of a built-in provider) when present',
    );
  }
}
