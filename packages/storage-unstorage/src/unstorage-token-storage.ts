import {
  ConfigurationError,
  isToken,
  redact,
  type StorageCapabilities,
  StorageError,
  type Token,
  type TokenStorage,
} from '@forge/core';
import {
  type BoundedContext,
  bounded,
  decodeEntry,
  type EnvelopeReader,
  encodeEntry,
  fingerprint,
} from '@forge/core/storage';
import { driverFacts, isUnstorage, type UnstorageStorage } from './drivers.js';
import { KeyBook, type KeyNames } from './keys.js';
import {
  PACKAGE,
  type ResolvedOptions,
  resolveOptions,
  type UnstorageTokenStorageOptions,
} from './options.js';

const READER: EnvelopeReader = {
  package: PACKAGE,
  writer: '@forge/storage-unstorage',
  foreignHint: 'check the `prefix`: another item shares it',
};

// How long a change reported by a watching driver may take to become readable: 20 × 25 ms.
const SETTLE_ATTEMPTS = 20;
const SETTLE_STEP_MS = 25;
// How long the watch outlives its last listener, for the next one.
const WATCH_LINGER_MS = 5_000;

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new ConfigurationError('key', 'must be a non-empty string', { package: PACKAGE });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A {@link TokenStorage} over any unstorage `Storage`, so tokens live in the
 * backend you already run: memory, a filesystem, Redis, Cloudflare Workers
 * KV, Vercel KV, Upstash, Deno KV, S3, … (whatever `createStorage({ driver })`
 * mounts).
 *
 * What it gives depends on the driver, and `capabilities` says so:
 * - Never a cross-process lock (unstorage has no atomic operation to build
 *   one on): single-flight holds per process, so each process makes its own
 *   token request per expiry. Use `@forge/storage-redis` or
 *   `@forge/storage-postgres` for one request per fleet.
 * - Entries expire in the backend where the driver honours unstorage's `ttl`
 *   option; every read checks the expiry written in the entry either way.
 * - `subscribe()` rides on `storage.watch()`: changes from other processes
 *   where the driver watches its backend (fs), changes made through the same
 *   `Storage` object otherwise.
 * - Keys are `<prefix>:<sha256 of the manager key>`; values are the envelope
 *   shared with the other Forge storages, optionally AES-256-GCM encrypted.
 * - Every driver call is bounded by `operationTimeoutMs`, and failures are
 *   `StorageError`s that the manager turns into a miss and a `storageError`
 *   event.
 *
 * @example
 * ```ts
 * import { createStorage } from 'unstorage';
 * import fsDriver from 'unstorage/drivers/fs';
 * import { TokenManager } from '@forge/core';
 * import { UnstorageTokenStorage } from '@forge/storage-unstorage';
 *
 * const storage = new UnstorageTokenStorage(createStorage({ driver: fsDriver({ base: './.tokens' }) }));
 * const manager = new TokenManager(provider, { storage });
 * ```
 */
export class UnstorageTokenStorage implements TokenStorage {
  /** What this storage guarantees with its driver; see `StorageCapabilities`. */
  readonly capabilities: StorageCapabilities;
  /** The name of the unstorage driver behind the prefix, such as `fs` or `redis`. */
  readonly driver: string;
  readonly #storage: UnstorageStorage;
  readonly #options: ResolvedOptions;
  readonly #ttl: boolean;
  readonly #keys: KeyBook;
  readonly #context: BoundedContext;
  /** The tail of each key's chain of operations: one at a time per key in this process. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Digests this instance is writing: the notification the write causes in this process is its own. */
  readonly #writing = new Map<string, number>();
  readonly #listeners = new Set<(key: string) => void>();
  /** Digests whose change is being confirmed readable before listeners hear of it. */
  readonly #settling = new Set<string>();
  #unwatch: Promise<(() => unknown) | undefined> | undefined;
  #linger: ReturnType<typeof setTimeout> | undefined;

  constructor(storage: UnstorageStorage, options?: UnstorageTokenStorageOptions) {
    if (!isUnstorage(storage)) {
      throw new ConfigurationError(
        'storage',
        'must be an unstorage Storage: pass `createStorage({ driver })` from `unstorage`',
        { package: PACKAGE },
      );
    }
    this.#storage = storage;
    this.#options = resolveOptions(options);
    const facts = driverFacts(storage, `${this.#options.prefix}:`);
    this.driver = facts.name;
    this.#ttl = this.#options.ttl ?? facts.ttl;
    this.#keys = new KeyBook(this.#options.prefix);
    this.#context = {
      package: PACKAGE,
      backend: `unstorage (${facts.name} driver)`,
      option: 'operationTimeoutMs',
    };
    this.capabilities = Object.freeze({
      fleetLock: false,
      changeNotifications: facts.watches,
      ttl: this.#ttl,
      encryption: this.#options.keys !== undefined,
    });
  }

  async get(key: string): Promise<Token | undefined> {
    checkKey(key);
    const names = await this.#keys.names(key);
    return this.#serial(names.digest, () => this.#read(names));
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    checkKey(key);
    if (!isToken(token)) {
      throw new ConfigurationError('token', 'must be a Token', { package: PACKAGE });
    }
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new ConfigurationError('ttlMs', 'must be a positive number of milliseconds', {
        package: PACKAGE,
      });
    }
    const names = await this.#keys.names(key);
    const value = await encodeEntry(token, names.digest, Date.now() + ttlMs, this.#options.keys);
    // unstorage's ttl is in whole seconds; the entry's own expiry is exact.
    const ttl = this.#ttl ? { ttl: Math.max(1, Math.ceil(ttlMs / 1_000)) } : {};
    await this.#serial(names.digest, () =>
      this.#write(names, 'set', () => this.#storage.setItem(names.entry, value, ttl), token),
    );
  }

  async delete(key: string, expected?: Token): Promise<void> {
    checkKey(key);
    if (expected !== undefined && !isToken(expected)) {
      throw new ConfigurationError('expected', 'must be a Token when given', { package: PACKAGE });
    }
    const names = await this.#keys.names(key);
    await this.#serial(names.digest, async () => {
      if (expected !== undefined) {
        // unstorage has no compare-and-delete: compare the stored fingerprint, then remove.
        // Serialized per key, this is exact within the process; across processes a write
        // landing between the two calls can still be removed (then refetched once).
        const stored = await this.#call(
          'delete',
          () => this.#storage.getItem(names.entry),
          expected,
        );
        if (stored === null || stored === undefined) return;
        const fp = this.#fingerprintOf(stored);
        if (fp !== undefined && fp !== (await fingerprint(expected))) return;
      }
      await this.#write(names, 'delete', () => this.#storage.removeItem(names.entry), expected);
    });
  }

  /**
   * Calls `listener` with the manager key of every entry changed or removed
   * by another instance: from other processes where the driver watches its
   * backend (`capabilities.changeNotifications`), otherwise from instances
   * sharing this `Storage` object. Returns the unsubscribe function.
   */
  subscribe(listener: (key: string) => void): () => void {
    if (typeof listener !== 'function') {
      throw new ConfigurationError('listener', 'must be a function (key) => void', {
        package: PACKAGE,
      });
    }
    this.#listeners.add(listener);
    clearTimeout(this.#linger);
    this.#linger = undefined;
    if (this.#unwatch === undefined) {
      // A driver whose watch fails leaves the manager re-reading on misses, as without notifications.
      this.#unwatch = this.#storage.watch(this.#onChange).catch(() => undefined);
    }
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      // A watcher takes a while to start (chokidar scans the directory): keep it a
      // moment for the next subscriber, without holding the process open.
      this.#linger = setTimeout(() => void this.#stopWatching(), WATCH_LINGER_MS);
      (this.#linger as { unref?: () => void }).unref?.();
    };
  }

  /** Stops watching; the user's `Storage` (and its driver's connections) stay open. */
  async dispose(): Promise<void> {
    this.#listeners.clear();
    clearTimeout(this.#linger);
    this.#linger = undefined;
    await this.#stopWatching();
  }

  readonly #onChange = (_event: 'update' | 'remove', storageKey: string): void => {
    const key = this.#keys.keyOf(storageKey);
    if (key === undefined) return;
    const digest = storageKey.slice(this.#options.prefix.length + 1);
    if ((this.#writing.get(digest) ?? 0) > 0) return;
    if (!this.capabilities.changeNotifications) {
      // In-process: unstorage announces a write once the driver has finished it.
      this.#announce(key);
    } else if (!this.#settling.has(digest)) {
      this.#settling.add(digest);
      void this.#settle(storageKey).finally(() => {
        this.#settling.delete(digest);
        this.#announce(key);
      });
    }
  };

  /**
   * A watching driver reports a file as soon as it changes, possibly before
   * the writer has finished it: wait (briefly, boundedly) until the entry is
   * whole or gone, so a listener that re-reads at once sees the change.
   */
  async #settle(storageKey: string): Promise<void> {
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt += 1) {
      try {
        const stored = await this.#call('get', () => this.#storage.getItem(storageKey));
        if (stored === null || stored === undefined) return;
        if (this.#fingerprintOf(stored) !== undefined) return;
      } catch {
        return; // unreadable for another reason: the listener's own read reports it
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS));
    }
  }

  #announce(key: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(key);
      } catch {
        // A listener's failure is its own; the others still hear of the change.
      }
    }
  }

  async #stopWatching(): Promise<void> {
    const pending = this.#unwatch;
    this.#unwatch = undefined;
    const unwatch = await pending;
    try {
      await unwatch?.();
    } catch {
      // Closing a watcher that already failed must not fail dispose().
    }
  }

  async #read(names: KeyNames): Promise<Token | undefined> {
    const value = await this.#call('get', () => this.#storage.getItem(names.entry));
    if (value === null || value === undefined) return undefined;
    // unstorage parses JSON on the way out; the envelope is decoded from its text.
    const raw = typeof value === 'string' ? value : JSON.stringify(value);
    const entry = await decodeEntry(raw, names.entry, names.digest, this.#options.keys, READER);
    if (entry.expiresAt !== undefined && Date.now() >= entry.expiresAt) {
      // A driver without TTL keeps expired entries: drop it now, best effort.
      await this.#write(names, 'delete', () => this.#storage.removeItem(names.entry)).catch(
        () => undefined,
      );
      return undefined;
    }
    return entry.token;
  }

  #fingerprintOf(stored: unknown): string | undefined {
    let parsed: unknown = stored;
    if (typeof stored === 'string') {
      try {
        parsed = JSON.parse(stored);
      } catch {
        return undefined;
      }
    }
    return isObject(parsed) && typeof parsed.fp === 'string' ? parsed.fp : undefined;
  }

  async #write(
    names: KeyNames,
    operation: string,
    run: () => Promise<unknown>,
    token?: Token,
  ): Promise<void> {
    this.#writing.set(names.digest, (this.#writing.get(names.digest) ?? 0) + 1);
    try {
      await this.#call(operation, run, token);
    } finally {
      const left = (this.#writing.get(names.digest) ?? 1) - 1;
      if (left > 0) this.#writing.set(names.digest, left);
      else this.#writing.delete(names.digest);
    }
  }

  /**
   * Runs one driver call, bounded. A driver's error may echo what it was
   * given (the envelope, with the token inside when not encrypted): the
   * tokens of the call are cut out of the message.
   */
  async #call<T>(operation: string, run: () => Promise<T>, token?: Token): Promise<T> {
    try {
      return await bounded(operation, this.#options.operationTimeoutMs, run, this.#context);
    } catch (error) {
      if (token === undefined || !(error instanceof StorageError)) throw error;
      const message = error.message.replace(/^\[forge\] \[[^\]]*\] /, '');
      throw new StorageError(operation, redact(message, [token.accessToken, token.refreshToken]), {
        package: PACKAGE,
      });
    }
  }

  /** Runs `task` after every earlier operation on the same key has settled. */
  #serial<T>(digest: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(digest) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(digest, tail);
    void tail.then(() => {
      if (this.#queues.get(digest) === tail) this.#queues.delete(digest);
    });
    return result;
  }
}
