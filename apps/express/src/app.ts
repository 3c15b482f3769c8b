import { createForge, type ForgeMiddleware, forgeErrorHandler } from '@forge/express';
import express, { type Express } from 'express';

/**
 * A backend-for-frontend: handlers call the orders API with the app's own
 * token, `/bff/orders/*` is forwarded there with it, and `/me/orders` calls
 * the API on behalf of the caller by exchanging the caller's token.
 */
export function createApp(forge: ForgeMiddleware): Express {
  const app = express();
  app.use(forge);

  app.get('/api/orders/:id', async (req, res, next) => {
    try {
      const response = await req.forge.fetch('orders', `/orders/${req.params.id}`);
      res.status(response.status).json(await response.json());
    } catch (error) {
      next(error);
    }
  });

  app.get('/me/orders', forge.tokenExchange('orders-obo'), async (req, res, next) => {
    try {
      const response = await req.forge.fetch('orders-obo', '/orders');
      res.status(response.status).json(await response.json());
    } catch (error) {
      next(error);
    }
  });

  app.use('/bff/orders', forge.proxy('orders', { pathRewrite: { '^/': '/orders/' } }));
  app.use('/bff/inventory', forge.proxy('inventory'));

  // Token failures become 502/503 application/problem+json here.
  app.use(forgeErrorHandler());
  return app;
}

export { createForge };
