import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StorageError } from '../errors.js';
import { InMemoryTokenStorage } from '../storage/in-memory-storage.js';
import type { TokenStorage } from '../storage.js';
import { Token } from '../token.js';
import type { StorageErrorEvent } from './events.js';
import { flush, SharedStorage, TestProvider } from './test-fixtures.js';
import { TokenManager } from './token-manager.js';

const HOUR = 3_600_000;
const closers: Array<() => Promise<void>> = [];

function manage<T>(manager: TokenManager<T>): TokenManager<T> {
  closers.push(() => manager.close());
  return manager;
}

function storageErrors(manager: TokenManager): StorageErrorEvent[] {
  const events: StorageErrorEvent[] = [];
  manager.on('storageError', (event) => events.push(event));
  return events;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  vi.useRealTimers();
});

describe('storage tier', () => {
  it('writes every new token to the storage and reads it on a miss', async () => {
    const storage = new InMemoryTokenStorage();
    const first = new TokenManager(new TestProvider(), { storage });
    const token = await manage(first).getToken();
    const provider = new TestProvider();
    const second = manage(new TokenManager(provider, { storage }));
    expect(await second.getToken()).toBe(token);
    expect(provider.calls).toBe(0);
  });

  it('keeps an entry with a refresh token for refreshTokenTtlMs', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const set = vi.fn();
    const manager = manage(
      new TokenManager(provider, {
        refreshTokenTtlMs: 7 * 24 * HOUR,
        storage: { get: () => undefined, set, delete: () => {}, has: () => false },
      }),
    );
    await manager.getToken();
    expect(set.mock.calls[0]?.[2]).toBe(7 * 24 * HOUR);
    provider.withRefreshToken = false;
    await manager.forceRefresh();
    expect(set.mock.calls[1]?.[2]).toBe(HOUR);
  });

  it('treats a throwing storage as a miss and reports storageError', async () => {
    const provider = new TestProvider();
    const boom = (): never => {
      throw new Error('connection refused: password=hunter22');
    };
    const manager = manage(
      new TokenManager(provider, { storage: { get: boom, set: boom, delete: boom, has: boom } }),
    );
    const events = storageErrors(manager);
    const token = await manager.getToken();
    expect(token.accessToken).toContain('fetched-1');
    expect(events.map((e) => e.operation)).toEqual(['get', 'set']);
    expect(events[0]?.error.code).toBe('FORGE_STORAGE');
    expect(events[0]?.error.message).not.toContain('hunter22');
    // The failed write did not lose the token: it is served from the hot tier.
    expect(await manager.getToken()).toBe(token);
    expect(provider.calls).toBe(1);
    await manager.invalidate(token);
    expect(events.map((e) => e.operation)).toEqual(['get', 'set', 'delete']);
  });

  it('bounds a hanging storage call with storageTimeoutMs', async () => {
    const provider = new TestProvider();
    const never = () => new Promise<never>(() => {});
    const manager = manage(
      new TokenManager(provider, {
        storageTimeoutMs: 500,
        storage: { get: never, set: never, delete: never, has: never },
      }),
    );
    const events = storageErrors(manager);
    const pending = manager.getToken();
    await vi.advanceTimersByTimeAsync(499);
    expect(provider.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(provider.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect((await pending).accessToken).toContain('fetched-1');
    expect(events.map((e) => e.operation)).toEqual(['get', 'set']);
    expect(events[0]?.error.message).toContain('did not answer within 500 ms');
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['a non-token object', { hello: 'world' }],
    ['a string', 'not a token'],
    ['a serialized token missing fields', { accessToken: 'abc' }],
  ])('treats %s from the storage as a miss', async (_label, garbage) => {
    const provider = new TestProvider();
    const storage = {
      get: () => garbage as unknown as Token,
      set: () => {},
      delete: () => {},
      has: () => true,
    };
    const manager = manage(new TokenManager(provider, { storage }));
    const events = storageErrors(manager);
    await manager.getToken();
    expect(provider.calls).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.operation).toBe('get');
  });

  it('accepts a storage that answers with the serialized form of a token', async () => {
    const provider = new TestProvider();
    const stored = new Token({ accessToken: 'from-json', expiresAt: Date.now() + HOUR });
    const manager = manage(
      new TokenManager(provider, {
        storage: {
          get: () => stored.toJSON() as unknown as Token,
          set: () => {},
          delete: () => {},
          has: () => true,
        },
      }),
    );
    expect((await manager.getToken()).accessToken).toBe('from-json');
    expect(provider.calls).toBe(0);
  });

  it('ignores a token in the storage that is within the skew of its expiry', async () => {
    const storage = new InMemoryTokenStorage();
    const old = new Token({
      accessToken: 'old',
      issuedAt: Date.now() - HOUR,
      expiresAt: Date.now() + 10_000,
    });
    storage.set('billing-api', old, HOUR);
    const provider = new TestProvider();
    const manager = manage(new TokenManager(provider, { storage }));
    expect((await manager.getToken()).accessToken).not.toBe('old');
  });
});

describe('across processes (storage.lock)', () => {
  it('lets one process fetch while the other waits for its token', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    const a = manage(new TokenManager(provider, { storage }));
    const b = manage(new TokenManager(provider, { storage }));
    const release = provider.hold();
    const fromA = a.getToken();
    await flush();
    const fromB = b.getToken();
    await flush();
    expect(storage.lockCalls).toBe(2);
    release();
    const [ta, tb] = await Promise.all([fromA, fromB]);
    expect(tb.accessToken).toBe(ta.accessToken);
    expect(provider.calls).toBe(1);
    expect(storage.locks.size).toBe(0);
    expect(storage.releases).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refreshes ahead once for the fleet: the second process adopts the token of the first', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    const a = manage(new TokenManager(provider, { storage }));
    const b = manage(new TokenManager(provider, { storage }));
    const first = await a.getToken();
    expect(await b.getToken()).toBe(first);
    storage.listeners.clear(); // no notifications: b must find a's token by reading
    vi.setSystemTime(Date.now() + HOUR - 30_000 - 300_000);
    expect(await a.getToken()).toBe(first);
    await flush();
    expect(provider.calls).toBe(2);
    expect(await b.getToken()).toBe(first);
    await flush();
    expect(provider.calls).toBe(2);
    const fresh = await a.getToken();
    expect(fresh).not.toBe(first);
    expect((await b.getToken()).accessToken).toBe(fresh.accessToken);
  });

  it('re-reads on an interval when no notification comes', async () => {
    const storage = new SharedStorage();
    storage.subscribe = () => () => {};
    storage.locks.add('billing-api');
    const provider = new TestProvider();
    const manager = manage(new TokenManager(provider, { storage }));
    const pending = manager.getToken();
    await vi.advanceTimersByTimeAsync(300);
    storage.entries.set(
      'billing-api',
      new Token({ accessToken: 'theirs', expiresAt: Date.now() + HOUR }),
    );
    await vi.advanceTimersByTimeAsync(250);
    expect((await pending).accessToken).toBe('theirs');
    expect(provider.calls).toBe(0);
  });

  it('fetches itself after lockWaitMs when the holder never delivers', async () => {
    const storage = new SharedStorage();
    storage.locks.add('billing-api');
    const provider = new TestProvider();
    const manager = manage(new TokenManager(provider, { storage, lockWaitMs: 2_000 }));
    const pending = manager.getToken();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(provider.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).accessToken).toContain('fetched-1');
    expect(provider.calls).toBe(1);
  });

  it('double-checks the storage under the lock', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    const manager = manage(new TokenManager(provider, { storage }));
    const get = storage.get.bind(storage);
    let reads = 0;
    storage.get = async (key) => {
      reads += 1;
      // Another process stores its token between our first read and our lock.
      if (reads === 2) {
        storage.entries.set(key, new Token({ accessToken: 'raced', expiresAt: Date.now() + HOUR }));
      }
      return get(key);
    };
    expect((await manager.getToken()).accessToken).toBe('raced');
    expect(provider.calls).toBe(0);
    expect(storage.releases).toBe(1);
  });

  it('refreshes with the newest refresh token found under the lock', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = manage(new TokenManager(provider, { storage }));
    await manager.getToken();
    const rotated = new Token({
      accessToken: 'other-at',
      refreshToken: 'rotated-rt',
      expiresAt: Date.now() + HOUR,
    });
    storage.entries.set('billing-api', rotated);
    vi.setSystemTime(Date.now() + HOUR);
    await manager.getToken();
    expect(provider.refreshedFrom[0]?.refreshToken).toBe('rotated-rt');
  });

  it('releases the lock when the provider fails', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    provider.fetchError = new Error('down');
    const manager = manage(new TokenManager(provider, { storage }));
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'FORGE_TOKEN_ENDPOINT' });
    expect(storage.locks.size).toBe(0);
  });

  it('degrades to local single-flight when lock throws', async () => {
    const storage = new SharedStorage();
    storage.lock = async () => {
      throw new Error('NOSCRIPT');
    };
    const provider = new TestProvider();
    const manager = manage(new TokenManager(provider, { storage }));
    const events = storageErrors(manager);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => manager.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(provider.calls).toBe(1);
    expect(events.map((e) => e.operation)).toEqual(['lock']);
  });

  it('reports a subscribe failure and keeps working', async () => {
    const storage = new SharedStorage();
    storage.subscribe = () => {
      throw new Error('pubsub down');
    };
    const manager = manage(new TokenManager(new TestProvider(), { storage }));
    const events = storageErrors(manager);
    await manager.getToken();
    expect(events.map((e) => [e.operation, (e.error as StorageError).operation])).toEqual([
      ['subscribe', 'subscribe'],
    ]);
  });

  it('drops or replaces the hot copy when another process changes the stored token', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    const a = manage(new TokenManager(provider, { storage }));
    const b = manage(new TokenManager(provider, { storage }));
    const first = await a.getToken();
    expect(await b.getToken()).toBe(first);

    const newer = await a.forceRefresh();
    await flush();
    expect(await b.getToken()).toBe(newer);

    await a.invalidate(newer);
    await flush();
    const fetched = await b.getToken();
    expect(fetched.accessToken).not.toBe(newer.accessToken);
    expect(provider.calls).toBe(3);
  });
});

describe('a change notice whose re-read fails', () => {
  it('keeps serving the held token, then picks up the stored one with the next call', async () => {
    const storage = new SharedStorage();
    const provider = new TestProvider();
    const a = manage(new TokenManager(provider, { storage }));
    const b = manage(new TokenManager(provider, { storage }));
    const first = await a.getToken();
    expect(await b.getToken()).toBe(first);

    // The re-reads after the notice fail (a storage hiccup); later reads work.
    const read = storage.get.bind(storage);
    let failures = 0;
    storage.get = async (key) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('connection reset');
      }
      return read(key);
    };
    const newer = new Token({ accessToken: 'newer-from-a', expiresAt: Date.now() + HOUR });
    storage.entries.set('billing-api', newer);
    failures = 2;
    storage.notify('billing-api');
    await flush();

    expect(await b.getToken()).toBe(first);
    await flush();
    expect(await b.getToken()).toBe(newer);
    expect(provider.calls).toBe(1);
  });
});

describe('storage-agnostic behaviour', () => {
  it('works with a storage that has only the required methods', async () => {
    const map = new Map<string, Token>();
    const storage: TokenStorage = {
      get: (key) => map.get(key),
      set: (key, token) => {
        map.set(key, token);
      },
      delete: (key) => {
        map.delete(key);
      },
      has: (key) => map.has(key),
    };
    const manager = manage(new TokenManager(new TestProvider(), { storage }));
    const token = await manager.getToken();
    expect(map.get('billing-api')).toBe(token);
  });
});

describe('storage capabilities', () => {
  it('infers them from the methods of a storage that declares none', () => {
    const manager = manage(new TokenManager(new TestProvider(), { storage: new SharedStorage() }));
    expect(manager.storageCapabilities).toEqual({
      fleetLock: true,
      changeNotifications: true,
      ttl: false,
      encryption: false,
    });
    const plain = manage(new TokenManager(new TestProvider()));
    expect(plain.storageCapabilities).toEqual({
      fleetLock: false,
      changeNotifications: false,
      ttl: true,
      encryption: false,
    });
  });

  it('never takes a lock declared process-local: each process fetches once, nobody waits', async () => {
    const storage = new SharedStorage();
    Object.assign(storage, {
      capabilities: { fleetLock: false, changeNotifications: true, ttl: false, encryption: false },
    });
    storage.locks.add('billing-api'); // a lock held "elsewhere" must not make this process wait
    const provider = new TestProvider();
    const manager = manage(new TokenManager(provider, { storage, lockWaitMs: 60_000 }));
    const tokens = await Promise.all([manager.getToken(), manager.getToken()]);
    expect(tokens[1]).toBe(tokens[0]);
    expect(provider.calls).toBe(1);
    expect(storage.lockCalls).toBe(0);
    expect(manager.storageCapabilities.fleetLock).toBe(false);
  });

  it('does not believe a fleet lock declared without a lock() method', () => {
    const storage: TokenStorage = {
      get: () => undefined,
      set: () => {},
      delete: () => {},
      has: () => false,
      capabilities: { fleetLock: true, changeNotifications: false, ttl: true, encryption: true },
    };
    const manager = manage(new TokenManager(new TestProvider(), { storage }));
    expect(manager.storageCapabilities).toEqual({
      fleetLock: false,
      changeNotifications: false,
      ttl: true,
      encryption: true,
    });
  });

  it('refuses capabilities that are not four booleans', () => {
    const storage = { get: () => undefined, set: () => {}, delete: () => {}, has: () => false };
    expect(
      () =>
        new TokenManager(new TestProvider(), {
          storage: { ...storage, capabilities: { fleetLock: 'yes' } } as unknown as TokenStorage,
        }),
    ).toThrow(/storage\.capabilities\.fleetLock.*boolean/);
    expect(
      () =>
        new TokenManager(new TestProvider(), {
          storage: { ...storage, capabilities: true } as unknown as TokenStorage,
        }),
    ).toThrow(/storage\.capabilities/);
  });
});
