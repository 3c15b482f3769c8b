import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors.js';
import {
  createRequestPolicy,
  DECISION_CACHE_SIZE,
  isRequestPolicy,
  type RequestPolicyOptions,
} from './request-policy.js';
import { ExponentialAuthRetryStrategy, SimpleAuthRetryStrategy } from './retry.js';

const API = 'https://api.example.com';

function configError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('createRequestPolicy', () => {
  it('allows the base URL origin and nothing else by default', () => {
    const policy = createRequestPolicy({ baseURL: `${API}/v1/` });
    expect(isRequestPolicy(policy)).toBe(true);
    expect(policy.allows(`${API}/v1/orders?id=1`)).toBe(true);
    expect(policy.allows(`${API}/other`)).toBe(true);
    expect(policy.allows('HTTPS://API.EXAMPLE.COM:443/x')).toBe(true);
    expect(policy.allows('http://api.example.com/x')).toBe(false);
    expect(policy.allows('https://api.example.com:8443/x')).toBe(false);
    expect(policy.allows('https://evil.example/x')).toBe(false);
    expect(policy.allows('https://api.example.com.evil.example/x')).toBe(false);
    expect(policy.allows('https://api.example.com@evil.example/x')).toBe(false);
    expect(policy.allows('/relative')).toBe(false);
    expect(policy.allows('not a url')).toBe(false);
  });

  it('adds listed origins', () => {
    const policy = createRequestPolicy({
      baseURL: API,
      origins: ['https://files.example.com/ignored/path'],
    });
    expect([...policy.origins]).toEqual([API, 'https://files.example.com']);
    expect(policy.allows('https://files.example.com/a')).toBe(true);
  });

  it('excludes exact paths and glob patterns', () => {
    const policy = createRequestPolicy({
      origins: [API],
      excludedPaths: ['/health'],
      excludedPathPatterns: ['/public/*', '*/status'],
    });
    expect(policy.allows(`${API}/health`)).toBe(false);
    expect(policy.allows(`${API}/health/deep`)).toBe(true);
    expect(policy.allows(`${API}/public/a.png?x=1`)).toBe(false);
    expect(policy.allows(`${API}/v2/status`)).toBe(false);
    expect(policy.allows(`${API}/private/a`)).toBe(true);
  });

  it('leaves a caller-set authorization alone unless told to override', () => {
    const keep = createRequestPolicy({ baseURL: API });
    expect(keep.mayAuthorize(`${API}/a`, { authorization: 'Basic x' })).toBe(false);
    expect(keep.mayAuthorize(`${API}/a`, {})).toBe(true);
    const override = createRequestPolicy({ baseURL: API, overrideAuthorization: true });
    expect(override.mayAuthorize(`${API}/a`, { authorization: 'Basic x' })).toBe(true);
  });

  it('lets credentials follow a redirect only to the same origin and an allowed path', () => {
    const policy = createRequestPolicy({
      baseURL: API,
      excludedPaths: ['/open'],
      origins: ['https://b.example'],
    });
    expect(policy.mayRedirect(`${API}/a`, `${API}/b`)).toBe(true);
    expect(policy.mayRedirect(`${API}/a`, `${API}/open`)).toBe(false);
    expect(policy.mayRedirect(`${API}/a`, 'https://b.example/b')).toBe(false);
    expect(policy.mayRedirect(`${API}/a`, 'http://api.example.com/b')).toBe(false);
    expect(policy.mayRedirect('garbage', `${API}/b`)).toBe(false);
  });

  it('defaults to retrying once', () => {
    expect(createRequestPolicy({ baseURL: API }).retry).toBeInstanceOf(SimpleAuthRetryStrategy);
  });

  it.each([
    [{}, 'origins'],
    [{ baseURL: 'not a url' }, 'baseURL'],
    [{ baseURL: 'ftp://api.example.com' }, 'baseURL'],
    [{ origins: [API, 'api.example.com'] }, 'origins[1]'],
    [{ origins: 'https://a.example' }, 'origins'],
    [{ baseURL: API, excludedPaths: ['health'] }, 'excludedPaths[0]'],
    [{ baseURL: API, excludedPathPatterns: ['/ok/*', '/bad[x'] }, 'excludedPathPatterns[1]'],
    [{ baseURL: API, overrideAuthorization: 'yes' }, 'overrideAuthorization'],
    [{ baseURL: API, retry: { times: 1 } }, 'retry'],
  ])('rejects %j naming %s', (options, option) => {
    expect(configError(() => createRequestPolicy(options as never)).option).toBe(option);
  });

  it('never crashes on arbitrary URLs, and only ever allows its own origin', () => {
    const policy = createRequestPolicy({ baseURL: API, excludedPathPatterns: ['/public/**'] });
    fc.assert(
      fc.property(
        fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string()),
        (url) => {
          const allowed = policy.allows(url);
          if (allowed) expect(new URL(url).origin).toBe(API);
          expect(typeof policy.mayRedirect(url, `${API}/x`)).toBe('boolean');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agrees with the URL parser on the origin of arbitrary web URLs', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.webUrl(), (base, candidate) => {
        const policy = createRequestPolicy({ baseURL: base });
        expect(policy.allows(candidate)).toBe(new URL(candidate).origin === new URL(base).origin);
      }),
      { numRuns: 200 },
    );
  });
});

describe('retry strategies', () => {
  it('SimpleAuthRetryStrategy retries exactly once, at once', () => {
    const simple = new SimpleAuthRetryStrategy();
    expect(simple.decide(0)).toEqual({ retry: true, delayMs: 0 });
    expect(simple.decide(1).retry).toBe(false);
    expect(simple.decide(7).retry).toBe(false);
  });

  it('SimpleAuthRetryStrategy takes maxRetries and one delay for every retry', () => {
    const simple = new SimpleAuthRetryStrategy({ maxRetries: 2, delayMs: 250 });
    expect(simple.decide(0)).toEqual({ retry: true, delayMs: 250 });
    expect(simple.decide(1)).toEqual({ retry: true, delayMs: 250 });
    expect(simple.decide(2).retry).toBe(false);
    expect(new SimpleAuthRetryStrategy({ maxRetries: 0 }).decide(0).retry).toBe(false);
  });

  it.each([
    [{ maxRetries: -1 }, 'retry.maxRetries'],
    [{ maxRetries: 1.5 }, 'retry.maxRetries'],
    [{ delayMs: Number.NaN }, 'retry.delayMs'],
    [{ delayMs: -5 }, 'retry.delayMs'],
  ])('SimpleAuthRetryStrategy(%o) fails naming %s', (options, option) => {
    expect(() => new SimpleAuthRetryStrategy(options)).toThrow(
      expect.objectContaining({ option }) as Error,
    );
  });

  it('ExponentialAuthRetryStrategy grows, caps and stops', () => {
    const strategy = new ExponentialAuthRetryStrategy({
      maxRetries: 4,
      baseDelayMs: 100,
      maxDelayMs: 350,
      multiplier: 2,
      jitter: 'none',
    });
    expect([0, 1, 2, 3].map((attempt) => strategy.decide(attempt).delayMs)).toEqual([
      100, 200, 350, 350,
    ]);
    expect(strategy.decide(4).retry).toBe(false);
  });

  it('applies full and equal jitter with the injected randomness', () => {
    const full = new ExponentialAuthRetryStrategy({ baseDelayMs: 100, random: () => 0.5 });
    expect(full.decide(1).delayMs).toBe(100);
    const equal = new ExponentialAuthRetryStrategy({
      baseDelayMs: 100,
      jitter: 'equal',
      random: () => 0,
    });
    expect(equal.decide(0).delayMs).toBe(50);
  });

  it('keeps every delay within [0, maxDelayMs] and never retries past maxRetries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 50 }),
        (maxRetries, baseDelayMs, maxDelayMs, multiplier, attempt) => {
          const decision = new ExponentialAuthRetryStrategy({
            maxRetries,
            baseDelayMs,
            maxDelayMs,
            multiplier,
          }).decide(attempt);
          expect(decision.retry).toBe(attempt < maxRetries);
          expect(decision.delayMs).toBeGreaterThanOrEqual(0);
          expect(decision.delayMs).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
    );
  });

  it.each([
    [{ maxRetries: -1 }, 'retry.maxRetries'],
    [{ maxRetries: 1.5 }, 'retry.maxRetries'],
    [{ baseDelayMs: Number.NaN }, 'retry.baseDelayMs'],
    [{ multiplier: 0.5 }, 'retry.multiplier'],
    [{ jitter: 'some' }, 'retry.jitter'],
  ])('rejects %j', (options, option) => {
    expect(configError(() => new ExponentialAuthRetryStrategy(options as never)).option).toBe(
      option,
    );
  });
});

describe('the decision cache', () => {
  const options: RequestPolicyOptions = {
    baseURL: `${API}/v1`,
    origins: ['http://127.0.0.1:8080'],
    excludedPaths: ['/v1/health'],
    excludedPathPatterns: ['/v1/public/**', '*/status'],
  };

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  // Counts WHATWG URL parses, the cost the cache exists to avoid.
  function countParses(): { readonly count: number } {
    const counter = { count: 0 };
    const Native = URL;
    vi.stubGlobal(
      'URL',
      class extends Native {
        constructor(url: string | URL, base?: string | URL) {
          super(url, base);
          counter.count++;
        }
      },
    );
    return counter;
  }

  it('parses a URL once, then answers from the cache', () => {
    const policy = createRequestPolicy(options);
    const parses = countParses();
    expect(policy.mayAuthorize(`${API}/v1/orders`, {})).toBe(true);
    expect(policy.mayAuthorize(`${API}/v1/orders`, {})).toBe(true);
    expect(policy.allows(`${API}/v1/orders`)).toBe(true);
    expect(policy.allows(`${API}/v1/health`)).toBe(false);
    expect(policy.allows(`${API}/v1/health`)).toBe(false);
    expect(parses.count).toBe(2);
    // The authorization header is checked on every call, never cached.
    expect(policy.mayAuthorize(`${API}/v1/orders`, { authorization: 'Basic x' })).toBe(false);
  });

  it('holds at most DECISION_CACHE_SIZE URLs, dropping the oldest first', () => {
    const policy = createRequestPolicy(options);
    const parses = countParses();
    policy.allows(`${API}/v1/first`);
    for (let id = 0; id < DECISION_CACHE_SIZE - 1; id++) policy.allows(`${API}/v1/orders/${id}`);
    policy.allows(`${API}/v1/first`);
    expect(parses.count).toBe(DECISION_CACHE_SIZE);
    policy.allows(`${API}/v1/one-too-many`);
    policy.allows(`${API}/v1/first`);
    expect(parses.count).toBe(DECISION_CACHE_SIZE + 2);
  });

  it('never remembers a URL object, which can change after the call', () => {
    const policy = createRequestPolicy(options);
    const url = new URL(`${API}/v1/orders`);
    expect(policy.allows(url as unknown as string)).toBe(true);
    url.pathname = '/v1/health';
    expect(policy.allows(url as unknown as string)).toBe(false);
  });

  it('decides exactly as an uncached policy, across evictions', () => {
    // One policy for every run, so its cache fills, evicts and is hit again.
    const cached = createRequestPolicy(options);
    const host = fc.constantFrom(
      API,
      'HTTPS://API.EXAMPLE.COM:443',
      'https://api.example.com:8443',
      'http://api.example.com',
      'http://127.0.0.1:8080',
      'https://api.example.com@evil.example',
      'https://evil.example',
      '',
      'not a url',
    );
    const path = fc.constantFrom(
      '/v1/orders',
      '/v1/health',
      '/v1/health/',
      '/v1/public/a/b',
      '/v1/x/status',
      '/v1/%2e%2e/health',
      '/v1/../v1/health',
      '/other',
    );
    const url = fc
      .tuple(host, path, fc.option(fc.nat(2_000), { nil: undefined }))
      .map(([h, p, id]) => `${h}${p}${id === undefined ? '' : `?id=${id}`}`);
    const headers = fc.constantFrom<Record<string, string>>(
      {},
      { authorization: 'Basic x' },
      { accept: '*/*' },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(url, headers), { maxLength: 40 }), (calls) => {
        for (const [u, h] of calls) {
          // A fresh policy has nothing cached: its answer is the uncached decision.
          const uncached = createRequestPolicy(options);
          expect(cached.mayAuthorize(u, h)).toBe(uncached.mayAuthorize(u, h));
          expect(cached.allows(u)).toBe(createRequestPolicy(options).allows(u));
        }
      }),
      { numRuns: 200 },
    );
  });
});
