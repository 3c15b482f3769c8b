import { withForge } from '@forge/got';
import got from 'got';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

export const gotAdapter: DemoAdapter = {
  name: 'got',
  async start(servers) {
    const manager = ordersManager(servers);
    const client = withForge(
      got.extend({ prefixUrl: servers.api.url, timeout: { request: 10_000 }, retry: { limit: 0 } }),
      manager,
    );
    return {
      call: async (i) => (await client.get(`orders/${i}`)).statusCode,
      close: () => manager.close(),
    };
  },
};
