// The repository's PostgreSQL helper alone (Debian's initdb, as an
// unprivileged user when run as root): the package's main entry loads vitest.
import { postgresAvailable, startPostgres } from '@forge/test-utils/postgres';

/** A PostgreSQL to talk to, and how to let go of it. */
export interface PostgresHandle {
  readonly url: string;
  /** Whether this example started the cluster (and stops it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

/**
 * `DATABASE_URL` when it is set; otherwise a throwaway cluster on a free
 * loopback port. Rejects with an explanation when neither is available.
 */
export async function obtainPostgres(
  env: NodeJS.ProcessEnv = process.env,
  available: boolean = postgresAvailable,
): Promise<PostgresHandle> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, started: false, stop: () => Promise.resolve() };
  }
  if (!available) {
    throw new Error(
      'DATABASE_URL is not set and PostgreSQL is not installed. Install it (e.g. apt-get install postgresql) or set DATABASE_URL=postgres://user@host:5432/db.',
    );
  }
  const server = await startPostgres();
  return { url: server.url, started: true, stop: () => server.stop() };
}
