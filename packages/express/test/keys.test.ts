import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import express5, { type ErrorRequestHandler, type Request } from 'express';
import express4 from 'express4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createForge,
  type ForgeMiddleware,
  forgeErrorHandler,
  forgeRequest,
} from '../src/index.js';
import { listen } from './setup.js';

let auth: AuthServer;
let api: ResourceServer;

beforeAll(async () => {
  auth = await startAuthServer();
  api = await startResourceServer({ auth });
});

afterAll(async () => {
  await api?.close();
  await auth?.close();
});

// One token per tenant, each tenant its own OAuth client, so the API's answer
// (`client_id`) tells which token a request carried. No key: the basic client.
function tenantManager(): TokenManager<string | undefined> {
  const clients = {
    default: auth.clients.basic,
    'tenant-a': auth.clients.post,
    'tenant-b': auth.clients.confidential,
  };
  const providers = new Map(
    Object.entries(clients).map(([tenant, client]) => [
      tenant,
      new ClientCredentialsTokenProvider({
        serviceName: tenant,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        clientAuth: client === auth.clients.post ? 'client_secret_post' : 'client_secret_basic',
        tokenEndpoint: auth.tokenEndpoint,
        retry: false,
      }),
    ]),
  );
  const provider: TokenProvider<string | undefined> = {
    serviceName: 'billing',
    cacheKey: (tenant) => tenant ?? 'default',
    fetchToken: (tenant, context) => {
      const chosen = providers.get(tenant ?? 'default');
      if (chosen === undefined) throw new Error(`no such tenant: ${tenant}`);
      return chosen.fetchToken(undefined, context);
    },
  };
  return new TokenManager(provider);
}

const frameworks = [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const;

describe.each(frameworks)('manager keys with %s', (_label, express) => {
  let forge: ForgeMiddleware;
  let manager: TokenManager<string | undefined>;
  let server: { url: string; close(): Promise<void> };
  const errors: unknown[] = [];
  const sameRequest: boolean[] = [];

  beforeAll(async () => {
    manager = tenantManager();
    forge = createForge({
      services: {
        fixed: { baseURL: api.url, manager },
        // The tenant an authentication middleware found, read per request.
        tenants: { baseURL: api.url, manager, key: () => forgeRequest()?.res?.locals.tenant },
      },
    });
    const app = express();
    app.use(forge);
    app.use((req, res, next) => {
      res.locals.tenant = req.get('x-tenant');
      next();
    });
    // A body parser calls the next handler from a stream event.
    app.use(express.json());
    app.post('/call/:service', async (req: Request, res, next) => {
      try {
        sameRequest.push(forgeRequest() === req);
        const key = typeof req.query.key === 'string' ? req.query.key : undefined;
        const response = await req.forge.fetch(String(req.params.service), '/who', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(req.body),
          ...(key === undefined ? {} : { forge: { key } }),
        });
        res.status(response.status).json(await response.json());
      } catch (error) {
        next(error);
      }
    });
    app.get('/malformed', async (req, res, next) => {
      try {
        // @ts-expect-error: the per-request options are an object
        res.json(await req.forge.fetch('fixed', '/who', { forge: 'tenant-a' }));
      } catch (error) {
        next(error);
      }
    });
    app.use('/bff', forge.proxy('tenants'));
    const record: ErrorRequestHandler = (error, _req, _res, next) => {
      errors.push(error);
      next(error);
    };
    app.use(record);
    app.use(forgeErrorHandler());
    server = await listen(app);
  });

  afterAll(async () => {
    await server?.close();
    await forge?.close();
    await manager?.close();
  });

  async function call(
    service: string,
    options: { tenant?: string; key?: string } = {},
  ): Promise<{ status: number; client: string; body: unknown }> {
    const query = options.key === undefined ? '' : `?key=${options.key}`;
    const response = await fetch(`${server.url}/call/${service}${query}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.tenant === undefined ? {} : { 'x-tenant': options.tenant }),
      },
      body: JSON.stringify({ tenant: options.tenant ?? null }),
    });
    const body = (await response.json()) as { client_id: string; body: unknown };
    return { status: response.status, client: body.client_id, body: body.body };
  }

  it('req.forge.fetch takes the key of one request from init.forge', async () => {
    expect((await call('fixed')).client).toBe(auth.clients.basic.clientId);
    expect((await call('fixed', { key: 'tenant-a' })).client).toBe(auth.clients.post.clientId);
    expect((await call('fixed', { key: 'tenant-b' })).client).toBe(
      auth.clients.confidential.clientId,
    );
  });

  it("the service's key function reads the Express request through forgeRequest()", async () => {
    expect(await call('tenants', { tenant: 'tenant-b' })).toMatchObject({
      status: 200,
      client: auth.clients.confidential.clientId,
      body: { tenant: 'tenant-b' },
    });
    expect((await call('tenants')).client).toBe(auth.clients.basic.clientId);
    // A key of the request itself wins over the function.
    expect((await call('tenants', { tenant: 'tenant-b', key: 'tenant-a' })).client).toBe(
      auth.clients.post.clientId,
    );
    expect(sameRequest.every(Boolean)).toBe(true);
  });

  it('keeps concurrent requests of different tenants apart', async () => {
    const tenants = Array.from(
      { length: 12 },
      (_, i) => ['tenant-a', 'tenant-b', undefined][i % 3],
    );
    const answers = await Promise.all(
      tenants.map((tenant) => call('tenants', tenant === undefined ? {} : { tenant })),
    );
    const expected = { 'tenant-a': auth.clients.post, 'tenant-b': auth.clients.confidential };
    answers.forEach((answer, i) => {
      const tenant = tenants[i] as keyof typeof expected | undefined;
      expect(answer.client).toBe((tenant ? expected[tenant] : auth.clients.basic).clientId);
    });
  });

  it('the proxy picks the token with the key function too', async () => {
    const response = await fetch(`${server.url}/bff/who`, { headers: { 'x-tenant': 'tenant-a' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { client_id: string }).client_id).toBe(
      auth.clients.post.clientId,
    );
  });

  it("a retry after a 401 renews the token of the request's own key", async () => {
    await Promise.all([call('tenants', { tenant: 'tenant-a' }), call('tenants')]);
    api.revokeAll();
    auth.resetCounters();
    expect(await call('tenants', { tenant: 'tenant-a' })).toMatchObject({
      status: 200,
      client: auth.clients.post.clientId,
    });
    expect(auth.tokenRequests()).toBe(1);
    expect(auth.tokenRequests({ clientId: auth.clients.post.clientId })).toBe(1);
  });

  it('a malformed per-request option is a ConfigurationError, not a token failure', async () => {
    errors.length = 0;
    const response = await fetch(`${server.url}/malformed`);
    expect(response.status).toBe(500);
    expect(errors[0]).toBeInstanceOf(ConfigurationError);
    expect((errors[0] as ConfigurationError).option).toBe('forge');
  });
});

it('forgeRequest() is undefined outside a request', () => {
  expect(forgeRequest()).toBeUndefined();
});
