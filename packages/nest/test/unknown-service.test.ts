import 'reflect-metadata';
import type { TokenManager } from '@forge/core';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { expect, it } from 'vitest';
import { ForgeHttpModule, ForgeModule, InjectTokenManager } from '../src/index.js';

// Its own file: a name asked for by a decorator is provided by every
// ForgeModule loaded afterwards in the same module graph.
@Injectable()
class UsesUnknown {
  constructor(@InjectTokenManager('nope') readonly manager: TokenManager) {}
}

const services = {
  billing: {
    provider: {
      type: 'client_credentials' as const,
      clientId: 'a',
      clientSecret: 'b',
      tokenEndpoint: 'http://127.0.0.1:1/token',
    },
  },
  crm: {
    provider: {
      type: 'client_credentials' as const,
      clientId: 'c',
      clientSecret: 'd',
      tokenEndpoint: 'http://127.0.0.1:1/token',
    },
  },
};

it('an unknown name in @InjectTokenManager fails at bootstrap, listing the configured names', async () => {
  const compile = Test.createTestingModule({
    imports: [ForgeModule.forRoot({ services })],
    providers: [UsesUnknown],
  }).compile();
  await expect(compile).rejects.toThrow(
    /"nope" is not configured in ForgeModule; configured services: billing, crm/,
  );
});

it('rejects bad arguments where they are written', () => {
  expect(() => InjectTokenManager('')).toThrow(/InjectTokenManager\(service\)/);
  expect(() => ForgeHttpModule.register({ service: '' })).toThrow(/`service`/);
  // @ts-expect-error: useFactory is required
  expect(() => ForgeModule.forRootAsync({})).toThrow(/useFactory/);
});
