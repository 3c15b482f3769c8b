import { withForge } from '@forge/axios';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import axios from 'axios';
import { orderServiceCredentials } from './provider.js';
import type { DemoAdapter } from './types.js';

/** axios with DPoP-bound tokens: every request carries a fresh proof the API checks. */
export const dpopAdapter: DemoAdapter = {
  name: 'axios + DPoP',
  async start(servers) {
    const { type: _type, ...credentials } = orderServiceCredentials(servers);
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'orders-dpop',
        ...credentials,
        dpop: true,
      }),
    );
    const client = withForge(axios.create({ baseURL: servers.api.url, timeout: 10_000 }), manager);
    return {
      call: async (i) => {
        const response = await client.get(`/orders/${i}`);
        // The API accepts a DPoP-bound token only with a valid proof: a 200 proves both.
        if (manager.dpop === undefined) throw new Error('DPoP is not on');
        return response.status;
      },
      close: () => manager.close(),
    };
  },
};
