import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ClientCredentialsTokenProvider,
  ForgeErrorCode,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, type INestApplication, Inject, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForgeHttpModule, ForgeModule, ForgeService } from '../src/index.js';

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

// What an authentication middleware would fill per request.
const tenants = new AsyncLocalStorage<string | undefined>();

@Controller()
class WhoController {
  constructor(@Inject(HttpService) private readonly http: HttpService) {}

  // The key function reads the request's tenant; `?as=` picks a key for this request only.
  @Get('who')
  async who(@Query('as') as?: string): Promise<unknown> {
    const config = as === undefined ? {} : { forge: { key: as } };
    return (await firstValueFrom(this.http.get('/who', config))).data;
  }
}

describe('manager keys through the HttpService of ForgeHttpModule', () => {
  let app: INestApplication;
  let url: string;
  let manager: TokenManager<string | undefined>;

  beforeAll(async () => {
    manager = tenantManager();
    @Module({
      imports: [
        ForgeModule.forRoot({
          services: {
            billing: { baseURL: api.url, manager, key: () => tenants.getStore() },
          },
        }),
        ForgeHttpModule.register({ service: 'billing', timeout: 5_000 }),
      ],
      controllers: [WhoController],
    })
    class AppModule {}

    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
    app.use((req: { headers: Record<string, unknown> }, _res: unknown, next: () => void) => {
      const tenant = req.headers['x-tenant'];
      tenants.run(typeof tenant === 'string' ? tenant : undefined, next);
    });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await manager?.close();
  });

  async function who(options: { tenant?: string; as?: string } = {}): Promise<string> {
    const response = await fetch(
      `${url}/who${options.as === undefined ? '' : `?as=${options.as}`}`,
      {
        headers: options.tenant === undefined ? {} : { 'x-tenant': options.tenant },
      },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  it("axios's per-request { forge: { key } } picks the token", async () => {
    expect(await who({ as: 'tenant-a' })).toBe(auth.clients.post.clientId);
    expect(await who({ as: 'tenant-b', tenant: 'tenant-a' })).toBe(
      auth.clients.confidential.clientId,
    );
  });

  it("the service's key function reads an AsyncLocalStorage the app fills per request", async () => {
    const asked = Array.from({ length: 12 }, (_, i) => ['tenant-a', 'tenant-b', undefined][i % 3]);
    const answers = await Promise.all(
      asked.map((tenant) => who(tenant === undefined ? {} : { tenant })),
    );
    const expected = {
      'tenant-a': auth.clients.post.clientId,
      'tenant-b': auth.clients.confidential.clientId,
    };
    expect(answers).toEqual(
      asked.map((tenant) =>
        tenant === undefined
          ? auth.clients.basic.clientId
          : expected[tenant as keyof typeof expected],
      ),
    );
  });

  it("a retry after a 401 renews the token of the request's own key", async () => {
    await who({ tenant: 'tenant-b' });
    api.revokeAll();
    auth.resetCounters();
    expect(await who({ tenant: 'tenant-b' })).toBe(auth.clients.confidential.clientId);
    expect(auth.tokenRequests()).toBe(1);
  });

  it('leaves the manager you passed open on app.close()', async () => {
    const moduleRef = await NestFactory.createApplicationContext(
      ForgeModule.forRoot({ services: { billing: { baseURL: api.url, manager } } }),
      { logger: false },
    );
    expect(moduleRef.get(ForgeService).manager('billing')).toBe(manager);
    await moduleRef.close();
    await expect(manager.getToken('tenant-a')).resolves.toBeDefined();
  });
});

describe('services Forge creates', () => {
  it('take managerOptions, and are closed on app.close()', async () => {
    const moduleRef = await NestFactory.createApplicationContext(
      ForgeModule.forRoot({
        services: {
          billing: {
            baseURL: api.url,
            provider: {
              type: 'client_credentials',
              clientId: auth.clients.basic.clientId,
              clientSecret: auth.clients.basic.clientSecret,
              tokenEndpoint: auth.tokenEndpoint,
            },
            managerOptions: { refreshAhead: false },
          },
        },
      }),
      { logger: false },
    );
    const manager = moduleRef.get(ForgeService).manager('billing');
    await manager.getToken();
    await moduleRef.close();
    await expect(manager.getToken()).rejects.toMatchObject({ code: ForgeErrorCode.Closed });
  });
});
