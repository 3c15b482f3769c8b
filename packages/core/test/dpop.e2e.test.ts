import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  bearer,
  ClientCredentialsTokenProvider,
  type DPoP,
  type DPoPOptions,
  jwkThumbprint,
  TokenManager,
} from '../src/index.js';

let auth: AuthServer;
let nonceAuth: AuthServer;
let plainAuth: AuthServer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [auth, nonceAuth, plainAuth] = await Promise.all([
    startAuthServer({ dpop: true }),
    startAuthServer({ dpop: { nonce: true } }),
    startAuthServer(),
  ]);
});
afterAll(async () => {
  await Promise.all([auth.close(), nonceAuth.close(), plainAuth.close()]);
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function managerFor(
  server: AuthServer,
  dpop: boolean | DPoPOptions | DPoP = true,
): TokenManager<undefined> {
  const { post } = server.clients;
  const manager = new TokenManager(
    new ClientCredentialsTokenProvider({
      clientId: post.clientId,
      clientSecret: post.clientSecret,
      tokenEndpoint: server.tokenEndpoint,
      scope: 'read',
      dpop,
    }),
  ) as TokenManager<undefined>;
  closers.push(() => manager.close());
  return manager;
}

async function api(
  server: AuthServer,
  dpop?: NonNullable<Parameters<typeof startResourceServer>[0]['dpop']>,
): Promise<ResourceServer> {
  const started = await startResourceServer({ auth: server, ...(dpop ? { dpop } : {}) });
  closers.push(() => started.close());
  return started;
}

/** Sends one request through `bearer()` the way every adapter does: authorize, send, and on a 401 renew and resend. */
async function send(
  manager: TokenManager<undefined>,
  url: string,
  method = 'GET',
): Promise<{ status: number; attempts: number; body: unknown }> {
  const authorizer = bearer(manager, { policy: { baseURL: new URL(url).origin } });
  let previous: Awaited<ReturnType<typeof authorizer.authorize>>;
  for (let attempt = 0; ; attempt++) {
    const request = { method, url, headers: {}, attempt, previous };
    const authorization = await authorizer.authorize(request);
    const response = await fetch(url, { method, headers: { ...authorization?.headers } });
    manager.dpop?.observe(url, response.headers);
    if (response.status !== 401 || authorization === undefined) {
      return { status: response.status, attempts: attempt + 1, body: await response.json() };
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const decision = await authorizer.onUnauthorized(
      request,
      { status: 401, headers },
      authorization,
    );
    if (!decision.retry) return { status: 401, attempts: attempt + 1, body: await response.json() };
    previous = authorization;
  }
}

describe('DPoP token requests against oidc-provider', () => {
  it('gets a DPoP-bound token whose cnf.jkt is the key thumbprint', async () => {
    const manager = managerFor(auth);
    const token = await manager.getToken();
    expect(token.tokenType).toBe('DPoP');
    expect(token.jkt).toBe(await manager.dpop?.ready());
    expect(token.authorizationHeader.startsWith('DPoP ')).toBe(true);
  });

  it('answers the token endpoint nonce challenge with one retry, and remembers the nonce', async () => {
    const manager = managerFor(nonceAuth);
    const before = nonceAuth.tokenRequests();
    await manager.getToken();
    expect(nonceAuth.tokenRequests() - before).toBe(2);
    expect(manager.dpop?.nonce(nonceAuth.tokenEndpoint)).toBeTypeOf('string');
    // The nonce is known now: the next token request needs one try.
    await manager.forceRefresh();
    expect(nonceAuth.tokenRequests() - before).toBe(3);
  });

  it('refuses a Bearer answer unless the downgrade is allowed', async () => {
    await expect(managerFor(plainAuth).getToken()).rejects.toThrow(AuthenticationError);
    await expect(managerFor(plainAuth).getToken()).rejects.toThrow(/allowBearer/);
    const token = await managerFor(plainAuth, { allowBearer: true }).getToken();
    expect(token.tokenType).toBe('Bearer');
    expect(token.jkt).toBeUndefined();
  });

  it('signs with PS256 and EdDSA keys, and with a user-supplied JWK', async () => {
    for (const alg of ['PS256', 'EdDSA'] as const) {
      const token = await managerFor(auth, { alg }).getToken();
      expect(token.tokenType).toBe('DPoP');
    }
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const manager = managerFor(auth, { key: jwk as DPoPOptions['key'] });
    const token = await manager.getToken();
    expect(token.jkt).toBe(await jwkThumbprint(jwk as Record<string, unknown>));
    const fromPair = managerFor(auth, { key: pair });
    expect((await fromPair.getToken()).jkt).toBe(token.jkt);
  });
});

describe('DPoP resource requests against the testkit resource server', () => {
  it('sends Authorization: DPoP with a proof the server accepts', async () => {
    const server = await api(auth);
    const result = await send(managerFor(auth), `${server.url}/orders?page=2#top`);
    expect(result).toMatchObject({ status: 200, attempts: 1 });
    expect(server.lastRequest()?.authorizationScheme).toBe('DPoP');
  });

  it('refuses a DPoP-bound token sent as Bearer, and a replayed proof', async () => {
    const server = await api(auth);
    const manager = managerFor(auth);
    const token = await manager.getToken();
    const asBearer = await fetch(`${server.url}/orders`, {
      headers: { authorization: `Bearer ${token.accessToken}` },
    });
    expect(asBearer.status).toBe(401);
    const authorization = await bearer(manager, { policy: { baseURL: server.url } }).authorize({
      method: 'GET',
      url: `${server.url}/orders`,
      headers: {},
      attempt: 0,
    });
    const headers = { ...authorization?.headers };
    expect((await fetch(`${server.url}/orders`, { headers })).status).toBe(200);
    const replayed = await fetch(`${server.url}/orders`, { headers });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/invalid_dpop_proof.*replay/);
    // A proof is for one method and URL.
    const elsewhere = await fetch(`${server.url}/other`, { headers });
    expect(elsewhere.headers.get('www-authenticate')).toMatch(/htu/);
  });

  it('answers the resource server nonce challenge once, then reuses the nonce', async () => {
    const server = await api(auth, { nonce: true });
    const manager = managerFor(auth);
    expect(await send(manager, `${server.url}/a`)).toMatchObject({ status: 200, attempts: 2 });
    expect(await send(manager, `${server.url}/b`)).toMatchObject({ status: 200, attempts: 1 });
    server.rotateDpopNonce();
    server.rotateDpopNonce();
    expect(await send(manager, `${server.url}/c`)).toMatchObject({ status: 200, attempts: 2 });
  });

  it('keeps the nonce a server sends on every answer, so it needs no retry', async () => {
    const server = await api(auth, { nonce: 'every-request' });
    const manager = managerFor(auth);
    expect((await send(manager, `${server.url}/a`)).attempts).toBe(2);
    for (const path of ['/b', '/c', '/d']) {
      expect(await send(manager, `${server.url}${path}`)).toMatchObject({
        status: 200,
        attempts: 1,
      });
    }
  });

  it('takes the server clock from Date after invalid_dpop_proof, within bounds', async () => {
    const ahead = await api(auth, { clockOffsetSeconds: 600 });
    const manager = managerFor(auth, { maxClockSkewMs: 900_000 });
    expect(await send(manager, `${ahead.url}/a`)).toMatchObject({ status: 200, attempts: 2 });
    expect(await send(manager, `${ahead.url}/b`)).toMatchObject({ status: 200, attempts: 1 });
    // Capped at two minutes, ten minutes of skew cannot be made up: one retry, then the 401.
    const capped = managerFor(auth, { maxClockSkewMs: 120_000 });
    expect(await send(capped, `${ahead.url}/c`)).toMatchObject({ status: 401, attempts: 2 });
  });

  it('binds the cache to the key: after a rotation a new token is fetched and proven with the new key', async () => {
    const server = await api(auth);
    const manager = managerFor(auth);
    const first = await manager.getToken();
    const before = auth.tokenRequests();
    const rotated = await manager.dpop?.rotate();
    expect(rotated).not.toBe(first.jkt);
    expect(await send(manager, `${server.url}/a`)).toMatchObject({ status: 200, attempts: 1 });
    const second = await manager.getToken();
    expect(second.jkt).toBe(rotated);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(auth.tokenRequests() - before).toBe(1);
  });

  it('renews a revoked token once, with nonce retries not multiplying the tries', async () => {
    const server = await api(auth, { nonce: true });
    const manager = managerFor(auth);
    expect((await send(manager, `${server.url}/a`)).attempts).toBe(2);
    server.revokeAll();
    server.rotateDpopNonce();
    server.rotateDpopNonce();
    // stale nonce (retry), then revoked token (renewal), then the new token's stale nonce is known: 3 tries.
    const result = await send(manager, `${server.url}/b`);
    // Revoked (a renewal), then the new token's proof has a stale nonce (one nonce retry).
    expect(result).toMatchObject({ status: 200, attempts: 3 });
  });

  it('costs a bounded number of requests against a server that demands a new nonce every time', async () => {
    const { createServer } = await import('node:http');
    let hits = 0;
    const stubborn = createServer((_req, res) => {
      hits++;
      res.writeHead(401, {
        'www-authenticate': 'DPoP error="use_dpop_nonce"',
        'dpop-nonce': `n-${hits}`,
      });
      res.end('{}');
    });
    await new Promise<void>((resolve) => stubborn.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => stubborn.close(() => resolve())));
    const address = stubborn.address() as { port: number };
    const result = await send(managerFor(auth), `http://127.0.0.1:${address.port}/x`);
    expect(result).toMatchObject({ status: 401, attempts: 2 });
    expect(hits).toBe(2);
  });

  it('fails a request whose token is bound to a key rotated out, without quoting the token', async () => {
    const manager = managerFor(auth);
    const token = await manager.getToken();
    const dpop = manager.dpop as DPoP;
    await dpop.rotate();
    await dpop.rotate();
    const error = await dpop
      .proof({
        method: 'GET',
        url: 'http://127.0.0.1/x',
        accessToken: token.accessToken,
        thumbprint: token.jkt,
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain(token.accessToken);
    expect(String((error as Error).message)).toMatch(/no longer holds/);
  });
});
