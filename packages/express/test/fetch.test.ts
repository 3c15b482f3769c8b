import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@forge/core/adapter';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authorizedFetch } from '../src/fetch.js';
import { ServiceAuthorizationError } from '../src/problem.js';

let server: Server;
let url: string;

beforeAll(async () => {
  // Never answers: the caller's own timeout ends the request.
  server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

it("rejects with the caller's own timeout, not as a token failure", async () => {
  const authorizer = { authorize: () => ({ headers: { authorization: 'Bearer t' } }) };
  const adapter = createAdapter(authorizer, {}, { package: 'express' });
  const error = await authorizedFetch('billing', adapter, url, {
    signal: AbortSignal.timeout(100),
  }).catch((caught: unknown) => caught);
  expect(error).not.toBeInstanceOf(ServiceAuthorizationError);
  expect((error as Error).name).toBe('TimeoutError');
});
