// 401 storms: the resource server revokes every token again and again while
// traffic flows, or refuses every token outright. Forge must retry each request
// at most once, never loop, and fetch tokens in proportion to the revocations,
// not to the requests.
import { ForgeError } from '@forge/core';
import { type ResourceServer, startResourceServer } from '@forge/testkit';
import { isAxiosError } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgeClient, requestLoop, type Servers, startServers } from './support.js';

let servers: Servers;

beforeAll(async () => {
  servers = await startServers();
});

afterAll(async () => {
  await servers.close();
});

describe('401 storms', () => {
  it('revocations every 250 ms during traffic: one retry per request at most, tokens per revocation', async () => {
    // Real revocations this close together would be damped (a renewed token refused
    // again within unauthorizedDampingMs); this storm is about renewals without damping.
    const client = forgeClient(servers, {}, { unauthorizedDampingMs: 0 });
    try {
      await client.http.get('/orders');
      servers.api.resetCounters();
      const before = servers.auth.tokenRequests(client.clientId);
      let revocations = 0;
      const revoker = setInterval(() => {
        servers.api.revokeAll();
        revocations += 1;
      }, 250);
      let result: Awaited<ReturnType<typeof requestLoop>>;
      try {
        result = await requestLoop(() => client.http.get('/orders'), {
          workers: 16,
          durationMs: 1_500,
        });
      } finally {
        clearInterval(revoker);
      }
      const tokenRequests = servers.auth.tokenRequests(client.clientId) - before;
      const unauthorized = servers.api.requests({ status: 401 });

      expect(revocations).toBeGreaterThanOrEqual(4);
      // Each request is sent at most twice: no loop.
      expect(servers.api.requests()).toBeLessThanOrEqual(2 * result.requests);
      expect(unauthorized).toBeGreaterThan(0);
      // A 401 is followed by a retry with the new token; only a retry whose new token
      // was revoked again before it arrived fails, with the API's own 401.
      for (const error of result.errors) {
        expect((error as { response?: { status: number } }).response?.status).toBe(401);
      }
      // Retries happen and cure 401s. (How many fail depends on how fast the machine fetches a
      // token against revocations every 250 ms, so the check is relative, not a fixed share.)
      expect(servers.api.requests()).toBeGreaterThan(result.requests);
      // A request that failed got two 401s (its send and its retry): more 401s than that were cured.
      expect(result.failures * 2).toBeLessThan(unauthorized);
      // ...and the whole storm cost about one token per revocation, not one per 401.
      expect(tokenRequests).toBeLessThanOrEqual(revocations + 1);
      expect(tokenRequests).toBeLessThan(unauthorized);
    } finally {
      await client.manager.close();
    }
  });

  it("an API that refuses every token: each caller gets the API's 401 after one retry", async () => {
    let api: ResourceServer | undefined;
    try {
      api = await startResourceServer({
        auth: servers.auth,
        routes: {
          '/orders': () => ({
            status: 401,
            headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
            body: { error: 'invalid_token' },
          }),
        },
      });
      const client = forgeClient({ ...servers, api });
      try {
        const before = servers.auth.tokenRequests(client.clientId);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 50 }, () => client.http.get('/orders')),
        );

        // The API's own 401 reaches every caller (after Forge's one retry), as the
        // AxiosError axios makes of it: not a ForgeError from a failed renewal.
        const answers = outcomes.map((outcome) => {
          if (outcome.status === 'fulfilled') return { fulfilled: outcome.value.status };
          const error: unknown = outcome.reason;
          if (error instanceof ForgeError || !isAxiosError(error)) return { threw: String(error) };
          return { status: error.response?.status, body: error.response?.data };
        });
        expect(answers).toEqual(Array(50).fill({ status: 401, body: { error: 'invalid_token' } }));
        // Two rounds: the first request of each caller, and one retry each.
        expect(api.requests()).toBe(100);
        // The first token, plus the single-flight renewal every 401 of a round shares.
        expect(servers.auth.tokenRequests(client.clientId) - before).toBeLessThanOrEqual(3);
      } finally {
        await client.manager.close();
      }
    } finally {
      await api?.close();
    }
  });

  it('sequential requests against an API that refuses every token: one retry, then damped renewal', async () => {
    let api: ResourceServer | undefined;
    try {
      api = await startResourceServer({
        auth: servers.auth,
        routes: { '/orders': () => ({ status: 401, body: { error: 'invalid_token' } }) },
      });
      const client = forgeClient({ ...servers, api });
      try {
        const before = servers.auth.tokenRequests(client.clientId);
        for (let i = 0; i < 10; i++) {
          await expect(client.http.get('/orders')).rejects.toMatchObject({
            response: { status: 401 },
          });
        }
        // The first request and its one retry; then, since the renewed token was refused
        // too, renewal is damped: each later request is sent once, with the same token.
        expect(api.requests()).toBe(11);
        // The first token and the one renewal: not one per request.
        expect(servers.auth.tokenRequests(client.clientId) - before).toBe(2);
      } finally {
        await client.manager.close();
      }
    } finally {
      await api?.close();
    }
  });
});
