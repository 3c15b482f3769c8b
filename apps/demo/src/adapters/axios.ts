import { withForge } from '@forge/axios';
import axios from 'axios';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

export const axiosAdapter: DemoAdapter = {
  name: 'axios',
  async start(servers) {
    const manager = ordersManager(servers);
    const client = withForge(axios.create({ baseURL: servers.api.url, timeout: 10_000 }), manager);
    return {
      call: async (i) => (await client.get(`/orders/${i}`)).status,
      close: () => manager.close(),
    };
  },
};
