import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { PostgresTokenStorage } from '@forge/storage-postgres';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import pg from 'pg';
import { obtainPostgres } from './postgres.js';

/** What one run of the example observed. */
export interface PostgresExampleResult {
  readonly instances: number;
  readonly calls: number;
  readonly statuses: readonly number[];
  /** Token requests the authorization server saw for the whole "fleet". */
  readonly tokenRequests: number;
  readonly postgresStarted: boolean;
}

/**
 * Simulates a fleet: three "instances" (each its own TokenManager and pool,
 * as separate processes would have) share tokens through
 * PostgresTokenStorage. All of them calling at once cost one token request.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<PostgresExampleResult> {
  const postgres = await obtainPostgres(env);
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  // A table of its own per run, so a shared database keeps no leftovers in the way.
  const table = `forge_example_${process.pid}_${Date.now()}`;
  const instances = [1, 2, 3].map(() => {
    const pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
    // An idle connection dropped by the server must not crash the process.
    pool.on('error', () => {});
    // 2 s rather than the default 500 ms: the first queries open connections to a
    // freshly started cluster, which a busy machine forks slowly.
    const storage = new PostgresTokenStorage(pool, { table, queryTimeoutMs: 2_000 });
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'orders',
        clientId: auth.clients.basic.clientId,
        clientSecret: auth.clients.basic.clientSecret,
        tokenEndpoint: auth.tokenEndpoint,
      }),
      { storage },
    );
    return { pool, storage, manager };
  });
  try {
    const calls = instances.flatMap(({ manager }) =>
      Array.from({ length: 5 }, async (_, i) => {
        const token = await manager.getToken();
        const response = await fetch(`${api.url}/orders/${i}`, {
          headers: { authorization: token.authorizationHeader },
        });
        await response.body?.cancel();
        return response.status;
      }),
    );
    const statuses = await Promise.all(calls);
    return {
      instances: instances.length,
      calls: statuses.length,
      statuses,
      tokenRequests: auth.tokenRequests(),
      postgresStarted: postgres.started,
    };
  } finally {
    await instances[0]?.pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`);
    for (const { manager, storage, pool } of instances) {
      await manager.close();
      // The storage is ours (we passed it in), so we dispose it: it closes its LISTEN connection.
      await storage.dispose();
      await pool.end();
    }
    await api.close();
    await auth.close();
    await postgres.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const result = await main();
    console.log(
      `${result.instances} instances made ${result.calls} calls (statuses ${[...new Set(result.statuses)].join(', ')}) with ${result.tokenRequests} token request(s) between them${result.postgresStarted ? ' (on a PostgreSQL cluster started for this run)' : ''}.`,
    );
    process.exitCode = result.statuses.every((status) => status === 200) ? 0 : 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
