import type { AddressInfo } from 'node:net';
import { createForge, forgeErrorHandler } from '@forge/express';
import express from 'express';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

/** An Express app whose handler calls the API with `req.forge.fetch`. */
export const expressAdapter: DemoAdapter = {
  name: 'express',
  async start(servers) {
    const manager = ordersManager(servers);
    const forge = createForge({ services: { orders: { manager, baseURL: servers.api.url } } });
    const app = express();
    app.use(forge);
    app.get('/orders/:id', async (req, res, next) => {
      try {
        const response = await req.forge.fetch('orders', `/orders/${req.params.id}`);
        res.status(response.status).json(await response.json());
      } catch (error) {
        next(error);
      }
    });
    app.use(forgeErrorHandler());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      call: async (i) => {
        const response = await fetch(`${url}/orders/${i}`);
        await response.body?.cancel();
        return response.status;
      },
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await forge.close();
        await manager.close();
      },
    };
  },
};
