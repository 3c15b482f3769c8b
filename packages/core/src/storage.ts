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
 * What a {@link TokenStorage} guarantees, declared by the storage so the
 * manager (and a reader of `manager.storageCapabilities`) need not guess
 * from which methods exist. "Every instance" means every storage object over
 * the same backend, in this process or another.
 *
 * @example
 * ```ts
 * const capabilities: StorageCapabilities = {
 *   fleetLock: false, // single-flight per process only
 *   changeNotifications: false,
 *   ttl: true,
 *   encryption: false,
 * };
 * ```
 */
export interface StorageCapabilities {
  /**
   * `lock()` excludes every instance over the backend, so a whole fleet makes
   * one token request per expiry. `false`: the manager does not call `lock()`
   * and single-flight holds per process only.
   */
  readonly fleetLock: boolean;
  /** `subscribe()` hears the changes every other instance makes, including other processes. */
  readonly changeNotifications: boolean;
  /** The backend drops an entry after its `ttlMs` by itself (otherwise expiry is only checked on read). */
  readonly ttl: boolean;
  /** Stored tokens are encrypted at rest. */
  readonly encryption: boolean;
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
  /**
   * What this storage guarantees; see {@link StorageCapabilities}. Without
   * it, {@link storageCapabilities} infers the guarantees from the methods.
   */
  readonly capabilities?: StorageCapabilities;
}

/**
 * The capabilities a storage declares, or, for one that declares none, what
 * its methods suggest: a `lock` is taken as fleet-wide and a `subscribe` as
 * hearing other processes (what a storage written before `capabilities`
 * meant by them), and neither TTL nor encryption is assumed.
 *
 * @example
 * ```ts
 * if (!storageCapabilities(storage).fleetLock) console.info('one token request per process per expiry');
 * ```
 */
export function storageCapabilities(storage: TokenStorage): StorageCapabilities {
  const declared = storage.capabilities;
  const hasLock = typeof storage.lock === 'function';
  if (declared !== undefined) {
    // A lock that is declared but absent cannot be waited on.
    return Object.freeze({ ...declared, fleetLock: declared.fleetLock && hasLock });
  }
  return Object.freeze({
    fleetLock: hasLock,
    changeNotifications: typeof storage.subscribe === 'function',
    ttl: false,
    encryption: false,
  });
}

export {
  checkSetArguments,
  type EntryLifetime,
  entryLifetime,
  expectedFingerprint,
  lockTtl,
} from './storage/arguments.js';
export { type BoundedContext, bounded } from './storage/bounded.js';
export { fromBase64, sha256Hex, toBase64 } from './storage/envelope/bytes.js';
export {
  type EncryptionKey,
  type EncryptionOptions,
  Keyring,
  open,
  resolveEncryption,
  type Sealed,
  seal,
} from './storage/envelope/encryption.js';
export {
  decodeEntry,
  ENVELOPE_VERSION,
  type EnvelopeEntry,
  type EnvelopeReader,
  encodeEntry,
  fingerprint,
} from './storage/envelope/envelope.js';
export { KnownKeys } from './storage/known-keys.js';
export { LocalCopy } from './storage/local-copy.js';
export { LocalTier } from './storage/local-tier.js';
