import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import type { TokenProvider } from '../provider.js';
import { Token } from '../token.js';
import type { TokenManagerOptions } from './options.js';
import { resolveOptions } from './options.js';
import { TokenManager } from './token-manager.js';

const provider: TokenProvider = {
  serviceName: 'svc',
  fetchToken: async () => new Token({ accessToken: 'a' }),
};

function optionOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^\[forge\] \[core\] Invalid option `/);
    return (error as ConfigurationError).option;
  }
  return undefined;
}

describe('TokenManager options', () => {
  it('has documented defaults', () => {
    const resolved = resolveOptions(undefined);
    expect(resolved).toMatchObject({
      skewMs: 30_000,
      refreshAhead: { fraction: 0.2, minMs: 5_000, maxMs: 300_000 },
      backoff: { baseMs: 1_000, maxMs: 60_000 },
      lockTtlMs: 10_000,
      lockWaitMs: 10_000,
      refreshTokenTtlMs: 30 * 86_400_000,
      storageTimeoutMs: 1_000,
      maxKeys: 10_000,
      unauthorizedDampingMs: 30_000,
    });
    expect(resolveOptions({ unauthorizedDampingMs: 0 }).unauthorizedDampingMs).toBe(0);
    expect(resolveOptions({ lockTtlMs: 3_000 }).lockWaitMs).toBe(3_000);
    expect(resolveOptions({ refreshAhead: false }).refreshAhead).toBe(false);
  });

  it.each<[string, unknown]>([
    ['skewMs', { skewMs: -1 }],
    ['skewMs', { skewMs: Number.NaN }],
    ['skewMs', { skewMs: '5' }],
    ['refreshAhead.fraction', { refreshAhead: { fraction: 0 } }],
    ['refreshAhead.fraction', { refreshAhead: { fraction: 1 } }],
    ['refreshAhead.fraction', { refreshAhead: { fraction: 1.5 } }],
    ['refreshAhead.minMs', { refreshAhead: { minMs: -5 } }],
    ['refreshAhead.maxMs', { refreshAhead: { minMs: 10, maxMs: 5 } }],
    ['refreshAhead', { refreshAhead: true }],
    ['backoff.baseMs', { backoff: { baseMs: 0 } }],
    ['backoff.maxMs', { backoff: { baseMs: 100, maxMs: 10 } }],
    ['lockTtlMs', { lockTtlMs: 1.5 }],
    ['lockWaitMs', { lockWaitMs: -1 }],
    ['refreshTokenTtlMs', { refreshTokenTtlMs: 0 }],
    ['storageTimeoutMs', { storageTimeoutMs: 2.5 }],
    ['storageTimeoutMs', { storageTimeoutMs: -10 }],
    ['maxKeys', { maxKeys: 0 }],
    ['unauthorizedDampingMs', { unauthorizedDampingMs: -1 }],
    ['unauthorizedDampingMs', { unauthorizedDampingMs: 1.5 }],
    ['unauthorizedDampingMs', { unauthorizedDampingMs: '30s' }],
    ['clock', { clock: 42 }],
    ['options', 'fast'],
    ['storage', { storage: 'redis' }],
    ['storage.delete', { storage: { get() {}, set() {}, has() {} } }],
  ])('rejects a bad %s', (option, options) => {
    expect(optionOf(() => new TokenManager(provider, options as TokenManagerOptions))).toBe(option);
  });

  it.each<[string, unknown]>([
    ['provider', undefined],
    ['provider', 'svc'],
    ['provider.serviceName', { fetchToken: async () => undefined }],
    ['provider.serviceName', { serviceName: ' ', fetchToken: async () => undefined }],
    ['provider.fetchToken', { serviceName: 'svc' }],
    ['provider.fetchToken', { serviceName: 'svc', fetchToken: 'https://idp/token' }],
    ['provider.refreshToken', { ...provider, refreshToken: true }],
    ['provider.cacheKey', { ...provider, cacheKey: 'k' }],
  ])('rejects a bad %s', (option, bad) => {
    expect(optionOf(() => new TokenManager(bad as TokenProvider))).toBe(option);
  });

  it('rejects a listener that is not a function', async () => {
    const manager = new TokenManager(provider);
    expect(optionOf(() => manager.on('fetched', 'log' as never))).toBe('listener');
    await manager.close();
  });
});
