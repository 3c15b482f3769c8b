import { expect, it } from 'vitest';
import { main } from './main.js';

it('calls the API with one token, and renews it after a revocation', async () => {
  const result = await main();
  expect(result.statuses).toEqual([200, 200, 200, 200, 200, 200]);
  expect(result.tokenRequests).toBe(2);
  expect(result.calledAs).toMatch(/\S/);
});
