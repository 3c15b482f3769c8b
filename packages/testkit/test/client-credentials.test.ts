import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthServer, startAuthServer } from '../src/index.js';
import { accessToken, basicAuth, clientSecretJwt, privateKeyJwt, tokenRequest } from './helpers.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let auth: AuthServer;
beforeAll(async () => {
  auth = await startAuthServer({ accessTokenTtlSeconds: 120 });
});
afterAll(() => auth.close());

describe('client credentials, one client per authentication method', () => {
  it('client_secret_basic with the id and secret form-urlencoded', async () => {
    const res = await tokenRequest(
      auth,
      { grant_type: 'client_credentials', scope: 'read' },
      auth.clients.basic,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'read' });
    expect(accessToken(res)).toMatch(/^\S{20,}$/);
  });

  it('client_secret_basic without form-urlencoding the secret is refused (the secret is built to catch that)', async () => {
    const { clientId, clientSecret } = auth.clients.basic;
    expect(encodeURIComponent(clientSecret)).not.toBe(clientSecret);
    const response = await fetch(auth.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    // oidc-provider cannot even decode it ("%&" is not a valid escape): 400 invalid_request.
    expect([400, 401]).toContain(response.status);
    expect(['invalid_request', 'invalid_client']).toContain(
      ((await response.json()) as { error: string }).error,
    );
  });

  it('client_secret_post', async () => {
    const { clientId, clientSecret } = auth.clients.post;
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(res.status).toBe(200);
    expect(accessToken(res)).toBeTruthy();
  });

  it('client_secret_jwt (HS256 assertion signed with the secret)', async () => {
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientSecretJwt(auth, auth.clients.secretJwt),
    });
    expect(res.status).toBe(200);
    expect(accessToken(res)).toBeTruthy();
  });

  it.each(['pem', 'jwk'] as const)('private_key_jwt with the key as %s', async (form) => {
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await privateKeyJwt(auth, auth.clients.privateKeyJwt, form),
      scope: 'read write',
    });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read write');
  });

  it('a wrong secret is invalid_client (401) for every secret method', async () => {
    const basic = await tokenRequest(
      auth,
      { grant_type: 'client_credentials' },
      {
        ...auth.clients.basic,
        clientSecret: 'wrong',
      },
    );
    const post = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_id: auth.clients.post.clientId,
      client_secret: 'wrong',
    });
    const jwt = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientSecretJwt(auth, {
        ...auth.clients.secretJwt,
        clientSecret: 'wrong',
      }),
    });
    for (const res of [basic, post, jwt]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    }
  });

  it('a client_secret_basic client may also send its secret in the body (oidc-provider treats the two secret methods alike)', async () => {
    const { clientId, clientSecret } = auth.clients.basic;
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(res.status).toBe(200);
  });

  it('a client_secret_jwt client may not authenticate with a plain secret', async () => {
    const { clientId, clientSecret } = auth.clients.secretJwt;
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('a server scope the client is not registered for is invalid_scope', async () => {
    await auth.registerClient({
      client_id: 'read-only',
      client_secret: 'read-only-secret',
      scope: 'read',
    });
    const res = await tokenRequest(
      auth,
      { grant_type: 'client_credentials', scope: 'write' },
      {
        clientId: 'read-only',
        clientSecret: 'read-only-secret',
        redirectUri: auth.redirectUri,
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_scope');
  });

  it('a resource indicator (RFC 8707) is accepted and scopes the token to it', async () => {
    const res = await tokenRequest(
      auth,
      { grant_type: 'client_credentials', scope: 'read', resource: 'https://api.example.test' },
      auth.clients.basic,
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read');
  });

  it('the public client cannot use client credentials', async () => {
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_id: auth.clients.public.clientId,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('basicAuth helper round-trips characters that need encoding', () => {
    expect(basicAuth('a b', 'c+d')).toBe(`Basic ${Buffer.from('a+b:c%2Bd').toString('base64')}`);
  });
});

describe('registerClient', () => {
  it('adds a client at runtime that can get tokens at once', async () => {
    const secret = 'marker-SECRET-1234 with space';
    await auth.registerClient({
      client_id: 'runtime-client',
      client_secret: secret,
      token_endpoint_auth_method: 'client_secret_post',
    });
    const res = await tokenRequest(auth, {
      grant_type: 'client_credentials',
      client_id: 'runtime-client',
      client_secret: secret,
    });
    expect(res.status).toBe(200);
    expect(auth.tokenRequests('runtime-client')).toBe(1);
  });

  it('rejects metadata oidc-provider rejects, naming the option', async () => {
    await expect(
      auth.registerClient({ client_id: 'bad', token_endpoint_auth_method: 'nonsense' as 'none' }),
    ).rejects.toThrow(/registerClient\(metadata\)/);
    await expect(auth.registerClient({ client_id: '' })).rejects.toThrow(/client_id/);
  });
});
