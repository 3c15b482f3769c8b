import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ExponentialAuthRetryStrategy,
  TokenManager,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

let auth: AuthServer;
let api: ResourceServer;
const managers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startResourceServer({
    auth,
    routes: {
      '/always-401': () => ({
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      }),
    },
  });
});
afterAll(async () => {
  await api?.close();
  await auth?.close();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.close()));
});

function manager() {
  const { clientId, clientSecret } = auth.clients.post;
  const created = new TokenManager(
    new ClientCredentialsTokenProvider({
      clientId,
      clientSecret,
      clientAuth: 'client_secret_post',
      tokenEndpoint: auth.tokenEndpoint,
    }),
  );
  managers.push(created);
  return created;
}

describe('withForge (axios specifics)', () => {
  it('works on the default instance when origins are given, and ejects cleanly', async () => {
    expect(() => withForge(axios, manager())).toThrow(ConfigurationError);
    const eject = withForge(axios, manager(), { origins: [api.url] });
    try {
      const { data } = await axios.get(`${api.url}/orders`);
      expect(data).toMatchObject({ ok: true, client_id: auth.clients.post.clientId });
    } finally {
      eject();
    }
    const status = await axios.get(`${api.url}/orders`).catch((error) => error.response.status);
    expect(status).toBe(401);
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
    const instance = axios.create({ baseURL: api.url, validateStatus: () => true });
    withForge(instance, manager());
    api.resetCounters();
    const response = await instance.get('/always-401');
    expect(response.status).toBe(401);
    expect(api.requests({ path: '/always-401' })).toBe(2);
    api.revokeAll();
    expect((await instance.get('/orders')).status).toBe(200);
  });

  it('follows an exponential strategy up to maxRetries', async () => {
    const instance = axios.create({ baseURL: api.url });
    const retry = new ExponentialAuthRetryStrategy({
      maxRetries: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    withForge(instance, manager(), { retry });
    api.resetCounters();
    const status = await instance.get('/always-401').catch((error) => error.response.status);
    expect(status).toBe(401);
    expect(api.requests({ path: '/always-401' })).toBe(4);
  });

  it('runs the caller’s own beforeRedirect after stripping credentials', async () => {
    const foreign = await startResourceServer({ auth });
    try {
      const seen: unknown[] = [];
      const instance = axios.create({
        baseURL: api.url,
        beforeRedirect: (options) => {
          seen.push((options.headers as Record<string, unknown>).authorization);
        },
      });
      withForge(instance, manager());
      await instance.get(`/redirect?to=${encodeURIComponent(`${foreign.url}/public/x`)}`);
      expect(seen).toEqual([undefined]);
      expect(foreign.lastRequest()).toMatchObject({ hadAuthorization: false });
    } finally {
      await foreign.close();
    }
  });
});
