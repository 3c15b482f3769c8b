import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ExponentialAuthRetryStrategy,
  TokenManager,
} from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import got, { type Got } from 'got';
import got14 from 'got14';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { forgeHooks } from '../src/index.js';

const kit = useTestkit({
  routes: {
    '/always-401': () => ({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    }),
  },
});
const manager = () => kit.manager();
// The strategy tests reject every token on purpose; damping would stop the retries they count.
const undamped = () => kit.manager({ unauthorizedDampingMs: 0 });

interface Recorder {
  readonly url: string;
  readonly seen: { path: string; authorization: string | undefined }[];
  readonly server: Server;
}

// A loopback server that records each request's path and Authorization header.
async function recorder(
  answer: (path: string, headers: IncomingHttpHeaders) => { status: number; location?: string },
): Promise<Recorder> {
  const seen: Recorder['seen'] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const { status, location } = answer(req.url ?? '', req.headers);
    res.writeHead(status, location === undefined ? {} : { location }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe.each([
  ['got 16', got],
  ['got 14', got14 as unknown as Got],
])('forgeHooks (%s specifics)', (_, got) => {
  it('needs an origin, since hooks cannot see prefixUrl', () => {
    const error = (() => {
      try {
        forgeHooks(manager());
      } catch (caught) {
        return caught as ConfigurationError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.option).toBe('origins');
    expect(error?.message).toMatch(/^\[forge\] \[got\]/);
  });

  it('retries up to the exponential strategy’s maxRetries, then returns the 401', async () => {
    const retry = new ExponentialAuthRetryStrategy({
      maxRetries: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    const client = got.extend({
      prefixUrl: kit.api.url,
      hooks: forgeHooks(undamped(), { baseURL: kit.api.url, retry }),
    });
    kit.api.resetCounters();
    const response = await client('always-401', { throwHttpErrors: false });
    expect(response.statusCode).toBe(401);
    expect(kit.api.requests({ path: '/always-401' })).toBe(4);
  });

  it('got’s own retry of a hop after a broken chain carries no token either', async () => {
    let api: Recorder | undefined;
    let foreign: Recorder | undefined;
    try {
      let backs = 0;
      foreign = await recorder(() => ({ status: 302, location: `${api?.url}/back/admin?x=1` }));
      api = await recorder((path) => {
        if (path === '/start') return { status: 302, location: `${foreign?.url}/bounce` };
        // The hop the foreign server chose fails once: got retries it (default retry).
        backs += 1;
        return { status: backs === 1 ? 503 : 200 };
      });
      const client = got.extend({
        prefixUrl: api.url,
        hooks: forgeHooks(manager(), { baseURL: api.url }),
      });
      expect((await client.get('start', { throwHttpErrors: false })).statusCode).toBe(200);
      expect(
        api.seen.map(({ path, authorization }) => [path, authorization !== undefined]),
      ).toEqual([
        ['/start', true],
        ['/back/admin?x=1', false],
        ['/back/admin?x=1', false],
      ]);
    } finally {
      api?.server.close();
      foreign?.server.close();
    }
  });

  it('composes with the caller’s own hooks', async () => {
    const seen: string[] = [];
    const client = got.extend(
      { prefixUrl: kit.api.url, hooks: forgeHooks(manager(), { baseURL: kit.api.url }) },
      { hooks: { beforeRequest: [(options) => void seen.push(String(options.url))] } },
    );
    const body = await client('orders').json();
    expect(body).toMatchObject({ ok: true });
    expect(seen).toEqual([`${kit.api.url}/orders`]);
  });
});
