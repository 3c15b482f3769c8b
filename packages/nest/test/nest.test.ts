import 'reflect-metadata';
import {
  type Authorizer,
  ConfigurationError,
  ForgeErrorCode,
  InMemoryTokenStorage,
  type TokenManager,
  type TokenStorage,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { Controller, Get, type INestApplication, Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForgeHttpModule,
  ForgeModule,
  ForgeService,
  InjectAuthorizer,
  InjectForgeHttpService,
  InjectTokenManager,
} from '../src/index.js';

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
    @Inject(ForgeService) readonly forge: ForgeService<'billing'>,
  ) {}
}

@Controller('invoices')
class InvoicesController {
  constructor(@Inject(HttpService) private readonly http: HttpService) {}

  @Get()
  async list(): Promise<unknown> {
    const response = await firstValueFrom(this.http.get('/invoices', { params: { page: 1 } }));
    return response.data;
  }
}

@Module({
  imports: [ForgeHttpModule.register({ service: 'billing', timeout: 5_000 })],
  controllers: [InvoicesController],
})
class InvoicesModule {}

describe('ForgeModule with @nestjs/testing', () => {
  it('injects the manager, the authorizer and ForgeService of a configured service', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ForgeModule.forRoot({ services: { billing: billingConfig() } })],
      providers: [BillingTokens],
    }).compile();
    const tokens = moduleRef.get(BillingTokens);
    expect(tokens.manager).toBe(tokens.forge.manager('billing'));
    expect(tokens.authorizer).toBe(tokens.forge.authorizer('billing'));
    const token = await tokens.manager.getToken();
    const authorization = await tokens.authorizer.authorize({
      method: 'GET',
      url: `${api.url}/x`,
      headers: {},
      attempt: 0,
    });
    expect(authorization?.headers.authorization).toBe(token.authorizationHeader);
    // The policy keeps the token to the service's own origin.
    expect(
      await tokens.authorizer.authorize({
        method: 'GET',
        url: 'http://127.0.0.2:1/x',
        headers: {},
        attempt: 0,
      }),
    ).toBeUndefined();
    await moduleRef.close();
  });

  it('forRootAsync builds the services from ConfigService', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ForgeModule.forRootAsync({
          imports: [
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              load: [
                () => ({
                  BILLING_CLIENT_ID: auth.clients.post.clientId,
                  BILLING_CLIENT_SECRET: auth.clients.post.clientSecret,
                  TOKEN_ENDPOINT: auth.tokenEndpoint,
                }),
              ],
            }),
          ],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            services: {
              billing: {
                provider: {
                  type: 'client_credentials',
                  clientId: config.getOrThrow<string>('BILLING_CLIENT_ID'),
                  clientSecret: config.getOrThrow<string>('BILLING_CLIENT_SECRET'),
                  clientAuth: 'client_secret_post',
                  tokenEndpoint: config.getOrThrow<string>('TOKEN_ENDPOINT'),
                },
                baseURL: api.url,
              },
            },
          }),
        }),
        // The names are known only once the factory ran: this module declares the ones it injects.
        ForgeModule.forFeature(['billing']),
      ],
      providers: [BillingTokens],
    }).compile();
    const token = await moduleRef.get(BillingTokens).manager.getToken();
    const response = await fetch(`${api.url}/who`, {
      headers: { authorization: token.authorizationHeader },
    });
    expect(((await response.json()) as { client_id: string }).client_id).toBe(
      auth.clients.post.clientId,
    );
    await moduleRef.close();
  });

  it('fails at bootstrap with a ConfigurationError naming a misconfigured service', async () => {
    const compile = Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({
          services: {
            billing: billingConfig(),
            crm: {
              baseURL: api.url,
              provider: { type: 'client_credentials', clientId: 'crm' },
            },
          },
        }),
      ],
    }).compile();
    const error = await compile.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).option).toMatch(/^services\.crm\.provider/);
    expect((error as Error).message).toMatch(/^\[forge\] \[nest\]/);
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

  it('rejects a provider config of an unknown type at bootstrap', async () => {
    const compile = Test.createTestingModule({
      imports: [
        ForgeModule.forRoot({
          // @ts-expect-error: only client_credentials can be configured as data
          services: { billing: { baseURL: api.url, provider: { type: 'password' } } },
        }),
      ],
    }).compile();
    await expect(compile).rejects.toThrow(/services\.billing\.provider\.type/);
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
    await expect(manager.getToken()).rejects.toMatchObject({ code: ForgeErrorCode.Closed });
  });
});

describe('a real Nest app on the Express platform', () => {
  let app: INestApplication;
  let url: string;

  @Controller('report')
  class ReportController {
    constructor(@InjectForgeHttpService('billing') private readonly billing: HttpService) {}

    @Get()
    async report(): Promise<unknown> {
      const [a, b] = await Promise.all([
        firstValueFrom(this.billing.get('/a')),
        firstValueFrom(this.billing.get('/b')),
      ]);
      return { a: a.data, b: b.data };
    }
  }

  beforeAll(async () => {
    // Built here: the testkit servers' addresses are known only now.
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
    const responses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${url}/invoices`)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    const body = (await responses[0]!.json()) as {
      path: string;
      client_id: string;
      query: unknown;
    };
    expect(body).toMatchObject({
      path: '/invoices',
      client_id: auth.clients.basic.clientId,
      query: { page: '1' },
    });
    const report = (await (await fetch(`${url}/report`)).json()) as {
      a: { path: string };
      b: { path: string };
    };
    expect([report.a.path, report.b.path]).toEqual(['/a', '/b']);
    expect(auth.tokenRequests()).toBe(1);
    expect(api.requests({ status: 200 })).toBe(10);
  });

  it('retries with a new token after the API revoked the old one', async () => {
    auth.resetCounters();
    api.revokeAll();
    const response = await fetch(`${url}/invoices`);
    expect(response.status).toBe(200);
    expect(auth.tokenRequests()).toBe(1);
  });
});
