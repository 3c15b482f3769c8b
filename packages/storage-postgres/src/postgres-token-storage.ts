import { createHash, randomUUID } from 'node:crypto';
import {
  ConfigurationError,
  type StorageCapabilities,
  type Token,
  type TokenLock,
  type TokenStorage,
} from '@forge/core';
import {
  type BoundedContext,
  bounded,
  checkSetArguments,
  decodeEntry,
  type EnvelopeReader,
  encodeEntry,
  entryLifetime,
  expectedFingerprint,
  fingerprint,
  KnownKeys,
  LocalCopy,
  lockTtl,
} from '@forge/core/storage';
import pg from 'pg';
import { isPool, type PostgresPool } from './client.js';
import { Listener } from './listener.js';
import {
  type PostgresTokenStorageOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { type Statements, statements } from './sql.js';

const PACKAGE = 'storage-postgres';
const READER: EnvelopeReader = {
  package: PACKAGE,
  writer: '@forge/storage-postgres',
  foreignHint: 'check the `table` option',
};

/**
 * A {@link TokenStorage} on PostgreSQL through your node-postgres `Pool`, so
 * a fleet of processes shares one token per expiry.
 *
 * - Entries live in one table (created on first use, or by
 *   {@link postgresMigration}); expired rows are never read and are deleted
 *   in batches by later writes, without a cron.
 * - `lock` is a row with an owner and an expiry: one autocommit statement,
 *   so it works through pools and PgBouncer in transaction mode, and a dead
 *   holder blocks others for at most the lock TTL.
 * - Writes `NOTIFY`; one dedicated connection `LISTEN`s, keeps an in-process
 *   copy fresh and tells the manager of other processes' tokens. Without it
 *   (`listen: false`) every read goes to PostgreSQL.
 * - Every query is bounded by `queryTimeoutMs`; failures are `StorageError`s,
 *   which the manager treats as misses.
 * - Entries may be encrypted with AES-256-GCM and rotating keys.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { TokenManager } from '@forge/core';
 * import { PostgresTokenStorage } from '@forge/storage-postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const storage = new PostgresTokenStorage(pool, { table: 'forge_tokens' });
 * const manager = new TokenManager(provider, { storage });
 * ```
 */
export class PostgresTokenStorage implements TokenStorage {
  readonly #pool: PostgresPool;
  /** Set when the storage made the pool from a connection string; `dispose` ends it. */
  readonly #ownPool: pg.Pool | undefined;
  readonly #options: ResolvedOptions;
  readonly #sql: Statements;
  readonly #context: BoundedContext;
  /** The in-process copy, served only while LISTEN is live. */
  readonly #copy: LocalCopy;
  /**
   * SHA-256 hex of each manager key (what the table stores instead of the
   * key), computed synchronously with node:crypto and remembered.
   */
  readonly #digests: KnownKeys<{ readonly digest: string }>;
  readonly #listener: Listener | undefined;
  #tables: Promise<void> | undefined;
  #lastSweep = 0;

  /**
   * Calls `listener` when another process changes or deletes a key this
   * process has used. Present only when change notifications are on
   * (`listen` is not `false`), so the manager sees the capability honestly.
   */
  readonly subscribe?: (listener: (key: string) => void) => () => void;

  /**
   * The lock row reaches every process; NOTIFY only while `listen` is on;
   * expired rows are never read (the server's clock), so entries expire.
   */
  readonly capabilities: StorageCapabilities;

  /**
   * @param pool Your `pg.Pool` (the storage never ends it), or a connection
   * string for the simple case (the storage makes a small pool and ends it
   * in `dispose`).
   */
  constructor(pool: PostgresPool | string, options?: PostgresTokenStorageOptions) {
    this.#options = resolveOptions(options);
    const { queryTimeoutMs } = this.#options;
    if (typeof pool === 'string') {
      if (pool.length === 0) {
        throw new ConfigurationError('pool', 'must be a pg.Pool or a non-empty connection string', {
          package: PACKAGE,
        });
      }
      const own = new pg.Pool({
        connectionString: pool,
        max: 5,
        connectionTimeoutMillis: queryTimeoutMs,
        idleTimeoutMillis: 10_000,
        keepAlive: true,
      });
      // An idle connection dropped by a restarting server must not crash the process.
      own.on('error', () => {});
      this.#ownPool = own;
      this.#pool = own as unknown as PostgresPool;
    } else {
      if (!isPool(pool)) {
        throw new ConfigurationError(
          'pool',
          'must be a node-postgres Pool (`new pg.Pool(...)`) or a connection string',
          { package: PACKAGE },
        );
      }
      this.#pool = pool;
    }
    this.#sql = statements(this.#options.schema, this.#options.table);
    this.#context = { package: PACKAGE, backend: 'PostgreSQL', option: 'queryTimeoutMs' };
    this.#copy = new LocalCopy(this.#options.maxEntries);
    this.#digests = new KnownKeys(this.#copy, PACKAGE, (key) => ({
      digest: createHash('sha256').update(key, 'utf8').digest('hex'),
    }));
    // Start the table check now, so the first call does not pay for it (or
    // for the DDL) inside its query bound; a failure is retried by that call.
    this.#ensureTables().catch(() => {});
    const listenConfig = this.#listenConfig(pool);
    this.capabilities = Object.freeze({
      fleetLock: true,
      changeNotifications: listenConfig !== undefined,
      ttl: true,
      encryption: this.#options.keys !== undefined,
    });
    if (listenConfig) {
      this.subscribe = (listener) => this.#subscribe(listener);
      this.#listener = new Listener(listenConfig, this.#sql.channel, queryTimeoutMs, {
        up: (again) => this.#copy.up(again),
        down: () => this.#copy.down(),
        message: (payload) => this.#copy.onMessage(payload),
      });
    }
  }

  async get(key: string): Promise<Token | undefined> {
    const { digest } = this.#digests.of(key);
    return this.#copy.readThrough(digest, async () => {
      const rows = await this.#query('get', this.#sql.get, [digest]);
      const row = rows[0] as { value?: unknown } | undefined;
      if (!row || typeof row.value !== 'string') return undefined;
      return decodeEntry(row.value, this.#entryName(digest), digest, this.#keys, READER);
    });
  }

  async set(key: string, token: Token, ttlMs: number): Promise<void> {
    const { digest } = this.#digests.of(key);
    checkSetArguments(token, ttlMs, PACKAGE);
    const lifetime = entryLifetime(ttlMs);
    if (!lifetime) {
      // Already expired: keeping it would only serve a dead token.
      await this.delete(key);
      return;
    }
    const { ttl, expiresAt } = lifetime;
    const value = await encodeEntry(token, digest, expiresAt, this.#keys);
    const fp = await fingerprint(token);
    await this.#copy.writeThrough(digest, token, expiresAt, (message) =>
      this.#query('set', this.#sql.set, [digest, value, fp, ttl, this.#sql.channel, message]),
    );
    this.#maybeSweep();
  }

  async delete(key: string, expected?: Token): Promise<void> {
    const { digest } = this.#digests.of(key);
    const fp = await expectedFingerprint(expected, PACKAGE);
    await this.#copy.deleteThrough(digest, (message) =>
      this.#query('delete', this.#sql.delete, [digest, fp, this.#sql.channel, message]),
    );
  }

  async has(key: string): Promise<boolean> {
    const { digest } = this.#digests.of(key);
    if (this.#copy.lookup(digest, Date.now())) return true;
    return (await this.#query('has', this.#sql.has, [digest])).length > 0;
  }

  async lock(key: string, ttlMs: number): Promise<TokenLock | undefined> {
    const { digest } = this.#digests.of(key);
    const ttl = lockTtl(ttlMs, PACKAGE);
    const owner = randomUUID();
    const rows = await this.#query('lock', this.#sql.lock, [digest, owner, ttl]);
    if (rows.length === 0) return undefined;
    // Under the lock the manager re-reads the entry to get the newest refresh
    // token; a notification may still be in flight, so that read must come
    // from PostgreSQL, not from the local copy.
    return this.#copy.held(digest, ttl, () =>
      this.#query('unlock', this.#sql.release, [digest, owner]),
    );
  }

  /**
   * Closes the LISTEN connection, and the pool when the storage made it from
   * a connection string. Your pool stays open (it is yours); later calls
   * still work, straight against PostgreSQL.
   */
  async dispose(): Promise<void> {
    this.#copy.close();
    await this.#listener?.stop();
    if (this.#ownPool) {
      await Promise.race([
        this.#ownPool.end().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, this.#options.queryTimeoutMs).unref?.()),
      ]);
    }
  }

  get #keys() {
    return this.#options.keys;
  }

  #subscribe(listener: (key: string) => void): () => void {
    if (typeof listener !== 'function') {
      throw new ConfigurationError('listener', 'must be a function', { package: PACKAGE });
    }
    return this.#copy.subscribe(listener);
  }

  #listenConfig(pool: PostgresPool | string): pg.ClientConfig | undefined {
    const { listen } = this.#options;
    if (listen === false) return undefined;
    if (typeof listen === 'string') return { connectionString: listen };
    if (typeof listen === 'object') return { ...listen } as pg.ClientConfig;
    if (typeof pool === 'string') return { connectionString: pool };
    // A pg.Pool keeps the settings it was made with; a pool-like object
    // without them gets no notifications rather than a guessed connection.
    const settings = pool.options;
    if (typeof settings !== 'object' || settings === null) return undefined;
    return { ...(settings as pg.ClientConfig) };
  }

  /** Runs one statement, bounded as a whole (table check, pool wait, query). */
  async #query(operation: string, text: string, values: unknown[]): Promise<unknown[]> {
    const timeoutMs = this.#options.queryTimeoutMs;
    return bounded(
      operation,
      timeoutMs,
      async () => {
        await this.#ensureTables();
        const result = await this.#pool.query({ text, values, query_timeout: timeoutMs });
        return result.rows;
      },
      this.#context,
    );
  }

  /**
   * Creates the tables on first use unless `createTable: false`. Checks for
   * them first, so a read-only replica with the tables in place still reads.
   * A failure is retried by the next call.
   */
  #ensureTables(): Promise<void> {
    if (!this.#options.createTable) return Promise.resolve();
    this.#tables ??= (async () => {
      const timeoutMs = this.#options.queryTimeoutMs;
      const found = await this.#pool.query({
        text: this.#sql.exists,
        values: [...this.#sql.tables],
        query_timeout: Math.max(timeoutMs, 10_000),
      });
      if ((found.rows[0] as { ready?: unknown } | undefined)?.ready === true) return;
      // DDL may wait behind other sessions; it gets longer than one call's
      // bound and goes on in the background when a caller gave up on it.
      await this.#pool.query({
        text: this.#sql.create,
        query_timeout: Math.max(timeoutMs, 10_000),
      });
    })();
    this.#tables.catch(() => {
      this.#tables = undefined;
    });
    return this.#tables;
  }

  /**
   * Deletes expired rows and locks now and then, piggybacked on writes: no
   * cron, at most one sweep per `cleanupIntervalMs` per process, never
   * awaited by the caller, failures ignored (the next interval retries).
   */
  #maybeSweep(): void {
    const now = Date.now();
    if (now - this.#lastSweep < this.#options.cleanupIntervalMs) return;
    this.#lastSweep = now;
    this.#query('cleanup', this.#sql.sweep, []).catch(() => {});
  }

  /** How errors name an entry: the table and the digest, never the key. */
  #entryName(digest: string): string {
    return `${this.#sql.tables[0]}[${digest}]`;
  }
}
