// Certificate-bound tokens through @forge/fetch: the certificate is presented
// by an undici dispatcher in `init`, which Forge hands to fetch on every hop.
import { mtlsAdapterSuite } from '@forge/test-utils';
import { Agent } from 'undici';
import { withForge } from '../src/index.js';

mtlsAdapterSuite('fetch', ({ manager, tls, origins, cleanup }) => {
  const dispatcher = new Agent({ connect: tls });
  cleanup(() => dispatcher.close());
  const api = withForge(fetch, manager, { policy: { origins } });
  return async (url) => {
    const response = await api(url, { dispatcher } as RequestInit);
    return { status: response.status, body: await response.json() };
  };
});
