import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Authorizer,
  type ClientCredentialsInput,
  ConfigurationError,
  ExponentialAuthRetryStrategy,
} from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import { startResourceServer } from '@forge/testkit';
import axios, { type AxiosError, type AxiosStatic } from 'axios';
import axios1early from 'axios1early';
import { describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

const kit = useTestkit({
  routes: {
    '/always-401': () => ({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    }),
    '/trace': ({ headers, token }) => ({
      body: { trace: headers['x-trace'], client_id: token?.clientId },
    }),
  },
});
const manager = () => kit.manager();
// Where a test rejects tokens in quick succession on purpose, damping would hide the behaviour under test.
const undamped = () => kit.manager({ unauthorizedDampingMs: 0 });

describe('withForge (axios specifics)', () => {
  it('works from the default instance when origins are given, and leaves it as it was', async () => {
    expect(() => withForge(axios, manager())).toThrow(ConfigurationError);
    const api = withForge(axios, manager(), { policy: { origins: [kit.api.url] } });
    const { data } = await api.get(`${kit.api.url}/orders`);
    expect(data).toMatchObject({ ok: true, client_id: kit.auth.clients.post.clientId });
    const status = await axios.get(`${kit.api.url}/orders`).catch((error) => error.response.status);
    expect(status).toBe(401);
  });

  it('describes every request with the URL axios sends, as getUri computes it', async () => {
    const seen: string[] = [];
    const authorizer = {
      authorize: (request: { url: string }) => {
        seen.push(request.url);
        return undefined;
      },
    };
    const cases: { baseURL?: string; url: string; params?: Record<string, string> }[] = [
      { baseURL: `${kit.api.url}/v1`, url: '/orders' },
      { baseURL: `${kit.api.url}/v1///`, url: '/orders' },
      { baseURL: `${kit.api.url}/v1/`, url: 'orders?x=1' },
      { baseURL: `${kit.api.url}/v1`, url: '' },
      { baseURL: `${kit.api.url}/v1`, url: `${kit.api.url}/elsewhere` },
      { baseURL: `${kit.api.url}/v1`, url: '/orders', params: { page: '2', q: 'a b' } },
      { url: `${kit.api.url}/absolute` },
    ];
    for (const { baseURL, url, params } of cases) {
      const client = withForge(axios.create(baseURL === undefined ? {} : { baseURL }), authorizer);
      seen.length = 0;
      await client.get(url, { params, validateStatus: () => true });
      expect(seen).toEqual([client.getUri({ url, params })]);
    }
  });

  it('keeps the token out of the AxiosError a failed request rejects with', async () => {
    const tokens = manager();
    const client = withForge(axios.create({ baseURL: kit.api.url }), tokens);
    const error = await client.get('/always-401').catch((e: unknown) => e);
    const { accessToken } = await tokens.getToken();
    expect(axios.isAxiosError(error)).toBe(true);
    expect((error as AxiosError).response?.status).toBe(401);
    expect(JSON.stringify((error as AxiosError).toJSON())).not.toContain(accessToken);
    expect(JSON.stringify((error as AxiosError).config?.headers)).not.toContain(accessToken);
    // The config can be sent again and is authorized afresh.
    const retried = await client.get('/orders', { headers: (error as AxiosError).config?.headers });
    expect(retried.status).toBe(200);
  });

  it('rejects something that is not an axios instance', () => {
    const error = (() => {
      try {
        withForge({} as never, manager());
      } catch (caught) {
        return caught as ConfigurationError;
      }
    })();
    expect(error?.option).toBe('instance');
    expect(error?.message).toMatch(/^\[forge\] \[axios\]/);
  });

  it('retries a 401 also when validateStatus lets it through, and returns the second one', async () => {
    const instance = withForge(
      axios.create({ baseURL: kit.api.url, validateStatus: () => true }),
      undamped(),
    );
    kit.api.resetCounters();
    const response = await instance.get('/always-401');
    expect(response.status).toBe(401);
    expect(kit.api.requests({ path: '/always-401' })).toBe(2);
    kit.api.revokeAll();
    expect((await instance.get('/orders')).status).toBe(200);
  });

  it('follows an exponential strategy up to maxRetries', async () => {
    const retry = new ExponentialAuthRetryStrategy({
      maxRetries: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    const instance = withForge(axios.create({ baseURL: kit.api.url }), undamped(), {
      policy: { retry },
    });
    kit.api.resetCounters();
    const status = await instance.get('/always-401').catch((error) => error.response.status);
    expect(status).toBe(401);
    expect(kit.api.requests({ path: '/always-401' })).toBe(4);
  });

  it('with the fetch adapter, follows redirects itself and judges every hop', async () => {
    const seen: { server: string; path: string; auth?: string; key?: string }[] = [];
    const listen = async (name: string, answer: (path: string) => [number, string?]) => {
      const server = createServer((req, res) => {
        seen.push({
          server: name,
          path: req.url ?? '',
          auth: req.headers.authorization,
          key: req.headers['x-api-key'] as string | undefined,
        });
        const [status, location] = answer(req.url ?? '');
        res.writeHead(status, location ? { location } : {}).end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    };
    const foreign = await listen('foreign', () => [200]);
    const api = await listen('api', (path) => {
      if (path === '/to-public') return [302, '/public/x'];
      if (path === '/to-orders') return [302, '/orders'];
      if (path === '/to-foreign') return [302, `${foreign.url}/steal`];
      return [200];
    });
    try {
      const bearerClient = withForge(
        axios.create({ baseURL: api.url, adapter: 'fetch' }),
        manager(),
        {
          policy: { excludedPathPatterns: ['/public/**'] },
        },
      );
      expect((await bearerClient.get('/to-public')).status).toBe(200);
      expect((await bearerClient.get('/to-orders')).status).toBe(200);
      const keyClient = withForge(axios.create({ baseURL: api.url, adapter: 'fetch' }), {
        authorize: () => ({ headers: { 'x-api-key': 'SECRET-KEY' } }),
        mayRedirect: () => false,
      });
      expect((await keyClient.get('/to-foreign')).status).toBe(200);
      expect(
        seen.map(({ server, path, auth, key }) => [
          server,
          path,
          auth !== undefined || key !== undefined,
        ]),
      ).toEqual([
        ['api', '/to-public', true],
        ['api', '/public/x', false],
        ['api', '/to-orders', true],
        ['api', '/orders', true],
        ['api', '/to-foreign', true],
        ['foreign', '/steal', false],
      ]);
    } finally {
      api.server.close();
      foreign.server.close();
    }
  });

  it('runs the caller’s own beforeRedirect after stripping credentials', async () => {
    const foreign = await startResourceServer({ auth: kit.auth });
    try {
      const seen: unknown[] = [];
      const instance = withForge(
        axios.create({
          baseURL: kit.api.url,
          beforeRedirect: (options) => {
            seen.push((options.headers as Record<string, unknown>).authorization);
          },
        }),
        manager(),
      );
      await instance.get(`/redirect?to=${encodeURIComponent(`${foreign.url}/public/x`)}`);
      expect(seen).toEqual([undefined]);
      expect(foreign.lastRequest()).toMatchObject({ hadAuthorization: false });
    } finally {
      await foreign.close();
    }
  });
});

describe('withForge returns a new instance', () => {
  it('leaves its argument as it was, and copies its interceptors into the new one', async () => {
    const original = axios.create({ baseURL: kit.api.url });
    const answered: string[] = [];
    original.interceptors.request.use((config) => {
      config.headers.set('x-trace', 'from-original');
      return config;
    });
    // Runs only for requests it says so: `runWhen` is copied with the interceptor.
    original.interceptors.request.use(
      (config) => {
        config.headers.set('x-trace', 'only-for-post');
        return config;
      },
      null,
      { runWhen: (config) => config.method === 'post' },
    );
    original.interceptors.response.use((response) => {
      answered.push(response.config.url ?? '');
      return response;
    });
    original.defaults.headers.common['x-tenant'] = 'acme';
    const api = withForge(original, manager());
    expect(api).not.toBe(original);

    const { data } = await api.get('/trace');
    expect(data).toEqual({ trace: 'from-original', client_id: kit.auth.clients.post.clientId });
    expect(answered).toEqual(['/trace']);
    expect(api.defaults.headers.common['x-tenant']).toBe('acme');

    kit.api.resetCounters();
    const status = await original
      .get('/orders')
      .catch((error: AxiosError) => error.response?.status);
    expect(status).toBe(401);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/orders', hadAuthorization: false });
    expect(original.defaults.headers.common.Authorization).toBeUndefined();
    // Forge's response interceptor is not on the original: its 401 was not retried.
    expect(kit.api.requests({ path: '/orders' })).toBe(1);
  });

  it('refuses the flat policy options of old, naming { policy }', () => {
    const error = (() => {
      try {
        withForge(axios.create({ baseURL: kit.api.url }), manager(), {
          excludedPaths: ['/health'],
        } as never);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).option).toBe('excludedPaths');
    expect((error as ConfigurationError).message).toMatch(/\{ policy: \{ excludedPaths \} \}/);
    expect(() =>
      withForge(axios.create({ baseURL: kit.api.url }), manager(), { key: 'tenant' } as never),
    ).toThrow(ConfigurationError);
  });
});

describe('withForge with per-request keys', () => {
  // The manager's key is what the client-credentials provider takes: one token per scope.
  const read: ClientCredentialsInput = { scope: 'read' };
  const write: ClientCredentialsInput = { scope: 'write' };
  const scopeOf = async (sent: Promise<{ data: unknown }>) =>
    ((await sent).data as { scope?: string }).scope;

  it('sends the token of the key a request names in { forge: { key } }', async () => {
    const tokens = manager();
    const api = withForge(axios.create({ baseURL: kit.api.url }), tokens);
    expect(await scopeOf(api.get('/orders', { forge: { key: read } }))).toBe('read');
    expect(await scopeOf(api.post('/orders', {}, { forge: { key: write } }))).toBe('write');
    expect(await scopeOf(api.get('/orders', { forge: { key: read } }))).toBe('read');
    const [readToken, writeToken] = await Promise.all([
      tokens.getToken(read),
      tokens.getToken(write),
    ]);
    expect(readToken.accessToken).not.toBe(writeToken.accessToken);
  });

  it('asks the key function per request, from an AsyncLocalStorage; a request’s own key wins', async () => {
    const scopes = new AsyncLocalStorage<ClientCredentialsInput>();
    const api = withForge(axios.create({ baseURL: kit.api.url }), manager(), {
      key: () => scopes.getStore(),
    });
    const [first, second] = await Promise.all([
      scopes.run(read, () => scopeOf(api.get('/orders'))),
      scopes.run(write, () => scopeOf(api.get('/orders'))),
    ]);
    expect([first, second]).toEqual(['read', 'write']);
    expect(
      await scopes.run(read, () => scopeOf(api.get('/orders', { forge: { key: write } }))),
    ).toBe('write');
  });

  it('retries a 401 with the key of the request it retries', async () => {
    const tokens = undamped();
    let asked = 0;
    const api = withForge(axios.create({ baseURL: kit.api.url }), tokens, {
      // A second call would pick another key: the retry must not ask again.
      key: () => (++asked === 1 ? write : read),
    });
    const before = await tokens.getToken(write);
    kit.api.revokeAll();
    kit.api.resetCounters();
    expect(await scopeOf(api.get('/orders'))).toBe('write');
    expect(asked).toBe(1);
    expect(kit.api.requestLog().map(({ status }) => status)).toEqual([401, 200]);
    expect((await tokens.getToken(write)).accessToken).not.toBe(before.accessToken);
  });

  it('rejects a per-request forge option that is not an object, before anything is sent', async () => {
    const api = withForge(axios.create({ baseURL: kit.api.url }), manager());
    kit.api.resetCounters();
    await expect(api.get('/orders', { forge: 'read' as never })).rejects.toThrow(
      ConfigurationError,
    );
    expect(kit.api.requests()).toBe(0);
  });
});

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly bodyDigest: string | undefined;
  readonly raw: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

// Records the raw bytes it receives; `/once-401` answers 401 to its first request.
async function startEcho(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  let refused = false;
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((request, response) => {
    read(request).then((raw) => {
      const path = request.url ?? '/';
      received.push({
        path,
        contentType: request.headers['content-type'],
        bodyDigest: request.headers['x-body-sha256'] as string | undefined,
        raw,
      });
      const status = path === '/once-401' && !refused ? 401 : 200;
      if (path === '/once-401') refused = true;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each([
  [`axios ${axios.VERSION}`, axios],
  [`axios ${axios1early.VERSION}`, axios1early as unknown as AxiosStatic],
])('withForge with a body signer (signsBody), %s', (_name, axios) => {
  // Signs a digest of the body it is handed, as OAuth 1 oauth_body_hash does.
  const seen: { body: unknown; contentType: string | undefined }[] = [];
  const digestSigner: Authorizer = {
    signsBody: true,
    authorize(request) {
      seen.push({ body: request.body, contentType: request.headers['content-type'] });
      return { headers: { 'x-body-sha256': sha256(String(request.body ?? '')) } };
    },
    onUnauthorized: () => ({ retry: true, delayMs: 0 }),
  };

  it('signs the bytes axios sends: object data through the caller’s and axios’s transforms, run once per send', async () => {
    const echo = await startEcho();
    try {
      seen.length = 0;
      let transformed = 0;
      const snakeCase = (data: unknown) => {
        transformed += 1;
        if (typeof data !== 'object' || data === null) return data;
        return Object.fromEntries(
          Object.entries(data).map(([key, value]) => [
            key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
            value,
          ]),
        );
      };
      const instance = withForge(
        axios.create({
          baseURL: echo.url,
          transformRequest: [snakeCase, ...[axios.defaults.transformRequest ?? []].flat()],
        }),
        digestSigner,
      );
      const data = { orderId: 7, note: 'ünï ✓' };
      await instance.post('/once-401', data);
      expect(transformed).toBe(2); // the first send and the retry, once each
      expect(echo.received).toHaveLength(2);
      for (const request of echo.received) {
        expect(request.raw).toBe('{"order_id":7,"note":"ünï ✓"}');
        expect(request.contentType).toBe('application/json');
        expect(request.bodyDigest).toBe(sha256(request.raw));
      }
      expect(data).toEqual({ orderId: 7, note: 'ünï ✓' });
      expect(seen.map(({ body }) => body)).toEqual([echo.received[0]!.raw, echo.received[1]!.raw]);
    } finally {
      await echo.close();
    }
  });

  it('signs string JSON as axios trims it, and a bare string POST as the form axios declares it', async () => {
    const echo = await startEcho();
    try {
      seen.length = 0;
      const instance = withForge(axios.create({ baseURL: echo.url }), digestSigner);
      await instance.post('/json', ' {"a":1}\n', {
        headers: { 'content-type': 'application/json' },
      });
      await instance.post('/bare', 'a=1&b=2');
      expect(echo.received.map(({ raw, contentType }) => ({ raw, contentType }))).toEqual([
        { raw: '{"a":1}', contentType: 'application/json' },
        { raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
      ]);
      expect(echo.received.every((r) => r.bodyDigest === sha256(r.raw))).toBe(true);
      expect(seen).toEqual([
        { body: '{"a":1}', contentType: 'application/json' },
        { body: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
      ]);
    } finally {
      await echo.close();
    }
  });
});
