// Certificate-bound tokens through got: the certificate is got's transport's
// (an https.Agent); Forge only adds the token.
import { Agent } from 'node:https';
import { mtlsAdapterSuite } from '@forge/test-utils';
import got from 'got';
import { withForge } from '../src/index.js';

mtlsAdapterSuite('got', ({ manager, tls, origins, cleanup }) => {
  const agent = new Agent(tls);
  cleanup(async () => agent.destroy());
  const api = withForge(
    got.extend({ agent: { https: agent }, throwHttpErrors: false, retry: { limit: 0 } }),
    manager,
    { policy: { origins } },
  );
  return async (url) => {
    const response = await api.get(url, { responseType: 'json' });
    return { status: response.statusCode, body: response.body };
  };
});
