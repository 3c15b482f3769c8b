import { ConfigurationError } from '../errors.js';
import type { StorageCapabilities, TokenStorage } from '../storage.js';
import { isToken, type Token } from '../token.js';

/**
 * Options of {@link InMemoryTokenStorage}.
 *
 * @example
 * ```ts
 * new InMemoryTokenStorage({ maxEntries: 50_000 });
 * ```
 */
export interface InMemoryTokenStorageOptions {
  /** Most entries kept; the least recently used goes first. Default `10_000`. */
  readonly maxEntries?: number;
  /** Epoch-milliseconds clock, injectable for tests; default `Date.now`. */
  readonly clock?: () => number;
}

interface Slot {
  readonly token: Token;
  readonly expiresAt: number;
}

/**
 * The default {@link TokenStorage}: a bounded LRU map in this process.
 * Entries expire after the `ttlMs` they were stored with and are evicted
 * lazily when read, or as the least recently used once `maxEntries` is
 * reached. It has no `lock`: in one process the manager's own single-flight
 * already does that job.
 *
 * @example
 * ```ts
 * const storage = new InMemoryTokenStorage({ maxEntries: 1_000 });
 * const manager = new TokenManager(provider, { storage });
 * ```
 */
export class InMemoryTokenStorage implements TokenStorage {
  readonly #slots = new Map<string, Slot>();
  readonly #maxEntries: number;
  readonly #clock: () => number;
  /** One process, so no lock or notifications to offer; entries end after their `ttlMs`. */
  readonly capabilities: StorageCapabilities = Object.freeze({
    fleetLock: false,
    changeNotifications: false,
    ttl: true,
    encryption: false,
  });

  constructor(options: InMemoryTokenStorageOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError('options', 'must be an object');
    }
    const { maxEntries = 10_000, clock = () => Date.now() } = options;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new ConfigurationError('maxEntries', 'must be an integer >= 1');
    }
    if (typeof clock !== 'function') {
      throw new ConfigurationError('clock', 'must be a function returning epoch milliseconds');
    }
    this.#maxEntries = maxEntries;
    this.#clock = clock;
  }

  /** Number of entries held, expired ones not yet evicted included. */
  get size(): number {
    return this.#slots.size;
  }

  get(key: string): Token | undefined {
    const slot = this.#live(key);
    if (slot === undefined) return undefined;
    // Re-inserting moves the key to the end of the Map's order: most recently used.
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.token;
  }

  set(key: string, token: Token, ttlMs: number): void {
    if (!isToken(token)) throw new ConfigurationError('token', 'must be a Token');
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs <= 0) {
      throw new ConfigurationError('ttlMs', 'must be a number of milliseconds > 0');
    }
    this.#slots.delete(key);
    this.#slots.set(key, { token, expiresAt: this.#clock() + ttlMs });
    while (this.#slots.size > this.#maxEntries) {
      const oldest = this.#slots.keys().next();
      if (oldest.done) break;
      this.#slots.delete(oldest.value);
    }
  }

  delete(key: string, expected?: Token): void {
    if (expected !== undefined) {
      const slot = this.#slots.get(key);
      if (slot === undefined || slot.token.accessToken !== expected.accessToken) return;
    }
    this.#slots.delete(key);
  }

  has(key: string): boolean {
    return this.#live(key) !== undefined;
  }

  /** Removes every entry. */
  clear(): void {
    this.#slots.clear();
  }

  #live(key: string): Slot | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (this.#clock() >= slot.expiresAt) {
      this.#slots.delete(key);
      return undefined;
    }
    return slot;
  }
}
