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
