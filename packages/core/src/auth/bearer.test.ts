import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, ForgeErrorCode, TokenEndpointError } from '../errors.js';
import { TestProvider } from '../manager/test-fixtures.js';
import { TokenManager } from '../manager/token-manager.js';
import { ExponentialAuthRetryStrategy } from '../policy/retry.js';
import { Token } from '../token.js';
import { type BearerTokenSource, bearer } from './bearer.js';
import { RequestAuthorizationError } from './request-error.js';

const API = 'https://api.example.com';

// A stand-in for TokenManager with its compare-and-invalidate semantics, so this
// unit test exercises bearer() alone.
function source(fail?: Error) {
  let current: Token | undefined;
  let issued = 0;
  const invalidated: string[] = [];
  const manager: BearerTokenSource = {
    async getToken() {
      if (fail) throw fail;
      current ??= new Token({ accessToken: `token-${++issued}` });
      return current;
    },
    async invalidate(token) {
      invalidated.push(token?.accessToken ?? 'none');
      if (token === current) current = undefined;
    },
  };
  return { manager, invalidated, issued: () => issued };
}

const request = (url = `${API}/orders`, attempt = 0) => ({
  method: 'GET',
  url,
  headers: {},
  attempt,
});

describe('bearer', () => {
  it('authorizes allowed requests with one frozen object per token', async () => {
    const { manager } = source();
    const authorizer = bearer(manager, { policy: { baseURL: API, excludedPaths: ['/health'] } });
    const first = await authorizer.authorize(request());
    const second = await authorizer.authorize(request(`${API}/other?x=1`));
    expect(first?.headers).toEqual({ authorization: 'Bearer token-1' });
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.headers)).toBe(true);
    expect(await authorizer.authorize(request(`${API}/health`))).toBeUndefined();
    expect(await authorizer.authorize(request('https://evil.example/orders'))).toBeUndefined();
    expect(
      await authorizer.authorize({ ...request(), headers: { authorization: 'Basic mine' } }),
    ).toBeUndefined();
  });

  it('never authorizes TRACE or TRACK, whose answer echoes the request headers', async () => {
    const { manager, issued } = source();
    const authorizer = bearer(manager, { policy: { baseURL: API } });
    for (const method of ['TRACE', 'TRACK']) {
      expect(await authorizer.authorize({ ...request(), method })).toBeUndefined();
    }
    expect(issued()).toBe(0);
  });

  it('after a 401 invalidates exactly the sent token, then retries once', async () => {
    const { manager, invalidated } = source();
    const authorizer = bearer(manager, { policy: { baseURL: API } });
    const sent = await authorizer.authorize(request());
    if (!sent) throw new Error('expected an authorization');
    const decision = await authorizer.onUnauthorized(request(), { status: 401, headers: {} }, sent);
    expect(decision).toEqual({ retry: true, delayMs: 0 });
    expect(invalidated).toEqual(['token-1']);
    const fresh = await authorizer.authorize(request(`${API}/orders`, 1));
    expect(fresh?.headers.authorization).toBe('Bearer token-2');
    // A late 401 for the old token must not throw away the new one.
    await authorizer.onUnauthorized(request(), { status: 401, headers: {} }, sent);
    expect((await authorizer.authorize(request()))?.headers.authorization).toBe('Bearer token-2');
    const again = await authorizer.onUnauthorized(
      request(`${API}/orders`, 1),
      { status: 401, headers: {} },
      fresh!,
    );
    expect(again.retry).toBe(false);
  });

  it('does not resend the token it just sent when the manager kept it (damped renewal)', async () => {
    const { manager, invalidated } = source();
    const damped: BearerTokenSource = {
      getToken: () => manager.getToken(),
      async invalidate(token) {
        invalidated.push(token?.accessToken ?? 'none');
      },
    };
    const authorizer = bearer(damped, { policy: { baseURL: API } });
    const sent = (await authorizer.authorize(request()))!;
    const decision = await authorizer.onUnauthorized(request(), { status: 401, headers: {} }, sent);
    expect(decision.retry).toBe(false);
    expect(invalidated).toEqual(['token-1']);
  });

  it('does not retry a 401 whose challenge names an error a new token cannot cure', async () => {
    const { manager, invalidated } = source();
    const authorizer = bearer(manager, { policy: { baseURL: API } });
    const sent = (await authorizer.authorize(request()))!;
    const headers = { 'www-authenticate': 'Bearer error="invalid_request"' };
    expect((await authorizer.onUnauthorized(request(), { status: 401, headers }, sent)).retry).toBe(
      false,
    );
    expect(invalidated).toEqual([]);
    const invalid = { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' };
    expect(
      (await authorizer.onUnauthorized(request(), { status: 401, headers: invalid }, sent)).retry,
    ).toBe(true);
  });

  it('follows the exponential strategy', async () => {
    const { manager } = source();
    const retry = new ExponentialAuthRetryStrategy({
      maxRetries: 2,
      baseDelayMs: 10,
      jitter: 'none',
    });
    const authorizer = bearer(manager, { policy: { baseURL: API, retry } });
    const sent = (await authorizer.authorize(request()))!;
    expect(
      await authorizer.onUnauthorized(request(`${API}/a`, 1), { status: 401, headers: {} }, sent),
    ).toEqual({ retry: true, delayMs: 20 });
    expect(
      (await authorizer.onUnauthorized(request(`${API}/a`, 2), { status: 401, headers: {} }, sent))
        .retry,
    ).toBe(false);
  });

  it('turns a token failure into a typed error with method and redacted URL, no secret', async () => {
    const cause = new TokenEndpointError('token endpoint unreachable', {
      serviceName: 'api',
      reason: 'network',
    });
    const authorizer = bearer(source(cause).manager, { policy: { baseURL: API } });
    const error = await authorizer
      .authorize({
        method: 'post',
        url: `https://u:pw@api.example.com/x?access_token=s3cr3t`,
        headers: { authorization: 'x' },
        attempt: 0,
      })
      .catch((caught: unknown) => caught);
    // The caller's own authorization header means no token is needed: not an error.
    expect(error).toBeUndefined();
    const failure = await authorizer
      .authorize({ method: 'post', url: `${API}/x?access_token=s3cr3t`, headers: {}, attempt: 0 })
      .catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(RequestAuthorizationError);
    const typed = failure as RequestAuthorizationError;
    expect(typed.code).toBe(ForgeErrorCode.TokenEndpoint);
    expect(typed.method).toBe('POST');
    expect(typed.url).toBe(`${API}/x?access_token=%5BREDACTED%5D`);
    expect(typed.cause).toBe(cause);
    expect(typed.message).toMatch(/^\[forge\] \[core\] POST https:\/\/api\.example\.com\/x/);
    expect(typed.message).not.toContain('s3cr3t');
  });

  it('validates its input', () => {
    expect(() => bearer({} as never, { policy: { baseURL: API } })).toThrow(ConfigurationError);
    expect(() => bearer(source().manager, {})).toThrow(/origins/);
  });
});

describe('bearer with a TokenManager behind an API that answers 401 to everything', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('costs one renewal per damping interval and retries only with a new token', async () => {
    const provider = new TestProvider();
    const manager = new TokenManager(provider, { unauthorizedDampingMs: 30_000 });
    try {
      const authorizer = bearer(manager, { policy: { baseURL: API } });
      const retries: boolean[] = [];
      for (let i = 0; i < 500; i++) {
        let attempt = 0;
        for (;;) {
          const sent = (await authorizer.authorize(request(`${API}/orders`, attempt)))!;
          const decision = await authorizer.onUnauthorized(
            request(`${API}/orders`, attempt),
            { status: 401, headers: {} },
            sent,
          );
          retries.push(decision.retry);
          if (!decision.retry) break;
          attempt += 1;
        }
      }
      expect(provider.calls).toBe(2);
      // Only the very first 401 was worth a retry: after it, the renewed token is kept and not resent.
      expect(retries.filter(Boolean)).toHaveLength(1);

      vi.setSystemTime(Date.now() + 30_000);
      const sent = (await authorizer.authorize(request()))!;
      const decision = await authorizer.onUnauthorized(
        request(),
        { status: 401, headers: {} },
        sent,
      );
      expect(decision.retry).toBe(true);
      expect(provider.calls).toBe(3);
    } finally {
      await manager.close();
    }
  });
});
