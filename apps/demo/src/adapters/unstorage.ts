import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withForge } from '@forge/axios';
import { UnstorageTokenStorage } from '@forge/storage-unstorage';
import axios from 'axios';
import { createStorage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';
import { ordersManager } from './provider.js';
import type { DemoAdapter } from './types.js';

/** axios keeping its token in a temporary directory through unstorage's fs driver, encrypted. */
export const unstorageAdapter: DemoAdapter = {
  name: 'axios + storage-unstorage (fs)',
  async start(servers) {
    const dir = await mkdtemp(join(tmpdir(), 'forge-demo-unstorage-'));
    const files = createStorage({ driver: fsDriver({ base: dir }) });
    const storage = new UnstorageTokenStorage(files, {
      encryption: { key: crypto.getRandomValues(new Uint8Array(32)) },
    });
    const manager = ordersManager(servers, storage);
    const client = withForge(axios.create({ baseURL: servers.api.url, timeout: 10_000 }), manager);
    return {
      call: async (i) => (await client.get(`/orders/${i}`)).status,
      close: async () => {
        await manager.close();
        await storage.dispose();
        await files.dispose();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};
