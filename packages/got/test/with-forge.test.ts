import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ClientCredentialsInput,
  ConfigurationError,
  ExponentialAuthRetryStrategy,
  RequestAuthorizationError,
} from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import got, { type Got } from 'got';
import got14 from 'got14';
import { describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

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

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

type Scoped = { scope: string | undefined };

describe.each([
  ['got 16', got],
  ['got 14', got14 as unknown as Got],
])('withForge (%s specifics)', (_, got) => {
  it('returns a new instance and leaves the one it was given as it was', async () => {
    const base = got.extend({ prefixUrl: kit.api.url, throwHttpErrors: false });
    const api = withForge(base, manager());
    expect(api).not.toBe(base);
    expect(base.defaults.options.hooks.beforeRequest).toHaveLength(0);
    expect((await api.get('orders')).statusCode).toBe(200);
    expect((await base.get('orders')).statusCode).toBe(401);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/orders', hadAuthorization: false });
  });

  it('takes the instance’s prefixUrl as the origin, without a baseURL', async () => {
    let foreign: Recorder | undefined;
    try {
      foreign = await recorder(() => ({ status: 200 }));
      const api = withForge(got.extend({ prefixUrl: kit.api.url }), manager());
      expect(await api.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
      // Another prefixUrl for one request is another origin, as an absolute URL would be.
      await api.get('orders', { prefixUrl: foreign.url });
      await api.get(`${foreign.url}/absolute`, { prefixUrl: '' });
      expect(foreign.seen).toEqual([
        { path: '/orders', authorization: undefined },
        { path: '/absolute', authorization: undefined },
      ]);
      const listed = withForge(got.extend({ prefixUrl: kit.api.url }), manager(), {
        policy: { origins: [foreign.url] },
      });
      await listed.get('orders', { prefixUrl: foreign.url });
      expect(foreign.seen[2]?.authorization).toMatch(/^Bearer /);
    } finally {
      foreign?.server.close();
    }
  });

  it('needs an origin when the instance has no prefixUrl', () => {
    const error = thrown(() => withForge(got, manager())) as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.option).toBe('policy.origins');
    expect(error.message).toMatch(/^\[forge\] \[got\]/);
    const listed = withForge(got, manager(), { policy: { origins: [kit.api.url] } });
    expect(listed).toBeTypeOf('function');
  });

  it('rejects the flat options of old, and anything but a got instance', () => {
    const base = got.extend({ prefixUrl: kit.api.url });
    for (const flat of [{ baseURL: kit.api.url }, { excludedPaths: ['/health'] }]) {
      const error = thrown(() => withForge(base, manager(), flat as never)) as ConfigurationError;
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.option).toBe(Object.keys(flat)[0]);
      expect(error.message).toMatch(/pass it as \{ policy: \{ \w+ \} \}/);
    }
    const notGot = thrown(() => withForge({} as never, manager())) as ConfigurationError;
    expect(notGot).toBeInstanceOf(ConfigurationError);
    expect(notGot.option).toBe('got');
  });

  it('sends each request the token of its key: context.forge.key, else options.key', async () => {
    const scopes = new AsyncLocalStorage<ClientCredentialsInput>();
    const base = got.extend({ prefixUrl: kit.api.url });
    const api = withForge(base, manager(), { key: () => scopes.getStore() });
    kit.auth.resetCounters();
    const [read, write, admin, fallback] = await Promise.all([
      api.get('whoami', { context: { forge: { key: { scope: 'read' } } } }).json<Scoped>(),
      scopes.run({ scope: 'write' }, () => api.get('whoami').json<Scoped>()),
      // The request's own key wins over the key function.
      scopes.run({ scope: 'read' }, () =>
        api.get('whoami', { context: { forge: { key: { scope: 'admin' } } } }).json<Scoped>(),
      ),
      api.get('whoami').json<Scoped>(),
    ]);
    expect([read.scope, write.scope, admin.scope]).toEqual(['read', 'write', 'admin']);
    // No key: the provider's default token, which asked for no scope.
    expect(fallback.scope).toBeUndefined();
    expect(kit.auth.tokenRequests()).toBe(4);
  });

  it('a retry after a 401 keeps the key of the request it retries', async () => {
    const scopes = new AsyncLocalStorage<ClientCredentialsInput>();
    let asked = 0;
    const api = withForge(got.extend({ prefixUrl: kit.api.url }), manager(), {
      key: () => {
        asked += 1;
        return scopes.getStore();
      },
    });
    const own = { context: { forge: { key: { scope: 'read' } } } };
    await scopes.run({ scope: 'write' }, () => api.get('warm').json());
    await api.get('warm', own).json();
    kit.api.revokeAll();
    kit.api.resetCounters();
    asked = 0;
    const viaFunction = await scopes.run({ scope: 'write' }, () =>
      api.get('whoami').json<Scoped>(),
    );
    const viaContext = await api.get('whoami', own).json<Scoped>();
    expect([viaFunction.scope, viaContext.scope]).toEqual(['write', 'read']);
    expect(kit.api.requests({ status: 401 })).toBe(2);
    expect(kit.api.requests({ status: 200 })).toBe(2);
    // Once per request (the second names its own key): never again for the retry.
    expect(asked).toBe(1);
  });

  it('a malformed per-request key option fails with a ConfigurationError', async () => {
    const api = withForge(got.extend({ prefixUrl: kit.api.url }), manager());
    const error = await api
      .get('orders', { context: { forge: 'read' } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).option).toBe('forge');
    expect(error).not.toBeInstanceOf(RequestAuthorizationError);
  });

  it('retries up to the exponential strategy’s maxRetries, then returns the 401', async () => {
    const retry = new ExponentialAuthRetryStrategy({
      maxRetries: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    const client = withForge(got.extend({ prefixUrl: kit.api.url }), undamped(), {
      policy: { retry },
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
      const client = withForge(got.extend({ prefixUrl: api.url }), manager());
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

  it('got’s own retry after a 503 sends a token again, of the same key', async () => {
    let api: Recorder | undefined;
    try {
      let calls = 0;
      api = await recorder(() => ({ status: ++calls === 1 ? 503 : 200 }));
      const client = withForge(got.extend({ prefixUrl: api.url }), manager());
      const response = await client.get('flaky', {
        context: { forge: { key: { scope: 'read' } } },
      });
      expect(response.statusCode).toBe(200);
      expect(api.seen).toHaveLength(2);
      expect(api.seen[1]?.authorization).toBe(api.seen[0]?.authorization);
      expect(api.seen[1]?.authorization).toMatch(/^Bearer /);
    } finally {
      api?.server.close();
    }
  });

  it('composes with the caller’s own hooks, before and after withForge', async () => {
    const seen: string[] = [];
    const base = got.extend({
      prefixUrl: kit.api.url,
      hooks: { beforeRequest: [(options) => void seen.push(`before ${String(options.url)}`)] },
    });
    const client = withForge(base, manager()).extend({
      hooks: { beforeRequest: [(options) => void seen.push(`after ${String(options.url)}`)] },
    });
    const body = await client('orders').json();
    expect(body).toMatchObject({ ok: true });
    expect(seen).toEqual([`before ${kit.api.url}/orders`, `after ${kit.api.url}/orders`]);
  });
});
