import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthorizationCodeFlow,
  bearer,
  ClientCredentialsTokenProvider,
  PasswordGrantTokenProvider,
  TokenManager,
} from '../src/index.js';
import { type Loopback, loopback, reply } from './helpers/loopback.js';

let auth: AuthServer;

beforeAll(async () => {
  auth = await startAuthServer({ accessTokenTtlSeconds: 300 });
});
afterAll(async () => {
  await auth.close();
});

function grants(): Record<string, number> {
  return { ...auth.tokenRequestsByGrantType() };
}

describe('renewal after a 401 against oidc-provider', () => {
  it('a password-grant manager renews with the refresh token and does not send the password again', async () => {
    const { post } = auth.clients;
    const manager = new TokenManager(
      new PasswordGrantTokenProvider({
        clientId: post.clientId,
        clientSecret: post.clientSecret,
        clientAuth: 'client_secret_post',
        tokenEndpoint: auth.tokenEndpoint,
        username: 'alice',
        password: 'alice-password',
        scope: 'read offline_access',
      }),
    );
    try {
      const rejected = await manager.getToken();
      expect(rejected.refreshToken).toBeTruthy();
      const before = grants();
      await manager.invalidate(rejected);
      const renewed = await manager.getToken();
      const after = grants();
      expect(renewed.accessToken).not.toBe(rejected.accessToken);
      expect(after.refresh_token).toBe((before.refresh_token ?? 0) + 1);
      expect(after.password ?? 0).toBe(before.password ?? 0);
    } finally {
      await manager.close();
    }
  });

  it("a per-user authorization code manager renews the user's token instead of asking for authorization", async () => {
    const flow = new AuthorizationCodeFlow({
      serviceName: 'calendar',
      clientId: auth.clients.confidential.clientId,
      clientSecret: auth.clients.confidential.clientSecret,
      issuer: auth.issuer,
      redirectUri: auth.clients.confidential.redirectUri,
      scope: 'openid offline_access read',
    });
    const users = new TokenManager(flow);
    try {
      const { url, codeVerifier } = await flow.authorizationUrl();
      const { code } = await auth.authorize(url, { user: 'alice' });
      const stored = await flow.completeAuthorization(users, 'user-1', { code, codeVerifier });
      const before = grants();
      await users.invalidate(stored, 'user-1');
      const renewed = await users.getToken('user-1');
      const after = grants();
      expect(renewed.accessToken).not.toBe(stored.accessToken);
      expect(after.refresh_token).toBe((before.refresh_token ?? 0) + 1);
      expect(after.authorization_code ?? 0).toBe(before.authorization_code ?? 0);
    } finally {
      await users.close();
    }
  });
});

describe('an API that answers 401 to everything', () => {
  let api: Loopback;
  beforeAll(async () => {
    api = await loopback(
      reply(401, '{"error":"invalid_token"}', {
        'www-authenticate': 'Bearer error="invalid_token"',
      }),
    );
  });
  afterAll(async () => {
    await api.close();
  });

  it('costs two token requests for 200 calls, not one per 401', async () => {
    const { basic } = auth.clients;
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({ ...basic, tokenEndpoint: auth.tokenEndpoint }),
    );
    const authorizer = bearer(manager, { policy: { baseURL: api.url } });
    const filter = { clientId: basic.clientId, grantType: 'client_credentials' };
    const before = auth.tokenRequests(filter);
    let statuses = 0;
    try {
      for (let call = 0; call < 200; call++) {
        for (let attempt = 0; ; attempt++) {
          const request = { method: 'GET', url: `${api.url}/orders`, headers: {}, attempt };
          const authorization = await authorizer.authorize(request);
          if (authorization === undefined) throw new Error('expected an authorization');
          const response = await fetch(request.url, { headers: { ...authorization.headers } });
          await response.arrayBuffer();
          expect(response.status).toBe(401);
          statuses += 1;
          const decision = await authorizer.onUnauthorized(
            request,
            {
              status: 401,
              headers: { 'www-authenticate': response.headers.get('www-authenticate') ?? '' },
            },
            authorization,
          );
          if (!decision.retry) break;
        }
      }
    } finally {
      await manager.close();
    }
    // The first token and one renewal; only the first call was retried.
    expect(auth.tokenRequests(filter)).toBe(before + 2);
    expect(statuses).toBe(201);
    expect(api.requests).toHaveLength(201);
  });
});
