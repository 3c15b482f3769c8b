// The testkit's DPoP, driven with proofs built here with jose (not with
// @forge/core), so each check of the resource server is shown to refuse
// exactly what it should.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '../src/index.js';
import { basicAuth } from './helpers.js';

type Key = { privateKey: CryptoKey; jwk: JWK };

let auth: AuthServer;
let nonceAuth: AuthServer;
let api: ResourceServer;
let nonceApi: ResourceServer;
let key: Key;

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
}

async function proof(
  signer: Key,
  claims: Record<string, unknown>,
  typ = 'dpop+jwt',
): Promise<string> {
  return new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ, jwk: signer.jwk })
    .sign(signer.privateKey);
}

async function token(server: AuthServer, signer: Key, nonce?: string) {
  const response = await fetch(server.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: basicAuth(server.clients.basic.clientId, server.clients.basic.clientSecret),
      dpop: await proof(signer, {
        htm: 'POST',
        htu: server.tokenEndpoint,
        ...(nonce ? { nonce } : {}),
      }),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
  });
  return {
    status: response.status,
    nonce: response.headers.get('dpop-nonce'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const ath = (value: string) => createHash('sha256').update(value).digest('base64url');

async function call(url: string, accessToken: string, dpop?: string, scheme = 'DPoP') {
  const response = await fetch(url, {
    headers: { authorization: `${scheme} ${accessToken}`, ...(dpop ? { dpop } : {}) },
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? '',
    nonce: response.headers.get('dpop-nonce'),
  };
}

beforeAll(async () => {
  [auth, nonceAuth] = await Promise.all([
    startAuthServer({ dpop: true }),
    startAuthServer({ dpop: { nonce: true } }),
  ]);
  api = await startResourceServer({ auth });
  nonceApi = await startResourceServer({ auth, dpop: { nonce: true } });
  key = await newKey();
});
afterAll(async () => {
  await Promise.all([api.close(), nonceApi.close()]);
  await Promise.all([auth.close(), nonceAuth.close()]);
});

describe('testkit authorization server with DPoP', () => {
  it('issues a DPoP token bound to the proof key', async () => {
    const answer = await token(auth, key);
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('DPoP');
  });

  it('demands its nonce with { nonce: true }, then accepts it', async () => {
    const first = await token(nonceAuth, key);
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    expect(first.nonce).toBeTypeOf('string');
    const second = await token(nonceAuth, key, first.nonce as string);
    expect(second.status).toBe(200);
  });

  it('issues Bearer tokens when DPoP is off', async () => {
    const plain = await startAuthServer();
    try {
      expect((await token(plain, key)).body.token_type).toBe('Bearer');
    } finally {
      await plain.close();
    }
  });

  it('rejects unknown dpop options', async () => {
    await expect(startAuthServer({ dpop: { nonce: 'yes' } as never })).rejects.toThrow(/nonce/);
    await expect(
      startResourceServer({ auth, dpop: { nonce: 'sometimes' } as never }),
    ).rejects.toThrow(/nonce/);
  });
});

describe('testkit resource server checks DPoP proofs', () => {
  let accessToken: string;
  let url: string;
  beforeAll(async () => {
    accessToken = (await token(auth, key)).body.access_token as string;
    url = `${api.url}/orders`;
  });

  const valid = (extra: Record<string, unknown> = {}) =>
    proof(key, { htm: 'GET', htu: url, ath: ath(accessToken), ...extra });

  it('accepts a valid proof, with a query on the request and not in htu', async () => {
    const dpop = await proof(key, { htm: 'GET', htu: url, ath: ath(accessToken) });
    expect((await call(`${url}?page=2`, accessToken, dpop)).status).toBe(200);
    expect(api.lastRequest()?.authorizationScheme).toBe('DPoP');
  });

  it.each([
    ['no proof', async () => undefined, /needs a DPoP proof/],
    [
      'another typ',
      async () =>
        proof(key, { htm: 'GET', htu: `${api.url}/orders`, ath: ath(accessToken) }, 'JWT'),
      /does not verify/,
    ],
    ['another method', async () => valid({ htm: 'POST' }), /htm/],
    ['another URL', async () => valid({ htu: `${api.url}/other` }), /htu/],
    ['an old iat', async () => valid({ iat: Math.floor(Date.now() / 1000) - 3600 }), /iat/],
    ['a wrong ath', async () => valid({ ath: ath('another-token') }), /ath/],
    [
      'another key',
      async () =>
        proof(await newKey(), { htm: 'GET', htu: `${api.url}/orders`, ath: ath(accessToken) }),
      /not the key/,
    ],
  ])('refuses %s with invalid_dpop_proof', async (_name, make, reason) => {
    const answer = await call(url, accessToken, await make());
    expect(answer.status).toBe(401);
    expect(answer.challenge).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
    expect(answer.challenge).toMatch(reason);
  });

  it('refuses a replayed proof', async () => {
    const dpop = await valid();
    expect((await call(url, accessToken, dpop)).status).toBe(200);
    const replay = await call(url, accessToken, dpop);
    expect(replay.status).toBe(401);
    expect(replay.challenge).toMatch(/replay/);
  });

  it('refuses a DPoP-bound token sent as Bearer, and an unbound token sent as DPoP', async () => {
    const asBearer = await call(url, accessToken, await valid(), 'Bearer');
    expect(asBearer.status).toBe(401);
    expect(asBearer.challenge).toMatch(/DPoP-bound/);
    const plain = await startAuthServer();
    const plainApi = await startResourceServer({ auth: plain });
    try {
      const bearer = (await token(plain, key)).body.access_token as string;
      const asDpop = await call(
        `${plainApi.url}/x`,
        bearer,
        await proof(key, { htm: 'GET', htu: `${plainApi.url}/x`, ath: ath(bearer) }),
      );
      expect(asDpop.status).toBe(401);
      expect(asDpop.challenge).toMatch(/not DPoP-bound/);
    } finally {
      await plainApi.close();
      await plain.close();
    }
  });

  it('demands its own nonce with dpop: { nonce: true }, and a new one after a rotation', async () => {
    const target = `${nonceApi.url}/orders`;
    const claims = { htm: 'GET', htu: target, ath: ath(accessToken) };
    const first = await call(target, accessToken, await proof(key, claims));
    expect(first.status).toBe(401);
    expect(first.challenge).toMatch(/error="use_dpop_nonce"/);
    const nonce = first.nonce as string;
    expect((await call(target, accessToken, await proof(key, { ...claims, nonce }))).status).toBe(
      200,
    );
    nonceApi.rotateDpopNonce();
    nonceApi.rotateDpopNonce();
    const stale = await call(target, accessToken, await proof(key, { ...claims, nonce }));
    expect(stale.status).toBe(401);
    expect(stale.nonce).not.toBe(nonce);
  });

  it('hands routes the thumbprint the token is bound to (cnf.jkt)', async () => {
    const route = await startResourceServer({
      auth,
      routes: { '/jkt': ({ token: info }) => ({ body: { jkt: info?.jkt } }) },
    });
    try {
      const target = `${route.url}/jkt`;
      const response = await fetch(target, {
        headers: {
          authorization: `DPoP ${accessToken}`,
          dpop: await proof(key, { htm: 'GET', htu: target, ath: ath(accessToken) }),
        },
      });
      expect(await response.json()).toEqual({ jkt: await calculateJwkThumbprint(key.jwk) });
    } finally {
      await route.close();
    }
  });
});
