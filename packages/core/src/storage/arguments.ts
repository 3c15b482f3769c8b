import { ConfigurationError } from '../errors.js';
import { isToken, type Token } from '../token.js';
import { fingerprint } from './envelope/envelope.js';

/** How long an entry lives, from the `ttlMs` a `set` was given. */
export interface EntryLifetime {
  /** Whole milliseconds for the backend's TTL; 0 when the entry never expires. */
  readonly ttl: number;
  /** Epoch ms when the entry expires, or `undefined` when it never does. */
  readonly expiresAt: number | undefined;
}

function checkToken(option: string, value: unknown, pkg: string): void {
  if (!isToken(value)) {
    throw new ConfigurationError(option, 'must be a Token from @forge/core', { package: pkg });
  }
}

/**
 * Validates what a storage's `set(key, token, ttlMs)` was given, raising a
 * `ConfigurationError` named after `pkg`. A `ttlMs` of 0 or less is valid:
 * see {@link entryLifetime}.
 *
 * @example
 * ```ts
 * checkSetArguments(token, ttlMs, 'storage-redis');
 * ```
 */
export function checkSetArguments(token: Token, ttlMs: number, pkg: string): void {
  checkToken('token', token, pkg);
  if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs)) {
    throw new ConfigurationError('ttlMs', 'must be a number of milliseconds', { package: pkg });
  }
}

/**
 * The lifetime of an entry `set` for `ttlMs` (checked by
 * {@link checkSetArguments}), or `undefined` when it is already expired: the
 * storage then deletes the entry rather than serve a dead token. An infinite
 * `ttlMs` never expires.
 *
 * @example
 * ```ts
 * const lifetime = entryLifetime(ttlMs);
 * if (!lifetime) return storage.delete(key);
 * ```
 */
export function entryLifetime(ttlMs: number, now: number = Date.now()): EntryLifetime | undefined {
  if (ttlMs <= 0) return undefined;
  const ttl = Number.isFinite(ttlMs) ? Math.ceil(ttlMs) : 0;
  return { ttl, expiresAt: ttl === 0 ? undefined : now + ttl };
}

/**
 * The fingerprint a compare-and-delete matches for `delete(key, expected)`:
 * `expected`'s, or `''` (delete whatever is stored) without one. Raises a
 * `ConfigurationError` named after `pkg` when `expected` is not a Token.
 *
 * @example
 * ```ts
 * const fp = await expectedFingerprint(expected, 'storage-postgres');
 * ```
 */
export async function expectedFingerprint(
  expected: Token | undefined,
  pkg: string,
): Promise<string> {
  if (expected === undefined) return '';
  checkToken('expected', expected, pkg);
  return fingerprint(expected);
}

/**
 * The whole milliseconds a `lock(key, ttlMs)` holds for, raising a
 * `ConfigurationError` named after `pkg` unless `ttlMs` is a positive
 * finite number.
 *
 * @example
 * ```ts
 * const ttl = lockTtl(ttlMs, 'storage-redis');
 * ```
 */
export function lockTtl(ttlMs: number, pkg: string): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ConfigurationError('ttlMs', 'must be a positive number of milliseconds', {
      package: pkg,
    });
  }
  return Math.ceil(ttlMs);
}
