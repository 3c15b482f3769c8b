import { createHash, randomBytes } from 'node:crypto';
import { ConfigurationError, StorageError } from '@forge/core';
import { type PostgresServer, skipWithoutPostgres, startPostgres } from '@forge/test-utils';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostgresPool,
  PostgresTokenStorage,
  type PostgresTokenStorageOptions,
  postgresMigration,
} from '../src/index.js';
import { listeners, pool, token } from './helpers.js';

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/** A pool that counts the statements sent through it. */
function counting(inner: pg.Pool): PostgresPool & { count: number } {
  const counted = {
    count: 0,
    options: inner.options,
    query: (config: Parameters<PostgresPool['query']>[0]) => {
      counted.count++;
      return inner.query(config as pg.QueryConfig);
    },
  };
  return counted;
}

describe.skipIf(skipWithoutPostgres)('PostgresTokenStorage on a real PostgreSQL', () => {
  let server: PostgresServer;
  let admin: pg.Pool;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    admin = pool(server.url);
  }, 60_000);
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await admin.query('DROP TABLE IF EXISTS forge_tokens, forge_tokens_locks');
  });
  afterAll(async () => {
    await admin.end();
    await server.stop();
  });

  function open(
    options?: PostgresTokenStorageOptions,
    through: PostgresPool | string = server.url,
  ) {
    const own = typeof through === 'string' ? pool(through) : undefined;
    // A generous bound: the machine running the tests may be busy; the test of
    // the bound sets its own.
    const created = new PostgresTokenStorage(own ?? (through as PostgresPool), {
      queryTimeoutMs: 5_000,
      ...options,
    });
    cleanup.push(
      () => own?.end(),
      () => created.dispose(),
    );
    return created;
  }

  const rows = async (table = 'forge_tokens') =>
    (await admin.query(`SELECT * FROM ${table} ORDER BY key_digest`)).rows as Record<
      string,
      unknown
    >[];

  it('round-trips a token under the digest of its key, with a server-side expiry', async () => {
    const store = open();
    const original = token('a');
    await store.set('svc|client-id|read', original, 60_000);
    expect((await store.get('svc|client-id|read'))?.toJSON()).toEqual(original.toJSON());
    expect(await store.has('svc|client-id|read')).toBe(true);
    expect(await store.has('other')).toBe(false);
    expect(await store.get('other')).toBeUndefined();

    const [row] = await rows();
    expect(row?.key_digest).toBe(digest('svc|client-id|read'));
    expect(JSON.stringify(row)).not.toContain('client-id');
    const { rows: left } = await admin.query(
      'SELECT extract(epoch FROM expires_at - now()) * 1000 AS ms FROM forge_tokens',
    );
    expect(Number(left[0].ms)).toBeGreaterThan(59_000);
    expect(Number(left[0].ms)).toBeLessThanOrEqual(60_000);

    await store.delete('svc|client-id|read');
    expect(await store.get('svc|client-id|read')).toBeUndefined();
    expect(await rows()).toEqual([]);
  });

  it('creates its tables on first use, once, even when 8 instances start together', async () => {
    const stores = Array.from({ length: 8 }, () => open());
    await Promise.all(stores.map((store, i) => store.set(`k${i}`, token(`t${i}`), 60_000)));
    expect(await rows()).toHaveLength(8);
  });

  it('with createTable: false, uses the tables postgresMigration() made, in a schema', async () => {
    await admin.query('CREATE SCHEMA IF NOT EXISTS app');
    cleanup.push(() => admin.query('DROP SCHEMA app CASCADE'));
    const missing = open({ table: 'app.tokens', createTable: false, listen: false });
    await expect(missing.get('k')).rejects.toThrow(/relation "app.tokens" does not exist/);
    await admin.query(postgresMigration({ table: 'app.tokens' }));
    await admin.query(postgresMigration({ table: 'app.tokens' })); // idempotent
    const store = open({ table: 'app.tokens', createTable: false, listen: false });
    await store.set('k', token('k'), 60_000);
    expect((await admin.query('SELECT count(*)::int AS n FROM app.tokens')).rows[0].n).toBe(1);
    expect(postgresMigration()).toContain('CREATE TABLE IF NOT EXISTS "forge_tokens"');
  });

  it('serves steady-state reads from the in-process copy: zero queries', async () => {
    const counted = counting(admin);
    const store = open({}, counted);
    await listeners(admin, 1);
    await store.set('k', token('k'), 60_000);
    await store.get('k');
    const before = counted.count;
    for (let i = 0; i < 1_000; i++) await store.get('k');
    expect(counted.count - before).toBe(0);
  });

  it('without LISTEN (listen: false) reads PostgreSQL every time and has no subscribe', async () => {
    const counted = counting(admin);
    const store = open({ listen: false }, counted);
    expect(store.subscribe).toBeUndefined();
    await store.set('k', token('k'), 60_000);
    const before = counted.count;
    for (let i = 0; i < 10; i++) await store.get('k');
    expect(counted.count - before).toBe(10);
  });

  it('deletes expired rows and locks without a cron, piggybacked on writes', async () => {
    const store = open({ cleanupIntervalMs: 1, listen: false });
    await store.set('short', token('short'), 50);
    await store.lock('short', 50);
    await store.set('long', token('long'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 120));
    // Expired: never read, even before it is swept.
    expect(await store.get('short')).toBeUndefined();
    await store.set('other', token('other'), 60_000); // sweeps, in the background
    await until(async () => (await rows()).length === 2);
    expect((await rows()).map((row) => row.key_digest)).not.toContain(digest('short'));
    await until(async () => (await rows('forge_tokens_locks')).length === 0);
  });

  it('takes over a lock whose holder died, once its TTL passed, and only the owner releases', async () => {
    const store = open({ listen: false });
    await store.get('k'); // tables exist
    // What a process killed while holding the lock leaves behind: a row it will never delete.
    await admin.query(
      "INSERT INTO forge_tokens_locks VALUES ($1, 'dead-process', now() + interval '300 milliseconds')",
      [digest('k')],
    );
    expect(await store.lock('k', 10_000)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 350));
    const lock = await store.lock('k', 10_000);
    expect(lock).toBeDefined();
    expect(await store.lock('k', 10_000)).toBeUndefined();
    await lock?.release();
    const again = await store.lock('k', 10_000);
    expect(again).toBeDefined();
    await lock?.release(); // a second release by the old holder leaves the new one alone
    expect(await store.lock('k', 10_000)).toBeUndefined();
  });

  it('reads PostgreSQL, not the local copy, while it holds the lock', async () => {
    const a = open();
    const b = open({ listen: false });
    await listeners(admin, 1);
    await a.set('k', token('one'), 60_000);
    await a.get('k');
    const lock = await a.lock('k', 10_000);
    const newer = token('two');
    await b.set('k', newer, 60_000);
    expect((await a.get('k'))?.accessToken).toBe(newer.accessToken);
    await lock?.release();
  });

  describe('encryption at rest', () => {
    const key1 = randomBytes(32);
    const key2 = randomBytes(32);

    it('keeps no token in clear text in the row and round-trips', async () => {
      const store = open({ encryption: { key: key1 } });
      const original = token('enc');
      await store.set('k', original, 60_000);
      const text = JSON.stringify(await rows());
      expect(text).not.toContain(original.accessToken);
      expect(text).not.toContain(original.refreshToken!);
      expect(text).not.toContain('secret');
      const reader = open({ encryption: { key: key1.toString('base64') }, listen: false });
      expect((await reader.get('k'))?.accessToken).toBe(original.accessToken);
    });

    it('reads rows written with an older key after rotation; refuses a wrong key or plaintext', async () => {
      await open({ encryption: { key: key1 } }).set('k', token('old'), 60_000);
      const rotated = open({ encryption: { keys: [key2, key1] }, listen: false });
      expect(await rotated.get('k')).toBeDefined();
      await rotated.set('k2', token('new'), 60_000);
      const before = open({ encryption: { key: key1 }, listen: false });
      await expect(before.get('k2')).rejects.toThrow(/not among the configured keys/);
      await expect(open({ listen: false }).get('k')).rejects.toThrow(/no `encryption` keys/);
      // A row copied under another key's digest does not open.
      await admin.query(
        'UPDATE forge_tokens SET value = (SELECT value FROM forge_tokens WHERE key_digest = $1) WHERE key_digest = $2',
        [digest('k'), digest('k2')],
      );
      await expect(rotated.get('k2')).rejects.toThrow(/tampered|moved/);
    });
  });

  it('treats corrupted and foreign values as errors, never serving them', async () => {
    const store = open({ listen: false });
    await store.set('k', token('k'), 60_000);
    for (const [value, message] of [
      ['{not json', /not valid JSON/],
      ['{"x":1}', /not written by @forge\/storage-postgres/],
      ['{"v":9,"fp":"x","data":{}}', /format version 9/],
    ] as const) {
      await admin.query('UPDATE forge_tokens SET value = $1', [value]);
      const error = await store.get('k').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect(String(error)).toMatch(message);
    }
  });

  it('on a read-only server (a replica), reads and fails writes as StorageErrors', async () => {
    const writer = open({ listen: false });
    await writer.set('k', token('k'), 60_000);
    const readOnly = pool(server.url);
    cleanup.push(() => readOnly.end());
    readOnly.on('connect', (connection) => {
      connection.query('SET default_transaction_read_only = on').catch(() => {});
    });
    const store = open({ listen: false }, readOnly as unknown as PostgresPool);
    expect(await store.get('k')).toBeDefined();
    const error = await store.set('k', token('k2'), 60_000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect(String(error)).toMatch(/read-only transaction/);
    await expect(store.lock('k', 1_000)).rejects.toBeInstanceOf(StorageError);
  });

  it('bounds every query by queryTimeoutMs when PostgreSQL stops answering', async () => {
    await open({ listen: false }).set('k', token('k'), 60_000);
    const store = open({ queryTimeoutMs: 200, listen: false });
    // Past its first use (the table check), which a busy machine may take longer than 200 ms for.
    await until(() => store.has('k').catch(() => false));
    // A transaction holding an exclusive lock on the table: every statement of the storage waits.
    const blocker = await admin.connect();
    cleanup.push(async () => {
      await blocker.query('ROLLBACK').catch(() => {});
      blocker.release();
    });
    // Held until clean-up: every operation below ends while PostgreSQL still answers nothing.
    await blocker.query('BEGIN; LOCK TABLE forge_tokens IN ACCESS EXCLUSIVE MODE');
    const outcomes = await Promise.allSettled([
      store.get('k'),
      store.set('k', token('k2'), 60_000),
      store.delete('k'),
      store.has('k'),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(StorageError);
      expect(String(error)).toMatch(/did not answer \w+ within 200 ms/);
    }
  });

  it('tells listeners to re-read every key it knows after its LISTEN connection comes back', async () => {
    const store = open();
    await listeners(admin, 1);
    await store.get('a');
    await store.get('b');
    const heard: string[] = [];
    store.subscribe?.((key) => heard.push(key));
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'",
    );
    await until(async () => heard.length >= 2);
    expect(heard.sort()).toEqual(['a', 'b']);
  });

  it('dispose closes the pool it made from a connection string, not yours', async () => {
    const own = new PostgresTokenStorage(server.url, { listen: false });
    await own.set('k', token('k'), 60_000);
    await own.dispose();
    const yours = pool(server.url);
    const store = new PostgresTokenStorage(yours, { listen: false });
    await store.dispose();
    expect((await yours.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    await yours.end();
  });
});

describe('PostgresTokenStorage configuration', () => {
  it('rejects something that is not a pool or a connection string', () => {
    for (const value of [undefined, null, 42, {}, '']) {
      expect(() => new PostgresTokenStorage(value as unknown as string)).toThrow(
        expect.objectContaining({ option: 'pool' }),
      );
    }
  });

  it.each([
    [{ table: 'Bad-Name' }, 'table'],
    [{ table: 'a.b.c' }, 'table'],
    [{ table: 'x'.repeat(41) }, 'table'],
    [{ queryTimeoutMs: 0 }, 'queryTimeoutMs'],
    [{ cleanupIntervalMs: -1 }, 'cleanupIntervalMs'],
    [{ createTable: 'yes' }, 'createTable'],
    [{ listen: 42 }, 'listen'],
    [{ localTier: { maxEntries: 0 } }, 'localTier.maxEntries'],
    [{ encryption: { key: randomBytes(16) } }, 'encryption.key[0]'],
    [{ encryption: { keys: [] } }, 'encryption.keys'],
  ])('rejects %j, naming %s', (options, option) => {
    const make = () =>
      new PostgresTokenStorage({ query: async () => ({ rows: [] }) }, {
        listen: false,
        ...options,
      } as PostgresTokenStorageOptions);
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(expect.objectContaining({ option }));
    expect(make).toThrow(/^\[forge\] \[storage-postgres\]/);
  });

  it('rejects bad keys, tokens and TTLs at the call', async () => {
    const store = new PostgresTokenStorage(
      { query: async () => ({ rows: [] }) },
      { listen: false },
    );
    await expect(store.get('')).rejects.toThrow(expect.objectContaining({ option: 'key' }));
    await expect(store.set('k', {} as never, 1)).rejects.toThrow(
      expect.objectContaining({ option: 'token' }),
    );
    await expect(store.lock('k', 0)).rejects.toThrow(expect.objectContaining({ option: 'ttlMs' }));
    expect(() => postgresMigration({ table: 'DROP TABLE x;' })).toThrow(ConfigurationError);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
