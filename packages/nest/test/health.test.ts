import 'reflect-metadata';
import { ClientCredentialsTokenProvider, ConfigurationError, TokenManager } from '@forge/core';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { Controller, Get, type INestApplication, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  TerminusModule,
} from '@nestjs/terminus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ForgeHealthIndicator, ForgeModule, ForgeService } from '../src/index.js';

let auth: AuthServer;
const closing: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  auth = await startAuthServer();
});
afterAll(() => auth.close());
afterEach(async () => {
  auth.faults.clear();
  for (const item of closing.splice(0)) await item.close();
});

function manager(serviceName: string) {
  const { clientId, clientSecret } = auth.clients.post;
  const created = new TokenManager(
    new ClientCredentialsTokenProvider({
      clientId,
      clientSecret,
      clientAuth: 'client_secret_post',
      tokenEndpoint: auth.tokenEndpoint,
      serviceName,
      retry: false,
    }),
  );
  closing.push(created);
  return created;
}

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(ForgeHealthIndicator) private readonly forge: ForgeHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.forge.isHealthy('tokens')]);
  }

  @Get('billing')
  @HealthCheck()
  billing() {
    return this.health.check([
      () => this.forge.isHealthy('billing', { services: ['billing'], details: true }),
    ]);
  }
}

async function start(billing: TokenManager<never>, crm: TokenManager<never>) {
  @Module({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      ForgeModule.forRoot({
        services: {
          billing: { baseURL: 'http://127.0.0.1:1', manager: billing },
          crm: { baseURL: 'http://127.0.0.1:1', manager: crm },
        },
      }),
    ],
    controllers: [HealthController],
  })
  class AppModule {}
  const app: INestApplication = await NestFactory.create(AppModule, new ExpressAdapter(), {
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  closing.push(app);
  const url = await app.getUrl();
  return async (path: string) => {
    const response = await fetch(`${url.replace('[::1]', '127.0.0.1')}${path}`);
    return { status: response.status, body: (await response.json()) as HealthCheckResult };
  };
}

describe('ForgeHealthIndicator with @nestjs/terminus', () => {
  it('is up while the managers can authorize calls, down with details once one fails', async () => {
    const billing = manager('billing');
    const crm = manager('crm');
    const get = await start(billing, crm);
    await billing.getToken();

    const up = await get('/health');
    expect(up.status).toBe(200);
    expect(up.body.status).toBe('ok');
    expect(up.body.info?.tokens?.status).toBe('up');
    expect(up.body.info?.tokens?.services.billing).toMatchObject({ ready: true, usable: 1 });

    auth.faults.set({ mode: 'status503' });
    await expect(crm.getToken()).rejects.toThrow();
    const down = await get('/health');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error?.tokens?.status).toBe('down');
    expect(down.body.error?.tokens?.services.crm).toMatchObject({
      ready: false,
      failing: 1,
      lastError: { name: 'TokenEndpointError', code: 'FORGE_TOKEN_ENDPOINT' },
    });

    // A check limited to billing stays up, with each key listed.
    const scoped = await get('/health/billing');
    expect(scoped.status).toBe(200);
    expect(Object.keys(scoped.body.info?.billing?.services)).toEqual(['billing']);
    expect(scoped.body.info?.billing?.services.billing.keys).toHaveLength(1);
    const token = await billing.getToken();
    expect(JSON.stringify(scoped.body)).not.toContain(token.accessToken);
  });

  it('names an unknown service with a ConfigurationError', async () => {
    const billing = manager('billing');
    const forge = new ForgeService({
      services: { billing: { baseURL: 'http://127.0.0.1:1', manager: billing } },
    });
    const health = new ForgeHealthIndicator(forge);
    await expect(health.isHealthy('forge', { services: ['nope'] })).rejects.toThrow(
      ConfigurationError,
    );
    await expect(health.isHealthy('')).rejects.toThrow(/key/);
    await expect(health.isHealthy()).resolves.toMatchObject({ forge: { status: 'up' } });
  });
});
