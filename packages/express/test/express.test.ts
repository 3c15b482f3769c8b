import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  ForgeErrorCode,
  TokenExchangeProvider,
  TokenManager,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import express5, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type Response,
} from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createForge,
  type ForgeMiddleware,
  forgeErrorHandler,
  PROBLEM_CONTENT_TYPE,
  ServiceAuthorizationError,
} from '../src/index.js';
import { deadURL, listen } from './setup.js';

let auth: AuthServer;
let api: ResourceServer;

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startResourceServer({
    auth,
    routes: {
      '/headers': (request) => ({
        body: {
          cookie: request.headers.cookie ?? null,
          clientId: request.token?.clientId ?? null,
          forwardedFor: request.headers['x-forwarded-for'] ?? null,
        },
      }),
    },
  });
});

afterAll(async () => {
  await api?.close();
  await auth?.close();
});

function clientCredentials(serviceName: string, overrides: { tokenEndpoint?: string } = {}) {
  return new ClientCredentialsTokenProvider({
    serviceName,
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
    tokenEndpoint: overrides.tokenEndpoint ?? auth.tokenEndpoint,
    timeoutMs: 1_000,
    retry: false,
  });
}

// The caller's own token, as a browser or another service would send it.
async function callerToken(): Promise<string> {
  const response = await fetch(auth.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: auth.clients.post.clientId,
      client_secret: auth.clients.post.clientSecret,
    }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

const frameworks = [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const;

describe.each(frameworks)('%s', (_label, express) => {
  let forge: ForgeMiddleware;
  let server: { url: string; close(): Promise<void> };
  const errors: unknown[] = [];

  function build(configure: (app: Express) => void): Express {
    const app = express();
    app.use(forge);
    configure(app);
    const record: ErrorRequestHandler = (error, _req, _res, next) => {
      errors.push(error);
      next(error);
    };
    app.use(record);
    app.use(forgeErrorHandler());
    return app;
  }

  beforeAll(async () => {
    forge = createForge({
      services: {
        billing: { provider: clientCredentials('billing'), baseURL: api.url },
        downstream: {
          exchange: new TokenExchangeProvider({
            serviceName: 'downstream',
            clientId: auth.clients.basic.clientId,
            clientSecret: auth.clients.basic.clientSecret,
            tokenEndpoint: auth.tokenEndpoint,
            retry: false,
          }),
          baseURL: api.url,
        },
        broken: {
          provider: clientCredentials('broken', { tokenEndpoint: await deadURL() }),
          baseURL: api.url,
        },
        gone: { provider: clientCredentials('gone'), baseURL: await deadURL() },
        // Its own manager: a second revocation of billing's within the 401 damping interval is damped.
        revocable: { provider: clientCredentials('revocable'), baseURL: api.url },
      },
    });
    const app = build((app) => {
      app.get('/invoices', async (req, res, next) => {
        try {
          const response = await req.forge.fetch('billing', '/invoices?page=2');
          res.status(response.status).json(await response.json());
        } catch (error) {
          next(error);
        }
      });
      app.get('/call/:service', async (req, res, next) => {
        try {
          const response = await req.forge.fetch(req.params.service!, '/anything');
          res.status(response.status).json(await response.json());
        } catch (error) {
          next(error);
        }
      });
      app.get('/me', forge.tokenExchange('downstream'), async (req, res, next) => {
        try {
          const response = await req.forge.fetch('downstream', '/me');
          res.json({
            upstream: await response.json(),
            exchanged: req.forge.exchangedToken('downstream') !== undefined,
          });
        } catch (error) {
          next(error);
        }
      });
      app.use('/bff/billing', forge.proxy('billing'));
      app.use('/bff/v2', forge.proxy('billing', { pathRewrite: { '^/items': '/headers' } }));
      app.use('/bff/cookies', forge.proxy('billing', { passRequestHeaders: ['cookie'] }));
      app.use('/bff/broken', forge.proxy('broken'));
      app.use('/bff/gone', forge.proxy('gone'));
      app.use('/bff/revocable', forge.proxy('revocable'));
      app.use('/bff/obo', forge.tokenExchange('downstream'), forge.proxy('downstream'));
    });
    server = await listen(app);
  });

  afterAll(async () => {
    await server?.close();
    await forge?.close();
  });

  it('req.forge.fetch calls the service with its token, fetching one token for many calls', async () => {
    auth.resetCounters();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${server.url}/invoices`)),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as {
      path: string;
      query: Record<string, string>;
      client_id: string;
    }[];
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(bodies[0]).toMatchObject({
      path: '/invoices',
      query: { page: '2' },
      client_id: auth.clients.basic.clientId,
    });
    expect(auth.tokenRequests()).toBeLessThanOrEqual(1);
  });

  it('retries once with a new token after the API revoked the old one', async () => {
    await fetch(`${server.url}/invoices`);
    auth.resetCounters();
    api.revokeAll();
    const response = await fetch(`${server.url}/invoices`);
    expect(response.status).toBe(200);
    expect(auth.tokenRequests()).toBe(1);
  });

  it('an unknown service name fails with the configured names', async () => {
    errors.length = 0;
    const response = await fetch(`${server.url}/call/nope`);
    expect(response.status).toBe(500);
    expect(errors[0]).toBeInstanceOf(ConfigurationError);
    expect(String((errors[0] as Error).message)).toContain(
      'configured services: billing, downstream, broken, gone',
    );
  });

  it('a token failure reaches the client as 503 problem+json and next(err)', async () => {
    errors.length = 0;
    const response = await fetch(`${server.url}/call/broken`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ status: 503, service: 'broken' });
    expect(JSON.stringify(problem)).not.toContain(auth.clients.basic.clientSecret);
    expect(errors[0]).toBeInstanceOf(ServiceAuthorizationError);
  });

  it('a refused token answers 502 problem+json naming the service', async () => {
    auth.faults.set({ mode: 'status500', times: 1 });
    const refused = createForge({
      services: { billing: { provider: clientCredentials('billing'), baseURL: api.url } },
    });
    const app = express();
    app.use(refused);
    app.get('/x', async (req, res, next) => {
      try {
        res.json(await (await req.forge.fetch('billing', '/x')).json());
      } catch (error) {
        next(error);
      }
    });
    app.use(forgeErrorHandler());
    const local = await listen(app);
    try {
      const response = await fetch(`${local.url}/x`);
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ status: 502, service: 'billing' });
    } finally {
      auth.faults.clear();
      await local.close();
      await refused.close();
    }
  });

  it('the proxy forwards with the service token, strips caller credentials and cookies', async () => {
    const response = await fetch(`${server.url}/bff/v2/items`, {
      headers: { authorization: 'Bearer caller-token', cookie: 'session=abc' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      cookie: null,
      clientId: auth.clients.basic.clientId,
      forwardedFor: expect.stringContaining('127.0.0.1'),
    });
    const withCookies = await fetch(`${server.url}/bff/cookies/headers`, {
      headers: { cookie: 'session=abc' },
    });
    expect(((await withCookies.json()) as { cookie: string }).cookie).toBe('session=abc');
  });

  it('the proxy streams request and response bodies', async () => {
    const payload = JSON.stringify({ items: Array.from({ length: 2_000 }, (_, i) => ({ i })) });
    const response = await fetch(`${server.url}/bff/billing/orders?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      path: string;
      method: string;
      query: unknown;
      body: unknown;
    };
    expect(body).toMatchObject({ path: '/orders', method: 'POST', query: { x: '1' } });
    expect(body.body).toEqual(JSON.parse(payload));
  });

  it('an upstream 401 reaches the caller through the proxy, and the next call has a fresh token', async () => {
    await fetch(`${server.url}/bff/revocable/warm`);
    auth.resetCounters();
    api.revokeAll();
    const refused = await fetch(`${server.url}/bff/revocable/orders`);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const next = await fetch(`${server.url}/bff/revocable/orders`);
    expect(next.status).toBe(200);
    expect(auth.tokenRequests()).toBe(1);
  });

  it('the proxy never forwards a request it could not authorize', async () => {
    api.resetCounters();
    const response = await fetch(`${server.url}/bff/broken/orders`);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(api.requests()).toBe(0);
  });

  it('an unreachable upstream answers 502 problem+json', async () => {
    const response = await fetch(`${server.url}/bff/gone/orders`);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({
      type: 'urn:forge:problem:upstream-unreachable',
      service: 'gone',
    });
  });

  it('a proxy for an unknown service fails at setup, listing the configured names', () => {
    expect(() => forge.proxy('nope')).toThrow(
      /configured services: billing, downstream, broken, gone/,
    );
    expect(() => forge.tokenExchange('billing')).toThrow(ConfigurationError);
  });

  it('exchanges the caller token on behalf of the caller, once per subject', async () => {
    const subject = await callerToken();
    auth.resetCounters();
    const call = () =>
      fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${subject}` } });
    const first = await call();
    const second = await call();
    expect(first.status).toBe(200);
    const body = (await first.json()) as {
      upstream: { sub: string; client_id: string };
      exchanged: boolean;
    };
    expect(body.exchanged).toBe(true);
    expect(body.upstream.sub).toBe(auth.clients.post.clientId);
    expect(body.upstream.client_id).toBe(auth.clients.basic.clientId);
    expect(second.status).toBe(200);
    expect(auth.tokenRequests()).toBe(1);

    const proxied = await fetch(`${server.url}/bff/obo/who`, {
      headers: { authorization: `Bearer ${subject}` },
    });
    expect(((await proxied.json()) as { sub: string }).sub).toBe(auth.clients.post.clientId);
    expect(auth.tokenRequests()).toBe(1);
  });

  it('answers 401 problem+json without a caller token or with a refused one', async () => {
    const missing = await fetch(`${server.url}/me`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toMatchObject({ status: 401, service: 'downstream' });
    const refused = await fetch(`${server.url}/me`, {
      headers: { authorization: 'Bearer not-a-real-token' },
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain('not-a-real-token');
  });
});

describe('forge() options', () => {
  it('rejects bad configuration, naming the option', () => {
    expect(() => createForge({ services: {} })).toThrow(/`services`/);
    expect(() =>
      createForge({
        services: { billing: { baseURL: 'not a url', provider: clientCredentials('billing') } },
      }),
    ).toThrow(/services\.billing\.baseURL/);
    expect(() =>
      createForge({ services: { billing: { baseURL: 'https://api.example' } } }),
    ).toThrow(/services\.billing/);
    const manager = new TokenManager(clientCredentials('billing'));
    expect(() =>
      createForge({
        services: {
          billing: { baseURL: 'https://api.example', manager, policy: { excludedPaths: ['nope'] } },
        },
      }),
    ).toThrow(/services\.billing\.policy\.excludedPaths\[0\]/);
  });

  it('closes only the managers it created', async () => {
    const mine = new TokenManager(clientCredentials('mine'));
    const forge = createForge({
      services: {
        mine: { manager: mine, baseURL: api.url },
        owned: { provider: clientCredentials('owned'), baseURL: api.url },
      },
    });
    // The middleware hands out the manager Forge built from the provider.
    const req = { headers: {} } as Request;
    forge(req, {} as Response, () => undefined);
    const owned = req.forge.manager('owned');
    expect(owned).toBeInstanceOf(TokenManager);
    await forge.close();
    await expect(owned.getToken()).rejects.toMatchObject({ code: ForgeErrorCode.Closed });
    await expect(mine.getToken()).resolves.toBeDefined();
    await mine.close();
  });
});
