import { describe, expect, it, vi } from 'vitest';
import type { SecretClient } from '../src/index.js';
import { startAuthServer, startResourceServer, TestkitError } from '../src/index.js';
import { basicAuth, tokenRequest } from './helpers.js';

async function tokenRequestTo(url: string, params: Record<string, string>, client: SecretClient) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: basicAuth(client.clientId, client.clientSecret) },
    body: new URLSearchParams(params),
  });
  expect(res.status).toBe(200);
}

function tcpHandles(): number {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;
}

describe('start', () => {
  // First in the file: oidc-provider prints each notice once per process.
  it('prints nothing on the console while starting and serving every endpoint', async () => {
    const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(console, level),
    );
    try {
      const auth = await startAuthServer();
      const api = await startResourceServer({ auth });
      const client = auth.clients.basic;
      const res = await tokenRequest(auth, { grant_type: 'client_credentials' }, client);
      const token = String(res.body.access_token);
      await fetch(`${api.url}/x`, { headers: { authorization: `Bearer ${token}` } });
      for (const endpoint of [auth.introspectionEndpoint, auth.revocationEndpoint]) {
        await tokenRequestTo(endpoint, { token }, client);
      }
      await auth.authorize({ clientId: auth.clients.confidential.clientId });
      await api.close();
      await auth.close();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('listens on 127.0.0.1 and publishes discovery at both well-known paths', async () => {
    const auth = await startAuthServer();
    try {
      expect(auth.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const path of ['openid-configuration', 'oauth-authorization-server']) {
        const res = await fetch(`${auth.issuer}/.well-known/${path}`);
        const metadata = (await res.json()) as Record<string, unknown>;
        expect(metadata).toMatchObject({
          issuer: auth.issuer,
          token_endpoint: auth.tokenEndpoint,
          authorization_endpoint: auth.authorizationEndpoint,
          introspection_endpoint: auth.introspectionEndpoint,
          revocation_endpoint: auth.revocationEndpoint,
          jwks_uri: auth.jwksUri,
        });
        expect(metadata.grant_types_supported).toEqual(
          expect.arrayContaining([
            'client_credentials',
            'refresh_token',
            'authorization_code',
            'password',
            'urn:ietf:params:oauth:grant-type:token-exchange',
            'urn:ietf:params:oauth:grant-type:jwt-bearer',
          ]),
        );
        expect(metadata.token_endpoint_auth_methods_supported).toEqual(
          expect.arrayContaining([
            'none',
            'client_secret_basic',
            'client_secret_post',
            'client_secret_jwt',
            'private_key_jwt',
          ]),
        );
      }
    } finally {
      await auth.close();
    }
  });

  it('is fast: keys are generated once per process', async () => {
    await (await startAuthServer()).close();
    const runs = 5;
    const started = performance.now();
    for (let i = 0; i < runs; i += 1) await (await startAuthServer()).close();
    const average = (performance.now() - started) / runs;
    // Typically ~5 ms; the bound leaves room for a slow CI machine.
    expect(average).toBeLessThan(300);
  });

  it('servers are independent: clients and secrets differ, tokens do not cross', async () => {
    const [a, b] = await Promise.all([startAuthServer(), startAuthServer()]);
    const api = await startResourceServer({ auth: b });
    try {
      expect(a.issuer).not.toBe(b.issuer);
      expect(a.clients.basic.clientSecret).not.toBe(b.clients.basic.clientSecret);
      const res = await tokenRequest(a, { grant_type: 'client_credentials' }, a.clients.basic);
      const call = await fetch(`${api.url}/x`, {
        headers: { authorization: `Bearer ${String(res.body.access_token)}` },
      });
      expect(call.status).toBe(401);
    } finally {
      await api.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('validates options with a TestkitError naming the option', async () => {
    await expect(startAuthServer({ accessTokenTtlSeconds: 0 })).rejects.toThrow(TestkitError);
    await expect(startAuthServer({ accessTokenTtlSeconds: 1.5 })).rejects.toThrow(
      /accessTokenTtlSeconds/,
    );
    await expect(startAuthServer({ refreshTokenTtlSeconds: -1 })).rejects.toThrow(
      /refreshTokenTtlSeconds/,
    );
    await expect(startAuthServer({ rotateRefreshTokens: 'yes' as never })).rejects.toThrow(
      /rotateRefreshTokens/,
    );
    await expect(startAuthServer({ users: [{ username: '', password: 'x' }] })).rejects.toThrow(
      /users\[0\]/,
    );
    await expect(startAuthServer({ scopes: ['two words'] })).rejects.toThrow(/scopes\[0\]/);
  });

  it('honours the token lifetimes it is given', async () => {
    const auth = await startAuthServer({ accessTokenTtlSeconds: 42 });
    try {
      const res = await tokenRequest(
        auth,
        { grant_type: 'client_credentials' },
        auth.clients.basic,
      );
      expect(res.body.expires_in).toBe(42);
      expect(auth.options.accessTokenTtlSeconds).toBe(42);
    } finally {
      await auth.close();
    }
  });
});

describe('close', () => {
  it('leaves no socket or server handle behind, even with a hung request and keep-alive clients', async () => {
    const baseline = tcpHandles();
    const auth = await startAuthServer();
    const api = await startResourceServer({ auth });
    const res = await tokenRequest(auth, { grant_type: 'client_credentials' }, auth.clients.basic);
    await fetch(`${api.url}/x`, {
      headers: { authorization: `Bearer ${String(res.body.access_token)}` },
    });
    auth.faults.set({ mode: 'hang' });
    const hung = fetch(auth.tokenEndpoint, {
      method: 'POST',
      body: 'grant_type=client_credentials',
    });
    await vi.waitFor(() => expect(auth.tokenRequests({ faulted: true })).toBe(1), {
      timeout: 2_000,
    });

    await Promise.all([api.close(), auth.close()]);
    await expect(hung).rejects.toThrow(TypeError);
    await vi.waitFor(() => expect(tcpHandles()).toBe(baseline), { timeout: 2_000, interval: 10 });
    await expect(fetch(auth.tokenEndpoint, { method: 'POST' })).rejects.toThrow(TypeError);
    await expect(fetch(`${api.url}/health`)).rejects.toThrow(TypeError);
  });

  it('a closed server can no longer back a resource server', async () => {
    const auth = await startAuthServer();
    await auth.close();
    await expect(startResourceServer({ auth })).rejects.toThrow(/not closed/);
  });

  it('is idempotent', async () => {
    const auth = await startAuthServer();
    const api = await startResourceServer({ auth });
    await Promise.all([api.close(), api.close()]);
    await Promise.all([auth.close(), auth.close()]);
    await expect(auth.close()).resolves.toBeUndefined();
  });
});
