import {
  type AuthServer,
  type MtlsKit,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
  type TestCertificate,
} from '@forge/testkit';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  AuthorizationCodeFlow,
  ClientCredentialsTokenProvider,
  ConfigurationError,
  DiscoveryCache,
  selfSignedTlsClientAuth,
  TokenManager,
  tlsClientAuth,
} from '../src/index.js';

let auth: AuthServer & { readonly mtls: MtlsKit };
let api: ResourceServer;
const agents: Agent[] = [];
const fast = { timeoutMs: 5_000, retry: false } as const;

/** An undici Agent that presents `certificate` and trusts the testkit's CA. */
function agentFor(certificate?: Pick<TestCertificate, 'cert' | 'key'>): Agent {
  const agent = new Agent({
    connect: {
      ca: auth.mtls.ca,
      ...(certificate && { cert: certificate.cert, key: certificate.key }),
    },
  });
  agents.push(agent);
  return agent;
}

/** Calls the mTLS resource server with `token` over `dispatcher`. */
async function callApi(token: string, dispatcher: Agent) {
  const response = await fetch(`${api.url}/orders`, {
    headers: { authorization: `Bearer ${token}` },
    dispatcher,
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  auth = await startAuthServer({ mtls: true });
  api = await startResourceServer({ auth, mtls: true });
});
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
  await api.close();
  await auth.close();
});

describe('tls_client_auth and self_signed_tls_client_auth', () => {
  it('tls_client_auth: discovers the mtls_endpoint_aliases token endpoint and gets a bound token', async () => {
    const { tls } = auth.mtls.clients;
    const provider = new ClientCredentialsTokenProvider({
      clientId: tls.clientId,
      clientAuth: 'tls_client_auth',
      issuer: auth.issuer,
      dispatcher: agentFor(tls),
      discovery: new DiscoveryCache(),
      ...fast,
    });
    expect(provider.mtls).toBe(true);
    expect(await provider.tokenEndpoint()).toBe(auth.mtls.tokenEndpoint);
    expect(await provider.tokenEndpoint()).not.toBe(auth.tokenEndpoint);
    const token = await provider.fetchToken();
    expect(token.tokenType).toBe('Bearer');
    expect(auth.tokenRequests(tls.clientId)).toBe(1);

    const right = await callApi(token.accessToken, agentFor(tls));
    expect(right).toMatchObject({ status: 200, body: { 'x5t#S256': tls.thumbprint } });
    expect((await callApi(token.accessToken, agentFor(auth.mtls.issueCertificate()))).status).toBe(
      401,
    );
    expect((await callApi(token.accessToken, agentFor())).status).toBe(401);
  });

  it('self_signed_tls_client_auth through a ClientAuth object and a TokenManager', async () => {
    const { selfSigned } = auth.mtls.clients;
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        clientAuth: selfSignedTlsClientAuth(selfSigned.clientId),
        issuer: auth.issuer,
        dispatcher: agentFor(selfSigned),
        discovery: new DiscoveryCache(),
        ...fast,
      }),
    );
    try {
      const token = await manager.getToken();
      const answer = await callApi(token.accessToken, agentFor(selfSigned));
      expect(answer).toMatchObject({
        status: 200,
        body: { client_id: selfSigned.clientId, 'x5t#S256': selfSigned.thumbprint },
      });
    } finally {
      await manager.close();
    }
  });

  it('works with the mTLS token endpoint given directly, and with a fetch that presents the certificate', async () => {
    const { tls } = auth.mtls.clients;
    const dispatcher = agentFor(tls);
    const provider = new ClientCredentialsTokenProvider({
      clientAuth: tlsClientAuth(tls.clientId),
      tokenEndpoint: auth.mtls.tokenEndpoint,
      fetch: (input, init) => fetch(input, { ...init, dispatcher } as RequestInit),
      ...fast,
    });
    const token = await provider.fetchToken();
    expect((await callApi(token.accessToken, dispatcher)).status).toBe(200);
  });

  it('mtls: true binds the tokens of a client that authenticates otherwise', async () => {
    await auth.registerClient({
      client_id: 'secret-mtls-client',
      client_secret: 'secret-mtls-secret',
      tls_client_certificate_bound_access_tokens: true,
    });
    const certificate = auth.mtls.issueCertificate('secret-mtls-client');
    const provider = new ClientCredentialsTokenProvider({
      clientId: 'secret-mtls-client',
      clientSecret: 'secret-mtls-secret',
      mtls: true,
      issuer: auth.issuer,
      dispatcher: agentFor(certificate),
      discovery: new DiscoveryCache(),
      ...fast,
    });
    expect(await provider.tokenEndpoint()).toBe(auth.mtls.tokenEndpoint);
    const token = await provider.fetchToken();
    const answer = await callApi(token.accessToken, agentFor(certificate));
    expect(answer).toMatchObject({ status: 200, body: { 'x5t#S256': certificate.thumbprint } });
  });

  it('the code flow and its refresh go to the alias with the certificate; both tokens are bound', async () => {
    const { tls } = auth.mtls.clients;
    const flow = new AuthorizationCodeFlow({
      clientAuth: tlsClientAuth(tls.clientId),
      issuer: auth.issuer,
      redirectUri: auth.redirectUri,
      scope: 'openid offline_access read',
      dispatcher: agentFor(tls),
      discovery: new DiscoveryCache(),
      ...fast,
    });
    const users = new TokenManager(flow);
    try {
      const { url, codeVerifier } = await flow.authorizationUrl();
      const { code } = await auth.authorize(url, { user: 'alice' });
      const stored = await flow.completeAuthorization(users, 'alice', { code, codeVerifier });
      expect(stored.refreshToken).toBeTruthy();
      const refreshes = auth.tokenRequests({ grantType: 'refresh_token', status: 200 });
      const refreshed = await users.forceRefresh('alice');
      expect(auth.tokenRequests({ grantType: 'refresh_token', status: 200 })).toBe(refreshes + 1);
      for (const token of [stored, refreshed]) {
        const answer = await callApi(token.accessToken, agentFor(tls));
        expect(answer).toMatchObject({
          status: 200,
          body: { sub: 'alice', 'x5t#S256': tls.thumbprint },
        });
      }
      expect((await callApi(refreshed.accessToken, agentFor())).status).toBe(401);
    } finally {
      await users.close();
    }
  });

  it('a client without mTLS keeps the regular token endpoint when aliases exist', async () => {
    const provider = new ClientCredentialsTokenProvider({
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      issuer: auth.issuer,
      discovery: new DiscoveryCache(),
      ...fast,
    });
    expect(provider.mtls).toBe(false);
    expect(await provider.tokenEndpoint()).toBe(auth.tokenEndpoint);
  });

  it('a certificate the server does not know is invalid_client, and the error holds no key', async () => {
    const { tls } = auth.mtls.clients;
    const stranger = auth.mtls.issueCertificate('stranger');
    const provider = new ClientCredentialsTokenProvider({
      clientId: tls.clientId,
      clientAuth: 'tls_client_auth',
      issuer: auth.issuer,
      dispatcher: agentFor(stranger),
      discovery: new DiscoveryCache(),
      ...fast,
    });
    const error = await provider.fetchToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).error).toBe('invalid_client');
    const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
    const keyBody = stranger.key.split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(20);
    expect(shown).not.toContain(keyBody);
    expect(shown).not.toContain('PRIVATE KEY');
  });
});

describe('configuration', () => {
  it('a certificate method without a transport that presents a certificate is a ConfigurationError', () => {
    for (const clientAuth of ['tls_client_auth', 'self_signed_tls_client_auth'] as const) {
      const build = () =>
        new ClientCredentialsTokenProvider({ clientId: 'svc', clientAuth, issuer: auth.issuer });
      expect(build).toThrow(ConfigurationError);
      expect(build).toThrow(/dispatcher: new Agent\(\{ connect: \{ cert, key \} \}\)/);
      expect(build).toThrow(/Browsers cannot present/);
    }
    expect(
      () =>
        new ClientCredentialsTokenProvider({
          clientId: 'svc',
          mtls: true,
          tokenEndpoint: auth.tokenEndpoint,
        }),
    ).toThrow(/`mtls: true` needs a transport/);
  });

  it('rejects mtls: false with a certificate method, and a dispatcher that is not one', () => {
    const dispatcher = agentFor(auth.mtls.clients.tls);
    expect(
      () =>
        new ClientCredentialsTokenProvider({
          clientAuth: tlsClientAuth('svc'),
          mtls: false,
          dispatcher,
          issuer: auth.issuer,
        }),
    ).toThrow(/`mtls`.*authenticates with a TLS client certificate/);
    expect(
      () =>
        new ClientCredentialsTokenProvider({
          clientAuth: tlsClientAuth('svc'),
          dispatcher: { cert: 'x' } as never,
          issuer: auth.issuer,
        }),
    ).toThrow(/`dispatcher`: must be an undici dispatcher/);
  });
});
