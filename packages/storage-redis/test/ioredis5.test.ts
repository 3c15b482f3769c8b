import { Token } from '@forge/core';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClient, RedisTokenStorage } from '../src/index.js';

// The peer range covers ioredis 5 as well as 6: the same storage on a 5.x client.
describe.skipIf(skipWithoutRedis)('RedisTokenStorage on ioredis 5', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('stores, shares, locks and compare-and-deletes', async () => {
    const one = new Redis5(server.url);
    const two = new Redis5(server.url);
    const a = new RedisTokenStorage(one as unknown as RedisClient);
    const b = new RedisTokenStorage(two as unknown as RedisClient);
    try {
      await b.get('k');
      const heard = new Promise<string>((resolve) => b.subscribe(resolve));
      for (;;) {
        const [, count] = (await one.pubsub('NUMSUB', 'forge:changes')) as [string, number];
        if (count >= 2) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const token = new Token({ accessToken: 'at-5', expiresAt: Date.now() + 60_000 });
      await a.set('k', token, 60_000);
      expect(await heard).toBe('k');
      expect((await b.get('k'))?.accessToken).toBe('at-5');
      const lock = await a.lock('k', 5_000);
      expect(await b.lock('k', 5_000)).toBeUndefined();
      await lock!.release();
      await b.delete('k', new Token({ accessToken: 'other' }));
      expect(await a.has('k')).toBe(true);
      await b.delete('k', token);
      expect(await a.get('k')).toBeUndefined();
    } finally {
      await a.dispose();
      await b.dispose();
      await one.quit();
      await two.quit();
    }
  });
});
