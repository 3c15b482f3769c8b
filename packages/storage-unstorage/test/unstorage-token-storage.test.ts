import { ConfigurationError, Token, type TokenStorage } from '@forge/core';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { Redis } from 'ioredis';
import { createStorage, type Storage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import memoryDriver from 'unstorage/drivers/memory';
import redisDriver from 'unstorage/drivers/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnstorageTokenStorage } from '../src/index.js';

const token = (label: string) =>
  new Token({
    accessToken: `at-${label}-${crypto.randomUUID()}`,
    refreshToken: `rt-${label}`,
    expiresAt: Date.now() + 3_600_000,
  });

describe('input validation', () => {
  const storage = createStorage();
  const cases: [string, () => unknown, RegExp][] = [
    [
      'no storage',
      () => new UnstorageTokenStorage(undefined as unknown as Storage),
      /`storage`.*createStorage/,
    ],
    [
      'a driver instead of a storage',
      () => new UnstorageTokenStorage(memoryDriver() as unknown as Storage),
      /`storage`/,
    ],
    ['options not an object', () => new UnstorageTokenStorage(storage, 'x' as never), /`options`/],
    ['an empty prefix', () => new UnstorageTokenStorage(storage, { prefix: '' }), /`prefix`/],
    [
      'a prefix with `..`',
      () => new UnstorageTokenStorage(storage, { prefix: 'a:..:b' }),
      /`prefix`/,
    ],
    ['a prefix with `/`', () => new UnstorageTokenStorage(storage, { prefix: 'a/b' }), /`prefix`/],
    [
      'a zero timeout',
      () => new UnstorageTokenStorage(storage, { operationTimeoutMs: 0 }),
      /`operationTimeoutMs`/,
    ],
    [
      'a ttl that is not a boolean',
      () => new UnstorageTokenStorage(storage, { ttl: 60 as never }),
      /`ttl`/,
    ],
    [
      'a short key',
      () => new UnstorageTokenStorage(storage, { encryption: { key: new Uint8Array(16) } }),
      /exactly 32 bytes/,
    ],
    [
      'a key that is not base64',
      () => new UnstorageTokenStorage(storage, { encryption: { key: 'not base64!' } }),
      /base64/,
    ],
    [
      'no keys',
      () => new UnstorageTokenStorage(storage, { encryption: { keys: [] } }),
      /at least one key/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`refuses ${what} with a ConfigurationError`, () => {
      expect(make).toThrow(ConfigurationError);
      expect(make).toThrow(message);
      expect(make).toThrow(/^\[forge\] \[storage-unstorage\]/);
    });
  }

  it('refuses bad arguments of each call', async () => {
    const s: TokenStorage = new UnstorageTokenStorage(storage);
    await expect(s.get('')).rejects.toThrow(/`key`/);
    await expect(s.set('k', { accessToken: 'x' } as Token, 1_000)).rejects.toThrow(/`token`/);
    await expect(s.set('k', token('a'), 0)).rejects.toThrow(/`ttlMs`/);
    await expect(s.set('k', token('a'), Number.NaN)).rejects.toThrow(/`ttlMs`/);
    await expect(s.delete('k', {} as Token)).rejects.toThrow(/`expected`/);
    expect(() => s.subscribe?.('x' as never)).toThrow(/`listener`/);
  });

  it('accepts a trailing `:` on the prefix', async () => {
    const s = new UnstorageTokenStorage(storage, { prefix: 'app:tokens:' });
    await s.set('k', token('p'), 60_000);
    expect(await storage.getKeys('app:tokens')).toHaveLength(1);
  });
});

describe('per driver', () => {
  it('declares the capabilities of each driver', () => {
    const memory = new UnstorageTokenStorage(createStorage());
    expect(memory.driver).toBe('memory');
    expect(memory.capabilities).toEqual({
      fleetLock: false,
      changeNotifications: false,
      ttl: false,
      encryption: false,
    });
    const fs = new UnstorageTokenStorage(createStorage({ driver: fsDriver({ base: '/tmp/x' }) }), {
      encryption: { key: new Uint8Array(32) },
    });
    expect(fs.capabilities).toEqual({
      fleetLock: false,
      changeNotifications: true,
      ttl: false,
      encryption: true,
    });
    expect(new UnstorageTokenStorage(createStorage(), { ttl: true }).capabilities.ttl).toBe(true);
    expect('lock' in memory).toBe(false);
  });

  it('follows mounts: the driver of the prefix is the one judged', () => {
    const storage = createStorage();
    storage.mount('forge', fsDriver({ base: '/tmp/forge-mount' }));
    const mounted = new UnstorageTokenStorage(storage);
    expect(mounted.driver).toBe('fs');
    expect(new UnstorageTokenStorage(storage, { prefix: 'elsewhere' }).driver).toBe('memory');
  });

  it('checks expiry on read where the driver keeps entries forever, and drops the stale entry', async () => {
    const raw = createStorage();
    const s = new UnstorageTokenStorage(raw);
    await s.set('k', token('short'), 20);
    expect(await raw.getKeys('forge:tokens')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await s.get('k')).toBeUndefined();
    expect(await s.has('k')).toBe(false);
    expect(await raw.getKeys('forge:tokens')).toHaveLength(0);
  });

  it('keeps only a digest of the key in the backend', async () => {
    const raw = createStorage();
    const s = new UnstorageTokenStorage(raw, { prefix: 'p' });
    await s.set('tenant:acme client_secret=hunter2', token('k'), 60_000);
    const keys = await raw.getKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^p:[0-9a-f]{64}$/);
  });

  it('stops watching on dispose (the user’s Storage stays usable)', async () => {
    const raw = createStorage();
    const s = new UnstorageTokenStorage(raw);
    const heard: string[] = [];
    s.subscribe((key) => heard.push(key));
    await s.get('k');
    await new UnstorageTokenStorage(raw).set('k', token('w'), 60_000);
    expect(heard).toEqual(['k']);
    await s.dispose();
    await new UnstorageTokenStorage(raw).set('k', token('w'), 60_000);
    expect(heard).toEqual(['k']);
    expect(await raw.getKeys()).toHaveLength(1);
  });
});

describe.skipIf(skipWithoutRedis)('redis driver across connections (a real redis-server)', () => {
  let server: RedisServer;
  let admin: Redis;
  let a: Storage;
  let b: Storage;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
    // Two Storage objects with their own connections, as two processes have them.
    a = createStorage({ driver: redisDriver({ url: server.url }) });
    b = createStorage({ driver: redisDriver({ url: server.url }) });
  });
  afterAll(async () => {
    await a.dispose();
    await b.dispose();
    admin.disconnect();
    await server.stop();
  });

  it('shares entries, and Redis expires them itself (SET EX, whole seconds)', async () => {
    const mine = new UnstorageTokenStorage(a);
    const theirs = new UnstorageTokenStorage(b);
    expect(mine.capabilities).toEqual({
      fleetLock: false,
      changeNotifications: false,
      ttl: true,
      encryption: false,
    });
    const t = token('redis');
    await mine.set('shared', t, 1_500);
    expect((await theirs.get('shared'))?.accessToken).toBe(t.accessToken);
    const [key] = await admin.keys('forge:tokens:*');
    expect(key).toMatch(/^forge:tokens:[0-9a-f]{64}$/);
    const ttl = await admin.ttl(key!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2);
    // The entry carries its own expiry too, for drivers without TTL.
    expect(JSON.parse((await admin.get(key!)) ?? '{}').exp).toBeGreaterThan(Date.now());
  });

  it("compare-and-delete across connections keeps the other process's newer token", async () => {
    const mine = new UnstorageTokenStorage(a);
    const theirs = new UnstorageTokenStorage(b);
    const old = token('old');
    await theirs.set('cad', old, 60_000);
    const newer = token('newer');
    await mine.set('cad', newer, 60_000);
    await theirs.delete('cad', old);
    expect((await theirs.get('cad'))?.accessToken).toBe(newer.accessToken);
    await theirs.delete('cad', newer);
    expect(await mine.get('cad')).toBeUndefined();
  });

  it('passes no TTL when told not to', async () => {
    const s = new UnstorageTokenStorage(a, { ttl: false, prefix: 'nottl' });
    await s.set('k', token('n'), 60_000);
    const [key] = await admin.keys('nottl:*');
    expect(await admin.ttl(key!)).toBe(-1);
  });
});
