import { randomBytes } from 'node:crypto';
import { bearer, ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStorage, sharedDPoPKey } from '../src/index.js';
import { client, subscribers } from './helpers.js';

// Decision 0014: a fleet either keeps per-instance DPoP keys (each instance's
// thumbprint is in its cache key, so each has its own token) or shares one
// key through Redis, encrypted like the tokens (one token for the fleet).
describe.skipIf(skipWithoutRedis)('DPoP-bound tokens across a fleet on Redis', () => {
  let server: RedisServer;
  let auth: AuthServer;
  let api: ResourceServer;
  let admin: Redis;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  const encryption = { key: randomBytes(32) };

  beforeAll(async () => {
    server = await startRedisServer();
    auth = await startAuthServer({ dpop: true });
    api = await startResourceServer({ auth });
    admin = client(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await api.close();
    await auth.close();
    await server.stop();
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await admin.flushall();
  });

  function instance(dpop: ConstructorParameters<typeof ClientCredentialsTokenProvider>[0]['dpop']) {
    const redis = client(server.url);
    const storage = new RedisTokenStorage(redis, { encryption });
    const { post } = auth.clients;
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'fleet',
        clientId: post.clientId,
        clientSecret: post.clientSecret,
        tokenEndpoint: auth.tokenEndpoint,
        scope: 'read',
        dpop,
      }),
      { storage },
    );
    cleanup.push(
      () => redis.quit().catch(() => redis.disconnect()),
      () => storage.dispose(),
      () => manager.close(),
    );
    return { manager, redis };
  }

  async function call(manager: TokenManager<never>): Promise<number> {
    const url = `${api.url}/orders`;
    const authorization = await bearer(manager, { policy: { baseURL: api.url } }).authorize({
      method: 'GET',
      url,
      headers: {},
      attempt: 0,
    });
    return (await fetch(url, { headers: { ...authorization?.headers } })).status;
  }

  it('per-instance keys: each instance gets its own token, bound to its own key, and both work', async () => {
    const a = instance(true);
    const b = instance(true);
    await subscribers(admin, 2);
    const before = auth.tokenRequests();
    const tokenA = await a.manager.getToken();
    const tokenB = await b.manager.getToken();
    expect(tokenA.jkt).not.toBe(tokenB.jkt);
    expect(tokenA.accessToken).not.toBe(tokenB.accessToken);
    expect(auth.tokenRequests() - before).toBe(2);
    expect(await call(a.manager as TokenManager<never>)).toBe(200);
    expect(await call(b.manager as TokenManager<never>)).toBe(200);
    // Two entries in Redis, one per thumbprint.
    const keys = await admin.keys('forge:*');
    expect(keys.filter((key) => !key.includes('lock')).length).toBeGreaterThanOrEqual(2);
  });

  it('a shared key: one token for the fleet, the key stored only encrypted', async () => {
    // Each instance reads the key through its own connection.
    const dpop = () => {
      const redis = client(server.url);
      cleanup.push(() => redis.quit().catch(() => redis.disconnect()));
      return { key: sharedDPoPKey(redis, { name: 'fleet', encryption }) };
    };
    const a = instance(dpop());
    const b = instance(dpop());
    await subscribers(admin, 2);
    const before = auth.tokenRequests();
    const [tokenA, tokenB] = await Promise.all([a.manager.getToken(), b.manager.getToken()]);
    expect(tokenA.jkt).toBe(tokenB.jkt);
    expect(tokenB.accessToken).toBe(tokenA.accessToken);
    expect(auth.tokenRequests() - before).toBe(1);
    expect(await call(a.manager as TokenManager<never>)).toBe(200);
    expect(await call(b.manager as TokenManager<never>)).toBe(200);
    // Nothing in Redis holds the private key or the token in the clear.
    for (const key of await admin.keys('*')) {
      const type = await admin.type(key);
      if (type !== 'string') continue;
      const value = (await admin.get(key)) ?? '';
      expect(value).not.toContain(tokenA.accessToken);
      expect(value).not.toMatch(/"d"\s*:/);
    }
  });

  it('a shared key stored with another encryption key is refused with a StorageError naming no secret', async () => {
    const loader = sharedDPoPKey(admin, { name: 'other', encryption });
    await loader();
    const wrong = sharedDPoPKey(admin, { name: 'other', encryption: { key: randomBytes(32) } });
    await expect(wrong()).rejects.toThrow(/cannot be opened/);
  });
});
