// DPoP through every HTTP adapter, against the testkit's real servers: the
// authorization server issues DPoP-bound tokens, the resource server checks
// each proof (signature, htm, htu, ath, jti, nonce, cnf.jkt) and demands its
// own nonce, so every adapter must answer `use_dpop_nonce` through the
// shared 401 path and sign a fresh proof for every request and redirect hop.
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withForge as axiosWithForge } from '@forge/axios';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { forge } from '@forge/express';
import { withForge as fetchWithForge } from '@forge/fetch';
import { withForge as gotWithForge } from '@forge/got';
import { withForge as kyWithForge } from '@forge/ky';
import { ForgeHttpModule, ForgeModule } from '@forge/nest';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { Test } from '@nestjs/testing';
import axios from 'axios';
import express from 'express';
import got from 'got';
import ky from 'ky';
import { firstValueFrom } from 'rxjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let auth: AuthServer;
let api: ResourceServer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  auth = await startAuthServer({ dpop: { nonce: true } });
  api = await startResourceServer({ auth, dpop: { nonce: true } });
});
afterAll(async () => {
  await api.close();
  await auth.close();
});
beforeEach(() => {
  api.resetCounters();
});
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function provider(): ClientCredentialsTokenProvider {
  const { post } = auth.clients;
  return new ClientCredentialsTokenProvider({
    serviceName: 'dpop-api',
    clientId: post.clientId,
    clientSecret: post.clientSecret,
    tokenEndpoint: auth.tokenEndpoint,
    scope: 'read',
    dpop: true,
  });
}

function manager(): TokenManager<undefined> {
  const made = new TokenManager(provider()) as TokenManager<undefined>;
  closers.push(() => made.close());
  return made;
}

/** Serves `app` on 127.0.0.1 until the test ends; answers its origin. */
async function listen(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** GETs `path` (relative to the API) and answers its status and body. */
type Get = (path: string) => Promise<{ status: number; body: unknown }>;

/**
 * The DPoP behaviour every adapter must show: the resource server's nonce
 * challenge costs one retry once, then the nonce is known; each request gets
 * a fresh proof (no replay); a same-origin redirect hop gets a proof for its
 * own URL; the token request answered the authorization server's nonce.
 */
async function expectDPoP(get: Get): Promise<void> {
  const tokenRequests = auth.tokenRequests();
  api.rotateDpopNonce();
  api.rotateDpopNonce();
  const first = await get('orders?page=1');
  expect(first.status).toBe(200);
  expect(api.lastRequest()?.authorizationScheme).toBe('DPoP');
  expect(api.requests({ status: 401 })).toBe(1);
  // The AS demanded its nonce once: two token requests for one token.
  expect(auth.tokenRequests() - tokenRequests).toBe(2);
  api.resetCounters();
  for (const path of ['orders', 'orders', 'invoices?x=1']) {
    expect((await get(path)).status).toBe(200);
  }
  expect(api.requests({ status: 401 })).toBe(0);
  expect(api.requests({ status: 200 })).toBe(3);
  api.resetCounters();
  const redirected = await get(`redirect?to=${encodeURIComponent(`${api.url}/after-redirect`)}`);
  expect(redirected.status).toBe(200);
  expect(redirected.body).toMatchObject({ path: '/after-redirect' });
  expect(api.requests({ status: 401 })).toBe(0);
  // The redirect's answer brings a new nonce and retires the old one: the next
  // hop's proof carries it at once (a nonce is learnt from every answer).
  const renewed = await get(
    `redirect?dpop-nonce=new&status=307&to=${encodeURIComponent(`${api.url}/after-nonce`)}`,
  );
  expect(renewed.status).toBe(200);
  expect(renewed.body).toMatchObject({ path: '/after-nonce' });
  expect(api.requests({ status: 401 })).toBe(0);
  // A server that retires its nonce on every redirect without saying so: one
  // nonce retry for the whole chain, never a loop. A client that resends the
  // original request (fetch, ky) meets a retired nonce again and hands the 401
  // back; one that resends the last hop (axios, got) gets through.
  api.resetCounters();
  const hostile = await get(
    `redirect?dpop-nonce=unannounced&to=${encodeURIComponent(`${api.url}/after-unannounced`)}`,
  ).then((answer) => answer.status, statusOf);
  expect([200, 401]).toContain(hostile);
  expect(api.requests({ status: 401 })).toBe(hostile === 401 ? 2 : 1);
}

/** The status of a client's error for an HTTP answer (axios, got, ky); anything else is rethrown. */
function statusOf(error: unknown): number {
  const response = (error as { response?: { status?: number; statusCode?: number } }).response;
  const status = response?.status ?? response?.statusCode;
  if (status === undefined) throw error;
  return status;
}

describe('DPoP through every adapter', () => {
  it('@forge/fetch', async () => {
    const call = fetchWithForge(fetch, manager(), { policy: { baseURL: api.url } });
    await expectDPoP(async (path) => {
      const response = await call(`${api.url}/${path}`);
      return { status: response.status, body: await response.json() };
    });
  });

  it('axios (http adapter, redirects followed by Forge with a proof per hop)', async () => {
    const client = axiosWithForge(axios.create({ baseURL: api.url }), manager());
    await expectDPoP(async (path) => {
      const response = await client.get(`/${path}`);
      return { status: response.status, body: response.data };
    });
  });

  it('axios (fetch adapter)', async () => {
    const client = axiosWithForge(axios.create({ baseURL: api.url, adapter: 'fetch' }), manager());
    await expectDPoP(async (path) => {
      const response = await client.get(`/${path}`);
      return { status: response.status, body: response.data };
    });
  });

  it('got', async () => {
    const client = gotWithForge(got.extend({ prefixUrl: api.url, retry: { limit: 0 } }), manager());
    await expectDPoP(async (path) => {
      const response = await client.get(path, { responseType: 'json' });
      return { status: response.statusCode, body: response.body };
    });
  });

  it('ky', async () => {
    const client = kyWithForge(ky.create({ prefix: api.url, retry: 0 }), manager());
    await expectDPoP(async (path) => {
      const response = await client.get(path);
      return { status: response.status, body: await response.json() };
    });
  });

  it('Express req.forge.fetch and the proxy', async () => {
    const middleware = forge({ services: { svc: { manager: manager(), baseURL: api.url } } });
    const app = express();
    app.use(middleware);
    app.get('/call', async (req, res) => {
      const response = await req.forge.fetch('svc', String(req.query.path));
      res.status(response.status).send(await response.text());
    });
    app.use('/proxy', middleware.proxy('svc'));
    const origin = await listen(app);
    await expectDPoP(async (path) => {
      const response = await fetch(`${origin}/call?path=${encodeURIComponent(`/${path}`)}`);
      return { status: response.status, body: await response.json() };
    });
    api.resetCounters();
    for (const path of ['/orders', '/orders?y=2']) {
      const proxied = await fetch(`${origin}/proxy${path}`);
      expect(proxied.status).toBe(200);
      expect(await proxied.json()).toMatchObject({ path: '/orders' });
    }
    expect(api.requests({ status: 401 })).toBe(0);
    expect(api.lastRequest()?.authorizationScheme).toBe('DPoP');
  });

  it('Nest HttpService', async () => {
    const nest = await Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({ services: { svc: { provider: provider(), baseURL: api.url } } }),
        ForgeHttpModule.register({ service: 'svc' }),
      ],
    }).compile();
    closers.push(() => nest.close());
    const http = nest.get(HttpService);
    await expectDPoP(async (path) => {
      const response = await firstValueFrom(http.get(`/${path}`));
      return { status: response.status, body: response.data };
    });
  });
});

describe('a resource server that hands out a new nonce on every answer', () => {
  it('the Express proxy learns it from each answer: one 401 to learn the first, then none', async () => {
    const strict = await startResourceServer({ auth, dpop: { nonce: 'every-request' } });
    closers.push(() => strict.close());
    const middleware = forge({ services: { svc: { manager: manager(), baseURL: strict.url } } });
    const app = express();
    app.use('/proxy', middleware.proxy('svc'));
    const origin = await listen(app);
    // The proxy streams, so it cannot retry: the first answer teaches the nonce.
    expect((await fetch(`${origin}/proxy/orders`)).status).toBe(401);
    for (let i = 0; i < 5; i++) {
      const proxied = await fetch(`${origin}/proxy/orders?i=${i}`);
      expect(proxied.status).toBe(200);
      await proxied.arrayBuffer();
    }
    expect(strict.requests({ status: 401 })).toBe(1);
  });
});
