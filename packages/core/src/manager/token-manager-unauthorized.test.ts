import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ForgeErrorCode, TokenEndpointError } from '../errors.js';
import { InMemoryTokenStorage } from '../storage/in-memory-storage.js';
import { Token } from '../token.js';
import {
  flush,
  invalidGrant,
  SECRET,
  SharedStorage,
  TestProvider,
  useTrackedManagers,
} from './test-fixtures.js';
import { TokenManager } from './token-manager.js';

const DAMPING = 30_000;

const track = useTrackedManagers();

/** What bearer() does with each 401: invalidate the token that was sent, then get the current one. */
async function rejectEvery(manager: TokenManager, times: number): Promise<Token[]> {
  const sent: Token[] = [];
  for (let i = 0; i < times; i++) {
    const token = await manager.getToken();
    sent.push(token);
    await manager.invalidate(token);
  }
  return sent;
}

describe('unauthorizedDampingMs', () => {
  it('an API that rejects every token costs one renewal per damping interval, however many 401s', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const invalidated = vi.fn();
    manager.on('invalidated', invalidated);

    await rejectEvery(manager, 1_000);
    // The first token plus one renewal; the renewed token's rejections are damped.
    expect(provider.calls).toBe(2);
    expect(invalidated).toHaveBeenCalledTimes(1);

    vi.setSystemTime(Date.now() + DAMPING - 1);
    await rejectEvery(manager, 100);
    expect(provider.calls).toBe(2);

    vi.setSystemTime(Date.now() + 1);
    await rejectEvery(manager, 1_000);
    expect(provider.calls).toBe(3);
    expect(invalidated).toHaveBeenCalledTimes(2);

    // Ten minutes of 401s at 10 per second: about one renewal per interval.
    for (let second = 0; second < 600; second++) {
      vi.setSystemTime(Date.now() + 1_000);
      await rejectEvery(manager, 10);
    }
    expect(provider.calls).toBe(3 + 600_000 / DAMPING);
  });

  it('a real revocation still costs exactly one renewal, and the new token is kept', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const revoked = await manager.getToken();
    vi.setSystemTime(Date.now() + 600_000);
    // A hundred requests were in flight with the revoked token and all got a 401.
    const renewed = await Promise.all(
      Array.from({ length: 100 }, async () => {
        await manager.invalidate(revoked);
        return manager.getToken();
      }),
    );
    expect(provider.calls).toBe(2);
    expect(new Set(renewed.map((token) => token.accessToken)).size).toBe(1);
    expect(renewed[0]?.accessToken).not.toBe(revoked.accessToken);

    // Later the new token is revoked as well: again one renewal.
    vi.setSystemTime(Date.now() + DAMPING);
    await manager.invalidate(renewed[0]);
    expect((await manager.getToken()).accessToken).not.toBe(renewed[0]?.accessToken);
    expect(provider.calls).toBe(3);
  });

  it('is per key: a damped key does not hold back another', async () => {
    const provider = new TestProvider<string>();
    const manager = track(
      new TokenManager(Object.assign(provider, { cacheKey: (tenant: string) => `t:${tenant}` })),
    );
    for (const tenant of ['a', 'a', 'a', 'b', 'b', 'b']) {
      const token = await manager.getToken(tenant);
      await manager.invalidate(token, tenant);
    }
    // Each key: first token, one renewal; the renewed token's 401 is damped.
    expect(provider.calls).toBe(4);
  });

  it('0 switches damping off', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider, { unauthorizedDampingMs: 0 }));
    await rejectEvery(manager, 50);
    expect(provider.calls).toBe(50);
  });

  it('counts on the injected clock', async () => {
    let now = 1_700_000_000_000;
    const provider = new TestProvider();
    const manager = track(
      new TokenManager(provider, { clock: () => now, unauthorizedDampingMs: 5_000 }),
    );
    await rejectEvery(manager, 10);
    expect(provider.calls).toBe(2);
    now += 5_000;
    await rejectEvery(manager, 10);
    expect(provider.calls).toBe(3);
  });

  it('does not damp invalidate() without a token, nor forceRefresh()', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    await rejectEvery(manager, 2);
    expect(provider.calls).toBe(2);
    await manager.invalidate();
    const third = await manager.getToken();
    expect(provider.calls).toBe(3);
    expect((await manager.forceRefresh()).accessToken).not.toBe(third.accessToken);
    expect(provider.calls).toBe(4);
  });

  it('keeps the damped token in the storage too', async () => {
    const provider = new TestProvider();
    const storage = new InMemoryTokenStorage();
    const manager = track(new TokenManager(provider, { storage }));
    const [, renewed] = await rejectEvery(manager, 2);
    expect(storage.get('billing-api')).toBe(renewed);
  });

  it('never takes back the rejected token from a storage that failed to delete it', async () => {
    const provider = new TestProvider();
    const kept = new Map<string, Token>();
    const manager = track(
      new TokenManager(provider, {
        storage: {
          get: (key) => kept.get(key),
          set: (key, token) => {
            kept.set(key, token);
          },
          delete: () => {
            throw new Error('storage unavailable');
          },
          has: (key) => kept.has(key),
        },
      }),
    );
    const rejected = await manager.getToken();
    await manager.invalidate(rejected);
    const next = await manager.getToken();
    expect(next.accessToken).not.toBe(rejected.accessToken);
    expect(provider.calls).toBe(2);
  });
});

describe('renewal after a 401 uses the refresh token (RFC 6749 §6)', () => {
  it('redeems the refresh token of the invalidated token instead of the original grant', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const refreshed = vi.fn();
    manager.on('refreshed', refreshed);
    const rejected = await manager.getToken();
    await manager.invalidate(rejected);
    const next = await manager.getToken();
    expect(provider.fetchCalls).toBe(1);
    expect(provider.refreshCalls).toBe(1);
    expect(provider.refreshedFrom[0]?.refreshToken).toBe(rejected.refreshToken);
    expect(next.accessToken).toContain('refreshed-2');
    expect(refreshed).toHaveBeenCalledTimes(1);

    // The next renewal redeems the newest refresh token.
    vi.setSystemTime(Date.now() + DAMPING);
    await manager.invalidate(next);
    await manager.getToken();
    expect(provider.fetchCalls).toBe(1);
    expect(provider.refreshedFrom[1]?.refreshToken).toBe(next.refreshToken);
  });

  it('falls back to the original grant only when the refresh is refused (invalid_grant)', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const rejected = await manager.getToken();
    provider.refreshError = invalidGrant();
    await manager.invalidate(rejected);
    const next = await manager.getToken();
    expect(provider.refreshCalls).toBe(1);
    expect(provider.fetchCalls).toBe(2);
    expect(next.accessToken).toContain('fetched-3');
  });

  it('does not redeem a refused refresh token twice', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const rejected = await manager.getToken();
    provider.refreshError = invalidGrant();
    provider.fetchError = new TokenEndpointError('Down.', {
      serviceName: 'billing-api',
      reason: 'server',
    });
    await manager.invalidate(rejected);
    await expect(manager.getToken()).rejects.toBe(provider.fetchError);
    expect(provider.refreshCalls).toBe(1);
    vi.setSystemTime(Date.now() + 120_000);
    await expect(manager.getToken()).rejects.toBe(provider.fetchError);
    expect(provider.refreshCalls).toBe(1);
    expect(provider.fetchCalls).toBe(3);
  });

  it('keeps the refresh token while the refresh fails for another reason', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const rejected = await manager.getToken();
    provider.refreshError = new TokenEndpointError('Down.', {
      serviceName: 'billing-api',
      reason: 'server',
    });
    await manager.invalidate(rejected);
    await expect(manager.getToken()).rejects.toBe(provider.refreshError);
    provider.refreshError = undefined;
    vi.setSystemTime(Date.now() + 120_000);
    await manager.getToken();
    expect(provider.refreshCalls).toBe(2);
    expect(provider.fetchCalls).toBe(1);
  });

  it('prefers the newest refresh token in the storage (rotation by another process)', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const storage = new InMemoryTokenStorage();
    const manager = track(new TokenManager(provider, { storage }));
    const rejected = await manager.getToken();
    await manager.invalidate(rejected);
    // Another process refreshed meanwhile; its token is no longer usable, its refresh token is the newest.
    const rotated = new Token({
      accessToken: `${SECRET}-at-other`,
      refreshToken: `${SECRET}-rt-other`,
      issuedAt: Date.now() - 3_600_000,
      expiresAt: Date.now() - 1,
    });
    storage.set('billing-api', rotated, 60_000);
    await manager.getToken();
    expect(provider.refreshedFrom.map((token) => token.refreshToken)).toEqual([
      rotated.refreshToken,
    ]);
  });

  it('keeps the refresh token when another process invalidated the token it holds', async () => {
    const storage = new SharedStorage();
    const here = new TestProvider();
    const there = new TestProvider();
    here.withRefreshToken = true;
    there.withRefreshToken = true;
    const first = track(new TokenManager(here, { storage }));
    const second = track(new TokenManager(there, { storage }));
    const shared = await first.getToken();
    expect(await second.getToken()).toBe(shared);

    await first.invalidate(shared);
    await flush();
    await second.getToken();
    expect(there.fetchCalls).toBe(0);
    expect(there.refreshedFrom[0]?.refreshToken).toBe(shared.refreshToken);
  });

  it('invalidate() without a token forgets the refresh token as well', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    await manager.getToken();
    await manager.invalidate();
    await manager.getToken();
    expect(provider.refreshCalls).toBe(0);
    expect(provider.fetchCalls).toBe(2);
  });

  it('keeps the remembered refresh token out of errors', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const rejected = await manager.getToken();
    provider.refreshError = new Error(`refresh_token=${rejected.refreshToken} was not accepted`);
    await manager.invalidate(rejected);
    const error = (await manager.getToken().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error.message).not.toContain(SECRET);
  });
});

describe('a token that arrives already expired', () => {
  beforeEach(() => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });

  it('is a typed error, not cached, and retried no faster than the backoff', async () => {
    const provider = new TestProvider();
    provider.lifetimeMs = 0;
    const manager = track(new TokenManager(provider, { backoff: { baseMs: 1_000 } }));
    const failed = vi.fn();
    manager.on('failed', failed);

    const first = await manager.getToken().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TokenEndpointError);
    expect(first).toMatchObject({ code: ForgeErrorCode.TokenEndpoint, reason: 'malformed' });
    expect((first as Error).message).toMatch(/^\[forge\] \[core\] .*already expired/);
    expect((first as Error).message).not.toContain(SECRET);
    expect(failed).toHaveBeenCalledTimes(1);

    // However often callers ask, the endpoint sees one request per backoff step.
    const during = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => manager.getToken()),
    );
    expect(during.every((r) => r.status === 'rejected' && r.reason === first)).toBe(true);
    expect(provider.calls).toBe(1);
    vi.setSystemTime(Date.now() + 499);
    await expect(manager.getToken()).rejects.toBe(first);
    expect(provider.calls).toBe(1);
    vi.setSystemTime(Date.now() + 1);
    await expect(manager.getToken()).rejects.toMatchObject({ reason: 'malformed' });
    expect(provider.calls).toBe(2);
    await expect(manager.getToken()).rejects.toMatchObject({ reason: 'malformed' });
    expect(provider.calls).toBe(2);

    // A usable token ends it.
    provider.lifetimeMs = 3_600_000;
    vi.setSystemTime(Date.now() + 1_000);
    const token = await manager.getToken();
    expect(await manager.getToken()).toBe(token);
    expect(provider.calls).toBe(3);
  });

  it('a token whose expiry is in the past is refused the same way', async () => {
    const provider = new TestProvider();
    provider.lifetimeMs = -60_000;
    const manager = track(new TokenManager(provider));
    await expect(manager.getToken()).rejects.toMatchObject({ reason: 'malformed' });
    await expect(manager.getToken()).rejects.toMatchObject({ reason: 'malformed' });
    expect(provider.calls).toBe(1);
  });

  it('does not replace a still-valid token during refresh ahead', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const valid = await manager.getToken();
    provider.lifetimeMs = 0;
    vi.setSystemTime(Date.now() + 3_600_000 - 30_000 - 300_000);
    for (let i = 0; i < 100; i++) {
      expect(await manager.getToken()).toBe(valid);
      await flush();
    }
    expect(provider.calls).toBe(2);
  });

  it('keeps the refresh token that came with it for the next attempt', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    const valid = await manager.getToken();
    await manager.invalidate(valid);
    provider.lifetimeMs = 0;
    await expect(manager.getToken()).rejects.toMatchObject({ reason: 'malformed' });
    provider.lifetimeMs = 3_600_000;
    vi.setSystemTime(Date.now() + 60_000);
    await manager.getToken();
    expect(provider.refreshedFrom.map((token) => token.refreshToken)).toEqual([
      valid.refreshToken,
      `${SECRET}-rt-refreshed-2`,
    ]);
  });
});
