import { expect, it } from 'vitest';
import { main } from './main.js';

it('serves ten requests through the authorized HttpService with one token', async () => {
  const result = await main();
  expect(result.statuses).toEqual(Array(10).fill(200));
  expect(result.tokenRequests).toBe(1);
  expect(result.calledAs).toBe('basic-client');
});
