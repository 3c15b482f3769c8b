import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthServer, startAuthServer, TokenType } from '../src/index.js';
import { accessToken, basicAuth, tokenRequest } from './helpers.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

let auth: AuthServer;
beforeAll(async () => {
  auth = await startAuthServer({ accessTokenTtlSeconds: 300 });
});
afterAll(() => auth.close());

describe('password grant', () => {
  it('issues an access and a refresh token for a known user', async () => {
    const res = await tokenRequest(
      auth,
      { grant_type: 'password', username: 'alice', password: 'alice-password', scope: 'read' },
      auth.clients.basic,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'read' });
    expect(typeof res.body.refresh_token).toBe('string');
  });

  it('a wrong password or unknown user is invalid_grant', async () => {
    for (const [username, password] of [
      ['alice', 'nope'],
      ['mallory', 'alice-password'],
    ] as const) {
      const res = await tokenRequest(
        auth,
        { grant_type: 'password', username, password },
        auth.clients.basic,
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
  });

  it('missing username is invalid_request', async () => {
    const res = await tokenRequest(
      auth,
      { grant_type: 'password', password: 'x' },
      auth.clients.basic,
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('uses the configured users', async () => {
    const custom = await startAuthServer({ users: [{ username: 'carol', password: 'p@ss w:rd' }] });
    try {
      const ok = await tokenRequest(
        custom,
        { grant_type: 'password', username: 'carol', password: 'p@ss w:rd' },
        custom.clients.basic,
      );
      const gone = await tokenRequest(
        custom,
        { grant_type: 'password', username: 'alice', password: 'alice-password' },
        custom.clients.basic,
      );
      expect(ok.status).toBe(200);
      expect(gone.status).toBe(400);
    } finally {
      await custom.close();
    }
  });
});

describe('refresh tokens', () => {
  async function passwordTokens(server: AuthServer) {
    const res = await tokenRequest(
      server,
      { grant_type: 'password', username: 'bob', password: 'bob-password', scope: 'read write' },
      server.clients.basic,
    );
    return res.body as { access_token: string; refresh_token: string };
  }

  it('rotate: each refresh returns a new refresh token and the old one is rejected', async () => {
    const first = await passwordTokens(auth);
    const second = await tokenRequest(
      auth,
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      auth.clients.basic,
    );
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).toEqual(expect.any(String));
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(second.body.access_token).not.toBe(first.access_token);
    expect(second.body.scope).toBe('read write');

    const reuse = await tokenRequest(
      auth,
      { grant_type: 'refresh_token', refresh_token: first.refresh_token },
      auth.clients.basic,
    );
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    // Reuse of a rotated token revokes the whole grant (RFC 9700 §4.14.2): the new one dies too.
    const afterReuse = await tokenRequest(
      auth,
      { grant_type: 'refresh_token', refresh_token: String(second.body.refresh_token) },
      auth.clients.basic,
    );
    expect(afterReuse.body.error).toBe('invalid_grant');
  });

  it('without rotation the same refresh token keeps working', async () => {
    const fixed = await startAuthServer({ rotateRefreshTokens: false });
    try {
      const first = await passwordTokens(fixed);
      for (let i = 0; i < 2; i += 1) {
        const res = await tokenRequest(
          fixed,
          { grant_type: 'refresh_token', refresh_token: first.refresh_token },
          fixed.clients.basic,
        );
        expect(res.status).toBe(200);
        expect(res.body.refresh_token).toBe(first.refresh_token);
      }
    } finally {
      await fixed.close();
    }
  });

  it('a refresh token belongs to its client', async () => {
    const first = await passwordTokens(auth);
    const res = await tokenRequest(auth, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: auth.clients.post.clientId,
      client_secret: auth.clients.post.clientSecret,
    });
    expect(res.body.error).toBe('invalid_grant');
  });

  it('a garbage refresh token is invalid_grant', async () => {
    const res = await tokenRequest(
      auth,
      { grant_type: 'refresh_token', refresh_token: 'not-a-token' },
      auth.clients.basic,
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });
});

describe('authorization code with PKCE', () => {
  it('public client: authorize headlessly, exchange the code with the verifier, then refresh', async () => {
    const { verifier, challenge } = pkce();
    const client = auth.clients.public;
    const result = await auth.authorize({
      clientId: client.clientId,
      redirectUri: client.redirectUri,
      codeChallenge: challenge,
      state: 'state-123',
      scope: 'openid read',
      user: 'bob',
    });
    expect(result.state).toBe('state-123');
    expect(result.iss).toBe(auth.issuer);
    expect(result.callbackUrl.startsWith(client.redirectUri)).toBe(true);

    const res = await tokenRequest(auth, {
      grant_type: 'authorization_code',
      code: result.code,
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
      client_id: client.clientId,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'openid read' });
    expect(typeof res.body.id_token).toBe('string');
    const refreshed = await tokenRequest(auth, {
      grant_type: 'refresh_token',
      refresh_token: String(res.body.refresh_token),
      client_id: client.clientId,
    });
    expect(refreshed.status).toBe(200);
  });

  it('a code is single use, and a wrong verifier is invalid_grant', async () => {
    const { verifier, challenge } = pkce();
    const client = auth.clients.public;
    const { code } = await auth.authorize({ clientId: client.clientId, codeChallenge: challenge });
    const wrong = await tokenRequest(auth, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUri,
      code_verifier: pkce().verifier,
      client_id: client.clientId,
    });
    expect(wrong.body.error).toBe('invalid_grant');
    const { code: second } = await auth.authorize({
      clientId: client.clientId,
      codeChallenge: challenge,
    });
    const params = {
      grant_type: 'authorization_code',
      code: second,
      redirect_uri: client.redirectUri,
      code_verifier: verifier,
      client_id: client.clientId,
    };
    expect((await tokenRequest(auth, params)).status).toBe(200);
    expect((await tokenRequest(auth, params)).body.error).toBe('invalid_grant');
  });

  it('drives an authorization URL built elsewhere (as a client library would build it)', async () => {
    const { verifier, challenge } = pkce();
    const client = auth.clients.confidential;
    const url = new URL(auth.authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: client.redirectUri,
      scope: 'read',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const { code, state } = await auth.authorize(url.href, { user: 'alice' });
    expect(state).toBe('s');
    const res = await tokenRequest(
      auth,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: client.redirectUri,
        code_verifier: verifier,
      },
      client,
    );
    expect(res.status).toBe(200);
    expect(typeof res.body.refresh_token).toBe('string');
  });

  it('the public client must use PKCE; wrong credentials never yield a code', async () => {
    await expect(auth.authorize({ clientId: auth.clients.public.clientId })).rejects.toThrow(
      /invalid_request/,
    );
    await expect(
      auth.authorize({
        clientId: auth.clients.confidential.clientId,
        user: { username: 'alice', password: 'wrong' },
      }),
    ).rejects.toThrow(/401/);
    await expect(
      auth.authorize({ clientId: auth.clients.confidential.clientId, user: 'nobody' }),
    ).rejects.toThrow(/no user named/);
  });
});

describe('token exchange (RFC 8693)', () => {
  it('exchanges a JWT from the trusted issuer for an access token for the same subject', async () => {
    const subjectToken = await auth.tokenExchange.createSubjectToken({ subject: 'user-42' });
    const res = await tokenRequest(
      auth,
      {
        grant_type: TOKEN_EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: TokenType.Jwt,
        audience: 'https://downstream.example.test',
        scope: 'read',
      },
      auth.clients.basic,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issued_token_type: TokenType.AccessToken,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'read',
    });
    const introspection = await fetch(auth.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuth(auth.clients.basic.clientId, auth.clients.basic.clientSecret),
      },
      body: new URLSearchParams({ token: accessToken(res) }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, sub: 'user-42' });
  });

  it('exchanges an access token this server issued', async () => {
    const user = await tokenRequest(
      auth,
      { grant_type: 'password', username: 'alice', password: 'alice-password' },
      auth.clients.basic,
    );
    const res = await tokenRequest(auth, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: accessToken(user),
      subject_token_type: TokenType.AccessToken,
      client_id: auth.clients.post.clientId,
      client_secret: auth.clients.post.clientSecret,
    });
    expect(res.status).toBe(200);
    expect(accessToken(res)).not.toBe(accessToken(user));
  });

  it('rejects tampered, expired, mis-addressed and unknown subject tokens with invalid_grant', async () => {
    const good = await auth.tokenExchange.createSubjectToken({ subject: 'x' });
    const cases = [
      [
        `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.from('x'.repeat(64)).toString('base64url')}`,
        TokenType.Jwt,
      ],
      [
        await auth.tokenExchange.createSubjectToken({ subject: 'x', expiresInSeconds: -60 }),
        TokenType.Jwt,
      ],
      [
        await auth.tokenExchange.createSubjectToken({
          subject: 'x',
          audience: 'https://elsewhere',
        }),
        TokenType.Jwt,
      ],
      ['unknown-access-token', TokenType.AccessToken],
    ] as const;
    for (const [token, type] of cases) {
      const res = await tokenRequest(
        auth,
        { grant_type: TOKEN_EXCHANGE, subject_token: token, subject_token_type: type },
        auth.clients.basic,
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
  });

  it('rejects an unsupported subject_token_type or requested_token_type with invalid_request', async () => {
    const subjectToken = await auth.tokenExchange.createSubjectToken({ subject: 'u' });
    const cases: Record<string, string>[] = [
      { subject_token_type: 'urn:example:unknown' },
      { subject_token_type: TokenType.Jwt, requested_token_type: TokenType.IdToken },
    ];
    for (const extra of cases) {
      const res = await tokenRequest(
        auth,
        { grant_type: TOKEN_EXCHANGE, subject_token: subjectToken, ...extra },
        auth.clients.basic,
      );
      expect(res.body.error).toBe('invalid_request');
    }
  });
});

describe('JWT bearer (RFC 7523)', () => {
  it('exchanges a signed assertion for an access token', async () => {
    const assertion = await auth.jwtBearer.createAssertion({ subject: 'service-7' });
    const res = await tokenRequest(
      auth,
      { grant_type: JWT_BEARER, assertion, scope: 'write' },
      auth.clients.basic,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'write', expires_in: 300 });
  });

  it('accepts the token endpoint as audience', async () => {
    const assertion = await auth.jwtBearer.createAssertion({
      subject: 's',
      audience: auth.tokenEndpoint,
    });
    const res = await tokenRequest(auth, { grant_type: JWT_BEARER, assertion }, auth.clients.basic);
    expect(res.status).toBe(200);
  });

  it('rejects expired, mis-addressed and tampered assertions with invalid_grant', async () => {
    const good = await auth.jwtBearer.createAssertion({ subject: 's' });
    const assertions = [
      await auth.jwtBearer.createAssertion({ subject: 's', expiresInSeconds: -60 }),
      await auth.jwtBearer.createAssertion({ subject: 's', audience: 'https://other.example' }),
      `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.from('x'.repeat(64)).toString('base64url')}`,
    ];
    for (const assertion of assertions) {
      const res = await tokenRequest(
        auth,
        { grant_type: JWT_BEARER, assertion },
        auth.clients.basic,
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_grant');
    }
    const missing = await tokenRequest(auth, { grant_type: JWT_BEARER }, auth.clients.basic);
    expect(missing.body.error).toBe('invalid_request');
  });
});
