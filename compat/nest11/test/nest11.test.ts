// Proves the oldest Nest major the @forge/nest peer ranges accept: Nest 11
// with @nestjs/axios 4 on the Express platform. @forge/nest is injected into
// this package (a copy, see package.json `dependenciesMeta`), so it resolves
// its peers from here, i.e. Nest 11, not from its own Nest 12 devDependencies.
// The copy is loaded from its BUILT dist, as users load it: the sources are
// not part of the published files, so the copy may not hold them.
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Authorizer, ForgeRequestOptions, TokenManager, TokenStorage } from '@forge/core';
import { InMemoryTokenStorage } from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, type INestApplication, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = createRequire(import.meta.url);
const nestDir = dirname(here.resolve('@forge/nest/package.json'));
const fromNest = createRequire(join(nestDir, 'package.json'));

function versionOf(require: NodeRequire, name: string): string {
  return (
    JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
      version: string;
    }
  ).version;
}

const REFRESH = 'run `pnpm --filter @forge/nest build` (or `pnpm install`) to refresh it';
const entry = join(nestDir, 'dist/index.mjs');
if (!existsSync(entry)) throw new Error(`The injected @forge/nest copy has no build: ${REFRESH}`);

const {
  ForgeHttpModule,
  ForgeModule,
  InjectAuthorizer,
  InjectForgeHttpService,
  InjectTokenManager,
} = (await import(pathToFileURL(entry).href)) as typeof import('@forge/nest');

describe('the setup', () => {
  it('@forge/nest resolves Nest 11 and @nestjs/axios 4, the same copies this app uses', () => {
    for (const name of ['@nestjs/common', '@nestjs/core']) {
      expect(versionOf(fromNest, name)).toMatch(/^11\./);
      expect(fromNest.resolve(name)).toBe(here.resolve(name));
    }
    expect(versionOf(fromNest, '@nestjs/axios')).toMatch(/^4\./);
    expect(fromNest.resolve('@nestjs/axios')).toBe(here.resolve('@nestjs/axios'));
    expect(versionOf(here, '@nestjs/platform-express')).toMatch(/^11\./);
    expect(versionOf(here, '@nestjs/testing')).toMatch(/^11\./);
    // The built code really runs on those copies: it provides the very
    // HttpService class of @nestjs/axios 4 that this file imports.
    const { providers } = ForgeHttpModule.register({ service: 'billing' });
    expect(providers).toContainEqual(expect.objectContaining({ provide: HttpService }));
  });

  it('runs the current build of @forge/nest', () => {
    // The injected copy is refreshed after `pnpm run build` (pnpm-workspace.yaml
    // `syncInjectedDepsAfterScripts`); a turbo cache hit restores the build
    // without running it.
    const built = fileURLToPath(new URL('../../../packages/nest/dist/index.mjs', import.meta.url));
    expect(
      readFileSync(entry, 'utf8') === readFileSync(built, 'utf8'),
      `the injected @forge/nest copy is stale: ${REFRESH}`,
    ).toBe(true);
  });
});

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

function billingConfig() {
  return {
    provider: {
      type: 'client_credentials' as const,
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      tokenEndpoint: auth.tokenEndpoint,
    },
    baseURL: api.url,
  };
}

@Injectable()
class BillingTokens {
  constructor(
    @InjectTokenManager('billing') readonly manager: TokenManager,
    @InjectAuthorizer('billing') readonly authorizer: Authorizer,
  ) {}
}

describe('ForgeModule on Nest 11', () => {
  it('injects the manager and the authorizer of a configured service', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ForgeModule.forRoot({ services: { billing: billingConfig() } })],
      providers: [BillingTokens],
    }).compile();
    const { manager, authorizer } = moduleRef.get(BillingTokens);
    const token = await manager.getToken();
    const authorization = await authorizer.authorize({
      method: 'GET',
      url: `${api.url}/x`,
      headers: {},
      attempt: 0,
    });
    expect(authorization?.headers.authorization).toBe(token.authorizationHeader);
    await moduleRef.close();
  });

  it('forRootAsync with forFeature provides the names a module injects', async () => {
    @Module({ imports: [ForgeModule.forFeature(['billing'])], providers: [BillingTokens] })
    class BillingModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        ForgeModule.forRootAsync({
          useFactory: async () => ({ services: { billing: billingConfig() } }),
        }),
        BillingModule,
      ],
    }).compile();
    const { manager } = moduleRef.get(BillingTokens);
    expect((await manager.getToken()).accessToken).toBeTruthy();
    await moduleRef.close();
  });

  it('fails at bootstrap with a ConfigurationError naming a misconfigured service', async () => {
    const error = await Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({
          services: {
            crm: { baseURL: api.url, provider: { type: 'client_credentials', clientId: 'crm' } },
          },
        }),
      ],
    })
      .compile()
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ConfigurationError' });
    expect((error as { option: string }).option).toMatch(/^services\.crm\.provider/);
  });

  it('ForgeHttpModule for an unknown service fails at bootstrap, listing the configured names', async () => {
    const compile = Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({ services: { billing: billingConfig() } }),
        ForgeHttpModule.register({ service: 'payments' }),
      ],
    }).compile();
    await expect(compile).rejects.toThrow(
      /"payments" is not configured in ForgeModule; configured services: billing\./,
    );
  });

  it('closes managers and releases storage listeners on app.close()', async () => {
    let listeners = 0;
    const inner = new InMemoryTokenStorage();
    const storage: TokenStorage = {
      get: (key) => inner.get(key),
      set: (key, token, ttl) => inner.set(key, token, ttl),
      delete: (key, expected) => inner.delete(key, expected),
      has: (key) => inner.has(key),
      subscribe: () => {
        listeners++;
        return () => {
          listeners--;
        };
      },
    };
    const moduleRef = await Test.createTestingModule({
      imports: [ForgeModule.forRoot({ services: { billing: billingConfig() }, storage })],
      providers: [BillingTokens],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const { manager } = app.get(BillingTokens);
    await manager.getToken();
    expect(listeners).toBe(1);
    await app.close();
    expect(listeners).toBe(0);
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'FORGE_CLOSED' });
  });
});

describe('a real Nest 11 app on the Express platform', () => {
  let app: INestApplication;
  let url: string;

  @Controller('invoices')
  class InvoicesController {
    constructor(@Inject(HttpService) private readonly http: HttpService) {}

    @Get()
    async list(): Promise<unknown> {
      return (await firstValueFrom(this.http.get('/invoices', { params: { page: 1 } }))).data;
    }
  }

  @Controller('report')
  class ReportController {
    constructor(@InjectForgeHttpService('billing') private readonly billing: HttpService) {}

    @Get()
    async report(): Promise<unknown> {
      return (await firstValueFrom(this.billing.get('/report'))).data;
    }

    // The client credentials manager takes { scope } as its key: one token per scope.
    @Get('scoped')
    async scoped(): Promise<unknown> {
      // Typed here: @nestjs/axios 4 is CommonJS, so its HttpService takes
      // axios's CommonJS declarations, which the ESM declarations of
      // @forge/axios (loaded by this ESM file) do not augment with `forge`.
      const config: Parameters<HttpService['get']>[1] & { forge: ForgeRequestOptions } = {
        forge: { key: { scope: 'read' } },
      };
      return (await firstValueFrom(this.billing.get('/scoped', config))).data;
    }
  }

  beforeAll(async () => {
    // Built here: the testkit servers' addresses are known only now.
    @Module({
      imports: [ForgeHttpModule.register({ service: 'billing', timeout: 5_000 })],
      controllers: [InvoicesController],
    })
    class InvoicesModule {}

    @Module({
      imports: [
        ForgeModule.forRoot({ services: { billing: billingConfig() } }),
        InvoicesModule,
        ForgeHttpModule.register({ service: 'billing' }),
      ],
      controllers: [ReportController],
    })
    class AppModule {}

    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('controllers call the protected API through the authorized HttpService', async () => {
    auth.resetCounters();
    api.resetCounters();
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${url}/invoices`)));
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(await responses[0]!.json()).toMatchObject({
      path: '/invoices',
      client_id: auth.clients.basic.clientId,
      query: { page: '1' },
    });
    expect(await (await fetch(`${url}/report`)).json()).toMatchObject({ path: '/report' });
    expect(auth.tokenRequests()).toBe(1);
    expect(api.requests({ status: 200 })).toBe(7);
  });

  it("a request picks the manager's key with axios's { forge: { key } }", async () => {
    expect(await (await fetch(`${url}/report/scoped`)).json()).toMatchObject({
      path: '/scoped',
      scope: 'read',
    });
  });

  it('retries with a new token after the API revoked the old one', async () => {
    auth.resetCounters();
    api.revokeAll();
    const response = await fetch(`${url}/invoices`);
    expect(response.status).toBe(200);
    expect(auth.tokenRequests()).toBe(1);
  });
});
