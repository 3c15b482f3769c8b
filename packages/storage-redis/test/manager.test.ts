import { type StorageErrorEvent, TokenManager } from '@forge/core';
import {
  loopbackProvider,
  type RedisServer,
  skipWithoutRedis,
  startRedisServer,
  startTokenEndpoint,
  type TokenEndpoint,
} from '@forge/test-utils';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisTokenStorage } from '../src/index.js';
import { client, commandCount, subscribers } from './helpers.js';

describe.skipIf(skipWithoutRedis)('TokenManager on RedisTokenStorage', () => {
  let server: RedisServer;
  let endpoint: TokenEndpoint;
  let admin: Redis;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];

  beforeEach(async () => {
    server = await startRedisServer();
    endpoint = await startTokenEndpoint();
    admin = client(server.url);
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    admin.disconnect();
    await endpoint.close();
    await server.stop();
  });

  function instance() {
    const redis = client(server.url);
    const storage = new RedisTokenStorage(redis, { commandTimeoutMs: 200 });
    const manager = new TokenManager(loopbackProvider(endpoint.url, Date.now), {
      storage,
      storageTimeoutMs: 500,
    });
    const storageErrors: StorageErrorEvent[] = [];
    manager.on('storageError', (event) => storageErrors.push(event));
    cleanup.push(
      () => redis.quit().catch(() => redis.disconnect()),
      () => storage.dispose(),
      () => manager.close(),
    );
    return { manager, storage, storageErrors };
  }

  it('makes zero Redis commands per getToken() in steady state', async () => {
    const { manager } = instance();
    await subscribers(admin, 1);
    await manager.getToken();
    const before = await commandCount(admin);
    for (let i = 0; i < 10_000; i++) await manager.getToken();
    // The INFO call that reads the counter counts itself once.
    expect((await commandCount(admin)) - before).toBe(1);
  });

  it('shares one token between instances, and a forced refresh reaches the other through pub/sub', async () => {
    const a = instance();
    const b = instance();
    await subscribers(admin, 2);
    const first = await a.manager.getToken();
    expect((await b.manager.getToken()).accessToken).toBe(first.accessToken);
    expect(endpoint.counts().requests).toBe(1);

    const second = await a.manager.forceRefresh();
    await until(async () => (await b.manager.getToken()).accessToken === second.accessToken);
    expect(endpoint.counts().requests).toBe(2);
  });

  it('keeps serving through a Redis crash with zero failed calls, then shares again', async () => {
    const a = instance();
    const b = instance();
    await subscribers(admin, 2);
    await a.manager.getToken();

    let calls = 0;
    let failures = 0;
    const traffic = async (rounds: number): Promise<void> => {
      for (let round = 0; round < rounds; round++) {
        const results = await Promise.allSettled(
          [a, b].flatMap(({ manager }) => Array.from({ length: 20 }, () => manager.getToken())),
        );
        calls += results.length;
        failures += results.filter((result) => result.status === 'rejected').length;
        // Each round one instance drops its token (without naming it: damping applies only to a 401 for a named token), so storage reads, writes and locks keep happening.
        const { manager } = round % 2 === 0 ? a : b;
        await manager.invalidate();
      }
    };

    await traffic(10);
    await server.kill();
    await traffic(10);
    expect(a.storageErrors.length + b.storageErrors.length).toBeGreaterThan(0);
    // Events never carry a token.
    for (const event of [...a.storageErrors, ...b.storageErrors]) {
      expect(event.error.message).not.toMatch(/at-\d+-/);
    }
    await server.restart();
    await subscribers(admin, 2);
    await traffic(10);
    expect(failures).toBe(0);
    expect(calls).toBe(30 * 40);

    // Sharing resumed: A's new token reaches B without B asking the endpoint.
    const requests = endpoint.counts().requests;
    const fresh = await a.manager.forceRefresh();
    await until(async () => (await b.manager.getToken()).accessToken === fresh.accessToken);
    expect(endpoint.counts().requests).toBe(requests + 1);
  });

  it('after its subscriber reconnects, tells listeners to re-read every key it knows', async () => {
    const { storage } = instance();
    await subscribers(admin, 1);
    await storage.get('a');
    await storage.get('b');
    const heard: string[] = [];
    storage.subscribe((key) => heard.push(key));
    await server.kill();
    await server.restart();
    await until(async () => heard.length >= 2);
    // Messages published while it was away are lost: it cannot know which keys changed.
    expect(heard.sort()).toEqual(['a', 'b']);
  });

  it('a subscriber that gives up just after reconnecting leaves no unhandled rejection behind', async () => {
    const redis = client(server.url);
    cleanup.push(() => redis.quit().catch(() => redis.disconnect()));
    // ioredis writes its automatic re-subscribe just before it emits `ready`, and never catches
    // it: a connection lost before the answer (here: given up on at once) would reject it
    // unhandled, which ends a Node process. The storage subscribes itself on every `ready`.
    let ready = 0;
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = ((...args: Parameters<Redis['duplicate']>) => {
      const subscriber = duplicate(...args);
      subscriber.on('ready', () => {
        ready += 1;
        if (ready !== 2) return;
        // Lost before the answer could be read, and not retried.
        subscriber.disconnect();
        subscriber.stream.destroy();
      });
      return subscriber;
    }) as Redis['duplicate'];
    const storage = new RedisTokenStorage(redis, { commandTimeoutMs: 200 });
    cleanup.push(() => storage.dispose());
    await subscribers(admin, 1);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await server.kill();
      await server.restart();
      await until(async () => ready === 2);
      // Unhandled rejections are reported once the microtask queue drains.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('bounds every call by commandTimeoutMs when Redis stops answering', async () => {
    const a = instance();
    await subscribers(admin, 1);
    const token = await a.manager.getToken();
    // SIGSTOP-like: the server answers nothing until the pause ends. A PING sent behind the
    // pause is the witness: it is answered only when Redis answers again.
    await admin.call('CLIENT', 'PAUSE', '10000', 'ALL');
    let redisAnswered = false;
    const witness = admin.ping().then(
      () => {
        redisAnswered = true;
      },
      () => {},
    );
    await a.manager.invalidate(token);
    const next = await a.manager.getToken();
    expect(next.accessToken).not.toBe(token.accessToken);
    // invalidate (delete), get, lock, set all finished while Redis still answered nothing, so
    // none waited for Redis: an order of events, not a real-clock bound a busy machine can miss.
    expect(redisAnswered).toBe(false);
    // ...and what cut them off was the 200 ms command timeout, not the manager's 500 ms one.
    expect(a.storageErrors.map((event) => event.operation)).toContain('get');
    expect(a.storageErrors.every((event) => /within 200 ms/.test(event.error.message))).toBe(true);
    // End the pause now rather than in 10 s, so clean-up does not wait for it.
    await server.restart();
    await witness;
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
