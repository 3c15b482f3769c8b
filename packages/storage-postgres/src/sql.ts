import { ConfigurationError } from '@forge/core';

/**
 * Every statement of the storage for one table. Names are validated
 * identifiers (see the `table` option), quoted anyway; values always go as
 * parameters. Expiry uses the server's clock (`now()`), so processes with
 * skewed clocks agree on what has expired.
 * @internal
 */
export interface Statements {
  readonly channel: string;
  readonly tables: readonly [string, string];
  readonly exists: string;
  readonly create: string;
  readonly get: string;
  readonly has: string;
  readonly set: string;
  readonly delete: string;
  readonly lock: string;
  readonly release: string;
  readonly sweep: string;
}

/**
 * Splits and checks a `table` option: `table` or `schema.table`, each a
 * lowercase identifier short enough that `<table>_changes` fits PostgreSQL's
 * 63-byte limit.
 * @internal
 */
export function parseTable(value: unknown): { schema: string | undefined; table: string } {
  const qualified = value ?? 'forge_tokens';
  const parts = typeof qualified === 'string' ? qualified.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new ConfigurationError(
      'table',
      'must be `table` or `schema.table`, each lowercase letters, digits and `_` (at most 40), such as `forge_tokens`',
      { package: 'storage-postgres' },
    );
  }
  return parts.length === 2
    ? { schema: parts[0], table: parts[1]! }
    : { schema: undefined, table: parts[0]! };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/;

function quote(schema: string | undefined, name: string): string {
  return schema === undefined ? `"${name}"` : `"${schema}"."${name}"`;
}

function plain(schema: string | undefined, name: string): string {
  return schema === undefined ? name : `${schema}.${name}`;
}

const ALIVE = '(expires_at IS NULL OR expires_at > now())';

function ddl(schema: string | undefined, table: string): string {
  const entries = quote(schema, table);
  const locks = quote(schema, `${table}_locks`);
  return `CREATE TABLE IF NOT EXISTS ${entries} (
  key_digest  text PRIMARY KEY,          -- SHA-256 hex of the manager's key (never the key itself)
  value       text NOT NULL,             -- the Forge envelope (JSON; the token sealed when encryption is on)
  fingerprint text NOT NULL,             -- SHA-256 hex of the access token, for compare-and-delete
  expires_at  timestamptz,               -- NULL: no expiry; rows past it are never read, and swept
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS "${table}_expires_at" ON ${entries} (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${locks} (
  key_digest  text PRIMARY KEY,
  owner       text NOT NULL,             -- random per lock; only the owner releases
  expires_at  timestamptz NOT NULL       -- a dead holder's lock is taken over after this
);`;
}

/**
 * The SQL that creates the storage's tables, for your migration tool when
 * the application's role may not run DDL (then pass `createTable: false`).
 * Idempotent (`IF NOT EXISTS`).
 *
 * @example
 * ```ts
 * import { postgresMigration } from '@forge/storage-postgres';
 * await pool.query(postgresMigration({ table: 'forge_tokens' }));
 * ```
 */
export function postgresMigration(options: { readonly table?: string } = {}): string {
  const { schema, table } = parseTable(options.table);
  return `${ddl(schema, table)}\n`;
}

/** @internal */
export function statements(schema: string | undefined, table: string): Statements {
  const entries = quote(schema, table);
  const locks = quote(schema, `${table}_locks`);
  // Serializes concurrent first uses across the fleet: CREATE TABLE IF NOT
  // EXISTS alone races on the catalog. Transaction-scoped, so it is safe
  // through PgBouncer; the multi-statement string runs as one transaction.
  const guard = `SELECT pg_advisory_xact_lock(hashtext('forge:${plain(schema, table)}'));`;
  return {
    channel: `${plain(schema, table)}_changes`,
    tables: [plain(schema, table), plain(schema, `${table}_locks`)],
    exists: 'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ready',
    create: `${guard}\n${ddl(schema, table)}`,
    get: `SELECT value FROM ${entries} WHERE key_digest = $1 AND ${ALIVE}`,
    has: `SELECT 1 FROM ${entries} WHERE key_digest = $1 AND ${ALIVE}`,
    // One statement: the write and its notification commit together, so a
    // listener that hears of the change can already read it.
    set: `WITH up AS (
  INSERT INTO ${entries} (key_digest, value, fingerprint, expires_at, updated_at)
  VALUES ($1, $2, $3, CASE WHEN $4::bigint > 0 THEN now() + $4::bigint * interval '1 millisecond' END, now())
  ON CONFLICT (key_digest) DO UPDATE
    SET value = EXCLUDED.value, fingerprint = EXCLUDED.fingerprint,
        expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at
  RETURNING 1
) SELECT pg_notify($5, $6) FROM up`,
    delete: `WITH gone AS (
  DELETE FROM ${entries} WHERE key_digest = $1 AND ($2 = '' OR fingerprint = $2) RETURNING 1
) SELECT pg_notify($3, $4) FROM gone`,
    // Row-based lock with an expiry: a single autocommit statement, so it
    // works through any pool and PgBouncer in transaction mode; a dead
    // holder's row is taken over once it expired.
    lock: `INSERT INTO ${locks} AS l (key_digest, owner, expires_at)
VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond')
ON CONFLICT (key_digest) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
  WHERE l.expires_at <= now()
RETURNING owner`,
    release: `DELETE FROM ${locks} WHERE key_digest = $1 AND owner = $2`,
    // The outer `expires_at <= now()` is re-checked on rows a concurrent
    // write just renewed, so the sweep never deletes a fresh token.
    sweep: `WITH entries AS (
  DELETE FROM ${entries} WHERE expires_at <= now() AND key_digest IN (
    SELECT key_digest FROM ${entries} WHERE expires_at <= now() LIMIT 1000)
), locks AS (
  DELETE FROM ${locks} WHERE expires_at <= now() AND key_digest IN (
    SELECT key_digest FROM ${locks} WHERE expires_at <= now() LIMIT 1000)
) SELECT 1`,
  };
}
