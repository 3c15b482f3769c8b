import { randomUUID } from 'node:crypto';
import {
  ConfigurationError,
  type StorageCapabilities,
  type Token,
  type TokenLock,
  type TokenStorage,
} from '@forge/core';
import {
  checkSetArguments,
  decodeEntry,
  encodeEntry,
  entryLifetime,
  expectedFingerprint,
  KnownKeys,
  LocalCopy,
  lockTtl,
} from '@forge/core/storage';
import {
  isRedisClient,
  openSubscriber,
  type RedisClient,
  type RedisCommands,
  type RedisSubscriber,
} from './client.js';
import { channelName, type KeyNames, keyNames } from './keys.js';
import { type RedisTokenStorageOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { DELETE_SCRIPT, RELEASE_SCRIPT, runScript, SET_SCRIPT } from './scripts.js';
import { bounded, READER, storageError } from './timeout.js';

const PACKAGE = 'storage-redis';
/** Client states in which a command would only wait in ioredis's offline queue. */
const DOWN = new Set(['reconnecting', 'close', 'end']);

/**
 * A {@link TokenStorage} on your ioredis client (standalone, Sentinel or
 * Cluster), so a fleet of processes shares one token per expiry.
 *
 * - An in-process copy sits in front of Redis; changes made by other
 *   instances reach it over pub/sub on a connection of its own
 *   (`redis.duplicate()`), which is also how the manager learns of them.
 * - `lock` is `SET NX PX` with a random owner, released by compare-and-delete,
 *   so a crashed holder blocks others for at most the lock TTL.
 * - `delete(key, expected)` is an atomic compare-and-delete.
 * - Every command is bounded by `commandTimeoutMs`; failures are
 *   `StorageError`s, which the manager treats as misses.
 * - Entries may be encrypted with AES-256-GCM and rotating keys.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { TokenManager } from '@forge/core';
 * import { RedisTokenStorage } from '@forge/storage-redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const storage = new RedisTokenStorage(redis, { prefix: 'billing:' });
 * const manager = new TokenManager(provider, { storage });
 * ```
 */
export class RedisTokenStorage implements TokenStorage {
  readonly #redis: RedisCommands;
  readonly #options: ResolvedOptions;
  readonly #channel: string;
  /** The in-process copy, served only while the subscription is live. */
  readonly #copy: LocalCopy;
  readonly #names: KnownKeys<KeyNames>;
  #subscriber: RedisSubscriber | undefined;
  #subscribedOnce = false;
  /** A Redis lock and pub/sub reach every process; Redis expires entries itself. */
  readonly capabilities: StorageCapabilities;

  constructor(redis: RedisClient, options?: RedisTokenStorageOptions) {
    if (!isRedisClient(redis)) {
      throw new ConfigurationError(
        'redis',
        'must be an ioredis client (`new Redis(...)` or `new Cluster(...)`) with get, set, eval, evalsha, duplicate and status',
        { package: PACKAGE },
      );
    }
    this.#redis = redis as unknown as RedisCommands;
    this.#options = resolveOptions(options);
    this.#channel = channelName(this.#options.prefix);
    this.#copy = new LocalCopy(this.#options.maxEntries);
    const { prefix } = this.#options;
    this.#names = new KnownKeys(this.#copy, PACKAGE, (key) => keyNames(prefix, key));
    this.capabilities = Object.freeze({
      fleetLock: true,
      changeNotifications: true,
      ttl: true,
      encryption: this.#options.keys !== undefined,
    });
    this.#startSubscriber();
  }

  async get(key: string): Promise<Token | undefined> {
    const names = this.#names.of(key);
    return this.#copy.readThrough(names.digest, async () => {
      const raw = await this.#run('get', () => this.#redis.get(names.entry));
      if (raw === null) return undefined;
      return decodeEntry(raw, names.entry, names.digest, this.#options.keys, READER);
    });
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    const names = this.#names.of(key);
    checkSetArguments(token, ttlMs, PACKAGE);
    const lifetime = entryLifetime(ttlMs);
    if (!lifetime) {
      // Already expired: keeping it would only serve a dead token.
      await this.delete(key);
      return;
    }
    const { ttl, expiresAt } = lifetime;
    const value = await encodeEntry(token, names.digest, expiresAt, this.#options.keys);
    await this.#copy.writeThrough(names.digest, token, expiresAt, (message) =>
      this.#run('set', () =>
        runScript(this.#redis, SET_SCRIPT, names.entry, [value, ttl, this.#channel, message]),
      ),
    );
  }

  async delete(key: string, expected?: Token): Promise<void> {
    const names = this.#names.of(key);
    const expectedFp = await expectedFingerprint(expected, PACKAGE);
    await this.#copy.deleteThrough(names.digest, (message) =>
      this.#run('delete', () =>
        runScript(this.#redis, DELETE_SCRIPT, names.entry, [expectedFp, this.#channel, message]),
      ),
    );
  }

  async has(key: string): Promise<boolean> {
    const names = this.#names.of(key);
    if (this.#copy.lookup(names.digest, Date.now())) return true;
    return (await this.#run('has', () => this.#redis.exists(names.entry))) > 0;
  }

  async lock(key: string, ttlMs: number): Promise<TokenLock | undefined> {
    const names = this.#names.of(key);
    const ttl = lockTtl(ttlMs, PACKAGE);
    const owner = randomUUID();
    const answer = await this.#run('lock', () =>
      this.#redis.set(names.lock, owner, 'PX', ttl, 'NX'),
    );
    if (answer !== 'OK') return undefined;
    // Under the lock the manager re-reads the entry to get the newest refresh
    // token; a pub/sub message may still be in flight, so that read must come
    // from Redis, not from the local copy.
    return this.#copy.held(names.digest, ttl, () =>
      this.#run('unlock', () => runScript(this.#redis, RELEASE_SCRIPT, names.lock, [owner])),
    );
  }

  subscribe(listener: (key: string) => void): () => void {
    if (typeof listener !== 'function') {
      throw new ConfigurationError('listener', 'must be a function', { package: PACKAGE });
    }
    return this.#copy.subscribe(listener);
  }

  /**
   * Closes the subscriber connection this storage opened. Your client stays
   * open (it is yours); later calls still work, straight against Redis.
   */
  async dispose(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#copy.close();
    if (!subscriber) return;
    subscriber.removeAllListeners();
    // Errors during shutdown have no one to go to; without a listener
    // ioredis would print them.
    subscriber.on('error', () => {});
    try {
      await bounded('dispose', this.#options.commandTimeoutMs, () => subscriber.quit());
    } catch {
      subscriber.disconnect();
    }
  }

  #run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    // While ioredis reconnects, a command would wait in its offline queue for
    // the whole timeout; failing at once keeps misses fast during an outage.
    if (DOWN.has(this.#redis.status)) {
      return Promise.reject(
        storageError(
          operation,
          `Redis is unavailable (client status \`${this.#redis.status}\`); treated as a miss until it reconnects.`,
        ),
      );
    }
    return bounded(operation, this.#options.commandTimeoutMs, command);
  }

  #startSubscriber(): void {
    let subscriber: RedisSubscriber;
    try {
      subscriber = openSubscriber(this.#redis);
    } catch {
      // Without a subscriber the local copy is never served; Redis still works.
      return;
    }
    this.#subscriber = subscriber;
    // A listener must exist or ioredis prints every reconnect error; the
    // connection state is tracked through close/ready instead.
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, message: string) =>
      this.#onMessage(channel, message),
    );
    subscriber.on('close', () => this.#onSubscriberDown());
    subscriber.on('end', () => this.#onSubscriberDown());
    // Subscribe on every `ready`, catching the answer (see openSubscriber); this
    // also covers `enableOfflineQueue: false` on the user's options, which the
    // duplicate inherits.
    subscriber.on('ready', () => this.#subscribe(subscriber));
    if (subscriber.status === 'ready') this.#subscribe(subscriber);
  }

  #subscribe(subscriber: RedisSubscriber): void {
    subscriber.subscribe(this.#channel).then(
      () => {
        if (this.#subscriber !== subscriber || this.#copy.listening) return;
        this.#copy.up(this.#subscribedOnce);
        this.#subscribedOnce = true;
      },
      () => {
        // Not connected yet or lost again: the next `ready` retries.
      },
    );
  }

  #onSubscriberDown(): void {
    this.#copy.down();
  }

  #onMessage(channel: string, message: string): void {
    if (channel !== this.#channel || typeof message !== 'string') return;
    this.#copy.onMessage(message);
  }
}
