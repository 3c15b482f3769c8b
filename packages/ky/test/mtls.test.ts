// Certificate-bound tokens through ky: the certificate is presented by an
// undici dispatcher, handed to fetch through ky's `fetch` option.
import { mtlsAdapterSuite } from '@forge/test-utils';
import ky from 'ky';
import { Agent } from 'undici';
import { withForge } from '../src/index.js';

mtlsAdapterSuite('ky', ({ manager, tls, origins, cleanup }) => {
  const dispatcher = new Agent({ connect: tls });
  cleanup(() => dispatcher.close());
  const api = withForge(
    ky.create({
      fetch: (input, init) => fetch(input, { ...init, dispatcher } as RequestInit),
      throwHttpErrors: false,
      retry: 0,
    }),
    manager,
    { policy: { origins } },
  );
  return async (url) => {
    const response = await api.get(url);
    return { status: response.status, body: await response.json() };
  };
});
