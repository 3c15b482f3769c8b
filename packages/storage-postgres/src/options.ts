import { ConfigurationError } from '@forge/core';
import { type EncryptionOptions, type Keyring, resolveEncryption } from '@forge/core/storage';
import { parseTable } from './sql.js';

/**
 * Connection settings for the dedicated LISTEN connection: a connection
 * string or a node-postgres client config (`new Client(config)`).
 *
 * @example
 * ```ts
 * const direct: ListenConnection = 'postgres://app@db-primary:5432/app';
 * const config: ListenConnection = { host: 'db-primary', user: 'app', database: 'app' };
 * ```
 */
export type ListenConnection = string | Readonly<Record<string, unknown>>;

/**
 * Options of `PostgresTokenStorage`.
 *
 * @example
 * ```ts
 * const options: PostgresTokenStorageOptions = {
 *   table: 'forge_tokens',
 *   queryTimeoutMs: 500,
 *   encryption: { key: process.env.TOKEN_KEY! },
 *   // Queries through PgBouncer (transaction mode), LISTEN straight to PostgreSQL:
 *   listen: process.env.DATABASE_DIRECT_URL!,
 * };
 * ```
 */
export interface PostgresTokenStorageOptions {
  /**
   * The table, optionally schema-qualified (`app.forge_tokens`); its lock
   * table is `<table>_locks` and its change channel `<table>_changes`.
   * Lowercase letters, digits and `_`. Default `forge_tokens`.
   */
  readonly table?: string;
  /**
   * Create the tables on first use when they are missing (`CREATE TABLE IF
   * NOT EXISTS`, serialized by a transaction-scoped advisory lock). `false`
   * when the application's role may not run DDL: run {@link postgresMigration}
   * with your migrations instead. Default `true`.
   */
  readonly createTable?: boolean;
  /**
   * Upper bound for every query, in ms, including waiting for a pooled
   * connection. A slower or absent answer is a `StorageError` (a miss for the
   * manager), so an outage never holds a request longer than this. Default 500.
   */
  readonly queryTimeoutMs?: number;
  /**
   * Change notifications (LISTEN/NOTIFY) on one dedicated connection outside
   * the pool; they keep the in-process copy fresh and tell the manager of
   * other processes' tokens. `true` (default) opens it with the pool's own
   * settings; a connection string or config opens it elsewhere (straight to
   * PostgreSQL when the pool goes through PgBouncer in transaction mode,
   * where LISTEN does not work); `false` turns notifications off: every read
   * goes to PostgreSQL and `subscribe` is absent.
   */
  readonly listen?: boolean | ListenConnection;
  /** Encrypt stored tokens (AES-256-GCM, rotating keys). Off by default. */
  readonly encryption?: EncryptionOptions;
  /**
   * The in-process copy in front of PostgreSQL, served only while the LISTEN
   * connection is up. `false` turns it off; `maxEntries` bounds it. Default
   * `{ maxEntries: 10_000 }`.
   */
  readonly localTier?: { readonly maxEntries?: number } | false;
  /**
   * How often, at most, a write also deletes expired rows and locks (in
   * batches of 1 000), so the table stays small without a cron. Default 60 000.
   */
  readonly cleanupIntervalMs?: number;
}

/** Options after validation. @internal */
export interface ResolvedOptions {
  readonly schema: string | undefined;
  readonly table: string;
  readonly createTable: boolean;
  readonly queryTimeoutMs: number;
  readonly listen: boolean | ListenConnection;
  readonly keys: Keyring | undefined;
  readonly maxEntries: number;
  readonly cleanupIntervalMs: number;
}

const PACKAGE = 'storage-postgres';

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem, { package: PACKAGE });
}

function positive(value: unknown, option: string, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(option, `must be a positive number of milliseconds, such as ${example}`);
  }
  return value;
}

/** @internal */
export function resolveOptions(options: PostgresTokenStorageOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  const { schema, table } = parseTable(options.table);
  const createTable = options.createTable ?? true;
  if (typeof createTable !== 'boolean') fail('createTable', 'must be true or false');
  const queryTimeoutMs = positive(options.queryTimeoutMs ?? 500, 'queryTimeoutMs', '500');
  const cleanupIntervalMs = positive(
    options.cleanupIntervalMs ?? 60_000,
    'cleanupIntervalMs',
    '60000',
  );
  const listen = options.listen ?? true;
  if (
    typeof listen !== 'boolean' &&
    !(typeof listen === 'string' && listen.length > 0) &&
    !(typeof listen === 'object' && listen !== null && !Array.isArray(listen))
  ) {
    fail(
      'listen',
      'must be true, false, a connection string or a node-postgres client config for the LISTEN connection',
    );
  }
  const keys = resolveEncryption(options.encryption, PACKAGE);
  let maxEntries = 10_000;
  if (options.localTier === false) {
    maxEntries = 0;
  } else if (options.localTier !== undefined) {
    if (typeof options.localTier !== 'object' || options.localTier === null) {
      fail('localTier', 'must be `{ maxEntries }` or `false`');
    }
    maxEntries = options.localTier.maxEntries ?? maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      fail(
        'localTier.maxEntries',
        'must be a positive integer (use `localTier: false` to turn it off)',
      );
    }
  }
  return {
    schema,
    table,
    createTable,
    queryTimeoutMs,
    listen,
    keys,
    maxEntries,
    cleanupIntervalMs,
  };
}
