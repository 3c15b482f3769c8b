import { expect, it } from 'vitest';
import { main } from './main.js';
import { obtainRedis } from './redis.js';

it('three instances share one token through Redis', async () => {
  const result = await main({});
  expect(result.statuses).toEqual(Array(15).fill(200));
  expect(result.tokenRequests).toBe(1);
  expect(result.redisStarted).toBe(true);
});

it('explains what to do when there is no Redis at all', async () => {
  await expect(obtainRedis({ PATH: '/nonexistent' })).rejects.toThrow(/REDIS_URL is not set/);
});
