import { withForge } from '@forge/axios';
import { RedisTokenStorage } from '@forge/storage-redis';
import axios from 'axios';
import { Redis } from 'ioredis';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

/** axios with two "instances" sharing their token through Redis at `url`. */
export function redisAdapter(url: string): DemoAdapter {
  return {
    name: 'axios + storage-redis',
    async start(servers) {
      const prefix = `forge-demo:${process.pid}:${Date.now()}:`;
      const instances = [0, 1].map(() => {
        const connection = new Redis(url, { maxRetriesPerRequest: 1 });
        const storage = new RedisTokenStorage(connection, { prefix });
        const manager = ordersManager(servers, storage);
        const client = withForge(
          axios.create({ baseURL: servers.api.url, timeout: 10_000 }),
          manager,
        );
        return { connection, storage, manager, client };
      });
      return {
        call: async (i) => (await instances[i % 2]!.client.get(`/orders/${i}`)).status,
        close: async () => {
          for (const { connection, storage, manager } of instances) {
            await manager.close();
            await storage.dispose();
            connection.disconnect();
          }
        },
      };
    },
  };
}
