import { expect, it } from 'vitest';
import { main } from './main.js';

it('serves a handler, a proxy and an on-behalf-of call, and a 503 problem for a dead token endpoint', async () => {
  const result = await main();
  expect(result.handler).toEqual({ status: 200, calledAs: 'basic-client' });
  expect(result.proxy).toEqual({ status: 200, calledAs: 'basic-client' });
  expect(result.onBehalfOf).toEqual({ status: 200, subject: 'post-client', actor: 'basic-client' });
  expect(result.failure).toEqual({
    status: 503,
    contentType: 'application/problem+json',
    service: 'inventory',
  });
  // The app's token, the caller's own token, and the exchanged one.
  expect(result.tokenRequests).toBe(3);
});
