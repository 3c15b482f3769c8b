import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClientCredentialsTokenProvider,
  type StorageErrorEvent,
  Token,
  TokenManager,
  type TokenStorage,
} from '@forge/core';
import { useTestkit } from '@forge/test-utils';
import { createStorage, defineDriver, type Storage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import memoryDriver from 'unstorage/drivers/memory';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnstorageTokenStorage } from '../src/index.js';

const kit = useTestkit();
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A manager for the testkit's `post` client over `storage`, as one process has it. */
function manager(storage: TokenStorage, options: { storageTimeoutMs?: number } = {}) {
  const { clientId, clientSecret } = kit.auth.clients.post;
  const created = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId,
      clientSecret,
      clientAuth: 'client_secret_post',
      tokenEndpoint: kit.auth.tokenEndpoint,
    }),
    { storage, ...options },
  );
  const storageErrors: StorageErrorEvent[] = [];
  created.on('storageError', (event) => storageErrors.push(event));
  closers.push(() => created.close());
  return { manager: created, storageErrors };
}

async function callApi(token: { authorizationHeader: string }, path = '/orders/1') {
  const response = await fetch(`${kit.api.url}${path}`, {
    headers: { authorization: token.authorizationHeader },
  });
  await response.body?.cancel();
  return response.status;
}

/** A memory driver that counts the calls it gets. */
function countingDriver() {
  const inner = memoryDriver();
  const calls = { get: 0, set: 0, remove: 0 };
  const driver = defineDriver(() => ({
    ...inner,
    name: 'counting-memory',
    getItem: (key: string) => {
      calls.get += 1;
      return inner.getItem(key);
    },
    setItem: (key: string, value: string) => {
      calls.set += 1;
      return inner.setItem?.(key, value, {});
    },
    removeItem: (key: string) => {
      calls.remove += 1;
      return inner.removeItem?.(key, {});
    },
  }))(undefined);
  return { driver, calls };
}

describe('a TokenManager over UnstorageTokenStorage against the testkit servers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'forge-unstorage-manager-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gets a token the API accepts; 50 concurrent callers make one token request', async () => {
    const before = kit.auth.tokenRequests();
    const { manager: m, storageErrors } = manager(new UnstorageTokenStorage(createStorage()));
    const tokens = await Promise.all(Array.from({ length: 50 }, () => m.getToken()));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(kit.auth.tokenRequests() - before).toBe(1);
    expect(await callApi(tokens[0]!)).toBe(200);
    expect(storageErrors).toEqual([]);
    expect(m.storageCapabilities.fleetLock).toBe(false);
  });

  it('makes no storage call per getToken() in steady state', async () => {
    const { driver, calls } = countingDriver();
    const { manager: m } = manager(new UnstorageTokenStorage(createStorage({ driver })));
    await m.getToken();
    const after = { ...calls };
    for (let i = 0; i < 10_000; i++) await m.getToken();
    expect(calls).toEqual(after);
    // The first token cost one read (a miss) and one write.
    expect(after).toEqual({ get: 1, set: 1, remove: 0 });
  });

  it('shares tokens between processes through the fs driver (a second process reads, not fetches)', async () => {
    const before = kit.auth.tokenRequests();
    const storages = [0, 1].map(() => createStorage({ driver: fsDriver({ base: dir }) }));
    closers.push(async () => Promise.all(storages.map((s) => s.dispose())));
    const a = manager(new UnstorageTokenStorage(storages[0]!, { prefix: 'shared' }));
    const b = manager(new UnstorageTokenStorage(storages[1]!, { prefix: 'shared' }));
    const first = await a.manager.getToken();
    expect((await b.manager.getToken()).accessToken).toBe(first.accessToken);
    expect(kit.auth.tokenRequests() - before).toBe(1);
    // Only digests reach the backend: neither the key nor a token is in a file name.
    const files = await readdir(join(dir, 'shared'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('single-flight per process, not per fleet: two processes missing at once make two requests', async () => {
    // What capabilities.fleetLock: false means, measured: each process fetches its own.
    const before = kit.auth.tokenRequests();
    const storages = [0, 1].map(() => createStorage({ driver: fsDriver({ base: dir }) }));
    closers.push(async () => Promise.all(storages.map((s) => s.dispose())));
    const processes = storages.map((s) =>
      manager(new UnstorageTokenStorage(s, { prefix: 'race' })),
    );
    const tokens = await Promise.all(
      processes.flatMap(({ manager: m }) => Array.from({ length: 10 }, () => m.getToken())),
    );
    const requests = kit.auth.tokenRequests() - before;
    expect(requests).toBeGreaterThanOrEqual(1);
    expect(requests).toBeLessThanOrEqual(2);
    for (const token of tokens) expect(await callApi(token)).toBe(200);
  });

  it('a 401 invalidates the stored token (compare-and-delete) and the next call gets a new one', async () => {
    const storage = createStorage();
    const { manager: m } = manager(new UnstorageTokenStorage(storage));
    const first = await m.getToken();
    kit.api.revokeAll();
    expect(await callApi(first)).toBe(401);
    await m.invalidate(first);
    const second = await m.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await callApi(second)).toBe(200);
    // A second process reading the storage now finds the new token, not the revoked one.
    const other = manager(new UnstorageTokenStorage(storage));
    expect((await other.manager.getToken()).accessToken).toBe(second.accessToken);
  });
});

describe('a failing driver degrades to a miss, never a failed call', () => {
  function failingStorage(mode: 'throw' | 'hang'): Storage {
    const fail = (): Promise<never> =>
      mode === 'throw'
        ? Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'))
        : new Promise<never>(() => {});
    return createStorage({
      driver: defineDriver(() => ({
        name: 'broken',
        hasItem: fail,
        getItem: fail,
        setItem: fail,
        removeItem: fail,
        getKeys: () => [],
      }))(undefined),
    });
  }

  for (const mode of ['throw', 'hang'] as const) {
    it(`a driver that ${mode === 'throw' ? 'rejects every call' : 'never answers'}: tokens still flow, with storageError events`, async () => {
      const before = kit.auth.tokenRequests();
      const storage = new UnstorageTokenStorage(failingStorage(mode), { operationTimeoutMs: 50 });
      const { manager: m, storageErrors } = manager(storage);
      const tokens = await Promise.all(Array.from({ length: 10 }, () => m.getToken()));
      expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
      expect(kit.auth.tokenRequests() - before).toBe(1);
      expect(await callApi(tokens[0]!)).toBe(200);
      await m.invalidate(tokens[0]);
      expect(storageErrors.map((e) => e.operation)).toEqual(['get', 'set', 'delete']);
      for (const { error } of storageErrors) {
        expect(error.code).toBe('FORGE_STORAGE');
        expect(error.message).toContain('[forge] [storage-unstorage]');
        expect(error.message).toContain(mode === 'throw' ? 'ECONNREFUSED' : 'within 50 ms');
        expect(error.message).not.toContain(tokens[0]!.accessToken);
      }
    });
  }

  it('a corrupted entry is a miss with a storageError, replaced by the next token', async () => {
    const raw = createStorage();
    const storage = new UnstorageTokenStorage(raw, { prefix: 'corrupt' });
    const first = await manager(storage).manager.getToken();
    const [entry] = await raw.getKeys('corrupt');
    await raw.setItem(entry!, '{"v":1,"fp":"x","data":{"not":"a token"}}');
    // A manager without the token in memory (another process) treats it as a miss.
    const fresh = manager(storage);
    const second = await fresh.manager.getToken();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(fresh.storageErrors.map((e) => e.operation)).toEqual(['get']);
    expect(fresh.storageErrors[0]?.error.message).toContain('holds no valid token');
    // The new token replaced the corrupted entry.
    const third = manager(storage);
    expect((await third.manager.getToken()).accessToken).toBe(second.accessToken);
    expect(third.storageErrors).toEqual([]);
  });
});

describe('encryption at rest', () => {
  const oldKey = new Uint8Array(32).fill(7);
  const newKey = Buffer.from(new Uint8Array(32).fill(9)).toString('base64');

  it('keeps no token in clear in the backend, and the manager reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'forge-unstorage-enc-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const raw = createStorage({ driver: fsDriver({ base: dir }) });
    closers.push(() => raw.dispose());
    const storage = new UnstorageTokenStorage(raw, { encryption: { key: oldKey } });
    expect(storage.capabilities.encryption).toBe(true);
    const { manager: m } = manager(storage);
    const token = await m.getToken();
    const files = await readdir(join(dir, 'forge', 'tokens'));
    const text = await readFile(join(dir, 'forge', 'tokens', files[0]!), 'utf8');
    expect(text).not.toContain(token.accessToken);
    expect(text).toContain('"alg":"A256GCM"');
    const reader = manager(new UnstorageTokenStorage(raw, { encryption: { key: oldKey } }));
    expect((await reader.manager.getToken()).accessToken).toBe(token.accessToken);
  });

  it('rotates keys: entries written with the old key are read, new ones written with the new', async () => {
    const raw = createStorage();
    const token = new Token({
      accessToken: 'at-rotation-secret',
      refreshToken: 'rt-rotation-secret',
    });
    const before = new UnstorageTokenStorage(raw, { encryption: { key: oldKey } });
    await before.set('tenant-a', token, 60_000);
    const rotated = new UnstorageTokenStorage(raw, { encryption: { keys: [newKey, oldKey] } });
    expect((await rotated.get('tenant-a'))?.accessToken).toBe(token.accessToken);
    await rotated.set('tenant-a', token, 60_000);
    // Written with the new key now: a reader with only the old key cannot open it.
    await expect(before.get('tenant-a')).rejects.toThrow(/not among the configured keys/);
    const plain = new UnstorageTokenStorage(raw);
    await expect(plain.get('tenant-a')).rejects.toThrow(/is encrypted but no `encryption` keys/);
    // No secret in the backend, and none in those errors.
    const [entry] = await raw.getKeys('forge:tokens');
    expect(JSON.stringify(await raw.getItem(entry!))).not.toContain('rotation-secret');
    const error = await before.get('tenant-a').catch((e: unknown) => e as Error);
    expect(String((error as Error).message)).not.toContain('rotation-secret');
  });
});
