// The repository's PostgreSQL helper alone: the package's main entry loads vitest and tsdown.
import { postgresAvailable, startPostgres } from '@forge/test-utils/postgres';

/** The PostgreSQL of the demo's storage-postgres row, if any. */
export interface DemoPostgres {
  readonly url: string | undefined;
  /** One line for the reader: which PostgreSQL the row uses, or why it is skipped. */
  readonly note: string;
  stop(): Promise<void>;
}

/**
 * `DATABASE_URL` when set; otherwise a throwaway cluster from Debian's
 * `initdb` when it is installed; otherwise no row, with a message saying
 * how to get one.
 */
export async function obtainPostgres(env: NodeJS.ProcessEnv): Promise<DemoPostgres> {
  if (env.DATABASE_URL) {
    return {
      url: env.DATABASE_URL,
      note: 'axios + storage-postgres runs on DATABASE_URL.',
      stop: () => Promise.resolve(),
    };
  }
  const skipped = (why: string): DemoPostgres => ({
    url: undefined,
    note: `axios + storage-postgres is skipped: ${why}. Install PostgreSQL (apt-get install postgresql) or set DATABASE_URL=postgres://user@host/db to add it.`,
    stop: () => Promise.resolve(),
  });
  if (!postgresAvailable) return skipped('initdb (Debian postgresql) is not installed');
  try {
    const server = await startPostgres();
    return {
      url: server.url,
      note: 'axios + storage-postgres runs on a throwaway PostgreSQL cluster started for this run.',
      stop: () => server.stop(),
    };
  } catch (error) {
    return skipped(
      `a throwaway cluster could not start (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
