// The storage contract, and (as `@forge/core/storage`) the kit every shared
// storage builds on: one encryption envelope, one in-process tier, one
// command bound, so Redis, PostgreSQL and unstorage read and write the same
// format and fail the same way. The main entry exports only the types.
import type { Token } from './token.js';
import type { MaybePromise } from './types.js';

/** A held cross-process lock; see {@link TokenStorage.lock}. */
export interface TokenLock {
  /** Releases the lock if this holder still owns it. */
  release(): MaybePromise<void>;
}

/**
 * Where tokens are kept between calls, and shared between processes. Few
 * required members; the optional ones are capabilities the manager uses when
 * present. A storage may fail: the manager turns every failure into a cache
 * miss plus a `storageError` event.
 *
 * @example
 * ```ts
 * const manager = new TokenManager(provider, { storage: new InMemoryTokenStorage({ maxEntries: 10_000 }) });
 * ```
 */
export interface TokenStorage {
  get(key: string): MaybePromise<Token | undefined>;
  /** Stores a token for `ttlMs` milliseconds. */
  set(key: string, token: Token, ttlMs: number): MaybePromise<void>;
  /**
   * Deletes the entry. With `expected`, deletes only while the stored token
   * has the same access token (compare-and-delete), so an old token's 401
   * never removes a newer token another process stored.
   */
  delete(key: string, expected?: Token): MaybePromise<void>;
  has(key: string): MaybePromise<boolean>;
  /**
   * Tries to take a lock on `key` for at most `ttlMs`, for single-flight
   * across processes. Resolves to the held lock, or `undefined` when another
   * holder has it (the manager then waits for that holder's token).
   */
  lock?(key: string, ttlMs: number): MaybePromise<TokenLock | undefined>;
  /**
   * Calls `listener` when another process changes or deletes `key`, so a
   * process waiting on a lock, or holding an older copy, learns of the new
   * token without polling. Returns the unsubscribe function.
   */
  subscribe?(listener: (key: string) => void): () => void;
  /** Releases connections and listeners the storage itself created. */
  dispose?(): MaybePromise<void>;
}

export { type BoundedContext, bounded } from './storage/bounded.js';
export { fromBase64, sha256Hex, toBase64 } from './storage/envelope/bytes.js';
export {
  type EncryptionKey,
  type EncryptionOptions,
  Keyring,
  resolveEncryption,
} from './storage/envelope/encryption.js';
export {
  decodeEntry,
  ENVELOPE_VERSION,
  type EnvelopeEntry,
  type EnvelopeReader,
  encodeEntry,
  fingerprint,
} from './storage/envelope/envelope.js';
export { LocalCopy } from './storage/local-copy.js';
export { LocalTier } from './storage/local-tier.js';
