import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  type ClientCredentialsOptions,
  ClientCredentialsTokenProvider,
  TokenEndpointError,
} from '../src/index.js';
import { endless, hang, json, type Loopback, loopback, reply, reset } from './helpers/loopback.js';

const SECRET = 'loopback-secret-value';
let server: Loopback | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function provider(url: string, options: Partial<ClientCredentialsOptions> = {}) {
  return new ClientCredentialsTokenProvider({
    serviceName: 'loopback',
    clientId: 'client',
    clientSecret: SECRET,
    tokenEndpoint: `${url}/token`,
    timeoutMs: 500,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 3_000 },
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the request to fail');
}

describe('token endpoint leniency (real bodies over loopback HTTP)', () => {
  it('sends a form-encoded client_credentials POST with Basic auth', async () => {
    server = await loopback(json(200, { access_token: 'a', token_type: 'bearer', expires_in: 60 }));
    const token = await provider(server.url, { scope: ['read', 'write'] }).fetchToken();
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/token');
    expect(request?.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request?.headers.authorization).toMatch(/^Basic /);
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
    });
    expect(token.authorizationHeader).toBe('Bearer a');
  });

  it('repeats resource and audience, merges per-call input and extraParams', async () => {
    server = await loopback(json(200, { access_token: 'a' }));
    await provider(server.url, {
      audience: 'https://default.example',
      resource: ['https://a.example', 'https://b.example'],
      extraParams: { tenant: 't1' },
    }).fetchToken({ scope: 'admin', audience: ['x', 'y'] });
    const body = new URLSearchParams(server.requests[0]?.body);
    expect(body.getAll('resource')).toEqual(['https://a.example', 'https://b.example']);
    expect(body.getAll('audience')).toEqual(['x', 'y']);
    expect(body.get('scope')).toBe('admin');
    expect(body.get('tenant')).toBe('t1');
  });

  it('expires_in as a string', async () => {
    server = await loopback(reply(200, '{"access_token":"a","expires_in":"120"}'));
    const before = Date.now();
    const token = await provider(server.url).fetchToken();
    expect(token.expiresAtMs).toBeGreaterThanOrEqual(before + 120_000);
    expect(token.expiresAtMs).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  it('missing expires_in uses the configured default lifetime', async () => {
    server = await loopback(reply(200, '{"access_token":"a"}'));
    const before = Date.now();
    const token = await provider(server.url, { defaultLifetimeMs: 90_000 }).fetchToken();
    expect(token.expiresAtMs - before).toBeGreaterThanOrEqual(90_000);
    expect(token.expiresAtMs - Date.now()).toBeLessThanOrEqual(90_000);
  });

  it('a form-encoded success body', async () => {
    server = await loopback(
      reply(200, 'access_token=form-token&token_type=BEARER&expires_in=30&x_extra=1', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
    );
    const token = await provider(server.url).fetchToken();
    expect(token.accessToken).toBe('form-token');
    expect(token.tokenType).toBe('Bearer');
    expect(token.extra).toEqual({ x_extra: '1' });
  });

  it('an HTML 500 page is retried, then a TokenEndpointError (server) with the status', async () => {
    server = await loopback(
      reply(500, '<html><h1>Internal Server Error</h1></html>', { 'content-type': 'text/html' }),
    );
    const error = await failure(provider(server.url).fetchToken());
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).reason).toBe('server');
    expect((error as TokenEndpointError).status).toBe(500);
    expect(server.requests).toHaveLength(3);
  });

  it('an empty 400 body is an AuthenticationError with the status, not retried', async () => {
    server = await loopback(reply(400, '', { 'content-type': 'text/plain' }));
    const error = await failure(provider(server.url).fetchToken());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(400);
    expect(server.requests).toHaveLength(1);
  });

  it('an empty 200 body is a malformed TokenEndpointError', async () => {
    server = await loopback(reply(200, ''));
    const error = await failure(provider(server.url).fetchToken());
    expect((error as TokenEndpointError).reason).toBe('malformed');
  });

  it('a 200 without access_token is an AuthenticationError', async () => {
    server = await loopback(json(200, { token_type: 'bearer', expires_in: 60 }));
    const error = await failure(provider(server.url).fetchToken());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain('without an `access_token`');
  });

  it('503 then success: retried with backoff', async () => {
    server = await loopback(
      reply(503, ''),
      json(200, { access_token: 'after-503', expires_in: 60 }),
    );
    const token = await provider(server.url).fetchToken();
    expect(token.accessToken).toBe('after-503');
    expect(server.requests).toHaveLength(2);
  });

  it('a retry after a 503 sends a fresh DPoP proof and a fresh client assertion (each jti once)', async () => {
    server = await loopback(
      reply(503, ''),
      json(200, { access_token: 'after-503', token_type: 'DPoP', expires_in: 60 }),
    );
    const token = await provider(server.url, {
      clientAuth: 'client_secret_jwt',
      dpop: true,
    }).fetchToken();
    expect(token.accessToken).toBe('after-503');
    expect(server.requests).toHaveLength(2);
    const jti = (jwt: string | undefined) =>
      (
        JSON.parse(Buffer.from(String(String(jwt).split('.')[1]), 'base64url').toString()) as {
          jti: string;
        }
      ).jti;
    const [first, second] = server.requests;
    expect(jti(second?.headers.dpop as string)).not.toBe(jti(first?.headers.dpop as string));
    const assertion = (body: string | undefined) =>
      new URLSearchParams(body).get('client_assertion') ?? undefined;
    expect(jti(assertion(second?.body))).not.toBe(jti(assertion(first?.body)));
  });

  it('429 with Retry-After in seconds waits that long', async () => {
    server = await loopback(
      json(429, { error: 'slow_down' }, { 'retry-after': '1' }),
      json(200, { access_token: 'after-429', expires_in: 60 }),
    );
    const token = await provider(server.url).fetchToken();
    expect(token.accessToken).toBe('after-429');
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('a Retry-After beyond the total budget ends the request at once as rate-limited', async () => {
    server = await loopback(json(429, { error: 'slow_down' }, { 'retry-after': '3600' }));
    const started = Date.now();
    const error = await failure(provider(server.url).fetchToken());
    // At once: waiting would take the whole Retry-After, or the 30 s budget (margin for a busy CI).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((error as TokenEndpointError).reason).toBe('rate-limited');
    expect((error as TokenEndpointError).status).toBe(429);
    expect(server.requests).toHaveLength(1);
  });

  it('a connection reset is a network error, retried', async () => {
    server = await loopback(reset(), json(200, { access_token: 'after-reset', expires_in: 60 }));
    expect((await provider(server.url).fetchToken()).accessToken).toBe('after-reset');
    const always = await loopback(reset());
    try {
      const error = await failure(provider(always.url).fetchToken());
      expect((error as TokenEndpointError).reason).toBe('network');
      expect(always.requests).toHaveLength(3);
    } finally {
      await always.close();
    }
  });

  it('a hang past the timeout is a TokenEndpointError (timeout)', async () => {
    server = await loopback(hang());
    const started = Date.now();
    const error = await failure(
      provider(server.url, {
        timeoutMs: 100,
        retry: { maxAttempts: 2, baseDelayMs: 5 },
      }).fetchToken(),
    );
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).reason).toBe('timeout');
    // Two 100 ms attempts; without the timeout the hang never ends (margin for a busy CI).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(2);
  });

  it('total time is bounded by retry.maxTotalMs whatever maxAttempts says', async () => {
    server = await loopback(hang());
    const started = Date.now();
    const error = await failure(
      provider(server.url, {
        timeoutMs: 5_000,
        retry: { maxAttempts: 20, baseDelayMs: 5, maxDelayMs: 10, maxTotalMs: 300 },
      }).fetchToken(),
    );
    const elapsed = Date.now() - started;
    expect((error as TokenEndpointError).reason).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // Well under one 5 s attempt, let alone 20 (margin for a busy CI).
    expect(elapsed).toBeLessThan(3_000);
  });

  it('an unreachable endpoint is a network error naming no secret', async () => {
    const closed = await loopback(json(200, {}));
    const url = closed.url;
    await closed.close();
    const error = await failure(provider(url).fetchToken());
    expect((error as TokenEndpointError).reason).toBe('network');
    expect(error.message).toContain('unreachable');
    expect(error.message).not.toContain(SECRET);
  });

  it('the caller signal aborts attempts and backoff waits', async () => {
    server = await loopback(hang());
    const controller = new AbortController();
    // Aborted once the attempt reached the server, however busy the machine.
    const arrived = setInterval(() => {
      if (server?.requests.length === 0) return;
      clearInterval(arrived);
      controller.abort(new Error('closing'));
    }, 5);
    const started = Date.now();
    const error = await failure(
      provider(server.url, { timeoutMs: 5_000 }).fetchToken(undefined, {
        key: 'k',
        signal: controller.signal,
      }),
    );
    expect((error as TokenEndpointError).reason).toBe('aborted');
    clearInterval(arrived);
    // Without the signal the attempt would wait its 5 s timeout.
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(server.requests).toHaveLength(1);
  });

  it('retry: false makes a single attempt', async () => {
    server = await loopback(reply(502, 'bad gateway', { 'content-type': 'text/plain' }));
    const error = await failure(provider(server.url, { retry: false }).fetchToken());
    expect((error as TokenEndpointError).status).toBe(502);
    expect(server.requests).toHaveLength(1);
  });

  it('an OAuth error echoing the secret never shows it', async () => {
    server = await loopback(
      json(401, { error: 'invalid_client', error_description: `bad secret ${SECRET}` }),
    );
    const error = await failure(
      provider(server.url, { clientAuth: 'client_secret_post' }).fetchToken(),
    );
    expect((error as AuthenticationError).error).toBe('invalid_client');
    expect(error.message).not.toContain(SECRET);
    expect((error as AuthenticationError).errorDescription).not.toContain(SECRET);
  });
});

describe('token endpoints that send what no token endpoint sends', () => {
  const TOKEN = 'at-SECRET-MARKER-7731';

  it('a body that never ends costs bounded memory and one malformed error naming the limit', async () => {
    const stream = endless(32 * 1024 * 1024);
    server = await loopback(stream.handler);
    const error = await failure(provider(server.url, { timeoutMs: 5_000 }).fetchToken());
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).reason).toBe('malformed');
    expect((error as TokenEndpointError).status).toBe(200);
    expect(error.message).toContain('1048576 bytes');
    expect(error.message).toContain('`maxResponseBytes`');
    // Not retried, and the connection was dropped long before the server's cap.
    expect(server.requests).toHaveLength(1);
    await vi.waitFor(() => expect(stream.stats.closed).toBe(true), { timeout: 5_000 });
    expect(stream.stats.written).toBeLessThan(16 * 1024 * 1024);
  });

  it('maxResponseBytes is configurable, and also applies to error answers', async () => {
    const big = JSON.stringify({ access_token: 'a', padding: 'x'.repeat(5_000) });
    server = await loopback(reply(200, big), reply(400, big));
    const small = provider(server.url, { maxResponseBytes: 4_096 });
    const tooLarge = await failure(small.fetchToken());
    expect((tooLarge as TokenEndpointError).reason).toBe('malformed');
    expect(tooLarge.message).toContain('4096 bytes');
    const refused = await failure(small.fetchToken());
    expect((refused as TokenEndpointError).reason).toBe('malformed');
    expect((refused as TokenEndpointError).status).toBe(400);
  });

  it.each([
    ['CR LF', `${TOKEN}\r\nX-Injected: 1`],
    ['NUL', `${TOKEN}\u0000`],
    ['non-ASCII', `${TOKEN}\u00e9`],
  ])('an access_token with %s is malformed and never quoted', async (_name, accessToken) => {
    server = await loopback(json(200, { access_token: accessToken, token_type: 'Bearer' }));
    const error = await failure(provider(server.url).fetchToken());
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).reason).toBe('malformed');
    expect(error.message).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(server.requests).toHaveLength(1);
  });

  it('expires_in 0 is a token expired on arrival, not one cached for the default lifetime', async () => {
    server = await loopback(json(200, { access_token: 'a', expires_in: 0 }));
    const token = await provider(server.url).fetchToken();
    expect(token.isExpired()).toBe(true);
    expect(token.expiresAtMs).toBe(token.issuedAtMs);
  });

  it('a 200 carrying both a token and an error is the error', async () => {
    server = await loopback(json(200, { access_token: 'a', error: 'invalid_grant' }));
    const error = await failure(provider(server.url).fetchToken());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).error).toBe('invalid_grant');
  });

  it.each([
    ['in seconds', '86400'],
    ['as a date in 2099', 'Thu, 01 Jan 2099 00:00:00 GMT'],
  ])('a Retry-After %s is capped at 60 s by default', async (_name, retryAfter) => {
    server = await loopback(json(429, { error: 'slow_down' }, { 'retry-after': retryAfter }));
    const error = (await failure(provider(server.url).fetchToken())) as TokenEndpointError;
    expect(error.reason).toBe('rate-limited');
    expect(error.retryAfterMs).toBe(60_000);
  });

  it('maxRetryAfterMs lowers the cap: the transport waits that long, not what the server asked', async () => {
    server = await loopback(
      json(429, { error: 'slow_down' }, { 'retry-after': '86400' }),
      json(200, { access_token: 'after-cap', expires_in: 60 }),
    );
    const token = await provider(server.url, { maxRetryAfterMs: 200 }).fetchToken();
    expect(token.accessToken).toBe('after-cap');
    const [first, second] = server.requests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(150);
  });

  it('an OAuth error code echoing the secret is replaced, in the error and its JSON', async () => {
    server = await loopback(
      json(401, { error: `client_secret=${SECRET}`, error_description: `echo ${SECRET}` }),
      reply(401, '', {
        'content-type': 'text/plain',
        'www-authenticate': `Basic error="${SECRET}", error_description="${SECRET}"`,
      }),
    );
    for (let i = 0; i < 2; i++) {
      const error = (await failure(provider(server.url).fetchToken())) as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.error).toBe('invalid_response');
      for (const text of [error.message, error.errorDescription ?? '', JSON.stringify(error)]) {
        expect(text).not.toContain(SECRET);
      }
    }
  });
});
