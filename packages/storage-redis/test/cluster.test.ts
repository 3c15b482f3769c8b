import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Token } from '@forge/core';
import { freePort, type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { runStorageConformance } from '@forge/testkit/conformance';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStorage } from '../src/index.js';

const run = promisify(execFile);

/** A real 3-master Redis Cluster on loopback (no replicas, no persistence). */
async function startCluster(): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const configs = ports.map((port) => join(tmpdir(), `forge-nodes-${port}.conf`));
  const servers: RedisServer[] = [];
  for (const [index, port] of ports.entries()) {
    servers.push(
      await startRedisServer({
        port,
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', configs[index]!],
      }),
    );
  }
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    for (;;) {
      const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    ports,
    stop: async () => {
      for (const server of servers) await server.kill();
      for (const config of configs) await rm(config, { force: true });
    },
  };
}

describe.skipIf(skipWithoutRedis)('RedisTokenStorage on a real 3-node Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  const clients: Cluster[] = [];
  const connect = (): Cluster => {
    const created = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: 1 } },
    );
    created.on('error', () => {});
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    cluster = await startCluster();
  }, 30_000);
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await cluster.stop();
  });

  runStorageConformance('RedisTokenStorage (Cluster)', () => new RedisTokenStorage(connect()), {
    lock: true,
    subscribe: true,
    peer: () => new RedisTokenStorage(connect()),
    ttlMs: 300,
    advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });

  it('spreads keys over the slots, and a change on one client reaches another', async () => {
    const admin = connect();
    await admin.get('warm-up'); // loads the slot map, so admin.nodes() lists the masters
    const a = new RedisTokenStorage(connect());
    const b = new RedisTokenStorage(connect());
    try {
      const keys = Array.from({ length: 20 }, (_, index) => `tenant-${index}`);
      for (const key of keys) {
        await a.set(
          key,
          new Token({ accessToken: `at-${key}`, expiresAt: Date.now() + 60_000 }),
          60_000,
        );
      }
      for (const key of keys) expect((await b.get(key))?.accessToken).toBe(`at-${key}`);
      const perNode = await Promise.all(admin.nodes('master').map((node) => node.dbsize()));
      expect(perNode.filter((count) => count > 0).length).toBeGreaterThan(1);

      const lock = await a.lock('tenant-3', 10_000);
      expect(lock).toBeDefined();
      expect(await b.lock('tenant-3', 10_000)).toBeUndefined();
      await lock!.release();

      // Wait until both subscriptions are live (each node counts only its own
      // subscribers), then change a key through A.
      const heard = new Promise<string>((resolve) => b.subscribe(resolve));
      const deadline = Date.now() + 5_000;
      for (;;) {
        const counts = await Promise.all(
          admin.nodes('master').map(async (node) => {
            const [, count] = (await node.pubsub('NUMSUB', 'forge:changes')) as [string, number];
            return count;
          }),
        );
        if (counts.reduce((sum, count) => sum + count, 0) >= 2) break;
        if (Date.now() > deadline) throw new Error('the subscribers did not come up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const fresh = new Token({ accessToken: 'at-new', expiresAt: Date.now() + 60_000 });
      await a.set('tenant-7', fresh, 60_000);
      expect(await heard).toBe('tenant-7');
      expect((await b.get('tenant-7'))?.accessToken).toBe('at-new');
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});
