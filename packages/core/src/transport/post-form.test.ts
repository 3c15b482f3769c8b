import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenEndpointError } from '../errors.js';
import { resolveTransport } from './options.js';
import { postForm } from './post-form.js';

// A scripted fetch: the unit under test is postForm's retry timing, driven by fake timers.
function scriptedFetch(...responses: (() => Response)[]) {
  const calls: number[] = [];
  const fetch = (async () => {
    calls.push(Date.now());
    const next = responses[Math.min(calls.length - 1, responses.length - 1)];
    return (next as () => Response)();
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const request = {
  serviceName: 'svc',
  url: 'https://as.example/token',
  body: new URLSearchParams({ grant_type: 'client_credentials' }),
  headers: {},
};

describe('postForm retry timing', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { fetch, calls } = scriptedFetch(
      () =>
        new Response('', {
          status: 429,
          headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' },
        }),
      () => new Response('{"access_token":"a"}', { status: 200 }),
    );
    const pending = postForm(request, resolveTransport({ fetch, retry: { maxTotalMs: 60_000 } }));
    await vi.advanceTimersByTimeAsync(6_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(response.status).toBe(200);
    expect((calls[1] ?? 0) - (calls[0] ?? 0)).toBe(7_000);
  });

  it('honours Retry-After seconds on a 503', async () => {
    const { fetch, calls } = scriptedFetch(
      () => new Response('', { status: 503, headers: { 'retry-after': '4' } }),
      () => new Response('{}', { status: 200 }),
    );
    const pending = postForm(request, resolveTransport({ fetch }));
    await vi.advanceTimersByTimeAsync(4_000);
    await pending;
    expect((calls[1] ?? 0) - (calls[0] ?? 0)).toBe(4_000);
  });

  it('backs off with full jitter below a doubling ceiling', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const { fetch, calls } = scriptedFetch(() => new Response('', { status: 500 }));
    const pending = postForm(
      request,
      resolveTransport({ fetch, retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 300 } }),
    ).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await pending;
    expect(error).toBeInstanceOf(TokenEndpointError);
    const gaps = calls.slice(1).map((at, i) => at - (calls[i] ?? 0));
    expect(gaps).toEqual([99, 199, 299]);
    vi.restoreAllMocks();
  });

  it('caps a Retry-After in seconds at maxRetryAfterMs (default 60 s) for its own wait and the error', async () => {
    const { fetch, calls } = scriptedFetch(
      () => new Response('', { status: 429, headers: { 'retry-after': '86400' } }),
    );
    const error = (await postForm(request, resolveTransport({ fetch })).catch(
      (caught: unknown) => caught,
    )) as TokenEndpointError;
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error.reason).toBe('rate-limited');
    expect(error.retryAfterMs).toBe(60_000);
    expect(calls).toHaveLength(1);

    const capped = scriptedFetch(
      () => new Response('', { status: 429, headers: { 'retry-after': '86400' } }),
      () => new Response('{"access_token":"a"}', { status: 200 }),
    );
    const pending = postForm(
      request,
      resolveTransport({ fetch: capped.fetch, maxRetryAfterMs: 5_000 }),
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await pending).status).toBe(200);
    expect((capped.calls[1] ?? 0) - (capped.calls[0] ?? 0)).toBe(5_000);
  });

  it('caps a Retry-After HTTP date far in the future', async () => {
    const { fetch } = scriptedFetch(
      () =>
        new Response('', {
          status: 503,
          headers: { 'retry-after': 'Fri, 01 Jan 2099 00:00:00 GMT' },
        }),
    );
    const error = (await postForm(
      request,
      resolveTransport({ fetch, maxRetryAfterMs: 10_000, retry: { maxAttempts: 1 } }),
    ).catch((caught: unknown) => caught)) as TokenEndpointError;
    expect(error.reason).toBe('server');
    expect(error.retryAfterMs).toBe(10_000);
  });

  it('does not retry 4xx answers', async () => {
    const { fetch, calls } = scriptedFetch(
      () => new Response('{"error":"invalid_grant"}', { status: 400 }),
    );
    const response = await postForm(request, resolveTransport({ fetch }));
    expect(response.status).toBe(400);
    expect(calls).toHaveLength(1);
  });
});

describe('resolveTransport', () => {
  it('rejects bad options naming them', () => {
    expect(() => resolveTransport({ timeoutMs: 0 })).toThrow(/`timeoutMs`/);
    expect(() => resolveTransport({ retry: { maxAttempts: 0 } })).toThrow(/`retry.maxAttempts`/);
    expect(() => resolveTransport({ retry: { maxTotalMs: -1 } })).toThrow(/`retry.maxTotalMs`/);
    expect(() => resolveTransport({ fetch: 'no' as unknown as typeof fetch })).toThrow(/`fetch`/);
    expect(resolveTransport({ retry: false }).maxAttempts).toBe(1);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1024']) {
      expect(() => resolveTransport({ maxResponseBytes: bad as number })).toThrow(
        /`maxResponseBytes`/,
      );
    }
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveTransport({ maxRetryAfterMs: bad })).toThrow(/`maxRetryAfterMs`/);
    }
  });

  it('defaults to a 1 MiB body limit and a 60 s Retry-After cap', () => {
    const resolved = resolveTransport();
    expect(resolved.maxResponseBytes).toBe(1_048_576);
    expect(resolved.maxRetryAfterMs).toBe(60_000);
    expect(resolveTransport({ maxResponseBytes: 4_096, maxRetryAfterMs: 1_000 })).toMatchObject({
      maxResponseBytes: 4_096,
      maxRetryAfterMs: 1_000,
    });
  });
});
