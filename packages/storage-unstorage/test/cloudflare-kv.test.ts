import { runStorageConformance } from '@forge/testkit/conformance';
import { Miniflare } from 'miniflare';
import { createStorage, type Storage } from 'unstorage';
import cloudflareKVBindingDriver from 'unstorage/drivers/cloudflare-kv-binding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnstorageTokenStorage } from '../src/index.js';

// Workers KV as workerd runs it (through miniflare): the binding proxy miniflare hands
// to Node is the namespace a Worker sees, so the driver talks to workerd's own KV.
describe('cloudflare-kv-binding driver (Workers KV in workerd, through miniflare)', () => {
  let mf: Miniflare;
  let storage: Storage;
  beforeAll(async () => {
    mf = new Miniflare({
      modules: true,
      script: 'export default { fetch() { return new Response("ok"); } };',
      compatibilityDate: '2025-09-01',
      kvNamespaces: ['TOKENS'],
    });
    const binding = await mf.getKVNamespace('TOKENS');
    storage = createStorage({ driver: cloudflareKVBindingDriver({ binding }) });
  }, 60_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  it('declares what KV gives: TTL (60 s at least), no lock, no cross-process notifications', () => {
    expect(new UnstorageTokenStorage(storage).capabilities).toEqual({
      fleetLock: false,
      changeNotifications: false,
      ttl: true,
      encryption: false,
    });
  });

  // Each call crosses from Node into workerd over loopback HTTP, some 100 ms on a busy
  // machine, hence the generous bound (a Worker calls its binding directly).
  const options = { operationTimeoutMs: 15_000 };
  // KV's shortest TTL is 60 s; the suite's 2 s expiry is the entry's own, checked on read.
  runStorageConformance(
    'UnstorageTokenStorage (cloudflare-kv-binding)',
    () => new UnstorageTokenStorage(storage, options),
    {
      subscribe: true,
      peer: () => new UnstorageTokenStorage(storage, options),
      ttlMs: 2_000,
      advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
  );
});
