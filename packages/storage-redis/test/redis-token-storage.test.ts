import { createHash, randomBytes } from 'node:crypto';
import { ConfigurationError, StorageError } from '@forge/core';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStorage } from '../src/index.js';
import { client, commandCount, storage, subscribers, token } from './helpers.js';

describe.skipIf(skipWithoutRedis)('RedisTokenStorage on a real redis-server', () => {
  let server: RedisServer;
  let redis: Redis;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    redis = client(server.url);
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await redis.flushall();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  function open(options?: ConstructorParameters<typeof RedisTokenStorage>[1], url = server.url) {
    const own = client(url);
    const created = storage(own, options);
    cleanup.push(
      () => own.quit(),
      () => created.dispose(),
    );
    return created;
  }

  it('round-trips a token with its TTL under a digested, hash-tagged key', async () => {
    const store = open();
    const original = token('a');
    await store.set('svc|client-id|read', original, 60_000);
    const read = await store.get('svc|client-id|read');
    expect(read?.toJSON()).toEqual(original.toJSON());
    expect(await store.has('svc|client-id|read')).toBe(true);
    expect(await store.has('other')).toBe(false);
    expect(await store.get('other')).toBeUndefined();

    const keys = await redis.keys('*');
    expect(keys).toEqual([expect.stringMatching(/^forge:\{[0-9a-f]{64}\}$/)]);
    expect(keys[0]).not.toContain('client-id');
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    await store.delete('svc|client-id|read');
    expect(await store.get('svc|client-id|read')).toBeUndefined();
    expect(await redis.keys('*')).toEqual([]);
  });

  it('uses the configured prefix', async () => {
    const store = open({ prefix: 'billing:' });
    await store.set('k', token('p'), 10_000);
    expect(await redis.keys('*')).toEqual([expect.stringMatching(/^billing:\{[0-9a-f]{64}\}$/)]);
  });

  it('serves steady-state reads from the in-process copy: zero Redis commands', async () => {
    const store = open();
    await subscribers(redis, 1);
    await store.set('k', token('s'), 60_000);
    const before = await commandCount(redis);
    for (let i = 0; i < 1_000; i++) {
      expect(await store.get('k')).toBeDefined();
      expect(await store.has('k')).toBe(true);
    }
    // The INFO call that reads the counter counts itself once.
    expect((await commandCount(redis)) - before).toBe(1);
  });

  it('makes one instance see the writes and deletes of another through pub/sub', async () => {
    const a = open();
    const b = open();
    await subscribers(redis, 2);
    const first = token('first');
    await a.set('shared', first, 60_000);
    expect((await b.get('shared'))?.accessToken).toBe(first.accessToken);

    const changed: string[] = [];
    const heard = new Promise<void>((resolve) =>
      b.subscribe((key) => {
        changed.push(key);
        resolve();
      }),
    );
    const second = token('second');
    await a.set('shared', second, 60_000);
    await heard;
    expect(changed).toEqual(['shared']);
    // B's in-process copy was dropped by the message, so it reads the new token.
    expect((await b.get('shared'))?.accessToken).toBe(second.accessToken);

    const deleted = new Promise<string>((resolve) => b.subscribe(resolve));
    await a.delete('shared');
    expect(await deleted).toBe('shared');
    expect(await b.get('shared')).toBeUndefined();
  });

  it('does not notify an instance of its own writes, and stops after unsubscribe', async () => {
    const a = open();
    const b = open();
    await subscribers(redis, 2);
    const heardByA: string[] = [];
    a.subscribe((key) => heardByA.push(key));
    const heardByB: string[] = [];
    const stop = b.subscribe((key) => heardByB.push(key));
    // Listeners hear of keys their storage has been asked about: B reads first.
    await b.get('k');
    await b.get('witness');
    await a.set('k', token('1'), 60_000);
    await waitFor(() => heardByB.length === 1);
    stop();
    await a.set('k', token('2'), 60_000);
    // A round trip through the same server after the publish: B has had its chance.
    const witness = new Promise<void>((resolve) => b.subscribe(() => resolve()));
    await a.set('witness', token('w'), 60_000);
    await b.get('witness');
    await witness;
    expect(heardByB).toEqual(['k']);
    expect(heardByA).toEqual([]);
  });

  it('locks: one holder at a time, release by the owner only, and a crashed holder expires', async () => {
    const a = open();
    const b = open();
    const held = await a.lock('k', 10_000);
    expect(held).toBeDefined();
    expect(await b.lock('k', 10_000)).toBeUndefined();
    expect(await a.lock('k', 10_000)).toBeUndefined();
    expect(await b.lock('other', 10_000)).toBeDefined();
    await held!.release();
    const next = await b.lock('k', 10_000);
    expect(next).toBeDefined();
    // Releasing twice, or a stale holder releasing, never frees someone else's lock.
    await held!.release();
    expect(await a.lock('k', 10_000)).toBeUndefined();
    await next!.release();

    // A "crashed" holder never releases: the lock is free again after its TTL.
    const started = Date.now();
    expect(await a.lock('crash', 150)).toBeDefined();
    let acquired: Awaited<ReturnType<typeof b.lock>>;
    do {
      acquired = await b.lock('crash', 10_000);
    } while (!acquired && Date.now() - started < 2_000);
    expect(acquired).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // Freed by its 150 ms TTL, well before the loop's 2 s cap (margin for a busy CI).
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('a holder whose lock expired does not release the next holder', async () => {
    const a = open();
    const b = open();
    const stale = await a.lock('k', 50);
    await waitFor(async () => (await redis.keys('*:lock')).length === 0);
    const fresh = await b.lock('k', 10_000);
    expect(fresh).toBeDefined();
    await stale!.release();
    expect(await a.lock('k', 10_000)).toBeUndefined();
  });

  it('reads from Redis, not the local copy, while it holds the lock', async () => {
    const a = open();
    await subscribers(redis, 1);
    await a.set('k', token('old'), 60_000);
    expect(await a.get('k')).toBeDefined();
    // Redis changes behind A's back, without a message.
    const newer = token('newer');
    await open({ localTier: false }).set('k2', newer, 60_000);
    await redis.set(entryOf('k'), (await redis.get(entryOf('k2')))!);
    expect((await a.get('k'))?.accessToken).not.toBe(newer.accessToken);
    const lock = await a.lock('k', 10_000);
    expect((await a.get('k'))?.accessToken).toBe(newer.accessToken);
    await lock!.release();
  });

  it('compare-and-delete removes only the expected token', async () => {
    const a = open();
    const b = open();
    const old = token('old');
    const newer = token('newer');
    await a.set('k', old, 60_000);
    await b.set('k', newer, 60_000);
    await a.delete('k', old);
    expect((await b.get('k'))?.accessToken).toBe(newer.accessToken);
    expect(await redis.exists(await onlyKey(redis))).toBe(1);
    await a.delete('k', newer);
    expect(await a.get('k')).toBeUndefined();
    expect(await redis.keys('*')).toEqual([]);
    await a.delete('missing', old);
  });

  it('treats a non-positive TTL as already expired', async () => {
    const store = open();
    await store.set('k', token('t'), 60_000);
    await store.set('k', token('t'), 0);
    expect(await store.get('k')).toBeUndefined();
  });

  describe('encryption at rest', () => {
    const key1 = randomBytes(32);
    const key2 = randomBytes(32);

    it('keeps no token in clear text and round-trips', async () => {
      const store = open({ encryption: { key: key1 } });
      const original = token('enc');
      await store.set('k', original, 60_000);
      const raw = (await redis.get(await onlyKey(redis)))!;
      expect(raw).not.toContain(original.accessToken);
      expect(raw).not.toContain(original.refreshToken!);
      expect(JSON.parse(raw)).toMatchObject({ v: 1, enc: { alg: 'A256GCM' } });
      const reader = open({ encryption: { key: key1.toString('base64') } });
      expect((await reader.get('k'))?.toJSON()).toEqual(original.toJSON());
    });

    it('reads entries written with an older key after rotation, writes with the newest', async () => {
      const before = open({ encryption: { key: key1 } });
      const after = open({ encryption: { keys: [key2, key1] } });
      await subscribers(redis, 2);
      const original = token('rot');
      await before.set('k', original, 60_000);
      expect((await after.get('k'))?.accessToken).toBe(original.accessToken);
      const heard = new Promise((resolve) => before.subscribe(resolve));
      await after.set('k', token('rot2'), 60_000);
      await heard;
      await expect(before.get('k')).rejects.toThrow(/not among the configured keys/);
    });

    it('refuses a wrong key, a plaintext entry and an encrypted entry without keys', async () => {
      const right = open({ encryption: { key: key1 } });
      const wrong = open({ encryption: { key: key2 } });
      const plain = open();
      await right.set('k', token('x'), 60_000);
      await expect(wrong.get('k')).rejects.toBeInstanceOf(StorageError);
      await expect(plain.get('k')).rejects.toThrow(/no `encryption` keys/);
      await plain.set('p', token('y'), 60_000);
      await expect(right.get('p')).rejects.toThrow(/not encrypted/);
    });

    it('refuses a tampered or moved entry', async () => {
      const store = open({ encryption: { key: key1 } });
      const original = token('t');
      await store.set('k', original, 60_000);
      const entry = await onlyKey(redis);
      const envelope = JSON.parse((await redis.get(entry))!);
      const bytes = Buffer.from(envelope.data, 'base64');
      bytes[3] = bytes[3]! ^ 1;
      await redis.set(entry, JSON.stringify({ ...envelope, data: bytes.toString('base64') }));
      const reader = open({ encryption: { key: key1 } });
      const error = await reader.get('k').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect(String(error)).toMatch(/tampered/);
      expect(String(error)).not.toContain(original.accessToken);

      // An intact entry copied under another key is refused too (bound by AAD).
      await store.set('k', original, 60_000);
      const value = (await redis.get(entry))!;
      await store.set('other', token('o'), 60_000);
      const otherEntry = (await redis.keys('*')).find((name) => name !== entry)!;
      await redis.set(otherEntry, value);
      await expect(reader.get('other')).rejects.toThrow(/tampered|moved/);
    });
  });

  it('treats corrupted, truncated, foreign and older-format values as errors, never serving them', async () => {
    const writer = open();
    const reader = open({ localTier: false });
    const original = token('c');
    await writer.set('k', original, 60_000);
    const entry = await onlyKey(redis);
    const valid = (await redis.get(entry))!;
    const cases: [string, RegExp][] = [
      [valid.slice(0, valid.length - 7), /not valid JSON/],
      ['garbage', /not valid JSON/],
      ['"just a string"', /not written by/],
      [JSON.stringify({ accessToken: 'foreign' }), /not written by/],
      [JSON.stringify({ ...JSON.parse(valid), v: 0 }), /format version 0/],
      [JSON.stringify({ ...JSON.parse(valid), data: { accessToken: 42 } }), /no valid token/],
      [
        JSON.stringify({ ...JSON.parse(valid), data: { ...original.toJSON(), accessToken: 'x' } }),
        /fingerprint/,
      ],
    ];
    for (const [value, message] of cases) {
      await redis.set(entry, value);
      const error = await reader.get('k').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).operation).toBe('get');
      expect(String(error)).toMatch(message);
      expect(String(error)).not.toContain(original.accessToken);
    }
    // A wrong type under the key is an error as well.
    await redis.del(entry);
    await redis.hset(entry, 'f', 'v');
    await expect(reader.get('k')).rejects.toBeInstanceOf(StorageError);
    // Compare-and-delete leaves an unreadable entry alone.
    await redis.set(entry, 'garbage');
    await writer.delete('k', original);
    expect(await redis.get(entry)).toBe('garbage');
    // The next write replaces it.
    await writer.set('k', original, 60_000);
    expect((await reader.get('k'))?.accessToken).toBe(original.accessToken);
  });

  it('dispose closes only its own subscriber connection', async () => {
    const own = client(server.url);
    const store = storage(own);
    await subscribers(redis, 1);
    await store.dispose();
    await subscribers(redis, 0).catch(() => {});
    const [, listening] = (await redis.pubsub('NUMSUB', 'forge:changes')) as [string, number];
    expect(listening).toBe(0);
    expect(own.status).toBe('ready');
    await store.set('k', token('after'), 1_000);
    expect(await store.get('k')).toBeDefined();
    await store.dispose();
    await own.quit();
  });
});

describe('RedisTokenStorage configuration', () => {
  const offline = (): Redis => client('redis://127.0.0.1:1');
  const made: { redis: Redis; store?: RedisTokenStorage }[] = [];
  afterAll(async () => {
    for (const { redis, store } of made) {
      await store?.dispose();
      redis.disconnect();
    }
  });
  function attempt(options: unknown): () => void {
    return () => {
      const redis = offline();
      const entry: { redis: Redis; store?: RedisTokenStorage } = { redis };
      made.push(entry);
      entry.store = new RedisTokenStorage(redis, options as never);
    };
  }

  it('rejects something that is not an ioredis client', () => {
    for (const value of [undefined, null, {}, 'redis://x', { get() {}, set() {} }]) {
      const error = (() => {
        try {
          new RedisTokenStorage(value as never);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).option).toBe('redis');
    }
  });

  it('rejects bad options, naming the option', () => {
    const cases: [unknown, string][] = [
      [{ prefix: '' }, 'prefix'],
      [{ prefix: 'a{b}' }, 'prefix'],
      [{ commandTimeoutMs: 0 }, 'commandTimeoutMs'],
      [{ encryption: { key: randomBytes(16) } }, 'encryption.key[0]'],
      [{ encryption: { key: randomBytes(16).toString('base64') } }, 'encryption.key[0]'],
      [{ encryption: { key: 'not base64 !' } }, 'encryption.key[0]'],
      [{ encryption: { keys: [] } }, 'encryption.keys'],
      [{ encryption: { keys: [randomBytes(32), randomBytes(31)] } }, 'encryption.keys[1]'],
      [{ encryption: {} }, 'encryption'],
      [{ localTier: { maxEntries: 0 } }, 'localTier.maxEntries'],
    ];
    for (const [options, option] of cases) {
      expect(attempt(options)).toThrow(ConfigurationError);
      try {
        attempt(options)();
      } catch (error) {
        expect((error as ConfigurationError).option).toBe(option);
        expect((error as Error).message).toMatch(/^\[forge\] \[storage-redis\]/);
      }
    }
    expect(attempt({ encryption: { key: randomBytes(32) }, prefix: 'x:' })).not.toThrow();
  });
});

function entryOf(key: string): string {
  return `forge:{${createHash('sha256').update(key).digest('hex')}}`;
}

async function onlyKey(redis: Redis): Promise<string> {
  const keys = (await redis.keys('*')).filter((name) => !name.endsWith(':lock'));
  expect(keys).toHaveLength(1);
  return keys[0]!;
}

async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
