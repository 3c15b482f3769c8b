import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientCredentialsTokenProvider, ConfigurationError, TokenManager } from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import ky from 'ky';
import ky1 from 'ky1';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withForge } from '../src/index.js';

const kit = useTestkit({ routes: { '/unavailable': () => ({ status: 503, body: {} }) } });
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

  it('renews after a 401 with retry 0 too, and still retries nothing else', async () => {
    const client = withForge(ky.create({ [prefix]: kit.api.url, retry: 0 }), manager(), {
      baseURL: kit.api.url,
    });
    expect(await client.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
    kit.api.revokeAll();
    kit.api.resetCounters();
    // The 401 is renewed and retried once, as with axios and got, whatever ky's own limit.
    expect(await client.get('orders').json()).toMatchObject({ ok: true, path: '/orders' });
    expect(kit.api.requests({ path: '/orders' })).toBe(2);
    // The caller's retry: 0 still holds for everything else: a 503 is not retried.
    const unavailable = await client.get('unavailable').catch((caught: unknown) => caught);
    expect((unavailable as { response?: Response }).response?.status).toBe(503);
    expect(kit.api.requests({ path: '/unavailable' })).toBe(1);
  });

  it('renews after a 401 when retry 0 is set on the request itself (ky 2; ky 1 has no init hook)', async () => {
    const client = withForge(ky.create({ [prefix]: kit.api.url }), manager(), {
      baseURL: kit.api.url,
    });
    await client.get('warm').json();
    kit.api.revokeAll();
    const outcome = await client
      .get('orders', { retry: 0 })
      .then((response) => response.status)
      .catch((caught: unknown) => (caught as { response?: Response }).response?.status);
    expect(outcome).toBe(_ === 'ky 2' ? 200 : 401);
  });

  it('keeps ky’s timeout on the redirect hops it follows itself', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const to = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/never`;
      const client = withForge(
        ky.create({ [prefix]: kit.api.url, retry: 0, timeout: 300 }),
        manager(),
        { baseURL: kit.api.url },
      );
      const started = performance.now();
      const error = await client
        .get(`redirect?to=${encodeURIComponent(to)}`)
        .catch((caught: unknown) => caught);
      expect((error as Error).name).toMatch(/TimeoutError|AbortError/);
      // Without the timeout it would wait until the hanging server closes (never, here).
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
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
