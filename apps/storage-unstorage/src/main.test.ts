import { expect, it } from 'vitest';
import { main } from './main.js';

it('a second run reads the token the first stored in the directory, encrypted', async () => {
  const result = await main();
  expect(result.statuses).toEqual(Array(10).fill(200));
  expect(result.tokenRequests).toBe(1);
  expect(result.files).toHaveLength(1);
  expect(result.files[0]).toMatch(/^[0-9a-f]{64}$/);
  expect(result.clearText).toBe(false);
});
