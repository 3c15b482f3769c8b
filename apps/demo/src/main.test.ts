import { startPostgres, startRedisServer } from '@forge/test-utils';
import { expect, it } from 'vitest';
import { runDemo } from './main.js';
import { exitCodeFor, formatTable } from './table.js';

it('runs every adapter without failures, with a token and one renewal each', async () => {
  const redis = await startRedisServer();
  const postgres = await startPostgres();
  try {
    const result = await runDemo({
      requests: 40,
      concurrency: 8,
      redisUrl: redis.url,
      postgresUrl: postgres.url,
    });
    expect(result.errors).toEqual([]);
    expect(result.rows.map((row) => row.adapter)).toEqual([
      'axios',
      'got',
      'ky',
      'nest',
      'express',
      'oauth1 (axios)',
      'axios + storage-unstorage (fs)',
      'axios + DPoP',
      'axios + storage-redis',
      'axios + storage-postgres',
    ]);
    for (const row of result.rows) {
      // OAuth 1 signs each request and never asks the token endpoint.
      const tokenRequests = row.adapter.startsWith('oauth1') ? 0 : 2;
      expect(row).toMatchObject({ requests: 40, failures: 0, tokenRequests });
      expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms);
      expect(row.p50Ms).toBeGreaterThan(0);
    }
    expect(result.exitCode).toBe(0);
    const table = formatTable(result.rows);
    expect(table.split('\n')[0]).toMatch(
      /^adapter\s+requests\s+token requests\s+failures\s+p50 ms\s+p99 ms$/,
    );
    expect(table.split('\n')).toHaveLength(result.rows.length + 2);
  } finally {
    await postgres.stop();
    await redis.stop();
  }
}, 120_000);

it('exits non-zero when any adapter failed or could not run', () => {
  const ok = { adapter: 'axios', requests: 1, tokenRequests: 1, failures: 0, p50Ms: 1, p99Ms: 1 };
  expect(exitCodeFor([ok])).toBe(0);
  expect(exitCodeFor([ok, { ...ok, adapter: 'got', failures: 1 }])).toBe(1);
  expect(exitCodeFor([ok, { ...ok, adapter: 'ky', error: 'boom' }])).toBe(1);
  expect(exitCodeFor([])).toBe(1);
});
