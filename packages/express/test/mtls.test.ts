// Certificate-bound tokens through req.forge.fetch: the certificate is
// presented by an undici dispatcher in `init`, as with @forge/fetch.
import { mtlsAdapterSuite } from '@forge/test-utils';
import express from 'express';
import { Agent } from 'undici';
import { createForge } from '../src/index.js';
import { listen } from './setup.js';

mtlsAdapterSuite('express req.forge.fetch', ({ manager, tls, origins, cleanup }) => {
  const dispatcher = new Agent({ connect: tls });
  cleanup(() => dispatcher.close());
  const forge = createForge({
    services: { api: { manager, baseURL: origins[0] as string } },
  });
  cleanup(() => forge.close());
  const server = express();
  server.use(forge);
  server.get('/call', async (req, res) => {
    const response = await req.forge.fetch('api', String(req.query.url), {
      dispatcher,
    } as RequestInit);
    res.json({ status: response.status, body: await response.json() });
  });
  const app = listen(server);
  cleanup(async () => (await app).close());
  return async (url) => {
    const response = await fetch(`${(await app).url}/call?url=${encodeURIComponent(url)}`);
    return (await response.json()) as { status: number; body: unknown };
  };
});
