import { randomBytes } from 'node:crypto';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { runStorageConformance } from '@forge/testkit/conformance';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisTokenStorage, type RedisTokenStorageOptions } from '../src/index.js';
import { client } from './helpers.js';

describe.skipIf(skipWithoutRedis)('RedisTokenStorage conformance on a real redis-server', () => {
  let server: RedisServer;
  // Two clients: the storage and its peer are two processes sharing one server.
  let redis: Redis;
  let other: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = client(server.url);
    other = client(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    other.disconnect();
    await server.stop();
  });

  const encryption = { key: randomBytes(32) };
  const variants: [string, RedisTokenStorageOptions][] = [
    ['RedisTokenStorage', {}],
    ['RedisTokenStorage (encrypted)', { encryption }],
    ['RedisTokenStorage (no local tier)', { localTier: false }],
  ];
  for (const [name, options] of variants) {
    runStorageConformance(name, () => new RedisTokenStorage(redis, options), {
      lock: true,
      subscribe: true,
      peer: () => new RedisTokenStorage(other, options),
      // The TTLs are Redis's own (PX), so real time has to pass; 300 ms leaves
      // the "still held at half the TTL" checks 150 ms of slack on a busy machine.
      ttlMs: 300,
      advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  }
});
