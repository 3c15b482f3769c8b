import { type StorageErrorEvent, TokenManager } from '@forge/core';
import {
  loopbackProvider,
  type RedisServer,
  skipWithoutRedis,
  startRedisSentinel,
  startRedisServer,
  startTokenEndpoint,
  type TokenEndpoint,
} from '@forge/test-utils';
import { runStorageConformance } from '@forge/testkit/conformance';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStorage } from '../src/index.js';
import { subscribers } from './helpers.js';

const NAME = 'forge';
/** The managers' storages use their own prefix, so counting subscribers ignores the conformance suite's. */
const PREFIX = 'fleet:';

/** Polls `check` every 20 ms; fails after `timeoutMs`, naming what did not happen. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The sentinel's list of replicas as field maps (`SENTINEL REPLICAS` answers flat arrays). */
async function replicas(sentinel: Redis): Promise<Record<string, string>[]> {
  const rows = (await sentinel.call('SENTINEL', 'REPLICAS', NAME)) as string[][];
  return rows.map((row) => {
    const fields: Record<string, string> = {};
    for (let index = 0; index + 1 < row.length; index += 2) fields[row[index]!] = row[index + 1]!;
    return fields;
  });
}

async function masterPort(sentinel: Redis): Promise<number> {
  const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [
    string,
    string,
  ];
  return Number(port);
}

describe.skipIf(skipWithoutRedis)('RedisTokenStorage on a real Redis Sentinel set-up', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let sentinelAdmin: Redis;
  let endpoint: TokenEndpoint;
  const clients: Redis[] = [];
  const storages: RedisTokenStorage[] = [];
  const managers: TokenManager[] = [];

  /** A client that finds the master through the sentinel and retries fast. */
  const connect = (): Redis => {
    const created = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: NAME,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
      sentinelRetryStrategy: () => 50,
    });
    // Failover is part of the tests: without a listener ioredis prints each reconnect error.
    created.on('error', () => {});
    clients.push(created);
    return created;
  };
  const storage = (redis: Redis = connect(), prefix = 'forge:'): RedisTokenStorage => {
    const created = new RedisTokenStorage(redis, { commandTimeoutMs: 200, prefix });
    storages.push(created);
    return created;
  };
  const instance = () => {
    const redis = connect();
    const shared = storage(redis, PREFIX);
    const manager = new TokenManager(loopbackProvider(endpoint.url, Date.now), {
      storage: shared,
      storageTimeoutMs: 500,
    });
    managers.push(manager);
    const storageErrors: StorageErrorEvent[] = [];
    manager.on('storageError', (event) => storageErrors.push(event));
    return { redis, manager, storage: shared, storageErrors };
  };

  beforeAll(async () => {
    endpoint = await startTokenEndpoint();
    // Without the default 5 s diskless-sync delay, the replica is in sync at once.
    master = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    sentinel = await startRedisSentinel({ masterPort: master.port, name: NAME });
    sentinelAdmin = new Redis({ port: sentinel.port, host: '127.0.0.1', lazyConnect: true });
    sentinelAdmin.on('error', () => {});
    // The failover test needs a replica the sentinel knows and trusts.
    await until('the sentinel to see an in-sync replica', async () =>
      (await replicas(sentinelAdmin)).some(
        (entry) =>
          entry.port === String(replica.port) &&
          entry.flags === 'slave' &&
          entry['master-link-status'] === 'ok',
      ),
    );
  }, 15_000);

  afterAll(async () => {
    // Each step on its own: one failure must not leave a process running.
    const steps: (() => Promise<unknown> | unknown)[] = [
      ...managers.map((manager) => () => manager.close()),
      ...storages.map((created) => () => created.dispose()),
      ...clients.map((created) => () => created.disconnect()),
      () => sentinelAdmin?.disconnect(),
      () => sentinel?.kill(),
      () => replica?.kill(),
      () => master?.kill(),
      () => endpoint?.close(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch {
        // Keep cleaning up.
      }
    }
  });

  runStorageConformance('RedisTokenStorage (Sentinel)', () => storage(), {
    lock: true,
    subscribe: true,
    peer: () => storage(),
    ttlMs: 300,
    advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });

  it('shares one token between two managers on two Sentinel clients', async () => {
    const a = instance();
    const b = instance();
    await subscribers(a.redis, 2, PREFIX);
    const before = endpoint.counts().requests;
    const [first, second] = await Promise.all([a.manager.getToken(), b.manager.getToken()]);
    expect(second.accessToken).toBe(first.accessToken);
    expect(endpoint.counts().requests - before).toBe(1);
  });

  it('keeps serving through a failover with zero failed calls, then shares again', async () => {
    const a = instance();
    const b = instance();
    await subscribers(a.redis, 2, PREFIX);
    await a.manager.getToken();

    let calls = 0;
    let failures = 0;
    let round = 0;
    const traffic = async (): Promise<void> => {
      const results = await Promise.allSettled(
        [a, b].flatMap(({ manager }) => Array.from({ length: 20 }, () => manager.getToken())),
      );
      calls += results.length;
      failures += results.filter((result) => result.status === 'rejected').length;
      // Each round one instance drops its token (unnamed, so not damped), so reads, writes and locks keep happening.
      const { manager } = round++ % 2 === 0 ? a : b;
      await manager.invalidate();
      await new Promise((resolve) => setTimeout(resolve, 20));
    };

    for (let i = 0; i < 5; i++) await traffic();
    await master.kill();
    // Traffic goes on, bounded by count and time, until the sentinel has promoted
    // the replica and both clients (and their subscribers) are on it.
    const deadline = Date.now() + 12_000;
    for (let i = 0; ; i++) {
      await traffic();
      const promoted = (await masterPort(sentinelAdmin)) === replica.port;
      if (promoted && a.redis.status === 'ready' && b.redis.status === 'ready') {
        const [, listening] = (await a.redis.pubsub('NUMSUB', `${PREFIX}changes`)) as [
          string,
          number,
        ];
        if (listening >= 2) break;
      }
      if (Date.now() > deadline || i > 2_000) {
        throw new Error('the failover did not complete within 12 s');
      }
    }
    for (let i = 0; i < 5; i++) await traffic();

    expect(failures).toBe(0);
    expect(calls).toBeGreaterThanOrEqual(10 * 40);
    // The clients really moved: they now talk to the promoted replica.
    const role = (await a.redis.call('ROLE')) as [string];
    expect(role[0]).toBe('master');
    for (const { redis } of [a, b]) {
      expect(await redis.info('server')).toContain(`tcp_port:${replica.port}`);
    }
    expect(a.storageErrors.length + b.storageErrors.length).toBeGreaterThan(0);
    for (const event of [...a.storageErrors, ...b.storageErrors]) {
      expect(event.error.message).not.toMatch(/at-\d+-/);
    }

    // Sharing resumed: A's new token reaches B without B asking the endpoint.
    const requests = endpoint.counts().requests;
    const fresh = await a.manager.forceRefresh();
    await until(
      'B to see the token A stored after the failover',
      async () => (await b.manager.getToken()).accessToken === fresh.accessToken,
    );
    expect(endpoint.counts().requests).toBe(requests + 1);
    // And the other way round.
    const fromB = await b.manager.forceRefresh();
    await until(
      'A to see the token B stored after the failover',
      async () => (await a.manager.getToken()).accessToken === fromB.accessToken,
    );
    expect(endpoint.counts().requests).toBe(requests + 2);
  }, 20_000);
});
