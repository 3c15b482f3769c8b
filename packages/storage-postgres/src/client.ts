/**
 * The part of a node-postgres `Pool` this package calls: `pg.Pool` (or
 * anything with the same `query`). Typed structurally, so neither your code
 * nor this package's types need `@types/pg`.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool: PostgresPool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export interface PostgresPool {
  query(config: {
    text: string;
    values?: unknown[];
    query_timeout?: number;
  }): Promise<{ rows: unknown[] }>;
  /** The settings `pg.Pool` was made with; the LISTEN connection reuses them by default. */
  readonly options?: object;
}

/** Duck-typed check: `instanceof` would fail across duplicated copies of pg. @internal */
export function isPool(value: unknown): value is PostgresPool {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { query?: unknown }).query === 'function'
  );
}
