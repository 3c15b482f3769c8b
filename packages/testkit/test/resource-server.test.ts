import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
  TestkitError,
} from '../src/index.js';
import { accessToken, basicAuth, callApi, tokenRequest } from './helpers.js';

let auth: AuthServer;
let api: ResourceServer;
beforeAll(async () => {
  auth = await startAuthServer();
  api = await startResourceServer({ auth });
});
afterEach(() => {
  vi.useRealTimers();
  api.resetCounters();
});
afterAll(async () => {
  await api.close();
  await auth.close();
});

async function clientToken(scope = 'read'): Promise<string> {
  return accessToken(
    await tokenRequest(auth, { grant_type: 'client_credentials', scope }, auth.clients.basic),
  );
}

describe('protected routes', () => {
  it('answer a valid token with an echo of the request and the token facts', async () => {
    const res = await callApi(`${api.url}/orders/7?expand=items`, await clientToken('read write'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ok: true,
      path: '/orders/7',
      method: 'GET',
      query: { expand: 'items' },
      client_id: auth.clients.basic.clientId,
      scope: 'read write',
      gty: 'client_credentials',
    });
  });

  it('echo JSON and form bodies, and the subject of user tokens', async () => {
    const user = accessToken(
      await tokenRequest(
        auth,
        { grant_type: 'password', username: 'bob', password: 'bob-password' },
        auth.clients.basic,
      ),
    );
    const json = await callApi(`${api.url}/items`, user, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(json.body).toMatchObject({
      method: 'POST',
      body: { a: 1 },
      sub: 'bob',
      gty: 'password',
    });
    const form = await callApi(`${api.url}/items`, user, {
      method: 'PUT',
      body: new URLSearchParams({ b: '2' }),
    });
    expect(form.body).toMatchObject({ method: 'PUT', body: { b: '2' } });
  });

  it('accept any case of the Bearer scheme', async () => {
    const token = await clientToken();
    const res = await fetch(`${api.url}/x`, { headers: { authorization: `bEaReR ${token}` } });
    expect(res.status).toBe(200);
  });

  it('answer a missing token with 401 and a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    const res = await callApi(`${api.url}/orders`, undefined);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="forge-testkit"');
  });

  it('answer garbage, other schemes and unknown tokens with 401 invalid_token', async () => {
    for (const authorization of ['Bearer garbage', 'Basic dXNlcjpwYXNz', 'Bearer']) {
      const res = await fetch(`${api.url}/orders`, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="forge-testkit", error="invalid_token"/,
      );
    }
  });

  it('revokeAll(): every token issued so far is refused, later ones are accepted', async () => {
    const before = await clientToken();
    expect((await callApi(`${api.url}/a`, before)).status).toBe(200);
    api.revokeAll();
    const refused = await callApi(`${api.url}/a`, before);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await callApi(`${api.url}/a`, await clientToken())).status).toBe(200);
  });

  it('refuse a token revoked at the revocation endpoint', async () => {
    const token = await clientToken();
    const revoke = await fetch(auth.revocationEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuth(auth.clients.basic.clientId, auth.clients.basic.clientSecret),
      },
      body: new URLSearchParams({ token }),
    });
    expect(revoke.status).toBe(200);
    expect((await callApi(`${api.url}/a`, token)).status).toBe(401);
  });

  it('auth.revokeToken(): a revoked refresh token takes its access tokens with it', async () => {
    const user = await tokenRequest(
      auth,
      { grant_type: 'password', username: 'alice', password: 'alice-password' },
      auth.clients.basic,
    );
    const at = accessToken(user);
    expect((await callApi(`${api.url}/a`, at)).status).toBe(200);
    expect(await auth.revokeToken(String(user.body.refresh_token))).toBe(true);
    expect((await callApi(`${api.url}/a`, at)).status).toBe(401);
    const refresh = await tokenRequest(
      auth,
      { grant_type: 'refresh_token', refresh_token: String(user.body.refresh_token) },
      auth.clients.basic,
    );
    expect(refresh.body.error).toBe('invalid_grant');
    const cc = await clientToken();
    expect(await auth.revokeToken(cc)).toBe(true);
    expect((await callApi(`${api.url}/a`, cc)).status).toBe(401);
    expect(await auth.revokeToken('unknown')).toBe(false);
    await expect(auth.revokeToken('')).rejects.toThrow(/revokeToken/);
  });

  it('refuse an expired token', async () => {
    const token = await clientToken();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * 3600 * 1000);
    expect((await callApi(`${api.url}/a`, token)).status).toBe(401);
  });
});

describe('open routes', () => {
  it('/health and /public/* need no token', async () => {
    expect((await callApi(`${api.url}/health`, undefined)).status).toBe(200);
    const pub = await callApi(`${api.url}/public/docs?x=1`, undefined);
    expect(pub.body).toMatchObject({ ok: true, path: '/public/docs', query: { x: '1' } });
    expect(pub.body.client_id).toBeUndefined();
  });

  it('/redirect?to= answers 302 (or the status asked for) to that URL', async () => {
    const to = 'http://localhost:1/elsewhere';
    const res = await callApi(`${api.url}/redirect?to=${encodeURIComponent(to)}`, undefined);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(to);
    const temp = await callApi(
      `${api.url}/redirect?status=307&to=${encodeURIComponent(to)}`,
      undefined,
    );
    expect(temp.status).toBe(307);
    expect((await callApi(`${api.url}/redirect?to=relative`, undefined)).status).toBe(400);
  });
});

describe('counters', () => {
  it('count requests by status and remember whether credentials were sent, never the token', async () => {
    const token = await clientToken();
    await callApi(`${api.url}/one`, token);
    await callApi(`${api.url}/two`, undefined);
    await callApi(`${api.url}/three`, 'bad');
    expect(api.requests()).toBe(3);
    expect(api.requests({ status: 401 })).toBe(2);
    expect(api.requests({ path: '/one', method: 'get' })).toBe(1);
    expect(api.requests({ hadAuthorization: true })).toBe(2);
    expect(api.lastRequest()).toEqual({
      method: 'GET',
      path: '/three',
      status: 401,
      hadAuthorization: true,
      authorizationScheme: 'Bearer',
    });
    expect(JSON.stringify(api.requestLog())).not.toContain(token);
    api.resetCounters();
    expect(api.requests()).toBe(0);
    expect(api.lastRequest()).toBeUndefined();
  });
});

describe('options', () => {
  it('audience: only tokens for this resource are accepted', async () => {
    const audience = 'https://api.forge.test';
    const strict = await startResourceServer({ auth, audience });
    try {
      const scoped = accessToken(
        await tokenRequest(
          auth,
          { grant_type: 'client_credentials', scope: 'read', resource: audience },
          auth.clients.basic,
        ),
      );
      const ok = await callApi(`${strict.url}/x`, scoped);
      expect(ok.status).toBe(200);
      expect(ok.body.aud).toBe(audience);
      const other = await callApi(`${strict.url}/x`, await clientToken());
      expect(other.status).toBe(401);
      expect(other.headers.get('www-authenticate')).toContain('not meant for this resource server');
    } finally {
      await strict.close();
    }
  });

  it('routes: custom handlers get the token facts, public ones none', async () => {
    const custom = await startResourceServer({
      auth,
      routes: {
        'GET /me': ({ token }) => ({ body: { who: token?.clientId } }),
        '/public/teapot': () => ({ status: 418, body: 'short and stout' }),
      },
    });
    try {
      const me = await callApi(`${custom.url}/me`, await clientToken());
      expect(me.body).toEqual({ who: auth.clients.basic.clientId });
      expect((await callApi(`${custom.url}/me`, undefined)).status).toBe(401);
      const tea = await fetch(`${custom.url}/public/teapot`);
      expect(tea.status).toBe(418);
      expect(await tea.text()).toBe('short and stout');
    } finally {
      await custom.close();
    }
  });

  it('audience: token exchange with resource or audience sets the audience', async () => {
    const audience = 'https://downstream.forge.test';
    const strict = await startResourceServer({ auth, audience });
    try {
      for (const param of ['audience', 'resource']) {
        const res = await tokenRequest(
          auth,
          {
            grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
            subject_token: await auth.tokenExchange.createSubjectToken({ subject: 'u1' }),
            subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
            [param]: audience,
          },
          auth.clients.basic,
        );
        const call = await callApi(`${strict.url}/x`, accessToken(res));
        expect(call.status).toBe(200);
        expect(call.body).toMatchObject({ aud: audience, sub: 'u1' });
      }
    } finally {
      await strict.close();
    }
  });

  it('rejects invalid options with a TestkitError naming the option', async () => {
    await expect(startResourceServer({} as never)).rejects.toThrow(TestkitError);
    await expect(startResourceServer({ auth: {} as AuthServer })).rejects.toThrow(/auth/);
    await expect(startResourceServer({ auth, audience: '' })).rejects.toThrow(/audience/);
    await expect(startResourceServer({ auth, routes: { 'no-slash': () => ({}) } })).rejects.toThrow(
      /routes/,
    );
  });
});
