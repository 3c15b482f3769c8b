import { ClientCredentialsTokenProvider, ConfigurationError, TokenManager } from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import ky from 'ky';
import ky1 from 'ky1';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

const kit = useTestkit();
const manager = () => kit.manager();

// ky 2 renamed `prefixUrl` to `prefix`.
describe.each([
  ['ky 2', ky, 'prefix'],
  ['ky 1', ky1 as unknown as typeof ky, 'prefixUrl'],
])('withForge (%s specifics)', (_, ky, prefix) => {
  it('rejects something that is not a ky instance', () => {
    expect(() => withForge({} as never, manager(), { baseURL: kit.api.url })).toThrow(
      ConfigurationError,
    );
    expect(() => withForge(ky, manager())).toThrow(/`origins`/);
  });

  it('keeps the instance’s prefix and retry settings; with retry 0 a 401 goes to the caller', async () => {
    const client = withForge(ky.create({ [prefix]: kit.api.url, retry: 0 }), manager(), {
      baseURL: kit.api.url,
    });
    expect(await client.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
    kit.api.revokeAll();
    const error = await client.get('orders').catch((caught: unknown) => caught);
    expect((error as { response?: Response }).response?.status).toBe(401);
    // The 401 invalidated the revoked token: the next request gets a fresh one.
    expect(await client.get('orders').json()).toMatchObject({ ok: true });
  });

  it('does not share state between concurrent requests that pass the same context object', async () => {
    const client = withForge(ky.create({ [prefix]: kit.api.url }), manager(), {
      baseURL: kit.api.url,
    });
    await client.get('warm').json();
    kit.api.revokeAll();
    const context = { tenant: 'a' };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.get(`c/${i}`, { context }).json()),
    );
    expect(results).toHaveLength(20);
    expect(results.every((body) => (body as { ok: boolean }).ok)).toBe(true);
  });
});
