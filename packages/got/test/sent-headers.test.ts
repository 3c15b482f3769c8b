// A finished got request keeps what it sent (Node's `ClientRequest#_header`),
// and a response or an error holds that request: whoever logs one deep enough
// (`util.inspect`) must not find our access token there.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Token, TokenManager } from '@forge/core';
import got from 'got';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === '/unavailable' ? 503 : 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, authorized: req.headers.authorization !== undefined }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('what got keeps of a request Forge authorized', () => {
  it('holds no access token once the answer arrived: not the response, not an earlier error', async () => {
    const secret = `at-${randomBytes(12).toString('hex')}`;
    const manager = new TokenManager({
      serviceName: 'api',
      fetchToken: async () => new Token({ accessToken: secret, expiresAt: Date.now() + 3_600_000 }),
    });
    try {
      const api = withForge(got.extend({ prefixUrl: origin, retry: { limit: 0 } }), manager);
      const failed = await api.get('unavailable').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(Error);
      // Later requests on the same keep-alive socket, reachable from the earlier error too.
      const response = await api.get('orders');
      expect(JSON.parse(response.body)).toEqual({ path: '/orders', authorized: true });
      expect(inspect(response, { depth: 12 })).not.toContain(secret);
      expect(inspect(failed, { depth: 12 })).not.toContain(secret);
    } finally {
      await manager.close();
    }
  });
});
