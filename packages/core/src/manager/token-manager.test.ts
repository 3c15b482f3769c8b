import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { AuthenticationError, ForgeError, ForgeErrorCode, TokenEndpointError } from '../errors.js';
import { InMemoryTokenStorage } from '../storage/in-memory-storage.js';
import { Token } from '../token.js';
import { flush, invalidGrant, TestProvider, useTrackedManagers } from './test-fixtures.js';
import { TokenManager } from './token-manager.js';

const HOUR = 3_600_000;
// Defaults: skew 30 s, window min(max(0.2 * 1 h, 5 s), 300 s) = 300 s before the stale instant.
const STALE_AT = HOUR - 30_000;
const REFRESH_AT = STALE_AT - 300_000;

const track = useTrackedManagers();

function concurrent(manager: TokenManager, n = 10_000): Promise<Token[]> {
  return Promise.all(Array.from({ length: n }, () => manager.getToken()));
}

/** How many keys the manager holds in its in-process tier, as its inspect output shows. */
function keysOf(manager: TokenManager<never> | TokenManager<number>): number {
  return Number(/keys: (\d+)/.exec(inspect(manager))?.[1]);
}

function distinct(tokens: Token[]): Set<string> {
  return new Set(tokens.map((token) => token.accessToken));
}

describe('single-flight', () => {
  it('makes one provider call for 10,000 concurrent callers on a cold manager', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider, { clock: () => Date.now() }));
    const tokens = await concurrent(manager);
    expect(provider.calls).toBe(1);
    expect(tokens).toHaveLength(10_000);
    expect(distinct(tokens).size).toBe(1);
    expect(tokens.every((token) => token === tokens[0])).toBe(true);
  });

  it('makes one provider call for 10,000 concurrent callers once the token expired', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider, { clock: () => Date.now() }));
    const first = await manager.getToken();
    vi.setSystemTime(Date.now() + HOUR);
    const tokens = await concurrent(manager);
    expect(provider.calls).toBe(2);
    expect(distinct(tokens)).toEqual(new Set([tokens[0]?.accessToken]));
    expect(tokens[0]?.accessToken).not.toBe(first.accessToken);
  });

  it('makes one provider call for 10,000 concurrent callers right after invalidate()', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const first = await manager.getToken();
    await manager.invalidate(first);
    const tokens = await concurrent(manager);
    expect(provider.calls).toBe(2);
    expect(distinct(tokens).size).toBe(1);
    expect(tokens[0]?.accessToken).not.toBe(first.accessToken);
  });

  it('reports fetched with its duration and expiry, never the token', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const fetched = vi.fn();
    manager.on('fetched', fetched);
    const release = provider.hold();
    const pending = manager.getToken();
    await flush();
    vi.setSystemTime(Date.now() + 1_234);
    release();
    const token = await pending;
    expect(fetched).toHaveBeenCalledTimes(1);
    expect(fetched.mock.calls[0]?.[0]).toEqual({
      serviceName: 'billing-api',
      key: 'billing-api',
      durationMs: 1_234,
      expiresAt: token.expiresAt,
      flight: 1,
      reason: 'missing',
      attempts: 0,
    });
  });

  it('serves a cached token from the same already-resolved promise (hot path)', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const token = await manager.getToken();
    const a = manager.getToken();
    const b = manager.getToken();
    expect(a).toBe(b);
    expect(await a).toBe(token);
    expect(provider.calls).toBe(1);
  });
});

describe('refresh ahead', () => {
  it('returns the current token at once inside the window and starts exactly one background refresh', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const refreshed = vi.fn();
    manager.on('refreshed', refreshed);
    const first = await manager.getToken();

    vi.setSystemTime(Date.now() + REFRESH_AT - 1);
    expect(await manager.getToken()).toBe(first);
    expect(provider.calls).toBe(1);

    vi.setSystemTime(Date.now() + 1);
    const release = provider.hold();
    const during = await Promise.all(Array.from({ length: 1_000 }, () => manager.getToken()));
    expect(during.every((token) => token === first)).toBe(true);
    expect(provider.calls).toBe(2);

    release();
    await flush();
    const next = await manager.getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
    expect(provider.calls).toBe(2);
    expect(refreshed).toHaveBeenCalledTimes(1);
    expect(refreshed.mock.calls[0]?.[0]).toMatchObject({
      serviceName: 'billing-api',
      key: 'billing-api',
    });
  });

  it('makes callers wait only when no usable token exists', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider, { refreshAhead: false }));
    const first = await manager.getToken();
    vi.setSystemTime(Date.now() + STALE_AT - 1);
    expect(await manager.getToken()).toBe(first);
    expect(provider.calls).toBe(1);
    vi.setSystemTime(Date.now() + 1);
    const release = provider.hold();
    let settled = false;
    const waiting = manager.getToken().then((token) => {
      settled = true;
      return token;
    });
    await flush();
    expect(settled).toBe(false);
    release();
    expect((await waiting).accessToken).not.toBe(first.accessToken);
  });

  it('redeems the refresh token when the provider supports it', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const first = await manager.getToken();
    vi.setSystemTime(Date.now() + REFRESH_AT);
    manager.getToken();
    await flush();
    expect(provider.refreshCalls).toBe(1);
    expect(provider.refreshedFrom[0]).toBe(first);
    expect((await manager.getToken()).accessToken).toContain('refreshed-2');
  });

  it('falls back to fetchToken when the refresh token is rejected with invalid_grant', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    await manager.getToken();
    provider.refreshError = invalidGrant();
    vi.setSystemTime(Date.now() + HOUR);
    const token = await manager.getToken();
    expect(provider.refreshCalls).toBe(1);
    expect(provider.fetchCalls).toBe(2);
    expect(token.accessToken).toContain('fetched-3');
  });

  it('does not fall back on other refresh errors', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    await manager.getToken();
    const refusal = new AuthenticationError('Client unknown.', {
      serviceName: 'billing-api',
      status: 401,
      error: 'invalid_client',
    });
    provider.refreshError = refusal;
    vi.setSystemTime(Date.now() + HOUR);
    await expect(manager.getToken()).rejects.toBe(refusal);
    expect(provider.fetchCalls).toBe(1);
  });
});

describe('stale-if-error', () => {
  it('keeps serving the valid token while refreshes fail, backing off between attempts', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const provider = new TestProvider();
    const manager = track(
      new TokenManager(provider, { backoff: { baseMs: 10_000, maxMs: 40_000 } }),
    );
    const failed = vi.fn();
    manager.on('failed', failed);
    const first = await manager.getToken();
    provider.fetchError = new TokenEndpointError('Server error.', {
      serviceName: 'billing-api',
      status: 503,
      reason: 'server',
    });

    vi.setSystemTime(Date.now() + REFRESH_AT);
    expect(await manager.getToken()).toBe(first);
    await flush();
    expect(provider.calls).toBe(2);
    expect(failed).toHaveBeenCalledTimes(1);

    // Attempt 1 failed: the next is due after random * 10 s = 5 s.
    vi.setSystemTime(Date.now() + 4_999);
    expect(await manager.getToken()).toBe(first);
    await flush();
    expect(provider.calls).toBe(2);
    vi.setSystemTime(Date.now() + 1);
    expect(await manager.getToken()).toBe(first);
    await flush();
    expect(provider.calls).toBe(3);

    // Attempt 2 failed: next after random * 20 s = 10 s.
    vi.setSystemTime(Date.now() + 9_999);
    await manager.getToken();
    await flush();
    expect(provider.calls).toBe(3);
    vi.setSystemTime(Date.now() + 1);
    await manager.getToken();
    await flush();
    expect(provider.calls).toBe(4);

    // Recovery resets the backoff and replaces the token.
    provider.fetchError = undefined;
    vi.setSystemTime(Date.now() + 20_000);
    await manager.getToken();
    await flush();
    expect(provider.calls).toBe(5);
    expect((await manager.getToken()).accessToken).toContain('fetched-5');
  });

  it('gives every waiting caller the same typed error once no valid token remains, then tries again', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    await manager.getToken();
    const outage = new TokenEndpointError('Unreachable.', {
      serviceName: 'billing-api',
      reason: 'network',
    });
    provider.fetchError = outage;
    vi.setSystemTime(Date.now() + HOUR);

    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => manager.getToken()),
    );
    expect(provider.calls).toBe(2);
    expect(results.every((r) => r.status === 'rejected' && r.reason === outage)).toBe(true);

    // No cached failure: the next call tries again, single-flight too.
    const again = await Promise.allSettled(Array.from({ length: 1_000 }, () => manager.getToken()));
    expect(provider.calls).toBe(3);
    expect(again.every((r) => r.status === 'rejected')).toBe(true);

    // A second failure in a row backs off: callers get the error without a request.
    const during = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => manager.getToken()),
    );
    expect(provider.calls).toBe(3);
    expect(during.every((r) => r.status === 'rejected' && r.reason === outage)).toBe(true);

    provider.fetchError = undefined;
    vi.setSystemTime(Date.now() + 1_000);
    const recovered = await concurrent(manager, 1_000);
    expect(provider.calls).toBe(4);
    expect(distinct(recovered).size).toBe(1);
  });

  it("sends no request before the server's Retry-After, however often callers ask", async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    provider.fetchError = new TokenEndpointError('Rate limited.', {
      serviceName: 'billing-api',
      status: 429,
      reason: 'rate-limited',
      retryAfterMs: 30_000,
    });
    await expect(manager.getToken()).rejects.toBe(provider.fetchError);
    expect(provider.calls).toBe(1);

    provider.fetchError = undefined;
    for (let second = 0; second < 30; second++) {
      await expect(manager.getToken()).rejects.toMatchObject({ reason: 'rate-limited' });
      vi.setSystemTime(Date.now() + 999);
    }
    expect(provider.calls).toBe(1);
    vi.setSystemTime(Date.now() + 30);
    await expect(manager.getToken()).resolves.toBeDefined();
    expect(provider.calls).toBe(2);
  });

  it('wraps a non-Forge provider error in a TokenEndpointError with a redacted message', async () => {
    const provider = new TestProvider();
    provider.fetchError = new Error('POST failed: client_secret=hunter22 Authorization: Basic abc');
    const manager = track(new TokenManager(provider));
    const error = await manager.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).code).toBe(ForgeErrorCode.TokenEndpoint);
    expect((error as Error).message).toMatch(
      /^\[forge\] \[core\] Getting a token for "billing-api"/,
    );
    expect((error as Error).message).not.toContain('hunter22');
    expect((error as Error).message).not.toContain('Basic abc');
  });

  it('makes the Token from a custom provider that resolves to a plain object with its fields', async () => {
    const expiresAt = Date.now() + HOUR;
    const manager = track(
      new TokenManager({
        serviceName: 'plain',
        fetchToken: async () => ({ accessToken: 'plain-abc', tokenType: 'bearer', expiresAt }),
      }),
    );
    const token = await manager.getToken();
    expect(token).toBeInstanceOf(Token);
    expect(token.authorizationHeader).toBe('Bearer plain-abc');
    expect(token.expiresAtMs).toBe(expiresAt);
    expect(await manager.getToken()).toBe(token);
  });

  it.each([
    ['not an object', 'x'],
    ['an object without accessToken', { token: 'x' }],
    ['an empty accessToken', { accessToken: '' }],
    ['an accessToken that cannot go into a header', { accessToken: 'a\r\nX-Injected: 1' }],
  ])('rejects a provider answer that is %s, quoting nothing of it', async (_name, answer) => {
    const manager = track(
      new TokenManager({
        serviceName: 'odd',
        fetchToken: async () => answer as unknown as Token,
      }),
    );
    const error = await manager.getToken().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: ForgeErrorCode.TokenEndpoint, reason: 'malformed' });
    expect((error as Error).message).not.toContain('X-Injected');
  });
});

describe('invalidate and forceRefresh', () => {
  it('compare-and-invalidate: an old token never removes the newer one', async () => {
    const provider = new TestProvider();
    const storage = new InMemoryTokenStorage();
    const manager = track(new TokenManager(provider, { storage }));
    const invalidated = vi.fn();
    manager.on('invalidated', invalidated);
    const old = await manager.getToken();
    await manager.invalidate(old);
    const fresh = await manager.getToken();
    expect(invalidated).toHaveBeenCalledTimes(1);

    // A late 401 for the old token arrives: nothing happens.
    await manager.invalidate(old);
    expect(await manager.getToken()).toBe(fresh);
    expect(storage.get('billing-api')).toBe(fresh);
    expect(provider.calls).toBe(2);
    expect(invalidated).toHaveBeenCalledTimes(1);
  });

  it('invalidate() without a token drops whatever is cached', async () => {
    const provider = new TestProvider();
    const storage = new InMemoryTokenStorage();
    const manager = track(new TokenManager(provider, { storage }));
    await manager.getToken();
    await manager.invalidate();
    expect(storage.has('billing-api')).toBe(false);
    await manager.getToken();
    expect(provider.calls).toBe(2);
  });

  it('forceRefresh() replaces a usable token and keeps serving it until then', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const first = await manager.getToken();
    const release = provider.hold();
    const forced = manager.forceRefresh();
    const joined = manager.forceRefresh();
    expect(await manager.getToken()).toBe(first);
    release();
    const fresh = await forced;
    expect(await joined).toBe(fresh);
    expect(fresh.accessToken).not.toBe(first.accessToken);
    expect(await manager.getToken()).toBe(fresh);
    expect(provider.calls).toBe(2);
  });

  it('forceRefresh() failing keeps the valid token', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const first = await manager.getToken();
    provider.fetchError = new TokenEndpointError('Down.', { serviceName: 'x', reason: 'server' });
    await expect(manager.forceRefresh()).rejects.toBe(provider.fetchError);
    expect(await manager.getToken()).toBe(first);
  });

  it('rejects something that is not a token', async () => {
    const manager = track(new TokenManager(new TestProvider()));
    await expect(manager.invalidate('abc' as unknown as Token)).rejects.toMatchObject({
      option: 'token',
    });
  });
});

describe('expiry and skew', () => {
  it('treats a token as unusable skewMs before its expiry', async () => {
    const provider = new TestProvider();
    provider.lifetimeMs = 600_000;
    const manager = track(new TokenManager(provider, { skewMs: 60_000, refreshAhead: false }));
    const first = await manager.getToken();
    vi.setSystemTime(Date.now() + 540_000 - 1);
    expect(await manager.getToken()).toBe(first);
    vi.setSystemTime(Date.now() + 1);
    expect(await manager.getToken()).not.toBe(first);
    expect(provider.calls).toBe(2);
  });

  it('keeps a token without expiry until it is invalidated', async () => {
    const provider = new TestProvider();
    provider.lifetimeMs = undefined;
    const manager = track(new TokenManager(provider));
    const first = await manager.getToken();
    vi.setSystemTime(Date.now() + 365 * 24 * HOUR);
    expect(await manager.getToken()).toBe(first);
    await manager.invalidate(first);
    expect(await manager.getToken()).not.toBe(first);
  });

  it('uses the injected clock', async () => {
    let now = 5_000_000;
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider, { clock: () => now, refreshAhead: false }));
    await manager.getToken();
    // The token's expiry is on the (fake) Date clock; the manager only looks at `clock`.
    now = Date.now() + HOUR;
    provider.lifetimeMs = 2 * HOUR;
    await manager.getToken();
    expect(provider.calls).toBe(2);
  });
});

describe('many keys', () => {
  interface Tenant {
    readonly tenant: string;
  }

  it('keeps one token per cache key, with one flight per key', async () => {
    const provider = new TestProvider<Tenant>();
    const keyed = Object.assign(provider, {
      cacheKey: (input: Tenant) => `billing:${input.tenant}`,
    });
    const manager = track(new TokenManager<Tenant>(keyed));
    const [a1, a2, b1] = await Promise.all([
      manager.getToken({ tenant: 'a' }),
      manager.getToken({ tenant: 'a' }),
      manager.getToken({ tenant: 'b' }),
    ]);
    expect(a1).toBe(a2);
    expect(a1?.accessToken).not.toBe(b1?.accessToken);
    expect(provider.calls).toBe(2);
    expect(provider.inputs).toEqual([{ tenant: 'a' }, { tenant: 'b' }]);
    expect(provider.contexts.map((c) => c.key)).toEqual(['billing:a', 'billing:b']);
  });

  it('accepts an asynchronous cacheKey and computes the default key once', async () => {
    const provider = new TestProvider<string | undefined>();
    const cacheKey = vi.fn(async (user: string | undefined) => `u:${user ?? 'service'}`);
    const manager = track(new TokenManager(Object.assign(provider, { cacheKey })));
    const t1 = await manager.getToken();
    const t2 = await manager.getToken();
    const t3 = await manager.getToken('alice');
    expect(t1).toBe(t2);
    expect(t3).not.toBe(t1);
    expect(cacheKey).toHaveBeenCalledTimes(2);
  });

  it('rejects a cache key that is not a non-empty string', async () => {
    const provider = Object.assign(new TestProvider(), { cacheKey: () => '' });
    const manager = track(new TokenManager(provider));
    await expect(manager.getToken()).rejects.toMatchObject({ option: 'provider.cacheKey' });
  });

  it('bounds the in-process tier with maxKeys; evicted keys come back from the storage', async () => {
    const provider = new TestProvider<number>();
    const storage = new InMemoryTokenStorage();
    const reads = vi.spyOn(storage, 'get');
    const manager = track(
      new TokenManager(Object.assign(provider, { cacheKey: (n: number) => `k${n}` }), {
        storage,
        maxKeys: 2,
      }),
    );
    const first = await manager.getToken(1);
    const second = await manager.getToken(2);
    await manager.getToken(3);
    expect(keysOf(manager)).toBe(2);

    // k2 and k3 are still in the tier: served without a storage read.
    reads.mockClear();
    expect(await manager.getToken(2)).toBe(second);
    await manager.getToken(3);
    expect(reads).not.toHaveBeenCalled();

    // k1, the oldest, was dropped from the tier: it comes back from the storage, not the provider.
    expect(await manager.getToken(1)).toBe(first);
    expect(reads.mock.calls.map(([key]) => key)).toEqual(['k1']);
    expect(provider.calls).toBe(3);
    expect(keysOf(manager)).toBe(2);
  });

  it('holds maxKeys after 100,000 keys were in flight at once, evicting in O(1) per key', async () => {
    vi.useRealTimers();
    const provider = {
      serviceName: 'tenants',
      calls: 0,
      cacheKey: (n: number) => `t${n}`,
      async fetchToken(): Promise<Token> {
        this.calls += 1;
        const accessToken = `token-${this.calls}`;
        await new Promise((resolve) => setTimeout(resolve, 1));
        return new Token({ accessToken, expiresAt: Date.now() + HOUR });
      },
    };
    const manager = track(new TokenManager<number>(provider, { maxKeys: 1_000 }));
    const started = performance.now();
    const tokens = await Promise.all(
      Array.from({ length: 100_000 }, (_, n) => manager.getToken(n)),
    );
    const elapsedMs = performance.now() - started;
    console.info(`100,000 concurrent first calls, maxKeys 1,000: ${Math.round(elapsedMs)} ms`);
    expect(provider.calls).toBe(100_000);
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(100_000);
    expect(keysOf(manager)).toBeLessThanOrEqual(1_000);
    // No real-clock bound here (it flaked on a busy machine: ~5 s alone, ~50 s beside
    // a parallel build): the quadratic scan this replaced took minutes under load and
    // runs into the test's timeout; bench/core-hot-path.bench.ts has the figure.

    // Single-flight per key still holds for keys in flight, and the tier stays bounded.
    const again = await Promise.all(
      Array.from({ length: 2_000 }, (_, n) => manager.getToken(n % 2)),
    );
    expect(new Set(again.map((token) => token.accessToken)).size).toBe(2);
    expect(keysOf(manager)).toBeLessThanOrEqual(1_000);
  }, 90_000);

  it('does not start one timer per key', async () => {
    const provider = new TestProvider<number>();
    const manager = track(
      new TokenManager(Object.assign(provider, { cacheKey: (n: number) => `k${n}` })),
    );
    await Promise.all(Array.from({ length: 500 }, (_, i) => manager.getToken(i)));
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('close()', () => {
  it('aborts in-flight requests, rejects waiters with FORGE_CLOSED and leaves no timers', async () => {
    const provider = new TestProvider();
    const manager = new TokenManager(provider);
    provider.hold();
    const waiting = Promise.allSettled([manager.getToken(), manager.getToken()]);
    await flush();
    await manager.close();
    const results = await waiting;
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as ForgeError;
      expect(reason).toBeInstanceOf(ForgeError);
      expect(reason.code).toBe(ForgeErrorCode.Closed);
    }
    expect(provider.contexts[0]?.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await expect(manager.getToken()).rejects.toMatchObject({ code: ForgeErrorCode.Closed });
    await expect(manager.forceRefresh()).rejects.toMatchObject({ code: ForgeErrorCode.Closed });
    await manager.close();
  });

  it('clears storage timeouts and lock waits', async () => {
    const provider = new TestProvider();
    const unsubscribe = vi.fn();
    const manager = new TokenManager(provider, {
      storage: {
        get: () => new Promise<undefined>(() => {}),
        set: () => {},
        delete: () => {},
        has: () => false,
        lock: async () => undefined,
        subscribe: () => unsubscribe,
      },
    });
    const waiting = manager.getToken().catch((e: unknown) => e);
    await flush();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await manager.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(unsubscribe).toHaveBeenCalledTimes(1);
    expect(await waiting).toMatchObject({ code: ForgeErrorCode.Closed });
    expect(provider.calls).toBe(0);
  });

  it('does not report an unhandled rejection for an aborted background refresh', async () => {
    const provider = new TestProvider();
    const manager = new TokenManager(provider);
    await manager.getToken();
    vi.setSystemTime(Date.now() + REFRESH_AT);
    provider.hold();
    await manager.getToken();
    await flush();
    expect(provider.calls).toBe(2);
    await manager.close();
    await flush();
    expect(provider.contexts[1]?.signal.aborted).toBe(true);
  });
});
