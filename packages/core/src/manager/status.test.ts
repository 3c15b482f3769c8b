import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, TokenEndpointError } from '../errors.js';
import { checkReadiness } from './readiness.js';
import { SECRET, TestProvider, useTrackedManagers } from './test-fixtures.js';
import { TokenManager } from './token-manager.js';

const HOUR = 3_600_000;
const track = useTrackedManagers();

function failure(): TokenEndpointError {
  return new TokenEndpointError('The token endpoint answered HTTP 503.', {
    serviceName: 'billing-api',
    status: 503,
    reason: 'server',
  });
}

describe('status()', () => {
  it('is ready with no key held, and counts hits and misses', async () => {
    const manager = track(new TokenManager(new TestProvider()));
    expect(manager.status()).toEqual({
      serviceName: 'billing-api',
      closed: false,
      ready: true,
      cache: { hits: 0, misses: 0 },
      keys: [],
    });
    await manager.getToken();
    await manager.getToken();
    await manager.getToken();
    expect(manager.status().cache).toEqual({ hits: 2, misses: 1 });
  });

  it('reports a usable token, its expiry and no error', async () => {
    const manager = track(new TokenManager(new TestProvider()));
    const token = await manager.getToken();
    const [key] = manager.status().keys;
    expect(key).toEqual({
      key: 'billing-api',
      usable: true,
      expiresAt: token.expiresAt,
      expiresInMs: HOUR,
      refreshing: false,
      failures: 0,
      lastError: undefined,
      backingOffUntil: undefined,
    });
  });

  it('reports the failing key, its error class and backoff, and is not ready', async () => {
    const provider = new TestProvider();
    provider.fetchError = failure();
    const manager = track(new TokenManager(provider));
    await expect(manager.getToken()).rejects.toThrow(TokenEndpointError);
    // The first failed load is retried by the next call at once; the second one backs off.
    await expect(manager.getToken()).rejects.toThrow(TokenEndpointError);
    const status = manager.status();
    expect(status.ready).toBe(false);
    const [key] = status.keys;
    expect(key?.usable).toBe(false);
    expect(key?.failures).toBe(2);
    expect(key?.lastError).toEqual({
      name: 'TokenEndpointError',
      code: 'FORGE_TOKEN_ENDPOINT',
      at: new Date(Date.now()),
    });
    expect(key?.backingOffUntil?.getTime()).toBeGreaterThan(Date.now());
    provider.fetchError = undefined;
    await manager.forceRefresh();
    expect(manager.status().ready).toBe(true);
    expect(manager.status().keys[0]?.lastError).toBeUndefined();
  });

  it('stays ready while a still-valid token is served during an outage', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    await manager.getToken();
    provider.fetchError = failure();
    await expect(manager.forceRefresh()).rejects.toThrow(TokenEndpointError);
    const status = manager.status();
    expect(status.ready).toBe(true);
    expect(status.keys[0]?.usable).toBe(true);
    expect(status.keys[0]?.lastError?.name).toBe('TokenEndpointError');
  });

  it('shows a request in flight, and is not ready once closed', async () => {
    const provider = new TestProvider();
    const manager = new TokenManager(provider);
    const release = provider.hold();
    const pending = manager.getToken();
    expect(manager.status().keys[0]?.refreshing).toBe(true);
    release();
    await pending;
    await manager.close();
    expect(manager.status()).toMatchObject({ closed: true, ready: false, keys: [] });
  });

  it('never holds a token', async () => {
    const provider = new TestProvider();
    provider.withRefreshToken = true;
    const manager = track(new TokenManager(provider));
    await manager.getToken();
    const status = manager.status();
    expect(JSON.stringify(status)).not.toContain(SECRET);
    expect(inspect(status, { depth: 8 })).not.toContain(SECRET);
  });
});

describe('flight events', () => {
  it('emits started in the caller, then the outcome with the same flight and reason', async () => {
    const provider = new TestProvider();
    const manager = track(new TokenManager(provider));
    const seen: string[] = [];
    manager.on('started', ({ flight, reason }) => seen.push(`started ${flight} ${reason}`));
    manager.on('fetched', ({ flight, reason }) => seen.push(`fetched ${flight} ${reason}`));
    manager.on('refreshed', ({ flight, reason }) => seen.push(`refreshed ${flight} ${reason}`));
    manager.on('failed', ({ flight, reason, failures }) =>
      seen.push(`failed ${flight} ${reason} ${failures}`),
    );
    const token = await manager.getToken();
    // started is synchronous inside the call that starts the flight.
    const pending = manager.forceRefresh();
    expect(seen.at(-1)).toBe('started 2 forced');
    await pending;
    await manager.invalidate(await manager.getToken());
    provider.fetchError = failure();
    await expect(manager.getToken()).rejects.toThrow(TokenEndpointError);
    expect(token.accessToken).toContain(SECRET);
    expect(seen).toEqual([
      'started 1 missing',
      'fetched 1 missing',
      'started 2 forced',
      'refreshed 2 forced',
      'started 3 rejected',
      'failed 3 rejected 1',
    ]);
  });

  it('says why a token was invalidated', async () => {
    const manager = track(new TokenManager(new TestProvider()));
    const causes: string[] = [];
    manager.on('invalidated', ({ cause }) => causes.push(cause));
    await manager.invalidate(await manager.getToken());
    await manager.getToken();
    await manager.invalidate();
    expect(causes).toEqual(['rejected', 'reset']);
  });

  it('emits closed before dropping its listeners', async () => {
    const manager = new TokenManager(new TestProvider());
    const closed: string[] = [];
    manager.on('closed', ({ serviceName }) => closed.push(serviceName));
    await manager.close();
    await manager.close();
    expect(closed).toEqual(['billing-api']);
  });
});

describe('checkReadiness()', () => {
  it('summarizes each service and is ready only when all are', async () => {
    const healthy = track(new TokenManager(new TestProvider('billing')));
    const broken = new TestProvider('crm');
    broken.fetchError = failure();
    const failing = track(new TokenManager(broken));
    await healthy.getToken();
    await expect(failing.getToken()).rejects.toThrow(TokenEndpointError);
    const report = checkReadiness({ billing: healthy, crm: failing });
    expect(report.ready).toBe(false);
    expect(report.services.billing).toEqual({
      ready: true,
      closed: false,
      held: 1,
      usable: 1,
      failing: 0,
      backingOff: 0,
      lastError: undefined,
      expiresInMs: HOUR,
    });
    expect(report.services.crm).toMatchObject({ ready: false, held: 1, usable: 0, failing: 1 });
    expect(report.services.crm?.lastError?.code).toBe('FORGE_TOKEN_ENDPOINT');
    expect(report.services.crm?.keys).toBeUndefined();
    expect(
      checkReadiness({ billing: healthy }, { details: true }).services.billing?.keys,
    ).toHaveLength(1);
    expect(checkReadiness({ billing: healthy }).ready).toBe(true);
  });

  it('rejects what is not a manager', () => {
    expect(() => checkReadiness(null as never)).toThrow(ConfigurationError);
    expect(() => checkReadiness({ billing: {} as never })).toThrow(/managers\.billing/);
  });
});
