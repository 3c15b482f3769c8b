import { Token } from '@forge/core';
import pg from 'pg';

/** A token whose secrets are easy to search for in raw rows. */
export function token(label: string, lifetimeMs = 3_600_000): Token {
  return new Token({
    accessToken: `at-${label}-secret-${Math.random().toString(36).slice(2)}`,
    refreshToken: `rt-${label}-secret`,
    expiresAt: Date.now() + lifetimeMs,
    scope: 'read',
  });
}

/**
 * A pool as an application would configure it for an outage-tolerant
 * storage: bounded connection waits; idle-connection errors (a killed
 * server) handled instead of crashing the process.
 */
export function pool(url: string, max = 5): pg.Pool {
  const created = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 1_000,
    idleTimeoutMillis: 5_000,
  });
  created.on('error', () => {});
  return created;
}

/** Waits until `count` connections LISTEN on the table's channel. */
export async function listeners(admin: pg.Pool, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN %'",
    );
    if ((rows[0] as { n: number }).n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${count} LISTEN connections`);
}
