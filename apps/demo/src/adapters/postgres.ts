import { withForge } from '@forge/axios';
import { PostgresTokenStorage } from '@forge/storage-postgres';
import axios from 'axios';
import pg from 'pg';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

/** axios with two "instances" sharing their token through PostgreSQL at `url`. */
export function postgresAdapter(url: string): DemoAdapter {
  return {
    name: 'axios + storage-postgres',
    async start(servers) {
      // A table of its own per run, so a shared database keeps no demo leftovers in the way.
      const table = `forge_demo_${process.pid}_${Date.now()}`;
      const instances = [0, 1].map(() => {
        const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
        pool.on('error', () => {});
        const storage = new PostgresTokenStorage(pool, { table, queryTimeoutMs: 2_000 });
        const manager = ordersManager(servers, storage);
        const client = withForge(
          axios.create({ baseURL: servers.api.url, timeout: 10_000 }),
          manager,
        );
        return { pool, storage, manager, client };
      });
      return {
        call: async (i) => (await instances[i % 2]!.client.get(`/orders/${i}`)).status,
        close: async () => {
          await instances[0]!.pool
            .query(`DROP TABLE IF EXISTS "${table}", "${table}_locks"`)
            .catch(() => {});
          for (const { pool, storage, manager } of instances) {
            await manager.close();
            await storage.dispose();
            await pool.end();
          }
        },
      };
    },
  };
}
