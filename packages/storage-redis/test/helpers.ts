import { Token } from '@forge/core';
import { Redis } from 'ioredis';
import { RedisTokenStorage, type RedisTokenStorageOptions } from '../src/index.js';

/** A token whose secrets are easy to search for in raw Redis values. */
export function token(label: string, lifetimeMs = 3_600_000): Token {
  return new Token({
    accessToken: `at-${label}-secret-${Math.random().toString(36).slice(2)}`,
    refreshToken: `rt-${label}-secret`,
    expiresAt: Date.now() + lifetimeMs,
    scope: 'read',
  });
}

/** A client that does not retry forever, so tests against a dead server end. */
export function client(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  // Outages are part of the tests: without a listener ioredis prints each reconnect error.
  redis.on('error', () => {});
  return redis;
}

/** Waits until `count` subscribers listen on the storage's change channel. */
export async function subscribers(redis: Redis, count: number, prefix = 'forge:'): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const [, listening] = (await redis.pubsub('NUMSUB', `${prefix}changes`)) as [string, number];
    if (listening >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} subscribers on ${prefix}changes`);
}

/** Total commands the server has executed (INFO commandstats), minus this INFO call. */
export async function commandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

export function storage(redis: Redis, options?: RedisTokenStorageOptions): RedisTokenStorage {
  return new RedisTokenStorage(redis, options);
}
