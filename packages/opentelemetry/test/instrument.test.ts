import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  InMemoryTokenStorage,
  TokenManager,
  type TokenManagerOptions,
} from '@forge/core';
import { withForge } from '@forge/fetch';
import { useTestkit } from '@forge/test-utils';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ForgeMetric, ForgeSpan, instrumentTokenManager } from '../src/index.js';
import { points, telemetry, total } from './telemetry.js';

const kit = useTestkit();
const otel = telemetry();
const disposers: (() => void)[] = [];
afterEach(() => {
  for (const dispose of disposers.splice(0)) dispose();
  kit.auth.faults.clear();
  otel.reset();
});
afterAll(() => otel.shutdown());

// Each manager gets its own service name, so cumulative metrics of earlier tests stay apart.
let services = 0;
let SERVICE = { 'forge.service.name': '' };

/** A manager for the testkit's client, instrumented with the test SDK, and a fetch that uses it. */
function setup(
  options: TokenManagerOptions = {},
  retry: { maxAttempts: number; baseDelayMs: number } = { maxAttempts: 3, baseDelayMs: 1 },
  serviceName = `orders-${++services}`,
) {
  const { clientId, clientSecret } = kit.auth.clients.post;
  const manager = new TokenManager(
    new ClientCredentialsTokenProvider({
      clientId,
      clientSecret,
      clientAuth: 'client_secret_post',
      tokenEndpoint: kit.auth.tokenEndpoint,
      serviceName,
      retry,
    }),
    options,
  );
  const instrumentation = instrumentTokenManager(manager, {
    meterProvider: otel.meterProvider,
    tracerProvider: otel.tracerProvider,
  });
  disposers.push(
    () => instrumentation.dispose(),
    () => void manager.close(),
  );
  SERVICE = { 'forge.service.name': manager.serviceName };
  const client = withForge(fetch, manager, { policy: { baseURL: kit.api.url } });
  return { manager, client, instrumentation };
}

/** Runs `work` inside an active span, as an instrumented server handler would. */
function inRequest<T>(
  work: () => Promise<T>,
): Promise<{ result: T; spanId: string; traceId: string }> {
  const tracer = otel.tracerProvider.getTracer('app');
  return tracer.startActiveSpan('GET /orders', async (span) => {
    try {
      const result = await work();
      return { result, ...span.spanContext() };
    } finally {
      span.end();
    }
  });
}

const named = (name: string) => otel.spans().filter((span) => span.name === name);

describe('spans', () => {
  it('puts the token request under the request that waited for it, with an HTTP client span per attempt', async () => {
    const { client } = setup();
    const { result, spanId, traceId } = await inRequest(() => client(`${kit.api.url}/orders`));
    expect(result.status).toBe(200);
    const [request] = named(ForgeSpan.TokenRequest);
    expect(request?.parentSpanContext?.spanId).toBe(spanId);
    expect(request?.spanContext().traceId).toBe(traceId);
    expect(request?.kind).toBe(SpanKind.INTERNAL);
    const origin = new URL(kit.auth.tokenEndpoint);
    expect(request?.attributes).toEqual({
      'forge.service.name': SERVICE['forge.service.name'],
      'forge.token.reason': 'missing',
      'forge.token.grant_type': 'client_credentials',
      'forge.token.endpoint': origin.origin,
      'server.address': '127.0.0.1',
      'server.port': Number(origin.port),
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'forge.token.retry_count': 0,
      'forge.token.outcome': 'fetched',
    });
    expect(request?.status.code).toBe(SpanStatusCode.UNSET);
    const [attempt] = named(ForgeSpan.Attempt);
    expect(attempt?.kind).toBe(SpanKind.CLIENT);
    expect(attempt?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(attempt?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });
    expect(attempt?.attributes['error.type']).toBeUndefined();
    // A second request finds the token cached: no new token request, no span.
    await inRequest(() => client(`${kit.api.url}/orders`));
    expect(named(ForgeSpan.TokenRequest)).toHaveLength(1);
  });

  it('records each retry as its own attempt span and the retry count on the request', async () => {
    const { client } = setup();
    kit.auth.faults.set({ mode: 'status503', times: 1 });
    expect((await inRequest(() => client(`${kit.api.url}/orders`))).result.status).toBe(200);
    const attempts = named(ForgeSpan.Attempt);
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([
      503, 200,
    ]);
    expect(attempts[0]?.attributes['error.type']).toBe('503');
    expect(attempts[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[1]?.attributes['http.request.resend_count']).toBe(1);
    const [request] = named(ForgeSpan.TokenRequest);
    expect(request?.attributes['forge.token.retry_count']).toBe(1);
    expect(request?.attributes['forge.token.outcome']).toBe('fetched');
  });

  it('marks a failed token request with the error class and code, never its message', async () => {
    const { manager } = setup({}, { maxAttempts: 1, baseDelayMs: 1 });
    kit.auth.faults.set({ mode: 'status500' });
    await expect(inRequest(() => manager.getToken())).rejects.toThrow();
    const [request] = named(ForgeSpan.TokenRequest);
    expect(request?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'TokenEndpointError FORGE_TOKEN_ENDPOINT',
    });
    expect(request?.attributes).toMatchObject({
      'forge.token.outcome': 'failed',
      'error.type': 'TokenEndpointError',
      'forge.error.code': 'FORGE_TOKEN_ENDPOINT',
      'forge.error.reason': 'server',
      'http.response.status_code': 500,
    });
  });

  it('starts a new trace linked to the request for a refresh ahead of expiry', async () => {
    let offset = 0;
    const { manager } = setup({ clock: () => Date.now() + offset });
    const token = await manager.getToken();
    // 100 s before expiry: inside the refresh window (the last 5 min), still usable (skew 30 s).
    offset = token.expiresAtMs - Date.now() - 100_000;
    otel.reset();
    const { spanId, traceId } = await inRequest(async () => {
      await manager.getToken();
      return undefined;
    });
    await expect.poll(() => named(ForgeSpan.TokenRequest).length).toBe(1);
    const [refresh] = named(ForgeSpan.TokenRequest);
    expect(refresh?.attributes['forge.token.reason']).toBe('expiring');
    expect(refresh?.parentSpanContext).toBeUndefined();
    expect(refresh?.spanContext().traceId).not.toBe(traceId);
    expect(refresh?.links.map((link) => link.context.spanId)).toEqual([spanId]);
  });

  it('ends the span of a request cut short by close()', async () => {
    const { manager } = setup();
    kit.auth.faults.set({ mode: 'hang' });
    const pending = manager.getToken();
    await expect.poll(() => manager.status().keys[0]?.refreshing).toBe(true);
    await manager.close();
    await expect(pending).rejects.toThrow();
    const [request] = named(ForgeSpan.TokenRequest);
    expect(request?.attributes['error.type']).toBe('closed');
    expect(request?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('metrics', () => {
  it('counts token requests, cache lookups and records the duration and the expiry', async () => {
    const { client } = setup();
    for (let i = 0; i < 3; i++) expect((await client(`${kit.api.url}/orders`)).status).toBe(200);
    const metrics = await otel.collect();
    const requests = metrics.get(ForgeMetric.TokenRequests);
    expect(total(requests, SERVICE)).toBe(1);
    expect(
      total(requests, {
        ...SERVICE,
        'forge.token.outcome': 'fetched',
        'forge.token.reason': 'missing',
      }),
    ).toBe(1);
    const duration = metrics.get(ForgeMetric.TokenRequestDuration) as HistogramMetricData;
    const [histogram] = points(duration, SERVICE);
    expect(histogram?.value).toMatchObject({ count: 1 });
    expect(duration.descriptor.unit).toBe('s');
    const lookups = metrics.get(ForgeMetric.CacheLookups);
    expect(total(lookups, { ...SERVICE, 'forge.cache.result': 'miss' })).toBe(1);
    expect(total(lookups, { ...SERVICE, 'forge.cache.result': 'hit' })).toBe(2);
    const [expiresIn] = points(metrics.get(ForgeMetric.TokenExpiresIn), SERVICE);
    expect(expiresIn?.value).toBeGreaterThan(0);
    expect(total(metrics.get(ForgeMetric.BackoffKeys), SERVICE)).toBe(0);
  });

  it('counts a renewal after the API answers 401', async () => {
    const { manager, client } = setup();
    expect((await client(`${kit.api.url}/orders`)).status).toBe(200);
    await kit.auth.revokeToken((await manager.getToken()).accessToken);
    expect((await client(`${kit.api.url}/orders`)).status).toBe(200);
    const metrics = await otel.collect();
    expect(total(metrics.get(ForgeMetric.TokenRenewals), SERVICE)).toBe(1);
    expect(
      total(metrics.get(ForgeMetric.TokenRequests), { 'forge.token.reason': 'rejected' }),
    ).toBe(1);
    const reasons = named(ForgeSpan.TokenRequest).map(
      (span) => span.attributes['forge.token.reason'],
    );
    expect(reasons).toEqual(['missing', 'rejected']);
  });

  it('reports failures and the backoff while the token endpoint is down', async () => {
    const { manager } = setup({}, { maxAttempts: 1, baseDelayMs: 1 });
    kit.auth.faults.set({ mode: 'status503' });
    // The first failure is retried by the next call; the second one backs off.
    await expect(manager.getToken()).rejects.toThrow();
    await expect(manager.getToken()).rejects.toThrow();
    const metrics = await otel.collect();
    expect(
      total(metrics.get(ForgeMetric.TokenRequests), {
        ...SERVICE,
        'forge.token.outcome': 'failed',
        'error.type': 'TokenEndpointError',
      }),
    ).toBe(2);
    expect(total(metrics.get(ForgeMetric.BackoffKeys), SERVICE)).toBe(1);
    expect(total(metrics.get(ForgeMetric.BackoffRemaining), SERVICE)).toBeGreaterThan(0);
    expect(points(metrics.get(ForgeMetric.TokenExpiresIn), SERVICE)).toEqual([]);
  });

  it('counts storage errors by operation', async () => {
    class BrokenStorage extends InMemoryTokenStorage {
      override get(): never {
        throw new Error('storage down');
      }
    }
    const { manager } = setup({ storage: new BrokenStorage() });
    await manager.getToken();
    const metrics = await otel.collect();
    expect(
      total(metrics.get(ForgeMetric.StorageErrors), {
        ...SERVICE,
        'forge.storage.operation': 'get',
        'error.type': 'StorageError',
      }),
    ).toBe(1);
  });

  it('counts a token taken from a shared storage as reused', async () => {
    const storage = new InMemoryTokenStorage();
    const first = setup({ storage });
    await first.manager.getToken();
    const second = setup({ storage }, undefined, first.manager.serviceName);
    await second.manager.getToken();
    const metrics = await otel.collect();
    expect(total(metrics.get(ForgeMetric.TokenRequests), { 'forge.token.outcome': 'reused' })).toBe(
      1,
    );
    expect(
      named(ForgeSpan.TokenRequest).map((span) => span.attributes['forge.token.outcome']),
    ).toEqual(['fetched', 'reused']);
  });
});

describe('instrumentTokenManager()', () => {
  it('stops recording on dispose()', async () => {
    const { manager, instrumentation } = setup();
    instrumentation.dispose();
    instrumentation.dispose();
    await manager.getToken();
    expect(otel.spans()).toEqual([]);
    const metrics = await otel.collect();
    expect(total(metrics.get(ForgeMetric.TokenRequests), SERVICE)).toBe(0);
    expect(points(metrics.get(ForgeMetric.CacheLookups), SERVICE)).toEqual([]);
  });

  it('works with the global no-op API when no SDK is registered', async () => {
    const { manager } = setup();
    const instrumentation = instrumentTokenManager(manager);
    expect(trace.getTracerProvider()).toBeDefined();
    await manager.getToken();
    instrumentation.dispose();
  });

  it('validates its arguments with ConfigurationErrors', () => {
    const { manager } = setup();
    const optionOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).option;
      }
      return undefined;
    };
    expect(optionOf(() => instrumentTokenManager({} as never))).toBe('manager');
    expect(optionOf(() => instrumentTokenManager(manager, 'yes' as never))).toBe('options');
    expect(optionOf(() => instrumentTokenManager(manager, { meterProvider: {} as never }))).toBe(
      'meterProvider',
    );
    expect(optionOf(() => instrumentTokenManager(manager, { tracing: 'no' as never }))).toBe(
      'tracing',
    );
  });
});
