import { withForge } from '@forge/axios';
import { oauth1Authorizer } from '@forge/oauth1';
import axios from 'axios';
import { expect, it } from 'vitest';
import { OAUTH1_CREDENTIALS, startOAuth1Api } from './oauth1.js';

it("the demo's OAuth 1 API accepts only correctly signed requests", async () => {
  const api = await startOAuth1Api();
  try {
    const sign = (tokenSecret: string) => {
      return withForge(
        axios.create({ baseURL: api.origin, validateStatus: () => true }),
        oauth1Authorizer({
          ...OAUTH1_CREDENTIALS,
          tokenSecret,
          signatureMethod: 'HMAC-SHA1',
          policy: { baseURL: api.origin },
        }),
      );
    };
    expect((await sign(OAUTH1_CREDENTIALS.tokenSecret).get('/a?q=a%20b')).status).toBe(200);
    expect((await sign('wrong secret').get('/a?q=a%20b')).status).toBe(401);
    expect((await axios.get(`${api.origin}/a`, { validateStatus: () => true })).status).toBe(401);
  } finally {
    await api.close();
  }
});
