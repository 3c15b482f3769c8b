import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdapter } from '../adapter/create-adapter.js';
import { type ConfigurationError, ForgeErrorCode } from '../errors.js';
import { TokenManager } from '../manager/token-manager.js';
import type { TokenProvider } from '../provider.js';
import { ClientCredentialsTokenProvider } from '../providers/client-credentials.js';
import { InMemoryTokenStorage } from '../storage/in-memory-storage.js';
import { type BuiltService, createService, serviceTarget } from './create-service.js';

const API = 'https://api.example.com';
const PKG = { package: 'test' } as const;

// One token per key, numbered in the order they were issued.
function keyedProvider(): TokenProvider<string | undefined> {
  let issued = 0;
  return {
    serviceName: 'keyed',
    cacheKey: (key) => key ?? 'default',
    fetchToken: async (key) => ({ accessToken: `${key ?? 'default'}-${++issued}` }),
  };
}

const clientCredentials = {
  type: 'client_credentials' as const,
  clientId: 'orders',
  clientSecret: 's3cr3t',
  tokenEndpoint: 'https://auth.example.com/token',
};

function failure(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (error) {
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

const built: BuiltService[] = [];
function create(config: unknown, options: Parameters<typeof createService>[2] = PKG) {
  const service = createService<string | undefined>('billing', config, options);
  built.push(service as BuiltService);
  return service;
}

afterEach(async () => {
  await Promise.all(built.splice(0).map((service) => service.manager.close()));
});

describe('createService', () => {
  it('creates and owns a manager from client credentials given as data', async () => {
    const service = create({ baseURL: `${API}/v1`, provider: clientCredentials });
    expect(service).toMatchObject({ name: 'billing', baseURL: `${API}/v1`, owned: true });
    expect(service.manager.serviceName).toBe('billing');
    expect(service.policy.origins).toEqual(new Set([API]));
    expect(service.authorizer.policy).toBe(service.policy);
  });

  it('uses a manager you pass, without owning it', () => {
    const manager = new TokenManager(keyedProvider());
    const service = create({ baseURL: API, manager });
    expect(service.manager).toBe(manager);
    expect(service.owned).toBe(false);
  });

  it('creates the manager with managerOptions over the framework defaults', async () => {
    const storage = new InMemoryTokenStorage();
    const fallback = new InMemoryTokenStorage();
    const own = create(
      { baseURL: API, provider: keyedProvider(), managerOptions: { storage } },
      { ...PKG, managerDefaults: { storage: fallback } },
    );
    await own.manager.getToken('a');
    expect(await storage.has('a')).toBe(true);
    expect(await fallback.has('a')).toBe(false);
    const defaulted = create(
      { baseURL: API, provider: keyedProvider() },
      { ...PKG, managerDefaults: { storage: fallback } },
    );
    await defaulted.manager.getToken('b');
    expect(await fallback.has('b')).toBe(true);
  });

  it('hands createAdapter a key function that picks the token per request', async () => {
    const tenants = new AsyncLocalStorage<string>();
    const service = create({
      baseURL: API,
      provider: keyedProvider(),
      key: () => tenants.getStore(),
    });
    const adapter = createAdapter(service.authorizer, { key: service.key }, PKG);
    const request = { method: 'GET', url: `${API}/x`, headers: {} };
    const fromStore = await tenants.run('tenant-a', () => adapter.authorize(request));
    const own = await adapter.authorize({ ...request, forge: { key: 'tenant-b' } });
    expect(fromStore?.authorization.headers.authorization).toBe('Bearer tenant-a-1');
    expect(own?.authorization.headers.authorization).toBe('Bearer tenant-b-2');
    expect(await adapter.authorize({ ...request, url: 'https://elsewhere.example/x' })).toBe(
      undefined,
    );
  });

  it('keeps credentials to the baseURL origin and the policy origins', () => {
    const service = create({
      baseURL: API,
      provider: clientCredentials,
      policy: { origins: ['https://files.example.com'], excludedPaths: ['/health'] },
    });
    expect(service.policy.allows(`${API}/x`)).toBe(true);
    expect(service.policy.allows('https://files.example.com/x')).toBe(true);
    expect(service.policy.allows(`${API}/health`)).toBe(false);
  });

  it.each([
    [undefined, 'services.billing', /must be an object/],
    [{ provider: clientCredentials }, 'services.billing.baseURL', /is required/],
    [
      { baseURL: 'api.example.com', provider: clientCredentials },
      'services.billing.baseURL',
      /absolute/,
    ],
    [
      { baseURL: 'ftp://api.example.com', provider: clientCredentials },
      'services.billing.baseURL',
      /http or https/,
    ],
    [
      { baseURL: 'https://u:p@api.example.com', provider: clientCredentials },
      'services.billing.baseURL',
      /credentials/,
    ],
    [{ baseURL: API }, 'services.billing', /needs a `provider`/],
    [{ baseURL: API, provider: clientCredentials, manager: {} }, 'services.billing', /not both/],
    [{ baseURL: API, manager: { skewMs: 1 } }, 'services.billing.manager', /managerOptions/],
    [
      { baseURL: API, provider: { clientId: 'x' } },
      'services.billing.provider.type',
      /client_credentials/,
    ],
    [{ baseURL: API, provider: 'secret' }, 'services.billing.provider', /TokenProvider/],
    [
      { baseURL: API, provider: { type: 'client_credentials', clientId: 'x' } },
      'services.billing.provider.tokenEndpoint',
      /issuer/,
    ],
    [
      { baseURL: API, provider: clientCredentials, managerOptions: { skewMs: -1 } },
      'services.billing.managerOptions.skewMs',
      /./,
    ],
    [
      { baseURL: API, provider: { serviceName: 'x', fetchToken: () => undefined, cacheKey: 1 } },
      'services.billing.provider.cacheKey',
      /function/,
    ],
    [
      { baseURL: API, provider: clientCredentials, policy: { excludedPaths: ['health'] } },
      'services.billing.policy.excludedPaths[0]',
      /start/,
    ],
    [
      { baseURL: API, provider: clientCredentials, policy: { baseURL: API } },
      'services.billing.policy.baseURL',
      /services\.billing\.baseURL/,
    ],
    [
      { baseURL: API, provider: clientCredentials, key: 'tenant-a' },
      'services.billing.key',
      /function/,
    ],
    [
      { baseURL: API, provider: clientCredentials, storage: {} },
      'services.billing.storage',
      /managerOptions: \{ storage \}/,
    ],
    [
      { baseURL: API, provider: clientCredentials, origins: [] },
      'services.billing.origins',
      /policy: \{ origins \}/,
    ],
    [
      { baseURL: API, provider: clientCredentials, exchange: {} },
      'services.billing.exchange',
      /not a service option/,
    ],
  ])('refuses %j, naming %s', (config, option, message) => {
    const error = failure(() => create(config));
    expect(error).toMatchObject({ code: ForgeErrorCode.Configuration, option });
    expect(error.message).toMatch(/^\[forge\] \[test\] /);
    expect(error.message).toMatch(message);
  });

  it('refuses managerOptions beside a manager you own, and creates nothing for an invalid service', () => {
    const manager = new TokenManager(keyedProvider());
    expect(
      failure(() => create({ baseURL: API, manager, managerOptions: { skewMs: 1 } })).option,
    ).toBe('services.billing.managerOptions');
    expect(built).toHaveLength(0);
    void manager.close();
  });

  it('never quotes a secret in its errors', () => {
    const error = failure(() =>
      create({
        baseURL: API,
        provider: { ...clientCredentials, tokenEndpoint: 'not a url', clientSecret: 'hunter2' },
      }),
    );
    expect(error.option).toMatch(/^services\.billing\.provider\./);
    expect(error.message).not.toContain('hunter2');
  });
});

describe('serviceTarget', () => {
  it('validates and compiles what every service shape shares', () => {
    const { baseURL, policy } = serviceTarget('orders', { baseURL: `${API}/v2` }, PKG);
    expect(baseURL).toBe(`${API}/v2`);
    expect(policy.origins).toEqual(new Set([API]));
    expect(failure(() => serviceTarget('orders', { baseURL: API, policy: 'x' }, PKG)).option).toBe(
      'services.orders.policy',
    );
  });
});

it('a ClientCredentialsTokenProvider instance is used as it is', () => {
  const provider = new ClientCredentialsTokenProvider({
    ...clientCredentials,
    serviceName: 'mine',
  });
  expect(create({ baseURL: API, provider }).manager.serviceName).toBe('mine');
});
