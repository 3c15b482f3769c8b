import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthServer,
  type MtlsKit,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
  type TestCertificate,
  TestkitError,
} from '../src/index.js';
import { basicAuth, callApi } from './helpers.js';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One HTTPS request with node:https, presenting `certificate` when given. */
function send(
  url: string,
  ca: string,
  certificate: Pick<TestCertificate, 'cert' | 'key'> | undefined,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        ca,
        ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}),
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text === '' ? {} : JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

function clientCredentials(
  mtls: MtlsKit,
  clientId: string,
  certificate: Pick<TestCertificate, 'cert' | 'key'> | undefined,
): Promise<Answer> {
  return send(mtls.tokenEndpoint, mtls.ca, certificate, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId }).toString(),
  });
}

let auth: AuthServer & { readonly mtls: MtlsKit };
let api: ResourceServer;
beforeAll(async () => {
  auth = await startAuthServer({ mtls: true });
  api = await startResourceServer({ auth, mtls: true });
});
afterAll(async () => {
  await api.close();
  await auth.close();
});

describe('startAuthServer({ mtls: true })', () => {
  it('publishes the HTTPS listener in discovery as mtls_endpoint_aliases', async () => {
    const metadata = (await (
      await fetch(`${auth.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(auth.mtls.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(metadata.mtls_endpoint_aliases).toEqual({
      token_endpoint: `${auth.mtls.origin}/token`,
      introspection_endpoint: `${auth.mtls.origin}/token/introspection`,
      revocation_endpoint: `${auth.mtls.origin}/token/revocation`,
    });
    expect(metadata.token_endpoint).toBe(auth.tokenEndpoint);
    expect(metadata.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']),
    );
  });

  it('tls_client_auth: the CA-issued certificate with the registered subject gets a bound token', async () => {
    const { tls } = auth.mtls.clients;
    const answer = await clientCredentials(auth.mtls, tls.clientId, tls);
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('Bearer');
    const echo = await send(`${api.url}/orders`, auth.mtls.ca, tls, {
      headers: { authorization: `Bearer ${answer.body.access_token}` },
    });
    expect(echo.status).toBe(200);
    expect(echo.body).toMatchObject({ client_id: tls.clientId, 'x5t#S256': tls.thumbprint });
  });

  it('self_signed_tls_client_auth: the registered self-signed certificate gets a bound token', async () => {
    const { selfSigned } = auth.mtls.clients;
    const answer = await clientCredentials(auth.mtls, selfSigned.clientId, selfSigned);
    expect(answer.status).toBe(200);
    const echo = await send(`${api.url}/orders`, auth.mtls.ca, selfSigned, {
      headers: { authorization: `Bearer ${answer.body.access_token}` },
    });
    expect(echo.body).toMatchObject({ 'x5t#S256': selfSigned.thumbprint });
  });

  it('refuses a certificate client without a certificate, or with one not registered', async () => {
    const { tls, selfSigned } = auth.mtls.clients;
    for (const [clientId, certificate] of [
      [tls.clientId, undefined],
      [tls.clientId, auth.mtls.issueCertificate()],
      [tls.clientId, selfSigned],
      [selfSigned.clientId, undefined],
      [selfSigned.clientId, auth.mtls.selfSignedCertificate()],
      [selfSigned.clientId, tls],
    ] as const) {
      const answer = await clientCredentials(auth.mtls, clientId, certificate);
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    }
  });

  it('refuses tls_client_auth on the plain listener, where no certificate can come', async () => {
    const response = await fetch(auth.tokenEndpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: auth.mtls.clients.tls.clientId,
      }),
    });
    expect(response.status).toBe(401);
  });

  it('keeps every other client working on both listeners', async () => {
    const { basic } = auth.clients;
    const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    const headers = {
      authorization: basicAuth(basic.clientId, basic.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    };
    const overTls = await send(auth.mtls.tokenEndpoint, auth.mtls.ca, undefined, {
      method: 'POST',
      headers,
      body,
    });
    expect(overTls.status).toBe(200);
    const echo = await send(`${api.url}/orders`, auth.mtls.ca, undefined, {
      headers: { authorization: `Bearer ${overTls.body.access_token}` },
    });
    expect(echo.status).toBe(200);
    expect(echo.body['x5t#S256']).toBeUndefined();
  });

  it('has no mtls kit unless asked', async () => {
    const plain = await startAuthServer();
    try {
      expect(plain.mtls).toBeUndefined();
      await expect(startResourceServer({ auth: plain, mtls: true })).rejects.toThrow(TestkitError);
    } finally {
      await plain.close();
    }
    await expect(startAuthServer({ mtls: 'yes' as unknown as boolean })).rejects.toThrow(
      /mtls.*true or false/,
    );
  });
});

describe('startResourceServer({ mtls: true })', () => {
  let token: string;
  beforeAll(async () => {
    const { tls } = auth.mtls.clients;
    token = (await clientCredentials(auth.mtls, tls.clientId, tls)).body.access_token as string;
  });

  it('serves HTTPS with a certificate from the test CA', () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('accepts a bound token with its certificate only', async () => {
    const headers = { authorization: `Bearer ${token}` };
    const right = await send(`${api.url}/orders`, auth.mtls.ca, auth.mtls.clients.tls, { headers });
    expect(right.status).toBe(200);

    const other = await send(`${api.url}/orders`, auth.mtls.ca, auth.mtls.issueCertificate(), {
      headers,
    });
    expect(other.status).toBe(401);
    expect(other.body.error).toBe('invalid_token');

    const none = await send(`${api.url}/orders`, auth.mtls.ca, undefined, { headers });
    expect(none.status).toBe(401);
    expect(
      api
        .requestLog()
        .slice(-2)
        .map((record) => record.status),
    ).toEqual([401, 401]);
  });

  it('a plain-HTTP resource server refuses a bound token: no certificate can come', async () => {
    const plainApi = await startResourceServer({ auth });
    try {
      const res = await callApi(`${plainApi.url}/orders`, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('bound to a client certificate');
    } finally {
      await plainApi.close();
    }
  });
});
