import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Two Workers (two isolates, as two locations would run them) over one Workers KV
// namespace, persisted in one directory: the second finds the first one's token in KV.
describe('UnstorageTokenStorage inside workerd (miniflare), on Workers KV', () => {
  let auth: AuthServer;
  let api: ResourceServer;
  let dir: string;
  const workers: Miniflare[] = [];
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');

  beforeAll(async () => {
    auth = await startAuthServer();
    api = await startResourceServer({ auth });
    dir = await mkdtemp(join(tmpdir(), 'forge-workerd-kv-'));
    // Bundled the way wrangler bundles a Worker, from the workspace sources.
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./workerd/worker.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['@forge/source', 'workerd', 'worker', 'browser'],
      external: ['cloudflare:*'],
      write: false,
      logLevel: 'warning',
    });
    const config = JSON.stringify({
      tokenEndpoint: auth.tokenEndpoint,
      clientId: auth.clients.post.clientId,
      clientSecret: auth.clients.post.clientSecret,
      apiUrl: api.url,
      key,
    });
    for (const _ of [0, 1]) {
      const mf = new Miniflare({
        modules: true,
        script: bundle.outputFiles[0]?.text ?? '',
        // No nodejs_compat: the storage and the envelope need only web platform APIs.
        compatibilityDate: '2025-09-01',
        kvNamespaces: ['TOKENS'],
        kvPersist: dir,
        bindings: { CONFIG: config },
      });
      await mf.ready;
      workers.push(mf);
    }
  }, 120_000);
  afterAll(async () => {
    for (const mf of workers) await mf.dispose();
    await api?.close();
    await auth?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function call(mf: Miniflare) {
    const response = await mf.dispatchFetch('http://worker.test/');
    return (await response.json()) as {
      status?: number;
      error?: string;
      runtime?: string;
      capabilities?: Record<string, boolean>;
    };
  }

  it('the first Worker fetches and stores; the second reads from KV: one token request', async () => {
    const first = await call(workers[0]!);
    expect(first.error).toBeUndefined();
    expect(first).toMatchObject({ status: 200, runtime: 'Cloudflare-Workers' });
    expect(first.capabilities).toEqual({
      fleetLock: false,
      changeNotifications: false,
      ttl: true,
      encryption: true,
    });
    const second = await call(workers[1]!);
    expect(second).toMatchObject({ status: 200 });
    expect(auth.tokenRequests(auth.clients.post.clientId)).toBe(1);
    // Encrypted at rest: the KV value holds no token in clear.
    // miniflare types the proxy with workerd's types, which this project does not load.
    const kv = (await workers[0]!.getKVNamespace('TOKENS')) as unknown as {
      list(): Promise<{ keys: { name: string }[] }>;
      get(key: string): Promise<string | null>;
    };
    const { keys } = await kv.list();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.name).toMatch(/^forge:tokens:[0-9a-f]{64}$/);
    const value = await kv.get(keys[0]!.name);
    expect(value).toContain('"alg":"A256GCM"');
    expect(value).not.toContain('accessToken');
  });
});
