import { type StorageErrorEvent, TokenManager } from '@forge/core';
import {
  loopbackProvider,
  type PostgresServer,
  skipWithoutPostgres,
  startPostgres,
  startTokenEndpoint,
  type TokenEndpoint,
} from '@forge/test-utils';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PostgresPool, PostgresTokenStorage } from '../src/index.js';
import { listeners, pool } from './helpers.js';

describe.skipIf(skipWithoutPostgres)('TokenManager on PostgresTokenStorage', () => {
  let server: PostgresServer;
  let endpoint: TokenEndpoint;
  let admin: pg.Pool;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];

  beforeEach(async () => {
    server = await startPostgres();
    endpoint = await startTokenEndpoint();
    admin = pool(server.url);
  }, 60_000);
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await admin.end();
    await endpoint.close();
    await server.stop();
  });

  function instance(options: { lockTtlMs?: number } = {}) {
    const own = pool(server.url);
    let queries = 0;
    const counted: PostgresPool = {
      options: own.options,
      query: (config) => {
        queries++;
        return own.query(config as pg.QueryConfig);
      },
    };
    const storage = new PostgresTokenStorage(counted, { queryTimeoutMs: 1_000 });
    const manager = new TokenManager(loopbackProvider(endpoint.url, Date.now), {
      storage,
      storageTimeoutMs: 2_000,
      ...options,
    });
    const storageErrors: StorageErrorEvent[] = [];
    manager.on('storageError', (event) => storageErrors.push(event));
    cleanup.push(
      () => own.end(),
      () => storage.dispose(),
      () => manager.close(),
    );
    return { manager, storage, storageErrors, queries: () => queries };
  }

  it('makes zero queries per getToken() in steady state', async () => {
    const a = instance();
    await listeners(admin, 1);
    await a.manager.getToken();
    const before = a.queries();
    for (let i = 0; i < 10_000; i++) await a.manager.getToken();
    expect(a.queries() - before).toBe(0);
  });

  it('shares one token between instances, and a forced refresh reaches the other through NOTIFY', async () => {
    const a = instance();
    const b = instance();
    await listeners(admin, 2);
    const first = await a.manager.getToken();
    expect((await b.manager.getToken()).accessToken).toBe(first.accessToken);
    expect(endpoint.counts().requests).toBe(1);
    const second = await a.manager.forceRefresh();
    await until(async () => (await b.manager.getToken()).accessToken === second.accessToken);
    expect(endpoint.counts().requests).toBe(2);
  });

  it('keeps serving through a PostgreSQL crash mid-traffic with zero failed calls, then shares again', async () => {
    const a = instance();
    const b = instance();
    await listeners(admin, 2);
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
        // Each round one instance drops its token, so reads, writes and locks keep happening.
        const { manager } = round % 2 === 0 ? a : b;
        await manager.invalidate();
      }
    };

    const during = traffic(10);
    await server.kill(); // mid-traffic
    await during;
    await traffic(10);
    expect(a.storageErrors.length + b.storageErrors.length).toBeGreaterThan(0);
    const requestsWhileDown = endpoint.counts().requests;
    // No endless retries: at most one token request per invalidation and instance.
    expect(requestsWhileDown).toBeLessThanOrEqual(1 + 20);
    for (const event of [...a.storageErrors, ...b.storageErrors]) {
      expect(event.error.message).not.toMatch(/at-\d+-/);
    }
    await server.restart();
    await listeners(admin, 2);
    await traffic(10);
    expect(failures).toBe(0);
    expect(calls).toBe(30 * 40);

    // Sharing resumed: A's new token reaches B without B asking the endpoint.
    const requests = endpoint.counts().requests;
    const fresh = await a.manager.forceRefresh();
    await until(async () => (await b.manager.getToken()).accessToken === fresh.accessToken);
    expect(endpoint.counts().requests).toBe(requests + 1);
  });

  it('waits a bounded time for a lock left by a dead process, then fetches once', async () => {
    const a = instance();
    await listeners(admin, 1);
    await a.manager.getToken();
    const { rows } = await admin.query('SELECT key_digest FROM forge_tokens');
    const digest = (rows[0] as { key_digest: string }).key_digest;
    // What a process killed while refreshing leaves: its token gone, its lock row
    // never released, and no NOTIFY will come.
    await admin.query('DELETE FROM forge_tokens');
    await admin.query(
      "INSERT INTO forge_tokens_locks VALUES ($1, 'dead-process', now() + interval '2 seconds')",
      [digest],
    );
    const b = instance({ lockTtlMs: 500 });
    const token = await b.manager.getToken();
    expect(token.accessToken).toMatch(/^at-/);
    expect(endpoint.counts().requests).toBe(2);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
