// One service configuration for both frameworks (decision 0012): the same
// `services` object runs an Express app and a Nest app, and the same mistakes
// are refused alike. `@forge/express` and `express` resolve from the
// workspace root's devDependencies.
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import { ConfigurationError, type ForgeServiceConfig } from '@forge/core';
import { createForge } from '@forge/express';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import { HttpService } from '@nestjs/axios';
import { Test } from '@nestjs/testing';
import express from 'express';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ForgeHttpModule, ForgeModule } from '../src/index.js';

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

const scopes = new AsyncLocalStorage<{ scope: string }>();

function services(): Record<string, ForgeServiceConfig> {
  return {
    billing: {
      baseURL: api.url,
      provider: {
        type: 'client_credentials',
        clientId: auth.clients.basic.clientId,
        clientSecret: auth.clients.basic.clientSecret,
        tokenEndpoint: auth.tokenEndpoint,
      },
      managerOptions: { skewMs: 5_000 },
      policy: { excludedPaths: ['/health'] },
      // The client credentials provider takes { scope } per call: one token per scope.
      key: () => scopes.getStore(),
    },
  };
}

it('the same services run an Express app and a Nest app', async () => {
  const config = services();

  const forge = createForge({ services: config });
  const app = express();
  app.use(forge);
  app.get('/scoped', async (req, res, next) => {
    try {
      const response = await scopes.run({ scope: 'read' }, () => req.forge.fetch('billing', '/x'));
      res.json(await response.json());
    } catch (error) {
      next(error);
    }
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const moduleRef = await Test.createTestingModule({
    imports: [
      ForgeModule.forRoot({ services: config }),
      ForgeHttpModule.register({ service: 'billing' }),
    ],
  }).compile();
  try {
    const viaExpress = (await (
      await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/scoped`)
    ).json()) as { client_id: string; scope: string };
    const http = moduleRef.get(HttpService);
    const viaNest = await scopes.run({ scope: 'write' }, () =>
      firstValueFrom(http.get<{ client_id: string; scope: string }>('/x')),
    );
    expect(viaExpress).toMatchObject({ client_id: auth.clients.basic.clientId, scope: 'read' });
    expect(viaNest.data).toMatchObject({ client_id: auth.clients.basic.clientId, scope: 'write' });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await forge.close();
    await moduleRef.close();
  }
});

it('both refuse the same mistakes with the same ConfigurationError', async () => {
  const valid = services().billing!;
  const mistakes: unknown[] = [
    { ...valid, baseURL: 'billing.example' },
    { ...valid, policy: { excludedPaths: ['health'] } },
    { ...valid, policy: { baseURL: api.url } },
    { ...valid, provider: { type: 'password' } },
    { ...valid, managerOptions: { skewMs: -1 } },
    { ...valid, key: 'tenant-a' },
    { ...valid, storage: {} },
    { baseURL: api.url },
  ];
  for (const mistake of mistakes) {
    const given = { services: { billing: mistake } } as never;
    let inExpress: unknown;
    try {
      createForge(given);
    } catch (error) {
      inExpress = error;
    }
    const inNest = await Test.createTestingModule({ imports: [ForgeModule.forRoot(given)] })
      .compile()
      .catch((error: unknown) => error);
    expect(inExpress).toBeInstanceOf(ConfigurationError);
    expect(inNest).toBeInstanceOf(ConfigurationError);
    const [a, b] = [inExpress, inNest] as ConfigurationError[];
    expect(a!.option).toMatch(/^services\.billing/);
    expect(b!.option).toBe(a!.option);
    expect(b!.message.replace('[nest]', '')).toBe(a!.message.replace('[express]', ''));
  }
});
