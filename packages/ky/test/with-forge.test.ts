import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Authorizer,
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ForgeError,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import ky from 'ky';
import ky1 from 'ky1';
import { afterEach, describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

const kit = useTestkit({
  routes: {
    '/unavailable': () => ({ status: 503, body: {} }),
    // Answers after ky's timeout in these tests has fired.
    '/slow': () => new Promise((resolve) => setTimeout(() => resolve({ body: {} }), 1_500)),
    // Accepts only the second signature a test signer makes.
    '/public/signed': ({ query }) =>
      query.sig === '2' ? { body: { ok: true, query } } : { status: 401, body: {} },
  },
});
const manager = () => kit.manager();

type Tenant = 'post' | 'basic';
const keyed: TokenManager<Tenant | undefined>[] = [];
afterEach(async () => {
  await Promise.all(keyed.splice(0).map((created) => created.close()));
});

/** One manager, a token per key: `basic` is the testkit's `basic` client, anything else `post`. */
function keyedManager(): TokenManager<Tenant | undefined> {
  const provider = (name: Tenant) =>
    new ClientCredentialsTokenProvider({
      clientId: kit.auth.clients[name].clientId,
      clientSecret: kit.auth.clients[name].clientSecret,
      clientAuth: name === 'post' ? 'client_secret_post' : 'client_secret_basic',
      tokenEndpoint: kit.auth.tokenEndpoint,
    });
  const byKey = { post: provider('post'), basic: provider('basic') };
  const tenants: TokenProvider<Tenant | undefined> = {
    serviceName: 'tenants',
    cacheKey: (key) => `tenants:${key ?? 'post'}`,
    fetchToken: (key, context) => byKey[key ?? 'post'].fetchToken(undefined, context),
  };
  const created = new TokenManager(tenants);
  keyed.push(created);
  return created;
}

const clientOf = async (response: Promise<Response>) =>
  ((await (await response).json()) as { client_id?: string }).client_id;

// ky 2 renamed `prefixUrl` to `prefix`.
describe.each([
  ['ky 2', ky, 'prefix'],
  ['ky 1', ky1 as unknown as typeof ky, 'prefixUrl'],
])('withForge (%s)', (version, ky, prefix) => {
  it('rejects something that is not a ky instance, and flat policy options of old', () => {
    expect(() => withForge({} as never, manager())).toThrow(ConfigurationError);
    const base = ky.create({ [prefix]: kit.api.url });
    const flat = (() => {
      try {
        withForge(base, manager(), { excludedPaths: ['/health'] } as never);
      } catch (error) {
        return error;
      }
    })();
    expect(flat).toBeInstanceOf(ConfigurationError);
    expect((flat as ConfigurationError).option).toBe('excludedPaths');
    expect((flat as Error).message).toContain('{ policy: { excludedPaths } }');
    expect(() => withForge(base, manager(), { baseURL: kit.api.url } as never)).toThrow(
      /policy: \{ baseURL \}/,
    );
    // Without a prefix there is no origin to send credentials to, unless the policy lists one.
    expect(() => withForge(ky, manager())).toThrow(ConfigurationError);
    expect(() => withForge(ky, manager(), { policy: { origins: [kit.api.url] } })).not.toThrow();
  });

  it('sends credentials to the origin of the instance’s prefix, named nowhere else, and leaves the instance it was given alone', async () => {
    const base = ky.create({ [prefix]: `${kit.api.url}/v1` });
    const api = withForge(base, manager());
    expect(await api.get('orders').json()).toMatchObject({ ok: true, path: '/v1/orders' });
    expect(kit.api.lastRequest()).toMatchObject({ path: '/v1/orders', hadAuthorization: true });
    const outcome = await base.get('orders').catch((error: { response?: Response }) => error);
    expect((outcome as { response?: Response }).response?.status).toBe(401);
    expect(kit.api.lastRequest()).toMatchObject({ hadAuthorization: false });
  });

  it('gives each request the token of its own key, from context.forge.key', async () => {
    const { post, basic } = kit.auth.clients;
    kit.auth.resetCounters();
    const api = withForge(ky.create({ [prefix]: kit.api.url }), keyedManager());
    expect(await clientOf(api.get('who'))).toBe(post.clientId);
    expect(await clientOf(api.get('who', { context: { forge: { key: 'basic' } } }))).toBe(
      basic.clientId,
    );
    // The instance's other context stays the caller's, and a key on it is every request's default.
    const tenantB = api.extend({ context: { forge: { key: 'basic' }, trace: 't-1' } });
    expect(await clientOf(tenantB.get('who'))).toBe(basic.clientId);
    expect(await clientOf(tenantB.get('who', { context: { forge: { key: 'post' } } }))).toBe(
      post.clientId,
    );
    expect(kit.auth.tokenRequests(basic.clientId)).toBe(1);
  });

  it('asks options.key for the key of a request that names none (an AsyncLocalStorage here)', async () => {
    const { post, basic } = kit.auth.clients;
    const tenants = new AsyncLocalStorage<Tenant>();
    const api = withForge(ky.create({ [prefix]: kit.api.url }), keyedManager(), {
      key: () => tenants.getStore(),
    });
    const [a, b, none] = await Promise.all([
      tenants.run('basic', () => clientOf(api.get('who'))),
      tenants.run('post', () => clientOf(api.get('who'))),
      clientOf(api.get('who')),
    ]);
    expect([a, b, none]).toEqual([basic.clientId, post.clientId, post.clientId]);
    // A request's own key wins over the function's.
    expect(
      await tenants.run('post', () =>
        clientOf(api.get('who', { context: { forge: { key: 'basic' } } })),
      ),
    ).toBe(basic.clientId);
  });

  it('renews the token of the request’s key after a 401 and keeps that key on the retry', async () => {
    const { post, basic } = kit.auth.clients;
    const api = withForge(ky.create({ [prefix]: kit.api.url }), keyedManager());
    const asBasic = { context: { forge: { key: 'basic' } } };
    expect(await clientOf(api.get('who', asBasic))).toBe(basic.clientId);
    kit.auth.resetCounters();
    kit.api.revokeAll();
    kit.api.resetCounters();
    const retried = await api.post('orders', { ...asBasic, json: { sku: 'A-1' } }).json();
    expect(retried).toMatchObject({ client_id: basic.clientId, body: { sku: 'A-1' } });
    expect(kit.api.requests({ path: '/orders', status: 401 })).toBe(1);
    expect(kit.auth.tokenRequests(basic.clientId)).toBe(1);
    expect(kit.auth.tokenRequests(post.clientId)).toBe(0);
  });

  it('renews after a 401 with retry 0 (on the instance or the request), and still retries nothing else', async () => {
    const api = withForge(ky.create({ [prefix]: kit.api.url, retry: 0 }), manager());
    expect(await api.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
    kit.api.revokeAll();
    kit.api.resetCounters();
    // The 401 is renewed and sent once more, as with axios and got, whatever ky's own limit.
    expect(await api.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
    expect(kit.api.requests({ path: '/orders' })).toBe(2);
    // The caller's retry: 0 still holds for everything else: a 503 is not retried.
    const unavailable = await api.get('unavailable').catch((caught: unknown) => caught);
    expect((unavailable as { response?: Response }).response?.status).toBe(503);
    expect(kit.api.requests({ path: '/unavailable' })).toBe(1);
    const perRequest = withForge(ky.create({ [prefix]: kit.api.url }), manager());
    await perRequest.get('warm').json();
    kit.api.revokeAll();
    expect((await perRequest.get('orders', { retry: 0 })).status).toBe(200);
  });

  it('re-authorizes ky’s own retries (here of a 503) with the request’s key', async () => {
    const { basic } = kit.auth.clients;
    let calls = 0;
    const flaky = async (input: Request | string | URL, init?: RequestInit) => {
      calls += 1;
      if (calls === 1) return new Response('{}', { status: 503 });
      return fetch(input, init);
    };
    const api = withForge(
      ky.create({ [prefix]: kit.api.url, fetch: flaky, retry: { limit: 1, delay: () => 0 } }),
      keyedManager(),
    );
    expect(await clientOf(api.get('who', { context: { forge: { key: 'basic' } } }))).toBe(
      basic.clientId,
    );
    expect(calls).toBe(2);
  });

  it('sends a request Forge could not authorize to the caller at once, not to ky’s retries', async () => {
    let asked = 0;
    const failing = new TokenManager({
      serviceName: 'down',
      fetchToken: async () => {
        asked += 1;
        throw new Error('the token endpoint is down');
      },
    });
    try {
      const api = withForge(ky.create({ [prefix]: kit.api.url, retry: { limit: 2 } }), failing);
      const started = performance.now();
      const error = await api.get('orders').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ForgeError);
      expect(asked).toBe(1);
      // ky 1 waits 300 ms before a retry of its own.
      expect(performance.now() - started).toBeLessThan(250);
      // A request's own `retry` replaces the instance's: still no second try.
      const again = await api.get('orders', { retry: 2 }).catch((caught: unknown) => caught);
      expect(again).toBeInstanceOf(ForgeError);
      expect(asked).toBe(2);
    } finally {
      await failing.close();
    }
  });

  it('follows a 307 on the API with the body and fresh credentials', async () => {
    const api = withForge(ky.create({ [prefix]: kit.api.url }), manager());
    const to = `${kit.api.url}/landing`;
    const answer = await api
      .post(`redirect?status=307&to=${encodeURIComponent(to)}`, { json: { sku: 'A-1' } })
      .json();
    expect(answer).toMatchObject({ path: '/landing', method: 'POST', body: { sku: 'A-1' } });
    expect(kit.api.lastRequest()).toMatchObject({ path: '/landing', hadAuthorization: true });
  });

  it('has a signer sign the original URL again after a 401', async () => {
    const seen: { url: string; attempt: number }[] = [];
    const signer: Authorizer = {
      authorize(request) {
        seen.push({ url: request.url, attempt: request.attempt });
        const signature = String(request.attempt + 1);
        return { headers: { 'x-sig': signature }, url: `${request.url}?sig=${signature}` };
      },
      onUnauthorized: (request) => ({ retry: request.attempt === 0, delayMs: 0 }),
    };
    const api = withForge(ky.create({ [prefix]: kit.api.url }), signer);
    expect(await api.get('public/signed').json()).toMatchObject({ query: { sig: '2' } });
    const url = `${kit.api.url}/public/signed`;
    expect(seen).toEqual([
      { url, attempt: 0 },
      { url, attempt: 1 },
    ]);
  });

  it('sets credentials as the request goes out: hooks never see them, and a request a later hook replaced is authorized too', async () => {
    const seen: (string | null)[] = [];
    const look = (first: unknown) => {
      const request = first instanceof Request ? first : (first as { request: Request }).request;
      seen.push(request.headers.get('authorization'));
    };
    const api = withForge(ky.create({ [prefix]: kit.api.url }), manager()).extend({
      hooks: {
        beforeRequest: [
          look,
          (first: unknown) => {
            const request =
              first instanceof Request ? first : (first as { request: Request }).request;
            return new Request(request, { headers: { 'x-replaced': '1' } });
          },
        ],
        afterResponse: [look],
      },
    } as never);
    expect(await api.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
    expect(kit.api.lastRequest()).toMatchObject({ path: '/orders', hadAuthorization: true });
    expect(seen).toEqual([null, null]);
  });

  it('follows redirects itself, and leaves them to the caller on an instance made with redirect: "manual"', async () => {
    const to = `${kit.api.url}/landing`;
    const path = `redirect?to=${encodeURIComponent(to)}`;
    const api = withForge(ky.create({ [prefix]: kit.api.url }), manager());
    const followed = await api.get(path);
    expect(followed.status).toBe(200);
    expect(followed.url).toBe(to);
    expect(followed.redirected).toBe(true);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/landing', hadAuthorization: true });
    const own = withForge(ky.create({ [prefix]: kit.api.url, redirect: 'manual' }), manager());
    const answer = await own.get(path, { throwHttpErrors: false });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(to);
    // A request of that instance that asks to follow gets Forge's judged hops.
    expect((await own.get(path, { redirect: 'follow' })).status).toBe(200);
    expect(kit.api.lastRequest()).toMatchObject({ path: '/landing', hadAuthorization: true });
  });

  it('keeps ky’s timeout and the caller’s fetch on the redirect hops it follows itself', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const to = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/never`;
      const seen: string[] = [];
      const own = (input: Request | string | URL, init?: RequestInit) => {
        seen.push(input instanceof Request ? input.url : String(input));
        return fetch(input, init);
      };
      const api = withForge(
        ky.create({ [prefix]: kit.api.url, retry: 0, timeout: 300, fetch: own }),
        manager(),
      );
      const started = performance.now();
      const error = await api
        .get(`redirect?to=${encodeURIComponent(to)}`)
        .catch((caught: unknown) => caught);
      expect((error as Error).name).toMatch(/TimeoutError|AbortError/);
      // Without the timeout it would wait until the hanging server closes (never, here).
      expect(performance.now() - started).toBeLessThan(15_000);
      expect(seen).toEqual([`${kit.api.url}/redirect?to=${encodeURIComponent(to)}`, to]);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });

  it('leaves no credentials on the request of a timeout error', async () => {
    const api = withForge(ky.create({ [prefix]: kit.api.url, retry: 0, timeout: 200 }), manager());
    await api.get('warm').json();
    const error = (await api.get('slow').catch((caught: unknown) => caught)) as {
      name: string;
      request?: Request;
    };
    expect(error.name).toBe('TimeoutError');
    expect(error.request?.headers.get('authorization')).toBeNull();
  });

  it('does not share state between concurrent requests that pass the same context object', async () => {
    const api = withForge(ky.create({ [prefix]: kit.api.url }), manager());
    await api.get('warm').json();
    kit.api.revokeAll();
    const context = { tenant: 'a' };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api.get(`c/${i}`, { context }).json()),
    );
    expect(results).toHaveLength(20);
    expect(results.every((body) => (body as { ok: boolean }).ok)).toBe(true);
    expect(context).toEqual({ tenant: 'a' });
  });

  // ky 1 has no baseUrl.
  if (version === 'ky 2') {
    it('takes ky 2’s baseUrl as the origin too', async () => {
      const api = withForge(ky.create({ baseUrl: `${kit.api.url}/v2/` }), manager());
      expect(await api.get('orders').json()).toMatchObject({ path: '/v2/orders' });
      expect(kit.api.lastRequest()).toMatchObject({ hadAuthorization: true });
    });
  }
});
