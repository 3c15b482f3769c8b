import { randomBytes } from 'node:crypto';
import {
  type RedisServer,
  runStorageConformance,
  skipWithoutRedis,
  startRedisServer,
} from '@forge/test-utils';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisTokenStorage, type RedisTokenStorageOptions } from '../src/index.js';
import { client } from './helpers.js';

describe.skipIf(skipWithoutRedis)('RedisTokenStorage conformance on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = client(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  const variants: [string, RedisTokenStorageOptions][] = [
    ['RedisTokenStorage', {}],
    ['RedisTokenStorage (encrypted)', { encryption: { key: randomBytes(32) } }],
    ['RedisTokenStorage (no local tier)', { localTier: false }],
  ];
  for (const [name, options] of variants) {
    runStorageConformance(name, () => new RedisTokenStorage(redis, options), {
      lock: true,
      ttlMs: 100,
      // The TTL is Redis's own (PX), so real time has to pass.
      advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  }
});
