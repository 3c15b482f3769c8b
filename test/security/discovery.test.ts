// Discovery (RFC 8414 §3.3, OpenID Connect Discovery) as an attacker would
// bend it: metadata that names no issuer or another one, a token endpoint that
// downgrades to http or uses another scheme, and a well-known URL redirecting
// to another origin. Each must end in a typed error before any token request
// (which carries the client secret) leaves the process.
import type { ServerResponse } from 'node:http';
import { ClientCredentialsTokenProvider, DiscoveryCache, ForgeError } from '@forge/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Attacker,
  fetchTrusting,
  rejection,
  type SelfSigned,
  selfSignedCertificate,
  startAttacker,
  startHttpsAttacker,
} from './core-support.js';

const SECRET = 'discovery-client-secret-4e1f0c';

const tokenAnswer = (res: ServerResponse): void => {
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ access_token: 'attacker-issued-token', expires_in: 3600 }));
};

type Respond = (path: string, res: ServerResponse) => void;

/** Serves `metadata` at both well-known locations and a token at any POST. */
const serving =
  (metadata: Record<string, unknown>): Respond =>
  (path, res) => {
    if (path.startsWith('/.well-known/') || path.endsWith('/openid-configuration')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
    } else tokenAnswer(res);
  };

function providerFor(issuer: string, fetchFn?: typeof fetch): ClientCredentialsTokenProvider {
  return new ClientCredentialsTokenProvider({
    serviceName: 'ledger',
    clientId: 'ledger-client',
    clientSecret: SECRET,
    issuer,
    discovery: new DiscoveryCache(),
    timeoutMs: 5_000,
    retry: false,
    ...(fetchFn ? { fetch: fetchFn } : {}),
  });
}

/** Discovery and a token request both fail with a typed error. */
async function expectRefused(provider: ClientCredentialsTokenProvider): Promise<void> {
  expect(await rejection(provider.tokenEndpoint())).toBeInstanceOf(ForgeError);
  expect(await rejection(provider.fetchToken())).toBeInstanceOf(ForgeError);
}

describe('discovery: metadata an attacker controls', () => {
  let certificate: SelfSigned;
  let respond: Respond;
  let issuer: Attacker;
  let httpsIssuer: Attacker;
  // Where a discovered token endpoint would send the client secret.
  let sink: Attacker;
  let elsewhere: Attacker;
  let elsewhereMetadata: Record<string, unknown> = {};

  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    const route = (req: { url?: string | undefined }, res: ServerResponse) =>
      respond(req.url ?? '/', res);
    issuer = await startAttacker(route);
    httpsIssuer = await startHttpsAttacker(certificate, route);
    sink = await startAttacker((_req, res) => tokenAnswer(res));
    elsewhere = await startAttacker((req, res) => serving(elsewhereMetadata)(req.url ?? '/', res));
  });
  afterEach(() => {
    for (const server of [issuer, httpsIssuer, sink, elsewhere]) server.requests.length = 0;
  });
  afterAll(async () => {
    await Promise.all([issuer, httpsIssuer, sink, elsewhere].map((server) => server.close()));
  });

  const tokenRequests = (): unknown[] =>
    [issuer, httpsIssuer, sink, elsewhere].flatMap((server) =>
      server.requests.filter((request) => request.method === 'POST'),
    );

  it('metadata without `issuer` (absent, null, empty) is refused', async () => {
    for (const value of [undefined, null, '']) {
      respond = serving({ issuer: value, token_endpoint: `${sink.url}/token` });
      await expectRefused(providerFor(issuer.url));
    }
    expect(tokenRequests()).toEqual([]);
  });

  it('metadata naming any other issuer is refused, whatever its form', async () => {
    for (const value of [`${issuer.url}/other`, 'http://127.0.0.1:1', 42, [issuer.url]]) {
      respond = serving({ issuer: value, token_endpoint: `${sink.url}/token` });
      await expectRefused(providerFor(issuer.url));
    }
    expect(tokenRequests()).toEqual([]);
  });

  it('an https issuer with an http token endpoint is refused (an https one works)', async () => {
    const trusting = fetchTrusting(certificate.cert);
    respond = serving({ issuer: httpsIssuer.url, token_endpoint: `${httpsIssuer.url}/token` });
    expect((await providerFor(httpsIssuer.url, trusting).fetchToken()).accessToken).toBe(
      'attacker-issued-token',
    );
    httpsIssuer.requests.length = 0;

    respond = serving({ issuer: httpsIssuer.url, token_endpoint: `${sink.url}/token` });
    await expectRefused(providerFor(httpsIssuer.url, trusting));
    expect(tokenRequests()).toEqual([]);
  });

  it('a token endpoint with a scheme other than http(s) is refused', async () => {
    const endpoints = [
      `data:application/json,${encodeURIComponent('{"access_token":"from-a-data-url"}')}`,
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://127.0.0.1/token',
    ];
    for (const endpoint of endpoints) {
      respond = serving({ issuer: issuer.url, token_endpoint: endpoint });
      await expectRefused(providerFor(issuer.url));
    }
    expect(tokenRequests()).toEqual([]);
  });

  it('a well-known URL redirecting to another origin is not followed', async () => {
    // The other origin copies the configured issuer, so only the redirect gives it away.
    elsewhereMetadata = { issuer: issuer.url, token_endpoint: `${elsewhere.url}/token` };
    respond = (path, res) => {
      res.writeHead(302, { location: `${elsewhere.url}${path}` }).end();
    };
    await expectRefused(providerFor(issuer.url));
    expect(elsewhere.requests).toEqual([]);
    expect(tokenRequests()).toEqual([]);
  });
});
