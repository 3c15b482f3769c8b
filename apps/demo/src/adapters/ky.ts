import { withForge } from '@forge/ky';
import ky from 'ky';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

export const kyAdapter: DemoAdapter = {
  name: 'ky',
  async start(servers) {
    const manager = ordersManager(servers);
    const client = withForge(ky.create({ prefix: servers.api.url, timeout: 10_000 }), manager);
    return {
      call: async (i) => {
        const response = await client.get(`orders/${i}`);
        await response.body?.cancel();
        return response.status;
      },
      close: () => manager.close(),
    };
  },
};
