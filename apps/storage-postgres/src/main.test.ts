import { skipWithoutPostgres } from '@forge/test-utils';
import { expect, it } from 'vitest';
import { main } from './main.js';
import { obtainPostgres } from './postgres.js';

it.skipIf(skipWithoutPostgres)(
  'three instances share one token through PostgreSQL',
  async () => {
    const result = await main({});
    expect(result.statuses).toEqual(Array(15).fill(200));
    expect(result.tokenRequests).toBe(1);
    expect(result.postgresStarted).toBe(true);
  },
  60_000,
);

it('explains what to do when there is no PostgreSQL at all', async () => {
  await expect(obtainPostgres({}, false)).rejects.toThrow(/DATABASE_URL is not set/);
});
