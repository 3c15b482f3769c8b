// The README's quick start, kept runnable: if this breaks, the README is wrong.
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '../src/index.js';

let auth: AuthServer;
let api: ResourceServer;

beforeAll(async () => {
  auth = await startAuthServer({ accessTokenTtlSeconds: 60 });
  api = await startResourceServer({ auth });
});
afterAll(async () => {
  await api.close();
  await auth.close();
});

it('calls the API with a client-credentials token', async () => {
  const { clientId, clientSecret } = auth.clients.post;
  const tokenResponse = await fetch(auth.tokenEndpoint, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'read',
    }),
  });
  const { access_token } = (await tokenResponse.json()) as { access_token: string };

  const res = await fetch(`${api.url}/orders?page=2`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({
    ok: true,
    path: '/orders',
    client_id: clientId,
    scope: 'read',
  });
  expect(auth.tokenRequests(clientId)).toBe(1);
});

it('serves a bounded burst of concurrent token requests and counts each one', async () => {
  auth.resetCounters();
  const burst = 50;
  const results = await Promise.all(
    Array.from({ length: burst }, () =>
      fetch(auth.tokenEndpoint, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: auth.clients.post.clientId,
          client_secret: auth.clients.post.clientSecret,
        }),
        signal: AbortSignal.timeout(10_000),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { access_token: string },
      })),
    ),
  );
  expect(results.every((r) => r.status === 200)).toBe(true);
  expect(new Set(results.map((r) => r.body.access_token)).size).toBe(burst);
  expect(auth.tokenRequests()).toBe(burst);
});
