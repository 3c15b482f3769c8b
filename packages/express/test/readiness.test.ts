import { ClientCredentialsTokenProvider, ConfigurationError, TokenManager } from '@forge/core';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import express5, { type Express } from 'express';
import express4 from 'express4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createForge, forgeReadiness } from '../src/index.js';
import { listen } from './setup.js';

let auth: AuthServer;
const closing: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  auth = await startAuthServer();
});
afterAll(() => auth.close());
afterEach(async () => {
  auth.faults.clear();
  await Promise.all(closing.splice(0).map((item) => item.close()));
});

function manager(serviceName: string) {
  const { clientId, clientSecret } = auth.clients.post;
  const created = new TokenManager(
    new ClientCredentialsTokenProvider({
      clientId,
      clientSecret,
      clientAuth: 'client_secret_post',
      tokenEndpoint: auth.tokenEndpoint,
      serviceName,
      retry: false,
    }),
  );
  closing.push(created);
  return created;
}

async function probe(app: Express, path = '/ready') {
  const server = await listen(app);
  closing.push(server);
  const response = await fetch(`${server.url}${path}`);
  return {
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
    body: (await response.json()) as {
      status: string;
      services: Record<string, Record<string, unknown>>;
    },
  };
}

for (const [name, express] of [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
] as const) {
  describe(`forgeReadiness() on ${name}`, () => {
    it('answers 200 while every manager can authorize calls, 503 once one fails', async () => {
      const billing = manager('billing');
      const crm = manager('crm');
      const app = express();
      app.get('/ready', forgeReadiness({ billing, crm }));
      // Nothing asked yet: tokens come on first use, so the service is ready.
      expect((await probe(app)).status).toBe(200);
      await billing.getToken();
      const healthy = await probe(app);
      expect(healthy.status).toBe(200);
      expect(healthy.cacheControl).toBe('no-store');
      expect(healthy.body.status).toBe('ready');
      expect(healthy.body.services.billing).toMatchObject({ ready: true, usable: 1, failing: 0 });
      expect(healthy.body.services.billing?.expiresInMs).toBeGreaterThan(0);
      expect(healthy.body.services.billing?.keys).toBeUndefined();

      auth.faults.set({ mode: 'status503' });
      await expect(crm.getToken()).rejects.toThrow();
      const failing = await probe(app);
      expect(failing.status).toBe(503);
      expect(failing.body.status).toBe('unavailable');
      expect(failing.body.services.crm).toMatchObject({
        ready: false,
        failing: 1,
        lastError: { name: 'TokenEndpointError', code: 'FORGE_TOKEN_ENDPOINT' },
      });
      expect(failing.body.services.billing?.ready).toBe(true);

      auth.faults.clear();
      await crm.forceRefresh();
      expect((await probe(app)).status).toBe(200);
    });

    it('lists each key with details, and never a token', async () => {
      const billing = manager('billing');
      const token = await billing.getToken();
      const app = express();
      app.get('/ready', forgeReadiness({ billing }, { details: true }));
      const { body } = await probe(app);
      const keys = body.services.billing?.keys as Record<string, unknown>[];
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ usable: true, refreshing: false, failures: 0 });
      expect(JSON.stringify(body)).not.toContain(token.accessToken);
    });

    it('is part of the forge() middleware, over its configured services', async () => {
      const billing = manager('billing');
      const forge = createForge({
        services: { billing: { baseURL: 'http://127.0.0.1:1', manager: billing } },
      });
      closing.push(forge);
      const app = express();
      app.get('/ready', forge.readiness());
      await billing.close();
      const closed = await probe(app);
      expect(closed.status).toBe(503);
      expect(closed.body.services.billing).toMatchObject({ ready: false, closed: true });
    });
  });
}

describe('forgeReadiness() validation', () => {
  it('throws ConfigurationErrors at setup', () => {
    expect(() => forgeReadiness({ billing: {} as never })).toThrow(ConfigurationError);
    expect(() => forgeReadiness({}, { details: 'yes' as never })).toThrow(/details/);
  });
});
