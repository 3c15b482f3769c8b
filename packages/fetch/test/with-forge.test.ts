import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ForgeError,
  RequestAuthorizationError,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import { startResourceServer } from '@forge/testkit';
import { webStream } from '@forge/testkit/conformance';
import { Agent, buildConnector, Request as UndiciRequest, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

const kit = useTestkit();
const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((item) => item.close()));
});

const policy = () => ({ policy: { baseURL: kit.api.url } });
const api = () => withForge(fetch, kit.manager(), policy());
const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

/** A client on a fresh manager, warmed up, and the access token it holds. */
async function withToken(fetch: typeof globalThis.fetch = globalThis.fetch) {
  const manager = kit.manager();
  const client = withForge(fetch, manager, policy());
  expect((await client(`${kit.api.url}/warm`)).status).toBe(200);
  return { manager, client, token: (await manager.getToken()).accessToken };
}

describe('withForge(fetch)', () => {
  it('returns a new function with fetch’s signature and leaves fetch alone', async () => {
    const original = globalThis.fetch;
    const client = api();
    expect(client).not.toBe(original);
    expect(globalThis.fetch).toBe(original);
    // It drops in wherever a library takes a `fetch`.
    const asFetch: typeof fetch = client;
    expect(asFetch).toBe(client);
    const response = await client(`${kit.api.url}/orders?page=2`);
    expect(await json(response)).toMatchObject({ ok: true, path: '/orders', query: { page: '2' } });
    // fetch itself still sends nothing of Forge's.
    expect((await fetch(`${kit.api.url}/orders`)).status).toBe(401);
  });

  it('validates what it is given with ConfigurationErrors naming the option', async () => {
    const manager = kit.manager();
    const optionOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).option;
      }
      return undefined;
    };
    expect(optionOf(() => withForge('fetch' as never, manager, policy()))).toBe('fetch');
    expect(optionOf(() => withForge(fetch, {} as never, policy()))).toBe('authorizer');
    // fetch has no base URL: without one in the policy no origin may receive the token.
    expect(optionOf(() => withForge(fetch, manager))).toBe('policy.origins');
    // The flat options of old are refused, pointing at `policy`.
    const flat = () => withForge(fetch, manager, { baseURL: kit.api.url } as never);
    expect(optionOf(flat)).toBe('baseURL');
    expect(flat).toThrow(/\{ policy: \{ baseURL \} \}/);
    expect(optionOf(() => withForge(fetch, manager, { origins: [kit.api.url] } as never))).toBe(
      'origins',
    );
    const client = withForge(fetch, manager, policy());
    await expect(
      client(`${kit.api.url}/orders`, { forge: 'tenant-a' as never }),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('sends credentials only to allowed origins and never to excluded paths', async () => {
    const foreign = await startResourceServer({ auth: kit.auth });
    closing.push(foreign);
    const client = withForge(fetch, kit.manager(), {
      policy: { origins: [kit.api.url], excludedPathPatterns: ['/public/**'] },
    });
    expect((await client(`${kit.api.url}/orders`)).status).toBe(200);
    expect((await client(`${kit.api.url}/public/a/b`)).status).toBe(200);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/public/a/b', hadAuthorization: false });
    expect((await client(`${foreign.url}/orders`)).status).toBe(401);
    expect((await client(new URL('/public/x', foreign.url))).status).toBe(200);
    expect(foreign.requests({ hadAuthorization: true })).toBe(0);
  });

  it('renews a revoked token once and resends the request with its body', async () => {
    const { client, token } = await withToken();
    kit.auth.resetCounters();
    kit.api.resetCounters();
    expect(await kit.auth.revokeToken(token)).toBe(true);
    const response = await client(`${kit.api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"A-1"}',
    });
    expect(await json(response)).toMatchObject({ ok: true, body: { sku: 'A-1' } });
    expect(kit.api.requests({ status: 401 })).toBe(1);
    expect(kit.api.requests({ status: 200 })).toBe(1);
    expect(kit.auth.tokenRequests()).toBe(1);
  });

  it.each([
    ['a string', () => 'sku=A-1', 'sku=A-1'],
    ['URLSearchParams', () => new URLSearchParams({ sku: 'A-1' }), { sku: 'A-1' }],
    ['a Blob', () => new Blob(['{"sku":"A-1"}'], { type: 'application/json' }), { sku: 'A-1' }],
    ['an ArrayBuffer', () => new TextEncoder().encode('sku=A-1').buffer, 'sku=A-1'],
    ['a Uint8Array', () => new TextEncoder().encode('sku=A-1'), 'sku=A-1'],
  ])('resends %s body after a 401', async (_, body, expected) => {
    const { client, token } = await withToken();
    await kit.auth.revokeToken(token);
    const response = await client(`${kit.api.url}/orders`, { method: 'POST', body: body() });
    expect(response.status).toBe(200);
    expect((await json(response)).body).toEqual(expected);
  });

  it('resends a FormData body after a 401', async () => {
    const { client, token } = await withToken();
    await kit.auth.revokeToken(token);
    const form = new FormData();
    form.set('sku', 'A-1');
    const response = await client(`${kit.api.url}/orders`, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    // The testkit echoes a multipart body as its text.
    expect(String((await json(response)).body)).toMatch(/name="sku"\r\n\r\nA-1/);
  });

  it('sends a stream body once and hands its 401 back, with the token renewed for the next request', async () => {
    const { client, token } = await withToken();
    kit.auth.resetCounters();
    kit.api.resetCounters();
    await kit.auth.revokeToken(token);
    const response = await client(`${kit.api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: webStream({ chunks: ['{"sku":', '"B-2"}'] }),
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(401);
    expect(kit.api.requests({ path: '/orders' })).toBe(1);
    expect(kit.auth.tokenRequests()).toBe(1);
    expect((await client(`${kit.api.url}/orders`)).status).toBe(200);
    expect(kit.auth.tokenRequests()).toBe(1);
  });

  it('gives up after the one retry: a second 401 is the caller’s', async () => {
    const always401 = await startResourceServer({
      auth: kit.auth,
      routes: { '/always-401': () => ({ status: 401, body: { error: 'invalid_token' } }) },
    });
    closing.push(always401);
    const client = withForge(fetch, kit.manager(), { policy: { baseURL: always401.url } });
    const response = await client(`${always401.url}/always-401`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_token' });
    expect(always401.requests({ path: '/always-401' })).toBe(2);
  });
});

describe('redirects', () => {
  const redirect = (to: string, status = 302) =>
    `${kit.api.url}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

  it('keeps credentials on a same-origin hop and tells the caller redirects were followed', async () => {
    const response = await api()(redirect(`${kit.api.url}/landing`));
    expect(response.status).toBe(200);
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${kit.api.url}/landing`);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/landing', hadAuthorization: true });
  });

  it('strips them on a cross-origin hop, and a chain once broken never regains them', async () => {
    const foreign = await startResourceServer({ auth: kit.auth });
    closing.push(foreign);
    const client = api();
    expect((await client(redirect(`${foreign.url}/public/landing`))).status).toBe(200);
    expect(foreign.lastRequest()).toMatchObject({ hadAuthorization: false });
    // api → foreign → api: the last hop is on the API's origin, but the foreign server chose it.
    const back = `${foreign.url}/redirect?to=${encodeURIComponent(`${kit.api.url}/landing`)}`;
    kit.api.resetCounters();
    const response = await client(redirect(back));
    expect(response.status).toBe(401);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/landing', hadAuthorization: false });
    // A 401 to a request that carried no credentials is not Forge's to retry.
    expect(kit.api.requests({ path: '/landing' })).toBe(1);
  });

  it('resends the body on a 307 and turns a POST into a GET on a 303', async () => {
    const client = api();
    const kept = await client(redirect(`${kit.api.url}/orders`, 307), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"A-1"}',
    });
    expect(await json(kept)).toMatchObject({ method: 'POST', body: { sku: 'A-1' } });
    const seeOther = await client(redirect(`${kit.api.url}/orders`, 303), {
      method: 'POST',
      body: 'sku=A-1',
    });
    expect(await json(seeOther)).toMatchObject({ method: 'GET' });
    expect(kit.api.lastRequest()).toMatchObject({ method: 'GET', hadAuthorization: true });
  });

  it('leaves redirect: manual and redirect: error to fetch', async () => {
    const client = api();
    const manual = await client(redirect(`${kit.api.url}/landing`), { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe(`${kit.api.url}/landing`);
    await expect(
      client(redirect(`${kit.api.url}/landing`), { redirect: 'error' }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe('Request objects', () => {
  it('authorizes a Request, with init merged over it as fetch does', async () => {
    const client = api();
    const request = new Request(`${kit.api.url}/orders?page=1`, { headers: { 'x-trace': 'T1' } });
    expect(await json(await client(request))).toMatchObject({ ok: true, query: { page: '1' } });
    const response = await client(new Request(`${kit.api.url}/orders`), { method: 'DELETE' });
    expect(await json(response)).toMatchObject({ ok: true, method: 'DELETE' });
  });

  it('resends a Request’s body after a 401 (a clone is kept before the first send)', async () => {
    const { client, token } = await withToken();
    await kit.auth.revokeToken(token);
    const request = new Request(`${kit.api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"A-1"}',
    });
    const response = await client(request);
    expect(await json(response)).toMatchObject({ ok: true, body: { sku: 'A-1' } });
  });

  it('works with undici’s own fetch and Request classes', async () => {
    const manager = kit.manager();
    // Typed with undici's own Request, RequestInit and Response.
    const client = withForge(undiciFetch, manager, policy());
    const { accessToken } = await manager.getToken();
    await kit.auth.revokeToken(accessToken);
    kit.api.resetCounters();
    const request = new UndiciRequest(`${kit.api.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"A-1"}',
    });
    const response = await client(request);
    expect(await response.json()).toMatchObject({ ok: true, body: { sku: 'A-1' } });
    expect(kit.api.requests({ status: 401 })).toBe(1);
  });
});

describe('AbortSignal', () => {
  it('a token wait aborted by the caller rejects with the signal’s reason at once', async () => {
    const client = api();
    kit.api.resetCounters();
    kit.auth.faults.set({ mode: 'hang', times: 1 });
    try {
      const controller = new AbortController();
      const reason = new Error('the caller gave up');
      const pending = client(`${kit.api.url}/orders`, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(kit.api.requests({ path: '/orders' })).toBe(0);
    } finally {
      kit.auth.faults.clear();
    }
  });

  it('an already aborted signal fails before any token request', async () => {
    kit.auth.resetCounters();
    const signal = AbortSignal.abort(new Error('too late'));
    await expect(api()(`${kit.api.url}/orders`, { signal })).rejects.toThrow('too late');
    expect(kit.auth.tokenRequests()).toBe(0);
  });

  it('an abort during the request is fetch’s own AbortError, not a Forge error', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const url = `http://127.0.0.1:${port}/slow`;
    try {
      const client = withForge(fetch, kit.manager(), { policy: { baseURL: url } });
      const error = await client(url, { signal: AbortSignal.timeout(200) }).catch(
        (caught: unknown) => caught,
      );
      expect(error).not.toBeInstanceOf(ForgeError);
      expect((error as Error).name).toBe('TimeoutError');
    } finally {
      silent.close();
    }
  });
});

describe('undici dispatchers', () => {
  /** A real undici Agent whose connections are counted. */
  function countingAgent() {
    const connect = buildConnector({});
    const agent = Object.assign(
      new Agent({
        connect: (options, callback) => {
          agent.connections += 1;
          return connect(options, callback);
        },
      }),
      { connections: 0 },
    );
    closing.push(agent);
    return agent;
  }

  it.each([
    // One recording double for both, typed as the global fetch.
    ['undici’s fetch', undiciFetch as unknown as typeof fetch],
    ['the global fetch', globalThis.fetch],
  ])('pass through untouched with %s, on the retry and the redirect hops too', async (_, fetch) => {
    const agent = countingAgent();
    const seen: unknown[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push((init as { dispatcher?: unknown } | undefined)?.dispatcher);
      return fetch(input, init);
    };
    const { client, token } = await withToken(recording);
    await kit.auth.revokeToken(token);
    kit.api.resetCounters();
    seen.length = 0;
    const to = `${kit.api.url}/redirect?to=${encodeURIComponent(`${kit.api.url}/landing`)}`;
    const response = await client(to, { dispatcher: agent } as RequestInit);
    expect(response.status).toBe(200);
    // A 302 and its hop's 401, then the retry's 302 and hop: each through the caller's Agent.
    expect(kit.api.requestLog().map(({ path, status }) => `${status} ${path}`)).toEqual([
      '302 /redirect',
      '401 /landing',
      '302 /redirect',
      '200 /landing',
    ]);
    expect(seen).toEqual([agent, agent, agent, agent]);
    expect(agent.connections).toBeGreaterThan(0);
  });
});

describe('per-request keys', () => {
  /** One manager, two tokens: key `basic` gets the `basic` client's, anything else the `post` client's. */
  function keyedManager() {
    const provider = (name: 'post' | 'basic') =>
      new ClientCredentialsTokenProvider({
        clientId: kit.auth.clients[name].clientId,
        clientSecret: kit.auth.clients[name].clientSecret,
        clientAuth: name === 'post' ? 'client_secret_post' : 'client_secret_basic',
        tokenEndpoint: kit.auth.tokenEndpoint,
      });
    const byKey = { post: provider('post'), basic: provider('basic') };
    const keyed: TokenProvider<string | undefined> = {
      serviceName: 'keys',
      cacheKey: (key) => `keys:${key === 'basic' ? 'basic' : 'post'}`,
      fetchToken: (key, context) =>
        (key === 'basic' ? byKey.basic : byKey.post).fetchToken(undefined, context),
    };
    const manager = new TokenManager(keyed);
    closing.push(manager);
    return manager;
  }

  it('init.forge.key picks the token of one request; a retry keeps it', async () => {
    const { post, basic } = kit.auth.clients;
    const client = withForge(fetch, keyedManager(), policy());
    // The manager's keys are strings: the init's key is typed from it.
    // @ts-expect-error a number is no key of this manager
    void (() => client(`${kit.api.url}/who`, { forge: { key: 1 } }));
    const who = async (key?: string) =>
      (await json(await client(`${kit.api.url}/who`, key ? { forge: { key } } : {}))).client_id;
    expect(await who()).toBe(post.clientId);
    expect(await who('basic')).toBe(basic.clientId);
    kit.api.revokeAll();
    expect(await who('basic')).toBe(basic.clientId);
  });

  it('options.key reads an AsyncLocalStorage per request', async () => {
    const { post, basic } = kit.auth.clients;
    const tenants = new AsyncLocalStorage<string>();
    const client = withForge(fetch, keyedManager(), {
      ...policy(),
      key: () => tenants.getStore(),
    });
    const who = async () => (await json(await client(`${kit.api.url}/who`))).client_id;
    const [a, b, none] = await Promise.all([
      tenants.run('basic', who),
      tenants.run('post', who),
      who(),
    ]);
    expect([a, b, none]).toEqual([basic.clientId, post.clientId, post.clientId]);
  });
});

describe('errors', () => {
  it('a token failure is a RequestAuthorizationError without the secret; a network error keeps no token', async () => {
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        clientId: kit.auth.clients.post.clientId,
        clientSecret: 'a-secret-that-must-not-leak',
        clientAuth: 'client_secret_post',
        tokenEndpoint: kit.auth.tokenEndpoint,
        retry: false,
      }),
    );
    closing.push(manager);
    const failing = withForge(fetch, manager, policy());
    const error = await failing(`${kit.api.url}/orders`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestAuthorizationError);
    expect(inspect(error, { depth: 10 })).not.toContain('a-secret-that-must-not-leak');

    // A closed port on an allowed origin: the token was sent for, then fetch failed.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const good = kit.manager();
    const token = (await good.getToken()).accessToken;
    const client = withForge(fetch, good, { policy: { origins: [`http://127.0.0.1:${port}`] } });
    const network = await client(`http://127.0.0.1:${port}/orders`).catch((c: unknown) => c);
    expect(network).toBeInstanceOf(TypeError);
    expect(inspect(network, { depth: 10, showHidden: true })).not.toContain(token);
  });
});
