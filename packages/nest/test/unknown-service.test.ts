import 'reflect-metadata';
import { ConfigurationError, type TokenManager } from '@forge/core';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import {
  ForgeHttpModule,
  ForgeModule,
  ForgeService,
  getAuthorizerToken,
  getTokenManagerToken,
  InjectAuthorizer,
  InjectTokenManager,
} from '../src/index.js';

// Declared before any ForgeModule below: a decorator must not change what
// other modules provide.
@Injectable()
class UsesUnknown {
  constructor(@InjectTokenManager('nope') readonly manager: TokenManager) {}
}

@Injectable()
class UsesBilling {
  constructor(
    @InjectTokenManager('billing') readonly manager: TokenManager,
    @InjectAuthorizer('billing') readonly authorizer: unknown,
  ) {}
}

const client = {
  type: 'client_credentials' as const,
  clientId: 'a',
  clientSecret: 'b',
  tokenEndpoint: 'http://127.0.0.1:1/token',
};
const services = {
  billing: { baseURL: 'http://127.0.0.1:1/billing', provider: client },
  crm: { baseURL: 'http://127.0.0.1:1/crm', provider: client },
};

describe('per-service providers', () => {
  it('forRoot provides the configured services only, whatever decorators exist', async () => {
    const root = ForgeModule.forRoot({ services });
    const tokens = (root.providers ?? []).map(
      (provider) => (provider as { provide: unknown }).provide,
    );
    expect(tokens).toContain(getTokenManagerToken('billing'));
    expect(tokens).toContain(getAuthorizerToken('crm'));
    expect(tokens).not.toContain(getTokenManagerToken('nope'));
    const moduleRef = await Test.createTestingModule({ imports: [root] }).compile();
    expect(() => moduleRef.get(getTokenManagerToken('nope'), { strict: false })).toThrow();
    expect(moduleRef.get(getTokenManagerToken('crm'), { strict: false })).toBe(
      moduleRef.get(ForgeService).manager('crm'),
    );
    await moduleRef.close();
  });

  it('an unknown name in a decorator fails the bootstrap', async () => {
    const compile = Test.createTestingModule({
      imports: [ForgeModule.forRoot({ services })],
      providers: [UsesUnknown],
    }).compile();
    await expect(compile).rejects.toThrow(/ForgeTokenManager\(nope\)/);
  });

  it('forFeature provides the names a module uses with forRootAsync', async () => {
    @Module({ imports: [ForgeModule.forFeature(['billing'])], providers: [UsesBilling] })
    class BillingModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        ForgeModule.forRootAsync({ useFactory: async () => ({ services }) }),
        BillingModule,
      ],
    }).compile();
    const uses = moduleRef.get(UsesBilling);
    const forge = moduleRef.get(ForgeService);
    expect(uses.manager).toBe(forge.manager('billing'));
    expect(uses.authorizer).toBe(forge.authorizer('billing'));
    await moduleRef.close();
  });

  it('forFeature with an unknown name fails the bootstrap, listing the configured names', async () => {
    const error = await Test.createTestingModule({
      imports: [
        ForgeModule.forRootAsync({ useFactory: () => ({ services }) }),
        ForgeModule.forFeature(['nope']),
      ],
    })
      .compile()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /"nope" is not configured in ForgeModule; configured services: billing, crm\./,
    );
  });
});

it('rejects bad arguments where they are written', () => {
  expect(() => InjectTokenManager('')).toThrow(/InjectTokenManager\(service\)/);
  expect(() => ForgeHttpModule.register({ service: '' })).toThrow(/`service`/);
  expect(() =>
    // @ts-expect-error: the client's baseURL is the service's
    ForgeHttpModule.register({ service: 'billing', baseURL: 'https://elsewhere.example' }),
  ).toThrow(/services\.billing\.baseURL/);
  // @ts-expect-error: useFactory is required
  expect(() => ForgeModule.forRootAsync({})).toThrow(/useFactory/);
  // @ts-expect-error: services are required
  expect(() => ForgeModule.forRoot({})).toThrow(/`services`/);
  expect(() => ForgeModule.forFeature([])).toThrow(/forFeature\(services\)/);
});
