import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { runStorageConformance } from '@forge/testkit/conformance';
import { createStorage, type Storage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import redisDriver from 'unstorage/drivers/redis';
import { afterAll, beforeAll, describe } from 'vitest';
import { UnstorageTokenStorage } from '../src/index.js';

// Entries expire by the expiry in the entry (checked on read) and, for Redis, by
// Redis's own TTL in whole seconds, so real time has to pass.
const realTime = {
  ttlMs: 300,
  advanceTime: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};
const key = new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256);

describe('memory driver', () => {
  // One Storage object shared by two instances, as two managers of one process share it:
  // unstorage tells every watcher of that object about its writes.
  const shared = createStorage();
  for (const [name, options] of [
    ['UnstorageTokenStorage (memory)', {}],
    ['UnstorageTokenStorage (memory, encrypted)', { encryption: { key } }],
  ] as const) {
    runStorageConformance(name, () => new UnstorageTokenStorage(shared, options), {
      subscribe: true,
      peer: () => new UnstorageTokenStorage(shared, options),
      ...realTime,
    });
  }
});

describe('fs driver (a temporary directory)', () => {
  let dir: string;
  let mine: Storage;
  let theirs: Storage;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-unstorage-'));
    // Two Storage objects over one directory, as two processes have it: the fs driver
    // watches the directory, so each hears of the other's writes.
    mine = createStorage({ driver: fsDriver({ base: dir }) });
    theirs = createStorage({ driver: fsDriver({ base: dir }) });
  });
  afterAll(async () => {
    await mine.dispose();
    await theirs.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  runStorageConformance('UnstorageTokenStorage (fs)', () => new UnstorageTokenStorage(mine), {
    subscribe: true,
    peer: () => new UnstorageTokenStorage(theirs),
    ...realTime,
    // File watching (chokidar) reports a change late on a busy machine; only a failing run waits this long.
    notificationTimeoutMs: 10_000,
  });
});

describe.skipIf(skipWithoutRedis)('redis driver (a real redis-server)', () => {
  let server: RedisServer;
  let shared: Storage;
  beforeAll(async () => {
    server = await startRedisServer();
    shared = createStorage({ driver: redisDriver({ url: server.url }) });
  });
  afterAll(async () => {
    await shared.dispose();
    await server.stop();
  });
  for (const [name, options] of [
    ['UnstorageTokenStorage (redis)', {}],
    ['UnstorageTokenStorage (redis, encrypted)', { encryption: { key } }],
  ] as const) {
    // The redis driver does not watch Redis: notifications reach instances sharing the
    // Storage object. Cross-connection sharing is in unstorage-token-storage.test.ts.
    runStorageConformance(name, () => new UnstorageTokenStorage(shared, options), {
      subscribe: true,
      peer: () => new UnstorageTokenStorage(shared, options),
      ...realTime,
    });
  }
});
