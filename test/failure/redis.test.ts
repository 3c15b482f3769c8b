// Redis dies in the middle of traffic and comes back: two managers sharing it
// (two instances of one service) must not fail a single request. Tokens live 2
// seconds, so both need new ones while Redis is down. A real redis-server; under
// CI=true a missing binary fails the suite instead of skipping it.
import { RedisTokenStorage } from '@forge/storage-redis';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ForgeClient,
  forgeClient,
  requestLoop,
  type Servers,
  startServers,
} from './support.js';

describe.skipIf(skipWithoutRedis)('Redis killed and restarted during traffic', () => {
  let servers: Servers;
  let redis: RedisServer;

  beforeAll(async () => {
    servers = await startServers(2);
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis?.stop();
    await servers?.close();
  });

  it('fails zero requests', async () => {
    const connections: Redis[] = [];
    const instances: ForgeClient[] = [];
    for (let i = 0; i < 2; i++) {
      const connection = new Redis(redis.url, {
        maxRetriesPerRequest: 1,
        retryStrategy: () => 50,
        lazyConnect: false,
      });
      // A dead server is an expected state here; the storage reports it as events.
      connection.on('error', () => {});
      connections.push(connection);
      instances.push(
        forgeClient(
          servers,
          {},
          {
            storage: new RedisTokenStorage(connection, { commandTimeoutMs: 200 }),
            storageTimeoutMs: 300,
            lockWaitMs: 300,
          },
        ),
      );
    }
    const storageErrors: string[] = [];
    for (const instance of instances) {
      instance.manager.on('storageError', ({ operation }) => storageErrors.push(operation));
    }
    try {
      let turn = 0;
      const traffic = requestLoop(
        () => {
          turn += 1;
          return (instances[turn % 2] as ForgeClient).http.get('/orders');
        },
        { workers: 8, durationMs: 3_500, maxRequests: 20_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
      await redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await redis.restart();
      const result = await traffic;

      expect(result.errors).toEqual([]);
      expect(result.requests).toBeGreaterThan(50);
      // Redis really was unreachable during the run: the managers noticed and carried on.
      expect(storageErrors.length).toBeGreaterThan(0);
      // Tokens kept being renewed (2 s lifetime) without a request storm.
      const tokenRequests = servers.auth.tokenRequests(instances[0]?.clientId);
      expect(tokenRequests).toBeGreaterThanOrEqual(2);
      expect(tokenRequests).toBeLessThan(60);
    } finally {
      for (const instance of instances) await instance.manager.close();
      for (const connection of connections) connection.disconnect();
    }
  });
});
