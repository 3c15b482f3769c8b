import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { type BearerTokenSource, bearer } from '../auth/bearer.js';
import { RequestAuthorizationError } from '../auth/request-error.js';
import type { Authorizer } from '../authorizer.js';
import { type ConfigurationError, ForgeErrorCode } from '../errors.js';
import { createRequestPolicy } from '../policy/request-policy.js';
import { Token } from '../token.js';
import { createAdapter } from './create-adapter.js';

const API = 'https://api.example.com';

// One token per key, each renewed after an invalidate: a stand-in for a
// TokenManager's compare-and-invalidate across many keys.
function keyedSource() {
  const current = new Map<string, Token>();
  const asked: (string | undefined)[] = [];
  const invalidated: string[] = [];
  let issued = 0;
  const manager: BearerTokenSource<string> = {
    async getToken(key) {
      asked.push(key);
      const name = key ?? 'default';
      let token = current.get(name);
      if (token === undefined) {
        token = new Token({ accessToken: `${name}-${++issued}` });
        current.set(name, token);
      }
      return token;
    },
    async invalidate(token, key) {
      invalidated.push(`${key ?? 'default'}:${token?.accessToken}`);
      if (current.get(key ?? 'default') === token) current.delete(key ?? 'default');
    },
  };
  return { manager, asked, invalidated };
}

const get = (url = `${API}/orders`) => ({ method: 'get', url, headers: {} });

function caught(fn: () => unknown): ConfigurationError | undefined {
  try {
    fn();
  } catch (error) {
    return error as ConfigurationError;
  }
  return undefined;
}

describe('createAdapter', () => {
  it('wraps a manager with the client base URL as the default origin', async () => {
    const { manager } = keyedSource();
    const forge = createAdapter(manager, undefined, { package: 'axios', baseURL: API });
    const sent = await forge.authorize(get());
    expect(sent?.authorization.headers.authorization).toBe('Bearer default-1');
    expect(sent?.request).toMatchObject({ method: 'GET', url: `${API}/orders`, attempt: 0 });
    expect(await forge.authorize(get('https://elsewhere.example/orders'))).toBeUndefined();
  });

  it('uses an authorizer as it is and refuses policy options next to it', () => {
    const custom: Authorizer = { authorize: () => undefined };
    expect(createAdapter(custom, undefined, { package: 'axios' }).authorizer).toBe(custom);
    expect(
      caught(() => createAdapter(custom, { policy: { origins: [API] } }, { package: 'axios' }))
        ?.option,
    ).toBe('policy');
    expect(() => createAdapter({}, undefined, { package: 'got' })).toThrow(
      /\[forge\] \[got\] Invalid option `authorizer`/,
    );
  });

  it('validates options and points the flat policy options at `policy`', () => {
    const { manager } = keyedSource();
    const flat = caught(() =>
      createAdapter(manager, { excludedPaths: ['/health'] }, { package: 'ky', baseURL: API }),
    );
    expect(flat?.option).toBe('excludedPaths');
    expect(flat?.message).toMatch(/\{ policy: \{ excludedPaths \} \}/);
    expect(
      caught(() => createAdapter(manager, { policy: { origins: ['nope'] } }, { package: 'ky' }))
        ?.option,
    ).toBe('policy.origins[0]');
    expect(
      caught(() => createAdapter(manager, { key: 'tenant' }, { package: 'ky', baseURL: API }))
        ?.option,
    ).toBe('key');
    expect(caught(() => createAdapter(manager, 'x', { package: 'ky' }))?.option).toBe('options');
  });

  it('takes a built policy as it is', async () => {
    const { manager } = keyedSource();
    const policy = createRequestPolicy({ origins: ['https://other.example'] });
    const forge = createAdapter(manager, { policy }, { package: 'got', baseURL: API });
    expect(await forge.authorize(get())).toBeUndefined();
    expect(await forge.authorize(get('https://other.example/a'))).toBeDefined();
  });

  it('picks the key per request: the request option, else the key function, else the default', async () => {
    const { manager, asked } = keyedSource();
    const tenants = new AsyncLocalStorage<string>();
    const forge = createAdapter(
      manager,
      { key: () => tenants.getStore() },
      { package: 'axios', baseURL: API },
    );
    const own = await forge.authorize({ ...get(), forge: { key: 'tenant-a' } });
    const stored = await tenants.run('tenant-b', () => forge.authorize(get()));
    const none = await forge.authorize(get());
    expect(asked).toEqual(['tenant-a', 'tenant-b', undefined]);
    expect(own?.authorization.headers.authorization).toBe('Bearer tenant-a-1');
    expect(stored?.request.key).toBe('tenant-b');
    expect(none?.authorization.headers.authorization).toBe('Bearer default-3');
    await expect(forge.authorize({ ...get(), forge: 'tenant' })).rejects.toMatchObject({
      option: 'forge',
    });
  });

  it('renews the token of the key that was sent, and retries with that key', async () => {
    const { manager, invalidated } = keyedSource();
    const forge = createAdapter(manager, undefined, { package: 'got', baseURL: API });
    const sent = (await forge.authorize({ ...get(), forge: { key: 'tenant-a' } }))!;
    expect(await forge.renew(sent, { status: 401, headers: {} })).toBe(true);
    expect(invalidated).toEqual(['tenant-a:tenant-a-1']);
    const retried = await forge.authorize({ ...get(), retryOf: sent });
    expect(retried?.request).toMatchObject({ attempt: 1, key: 'tenant-a' });
    expect(retried?.authorization.headers.authorization).toBe('Bearer tenant-a-2');
  });

  it('keeps the key and attempt of the request a redirect hop or resend continues', async () => {
    const { manager } = keyedSource();
    const forge = createAdapter(
      manager,
      { key: () => 'from-function' },
      { package: 'got', baseURL: API },
    );
    const first = (await forge.authorize({ ...get(), forge: { key: 'tenant-a' } }))!;
    const retried = (await forge.authorize({ ...get(), retryOf: first }))!;
    const hop = await forge.authorize({ ...get(`${API}/next`), continues: retried });
    expect(hop?.request).toMatchObject({ url: `${API}/next`, attempt: 1, key: 'tenant-a' });
  });

  it('refuses to resend a stream body after renewing the token', async () => {
    const { manager, invalidated } = keyedSource();
    const forge = createAdapter(manager, undefined, { package: 'got', baseURL: API });
    const sent = (await forge.authorize(get()))!;
    const error = await forge
      .renew(sent, { status: 401, headers: {} }, new ReadableStream())
      .catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RequestAuthorizationError);
    expect((error as RequestAuthorizationError).code).toBe(ForgeErrorCode.Request);
    expect((error as Error).message).toMatch(/stream that cannot be sent again/);
    expect(invalidated).toEqual(['default:default-1']);
  });

  it('wraps a failing authorizer into a RequestAuthorizationError of the adapter', async () => {
    const failing: Authorizer = {
      authorize: () => {
        throw new Error('boom');
      },
    };
    const forge = createAdapter(failing, undefined, { package: 'ky' });
    const error = await forge.authorize(get()).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(RequestAuthorizationError);
    expect((error as Error).message).toMatch(/^\[forge\] \[ky\] GET https:\/\/api\.example\.com/);
  });

  it('sets and removes credentials on Headers, header objects and records', async () => {
    const forge = createAdapter(
      bearer(keyedSource().manager, { policy: { baseURL: API } }),
      undefined,
      { package: 'axios' },
    );
    const sent = await forge.authorize(get());
    const headers = new Headers({ accept: 'application/json' });
    forge.setCredentials(headers, sent);
    expect(headers.get('authorization')).toBe('Bearer default-1');
    forge.removeCredentials(headers, sent);
    expect(headers.has('authorization')).toBe(false);

    const record: Record<string, unknown> = { Authorization: 'Basic old' };
    forge.setCredentials(record, sent);
    expect(record).toEqual({ authorization: 'Bearer default-1' });
    record.Authorization = record.authorization;
    delete record.authorization;
    forge.removeCredentials(record, sent);
    expect(record).toEqual({});

    const callerOwn: Record<string, unknown> = { authorization: 'Basic theirs' };
    forge.removeCredentials(callerOwn, sent);
    expect(callerOwn).toEqual({ authorization: 'Basic theirs' });
  });

  it('reads any client headers into one lower-case record', () => {
    const forge = createAdapter({ authorize: () => undefined }, undefined, { package: 'got' });
    expect(forge.headers(new Headers({ 'X-A': '1' }))).toEqual({ 'x-a': '1' });
    expect(forge.headers({ 'X-A': '1', 'set-cookie': ['a', 'b'], n: 2 })).toEqual({
      'x-a': '1',
      'set-cookie': 'a, b',
    });
    expect(forge.headers({ toJSON: () => ({ Accept: 'x' }) })).toEqual({ accept: 'x' });
    expect(forge.headers(undefined)).toEqual({});
  });

  it('shows the authorizer each redirect on the way that answered its credentials, and no other', async () => {
    const seen: string[] = [];
    const authorizer: Authorizer = {
      authorize: (request) => ({ headers: { authorization: `Proof ${request.url}` } }),
      mayRedirect: (_from, to) => new URL(to).origin === API,
      onResponse: (request, response) => {
        seen.push(`${request.url} ${response.status} ${response.headers.get('dpop-nonce')}`);
      },
    };
    const forge = createAdapter(authorizer, undefined, { package: 'fetch' });
    const first = await forge.authorize(get());
    const redirect = (status: number, location: string, nonce: string) =>
      new Response(null, { status, headers: { location, 'dpop-nonce': nonce } });
    const answers = new Map([
      [`${API}/b`, () => redirect(307, 'https://other.example/c', 'n2')],
      // Another origin: no credentials there, and none after the chain broke.
      ['https://other.example/c', () => redirect(302, `${API}/d`, 'n3')],
      [`${API}/d`, () => new Response('ok', { headers: { 'dpop-nonce': 'n4' } })],
    ]);
    const followed = await forge.followRedirects(
      redirect(302, `${API}/b`, 'n1'),
      { url: `${API}/orders`, method: 'GET', headers: new Headers() },
      first,
      {
        send: async (url) => {
          const answer = answers.get(url);
          if (answer === undefined) throw new Error(`unexpected hop to ${url}`);
          return answer();
        },
        replayBody: () => null,
      },
    );
    expect(followed.response.status).toBe(200);
    expect(followed.sent).toBeUndefined();
    // The last answer is the adapter's to show (it observes whatever the chain ends with).
    expect(seen).toEqual([`${API}/orders 302 n1`, `${API}/b 307 n2`]);
  });

  it('remembers what was sent per request object', async () => {
    const forge = createAdapter(keyedSource().manager, undefined, {
      package: 'got',
      baseURL: API,
    });
    const carrier = {};
    const sent = (await forge.authorize(get()))!;
    forge.remember(carrier, sent);
    expect(forge.recall(carrier)).toBe(sent);
    forge.forget(carrier);
    expect(forge.recall(carrier)).toBeUndefined();
  });
});
