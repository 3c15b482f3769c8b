import { inspect } from 'node:util';
import { type AuthServer, startAuthServer, TokenType } from '@forge/testkit';
import { importJWK, importPKCS8 } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  AuthorizationCodeFlow,
  type ClientAuth,
  ClientCredentialsTokenProvider,
  clientSecretBasic,
  clientSecretJwt,
  clientSecretPost,
  DiscoveryCache,
  JwtBearerTokenProvider,
  none,
  PasswordGrantTokenProvider,
  privateKeyJwt,
  RefreshTokenProvider,
  type Token,
  TokenEndpointError,
  TokenExchangeProvider,
  TokenManager,
} from '../src/index.js';

let auth: AuthServer;
const fast = { timeoutMs: 2_000, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } };

beforeAll(async () => {
  auth = await startAuthServer({ accessTokenTtlSeconds: 300 });
});
afterAll(async () => {
  await auth.close();
});
afterEach(() => {
  auth.faults.clear();
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

function expectUsable(token: Token, before: number): void {
  expect(token.accessToken.length).toBeGreaterThan(10);
  expect(token.tokenType).toBe('Bearer');
  expect(token.expiresAtMs).toBeGreaterThanOrEqual(before + 299_000);
  expect(token.expiresAtMs).toBeLessThanOrEqual(Date.now() + 300_000);
}

/** Every client authentication method, for the clients the testkit registered. */
async function clientAuths(): Promise<[string, ClientAuth][]> {
  const { basic, post, secretJwt, privateKeyJwt: pkj } = auth.clients;
  return [
    ['client_secret_basic', clientSecretBasic(basic.clientId, basic.clientSecret)],
    ['client_secret_post', clientSecretPost(post.clientId, post.clientSecret)],
    ['client_secret_jwt', clientSecretJwt(secretJwt.clientId, secretJwt.clientSecret)],
    ['private_key_jwt (PEM)', privateKeyJwt(pkj.clientId, pkj.privateKeyPem, { kid: pkj.kid })],
    ['private_key_jwt (JWK)', privateKeyJwt(pkj.clientId, pkj.privateJwk)],
    [
      'private_key_jwt (CryptoKey)',
      privateKeyJwt(pkj.clientId, (await importPKCS8(pkj.privateKeyPem, 'ES256')) as CryptoKey, {
        kid: pkj.kid,
      }),
    ],
    [
      'client_secret_jwt (aud = issuer)',
      clientSecretJwt(secretJwt.clientId, secretJwt.clientSecret, { audience: 'issuer' }),
    ],
  ];
}

describe('client authentication methods against oidc-provider', () => {
  it('every method obtains a real client credentials token', async () => {
    for (const [name, clientAuth] of await clientAuths()) {
      const before = Date.now();
      const count = auth.tokenRequests(clientAuth.clientId);
      const token = await new ClientCredentialsTokenProvider({
        clientAuth,
        issuer: auth.issuer,
        scope: 'read',
        ...fast,
      }).fetchToken();
      expectUsable(token, before);
      expect(token.scope, name).toBe('read');
      expect(auth.tokenRequests(clientAuth.clientId), name).toBe(count + 1);
    }
  });

  it('method names on the provider options work too', async () => {
    const { basic, post, secretJwt, privateKeyJwt: pkj } = auth.clients;
    const providers = [
      { clientId: basic.clientId, clientSecret: basic.clientSecret },
      {
        clientId: post.clientId,
        clientSecret: post.clientSecret,
        clientAuth: 'client_secret_post',
      },
      {
        clientId: secretJwt.clientId,
        clientSecret: secretJwt.clientSecret,
        clientAuth: 'client_secret_jwt',
      },
      { clientId: pkj.clientId, privateKey: pkj.privateJwk },
    ] as const;
    for (const options of providers) {
      const token = await new ClientCredentialsTokenProvider({
        ...options,
        tokenEndpoint: auth.tokenEndpoint,
      }).fetchToken();
      expect(token.accessToken).toBeTruthy();
    }
  });

  it('a wrong secret is invalid_client for every secret method, and the secret never shows', async () => {
    const wrong = 'wrong-secret-Zq9:/+ %';
    const { basic, post, secretJwt } = auth.clients;
    for (const clientAuth of [
      clientSecretBasic(basic.clientId, wrong),
      clientSecretPost(post.clientId, wrong),
      clientSecretJwt(secretJwt.clientId, wrong),
    ]) {
      const error = await failure(
        new ClientCredentialsTokenProvider({
          clientAuth,
          tokenEndpoint: auth.tokenEndpoint,
        }).fetchToken(),
      );
      expect(error, clientAuth.method).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).error).toBe('invalid_client');
      expect((error as AuthenticationError).status).toBe(401);
      expect((error as AuthenticationError).serviceName).toBe(clientAuth.clientId);
      expect(`${error.message} ${inspect(error)}`).not.toContain(wrong);
    }
  });

  it('a private key the server does not know is invalid_client', async () => {
    const { privateKeyJwt: pkj, jwtBearer } = { ...auth.clients, jwtBearer: auth.jwtBearer };
    const error = await failure(
      new ClientCredentialsTokenProvider({
        clientAuth: privateKeyJwt(pkj.clientId, jwtBearer.trustedIssuer.key.privateKeyPem),
        tokenEndpoint: auth.tokenEndpoint,
      }).fetchToken(),
    );
    expect((error as AuthenticationError).error).toBe('invalid_client');
    expect(error.message).not.toContain('PRIVATE KEY');
  });
});

describe('ClientCredentialsTokenProvider', () => {
  it('discovers the token endpoint from the issuer once, for many providers', async () => {
    const discovery = new DiscoveryCache();
    const { basic } = auth.clients;
    const make = () =>
      new ClientCredentialsTokenProvider({ ...basic, issuer: auth.issuer, discovery });
    const [a, b] = await Promise.all([make().tokenEndpoint(), make().tokenEndpoint()]);
    expect(a).toBe(auth.tokenEndpoint);
    expect(b).toBe(auth.tokenEndpoint);
  });

  it('serves several scopes through one manager, one token each', async () => {
    const { basic } = auth.clients;
    const provider = new ClientCredentialsTokenProvider({
      serviceName: 'multi',
      clientId: basic.clientId,
      clientSecret: basic.clientSecret,
      tokenEndpoint: auth.tokenEndpoint,
    });
    const manager = new TokenManager(provider);
    try {
      const before = auth.tokenRequests(basic.clientId);
      const [read1, read2, write] = await Promise.all([
        manager.getToken({ scope: 'read' }),
        manager.getToken({ scope: 'read' }),
        manager.getToken({ scope: 'write' }),
      ]);
      expect(read1).toBe(read2);
      expect(read1.scope).toBe('read');
      expect(write.scope).toBe('write');
      expect(auth.tokenRequests(basic.clientId)).toBe(before + 2);
      expect(await provider.cacheKey({ scope: 'write read' })).toBe(
        await provider.cacheKey({ scope: ['read', 'write'] }),
      );
      expect(provider.cacheKey({ scope: 'read' })).not.toBe(provider.cacheKey({ scope: 'write' }));
    } finally {
      await manager.close();
    }
  });

  it('sends a resource indicator the server accepts, and keeps secrets out of inspect', async () => {
    const { basic } = auth.clients;
    const provider = new ClientCredentialsTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      resource: 'https://api.example/',
      scope: 'read',
    });
    const shown = `${inspect(provider, { showHidden: true, depth: 10 })} ${JSON.stringify(provider)} ${String(provider)}`;
    expect(shown).not.toContain(basic.clientSecret);
    expect(shown).toContain(basic.clientId);
    const token = await provider.fetchToken();
    expect(token.accessToken).toBeTruthy();
  });

  it('server faults: 500 then recovery is retried; malformed JSON, HTML, hang, unreachable are typed', async () => {
    const { basic } = auth.clients;
    const provider = new ClientCredentialsTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      timeoutMs: 200,
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    });
    auth.faults.set({ mode: 'status500', times: 1 });
    expect((await provider.fetchToken()).accessToken).toBeTruthy();

    auth.faults.set({ mode: 'status429', retryAfter: '0', times: 2 });
    expect((await provider.fetchToken()).accessToken).toBeTruthy();

    auth.faults.set({ mode: 'malformed-json' });
    expect(((await failure(provider.fetchToken())) as TokenEndpointError).reason).toBe('malformed');

    auth.faults.set({ mode: 'html' });
    const html = (await failure(provider.fetchToken())) as TokenEndpointError;
    expect(html.reason).toBe('server');
    expect(html.status).toBe(502);

    auth.faults.set({ mode: 'reset' });
    expect(((await failure(provider.fetchToken())) as TokenEndpointError).reason).toBe('network');

    auth.faults.set({ mode: 'hang' });
    const started = Date.now();
    const timeout = (await failure(provider.fetchToken())) as TokenEndpointError;
    expect(timeout.reason).toBe('timeout');
    // Three 200 ms attempts; without the timeout the hang never ends (margin for a busy CI).
    expect(Date.now() - started).toBeLessThan(6_000);
    for (const error of [html, timeout]) expect(error.message).not.toContain(basic.clientSecret);
  });

  it('an unreachable server is a network TokenEndpointError with no secret', async () => {
    const gone = await startAuthServer();
    const endpoint = gone.tokenEndpoint;
    const { basic } = gone.clients;
    await gone.close();
    const error = await failure(
      new ClientCredentialsTokenProvider({
        ...basic,
        tokenEndpoint: endpoint,
        ...fast,
      }).fetchToken(),
    );
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).reason).toBe('network');
    expect(error.message).not.toContain(basic.clientSecret);
  });
});

describe('PasswordGrantTokenProvider and refresh', () => {
  it('obtains a user token with a refresh token, and refreshes it with the refresh grant', async () => {
    const { post } = auth.clients;
    const provider = new PasswordGrantTokenProvider({
      clientId: post.clientId,
      clientSecret: post.clientSecret,
      clientAuth: 'client_secret_post',
      issuer: auth.issuer,
      username: 'alice',
      password: 'alice-password',
      scope: 'read offline_access',
    });
    const before = Date.now();
    const token = await provider.fetchToken();
    expectUsable(token, before);
    expect(token.refreshToken).toBeTruthy();
    const grants = auth.tokenRequestsByGrantType().refresh_token ?? 0;
    const refreshed = await provider.refreshToken(token);
    expect(refreshed.accessToken).not.toBe(token.accessToken);
    expect(refreshed.refreshToken).toBeTruthy();
    expect(refreshed.refreshToken).not.toBe(token.refreshToken);
    expect(auth.tokenRequestsByGrantType().refresh_token).toBe(grants + 1);

    // Rotation is on: the used refresh token is now invalid_grant, which the manager answers with fetchToken.
    const reused = await failure(provider.refreshToken(token));
    expect((reused as AuthenticationError).error).toBe('invalid_grant');
    expect(reused.message).not.toContain(token.refreshToken as string);
    expect(inspect(provider)).not.toContain('alice-password');
  });

  it('a wrong password is invalid_grant without the password in the message', async () => {
    const { basic } = auth.clients;
    const error = await failure(
      new PasswordGrantTokenProvider({
        ...basic,
        tokenEndpoint: auth.tokenEndpoint,
        username: 'alice',
        password: 'not-alices-password',
      }).fetchToken(),
    );
    expect((error as AuthenticationError).error).toBe('invalid_grant');
    expect(error.message).not.toContain('not-alices-password');
  });

  it('a wrong client secret is invalid_client', async () => {
    const { basic } = auth.clients;
    const error = await failure(
      new PasswordGrantTokenProvider({
        clientId: basic.clientId,
        clientSecret: 'definitely-wrong-secret',
        tokenEndpoint: auth.tokenEndpoint,
        username: 'alice',
        password: 'alice-password',
      }).fetchToken(),
    );
    expect((error as AuthenticationError).error).toBe('invalid_client');
    expect(error.message).not.toContain('definitely-wrong-secret');
  });
});

describe('RefreshTokenProvider', () => {
  async function freshRefreshToken(): Promise<string> {
    const { basic } = auth.clients;
    const token = await new PasswordGrantTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      username: 'bob',
      password: 'bob-password',
      scope: 'offline_access read',
    }).fetchToken();
    return token.refreshToken as string;
  }

  it('follows rotation: each call uses the newest refresh token', async () => {
    const { basic } = auth.clients;
    const provider = new RefreshTokenProvider({
      ...basic,
      issuer: auth.issuer,
      refreshToken: await freshRefreshToken(),
    });
    const first = await provider.fetchToken();
    const second = await provider.fetchToken();
    const third = await provider.refreshToken(second);
    for (const token of [first, second, third]) expect(token.accessToken).toBeTruthy();
    expect(new Set([first.refreshToken, second.refreshToken, third.refreshToken]).size).toBe(3);
  });

  it('a revoked or used refresh token is invalid_grant with no token in the message', async () => {
    const { basic } = auth.clients;
    const refreshToken = await freshRefreshToken();
    await new RefreshTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      refreshToken,
    }).fetchToken();
    const error = await failure(
      new RefreshTokenProvider({
        ...basic,
        tokenEndpoint: auth.tokenEndpoint,
        refreshToken,
      }).fetchToken(),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).error).toBe('invalid_grant');
    expect(error.message).not.toContain(refreshToken);
  });

  it('in a manager: invalid_grant on refresh falls back to the primary grant', async () => {
    const { basic } = auth.clients;
    const provider = new PasswordGrantTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      username: 'alice',
      password: 'alice-password',
      scope: 'offline_access',
    });
    const manager = new TokenManager(provider);
    try {
      const first = await manager.getToken();
      // Use the stored refresh token behind the manager's back: rotation makes its copy invalid.
      await provider.refreshToken(first);
      const before = auth.tokenRequestsByGrantType();
      const next = await manager.forceRefresh();
      const after = auth.tokenRequestsByGrantType();
      expect(next.accessToken).not.toBe(first.accessToken);
      expect(after.refresh_token).toBe((before.refresh_token ?? 0) + 1);
      expect(after.password).toBe((before.password ?? 0) + 1);
    } finally {
      await manager.close();
    }
  });
});

describe('JwtBearerTokenProvider (RFC 7523)', () => {
  it('exchanges an assertion from a callback', async () => {
    const { basic } = auth.clients;
    const provider = new JwtBearerTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      assertion: ({ tokenEndpoint }) =>
        auth.jwtBearer.createAssertion({ subject: 'alice', audience: tokenEndpoint }),
      scope: 'read',
    });
    const token = await provider.fetchToken();
    expect(token.accessToken).toBeTruthy();
    expect(token.scope).toBe('read');
  });

  it('signs its own assertion with a PEM or a JWK key', async () => {
    const { post } = auth.clients;
    const trusted = auth.jwtBearer.trustedIssuer;
    for (const key of [trusted.key.privateKeyPem, trusted.key.privateJwk]) {
      const provider = new JwtBearerTokenProvider({
        clientId: post.clientId,
        clientSecret: post.clientSecret,
        clientAuth: 'client_secret_post',
        issuer: auth.issuer,
        signer: { key, issuer: trusted.issuer, subject: 'bob' },
      });
      expect((await provider.fetchToken()).accessToken).toBeTruthy();
      expect(inspect(provider, { showHidden: true })).not.toContain('PRIVATE KEY');
    }
  });

  it('an assertion signed by an unknown key is invalid_grant with no assertion in the message', async () => {
    const { basic, privateKeyJwt: pkj } = auth.clients;
    let sent = '';
    const provider = new JwtBearerTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      assertion: async ({ tokenEndpoint }) => {
        const { SignJWT } = await import('jose');
        sent = await new SignJWT({})
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(auth.jwtBearer.trustedIssuer.issuer)
          .setSubject('alice')
          .setAudience(tokenEndpoint)
          .setExpirationTime('1m')
          .sign(await importJWK(pkj.privateJwk, 'ES256'));
        return sent;
      },
    });
    const error = await failure(provider.fetchToken());
    expect((error as AuthenticationError).error).toBe('invalid_grant');
    expect(sent.length).toBeGreaterThan(20);
    expect(error.message).not.toContain(sent);
  });

  it('a wrong client secret is invalid_client', async () => {
    const { basic } = auth.clients;
    const error = await failure(
      new JwtBearerTokenProvider({
        clientId: basic.clientId,
        clientSecret: 'wrong-secret-for-bearer',
        tokenEndpoint: auth.tokenEndpoint,
        assertion: () => auth.jwtBearer.createAssertion({ subject: 'alice' }),
      }).fetchToken(),
    );
    expect((error as AuthenticationError).error).toBe('invalid_client');
    expect(error.message).not.toContain('wrong-secret-for-bearer');
  });
});

describe('TokenExchangeProvider (RFC 8693)', () => {
  it('exchanges subject tokens, one cached token per subject, keys without the token', async () => {
    const { basic } = auth.clients;
    const provider = new TokenExchangeProvider({
      serviceName: 'downstream',
      ...basic,
      issuer: auth.issuer,
      audience: auth.issuer,
      scope: 'read',
    });
    const manager = new TokenManager(provider);
    try {
      const alice = await auth.tokenExchange.createSubjectToken({ subject: 'alice' });
      const bob = await auth.tokenExchange.createSubjectToken({ subject: 'bob' });
      const before = auth.tokenRequests(basic.clientId);
      const [a1, a2, b1] = await Promise.all([
        manager.getToken({ subjectToken: alice, subjectTokenType: TokenType.Jwt }),
        manager.getToken({ subjectToken: alice, subjectTokenType: TokenType.Jwt }),
        manager.getToken({ subjectToken: bob, subjectTokenType: TokenType.Jwt }),
      ]);
      expect(a1).toBe(a2);
      expect(a1.accessToken).not.toBe(b1.accessToken);
      expect(auth.tokenRequests(basic.clientId)).toBe(before + 2);
      const key = await provider.cacheKey({ subjectToken: alice, subjectTokenType: TokenType.Jwt });
      expect(key).not.toContain(alice);
      expect(key).toMatch(/^downstream:basic-client:xchg:[0-9a-f]{64}$/);
      expect(await provider.cacheKey({ subjectToken: alice, scope: 'write' })).not.toBe(
        await provider.cacheKey({ subjectToken: alice, scope: 'read' }),
      );
    } finally {
      await manager.close();
    }
  });

  it('exchanges an access token issued by the same server', async () => {
    const { basic, post } = auth.clients;
    const subject = await new PasswordGrantTokenProvider({
      ...basic,
      tokenEndpoint: auth.tokenEndpoint,
      username: 'alice',
      password: 'alice-password',
    }).fetchToken();
    const exchanged = await new TokenExchangeProvider({
      clientId: post.clientId,
      clientSecret: post.clientSecret,
      clientAuth: 'client_secret_post',
      tokenEndpoint: auth.tokenEndpoint,
    }).fetchToken({ subjectToken: subject.accessToken });
    expect(exchanged.accessToken).toBeTruthy();
    expect(exchanged.accessToken).not.toBe(subject.accessToken);
  });

  it('an invalid subject token is invalid_grant without the token in the message', async () => {
    const { basic } = auth.clients;
    const bogus = 'bogus-subject-token-value-123';
    const error = await failure(
      new TokenExchangeProvider({ ...basic, tokenEndpoint: auth.tokenEndpoint }).fetchToken({
        subjectToken: bogus,
      }),
    );
    expect((error as AuthenticationError).error).toBe('invalid_grant');
    expect(error.message).not.toContain(bogus);
  });
});

describe('AuthorizationCodeFlow (PKCE)', () => {
  function flowFor(client: 'confidential' | 'public') {
    const registered = auth.clients[client];
    return new AuthorizationCodeFlow({
      serviceName: `calendar-${client}`,
      ...(client === 'confidential'
        ? { clientId: registered.clientId, clientSecret: auth.clients.confidential.clientSecret }
        : { clientAuth: none(registered.clientId) }),
      issuer: auth.issuer,
      redirectUri: registered.redirectUri,
      scope: 'openid offline_access read',
    });
  }

  it('builds an S256 authorization URL with a random state', async () => {
    const flow = flowFor('public');
    const a = await flow.authorizationUrl();
    const b = await flow.authorizationUrl({ state: 'given-state' });
    const url = new URL(a.url);
    expect(`${url.origin}${url.pathname}`).toBe(auth.authorizationEndpoint);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe('public-client');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBe(a.state);
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.url).not.toContain(a.codeVerifier);
    expect(a.state).not.toBe((await flow.authorizationUrl()).state);
    expect(b.state).toBe('given-state');
  });

  for (const client of ['confidential', 'public'] as const) {
    it(`stores a user's token in the manager and refreshes it (${client} client)`, async () => {
      const flow = flowFor(client);
      const users = new TokenManager(flow);
      try {
        const { url, state, codeVerifier } = await flow.authorizationUrl();
        const callback = await auth.authorize(url, { user: 'alice' });
        expect(callback.state).toBe(state);
        const stored = await flow.completeAuthorization(users, 'user-1', {
          code: callback.code,
          codeVerifier,
        });
        expect(stored.refreshToken).toBeTruthy();
        const before = auth.tokenRequests();
        expect(await users.getToken('user-1')).toBe(stored);
        expect(auth.tokenRequests()).toBe(before);

        const refreshed = await users.forceRefresh('user-1');
        expect(refreshed.accessToken).not.toBe(stored.accessToken);
        expect(auth.tokenRequests()).toBe(before + 1);

        const unknown = await failure(users.getToken('user-2'));
        expect(unknown).toBeInstanceOf(AuthenticationError);
        expect((unknown as AuthenticationError).error).toBe('authorization_required');
        expect(unknown.message).toContain('run the authorization flow');
      } finally {
        await users.close();
      }
    });
  }

  it('a wrong code verifier or a reused code is invalid_grant without the code in the message', async () => {
    const flow = flowFor('public');
    const { url, codeVerifier } = await flow.authorizationUrl();
    const { code } = await auth.authorize(url);
    const wrong = await failure(flow.exchangeCode({ code, codeVerifier: `${codeVerifier}x` }));
    expect((wrong as AuthenticationError).error).toBe('invalid_grant');
    expect(wrong.message).not.toContain(code);
    const again = await flow.authorizationUrl();
    const second = await auth.authorize(again.url);
    await flow.exchangeCode({ code: second.code, codeVerifier: again.codeVerifier });
    const reused = await failure(
      flow.exchangeCode({ code: second.code, codeVerifier: again.codeVerifier }),
    );
    expect((reused as AuthenticationError).error).toBe('invalid_grant');
  });

  it('a wrong client secret is invalid_client', async () => {
    const flow = new AuthorizationCodeFlow({
      clientId: auth.clients.confidential.clientId,
      clientSecret: 'not-the-web-app-secret',
      issuer: auth.issuer,
      redirectUri: auth.redirectUri,
      scope: 'openid',
    });
    const { url, codeVerifier } = await flow.authorizationUrl();
    const { code } = await auth.authorize(url);
    const error = await failure(flow.exchangeCode({ code, codeVerifier }));
    expect((error as AuthenticationError).error).toBe('invalid_client');
    expect(error.message).not.toContain('not-the-web-app-secret');
  });
});
