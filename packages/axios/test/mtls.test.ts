// Certificate-bound tokens through axios: the certificate is axios's
// transport's (an https.Agent); Forge only adds the token.
import { Agent } from 'node:https';
import { mtlsAdapterSuite } from '@forge/test-utils';
import axios from 'axios';
import { withForge } from '../src/index.js';

mtlsAdapterSuite('axios', ({ manager, tls, origins, cleanup }) => {
  const agent = new Agent(tls);
  cleanup(async () => agent.destroy());
  const api = withForge(axios.create({ httpsAgent: agent }), manager, {
    policy: { origins },
  });
  return async (url) => {
    const response = await api.get(url, { validateStatus: () => true });
    return { status: response.status, body: response.data };
  };
});
