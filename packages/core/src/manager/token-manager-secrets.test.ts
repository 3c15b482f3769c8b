import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Token } from '../token.js';
import { SECRET, TestProvider } from './test-fixtures.js';
import { TokenManager } from './token-manager.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});

afterEach(() => {
  vi.useRealTimers();
});

/** A provider holding a client secret, the way built-in providers do. */
class SecretProvider extends TestProvider {
  readonly clientId = 'client-1';
  readonly clientSecret = `${SECRET}-client-secret`;
}

function seen(value: unknown): string {
  if (value instanceof Error) return `${value.message}\n${inspect(value, { depth: 5 })}`;
  return `${JSON.stringify(value)}\n${inspect(value, { depth: 5 })}`;
}

describe('no secret leaks', () => {
  it('keeps access tokens, refresh tokens and client secrets out of errors, events and inspect', async () => {
    const provider = new SecretProvider();
    provider.withRefreshToken = true;
    const outputs: string[] = [];
    const manager = new TokenManager(provider, {
      storage: {
        get: () => {
          throw new Error(`AUTH failed: password=${SECRET}-redis Authorization: Bearer ${SECRET}`);
        },
        set: (_key, token) => {
          // A storage error echoing the command it ran, credentials included.
          throw new Error(`SET billing-api ${JSON.stringify(token.toJSON())} failed`);
        },
        delete: () => {},
        has: () => false,
      },
    });
    for (const event of [
      'fetched',
      'refreshed',
      'failed',
      'invalidated',
      'storageError',
    ] as const) {
      manager.on(event, (payload) => outputs.push(seen(payload)));
    }

    const token = await manager.getToken();
    expect(token.accessToken).toContain(SECRET);
    outputs.push(inspect(manager, { depth: 10 }), inspect(token), String(token), `${token}`);

    await manager.forceRefresh();
    provider.refreshError = new Error(
      `refresh failed for refresh_token=${SECRET}-rt and client_secret=${SECRET}-client-secret`,
    );
    outputs.push(seen(await manager.forceRefresh().catch((e: unknown) => e)));
    provider.fetchError = new Error(`Authorization: Bearer ${SECRET}-at rejected`);
    await manager.invalidate();
    outputs.push(seen(await manager.getToken().catch((e: unknown) => e)));
    outputs.push(inspect(manager, { depth: 10, showHidden: true }));

    expect(outputs.length).toBeGreaterThan(8);
    for (const output of outputs) expect(output).not.toContain(SECRET);
    expect(inspect(manager)).toMatch(/^TokenManager \{ serviceName: 'billing-api'/);
    await manager.close();
  });

  it('inspects a token without its credentials', () => {
    const token = new Token({
      accessToken: `${SECRET}-at`,
      refreshToken: `${SECRET}-rt`,
      expiresAt: Date.now() + 1_000,
    });
    expect(inspect(token)).not.toContain(SECRET);
    expect(inspect({ nested: { token } }, { depth: 5 })).not.toContain(SECRET);
  });
});
