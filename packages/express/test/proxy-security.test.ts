import { inspect } from 'node:util';
import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  Token,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import express5, { type ErrorRequestHandler } from 'express';
import express4 from 'express4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createForge,
  type ForgeMiddleware,
  forgeErrorHandler,
  PROBLEM_CONTENT_TYPE,
  ServiceAuthorizationError,
} from '../src/index.js';
import {
  abandonRequest,
  type RawResponse,
  type RecordingUpstream,
  rawGet,
  rawRequest,
  startFixedTokenEndpoint,
  startRawUpstream,
  startRecordingUpstream,
} from './raw-http.js';
import { listen } from './setup.js';

// Anything thrown or rejected outside a request's own promise chain would take
// a production process down; the suite fails on the first one.
const escaped: unknown[] = [];
const onEscaped = (error: unknown) => escaped.push(error);

let auth: AuthServer;
let upstream: RecordingUpstream;
const closers: (() => Promise<void>)[] = [];
let checked = 0;

beforeAll(async () => {
  process.on('uncaughtException', onEscaped);
  process.on('unhandledRejection', onEscaped);
  auth = await startAuthServer();
  upstream = await startRecordingUpstream();
});

afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await upstream?.close();
  await auth?.close();
  process.off('uncaughtException', onEscaped);
  process.off('unhandledRejection', onEscaped);
});

afterEach(async () => {
  // Let fire-and-forget work (401 handling, socket teardown) settle first.
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(escaped.splice(0)).toEqual([]);
  // Nothing, in any test, ever reached the upstream outside the mounted /v1.
  const arrived = upstream.received.slice(checked);
  checked = upstream.received.length;
  expect(arrived.filter((request) => !request.url.startsWith('/v1/'))).toEqual([]);
});

function provider(serviceName: string, tokenEndpoint = auth.tokenEndpoint) {
  return new ClientCredentialsTokenProvider({
    serviceName,
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
    tokenEndpoint,
    timeoutMs: 1_000,
    retry: false,
  });
}

/** A provider whose token is not a valid header value. */
const crlfProvider: TokenProvider<undefined> = {
  serviceName: 'crlf',
  fetchToken: async () =>
    new Token({ accessToken: 'abc\r\nx-injected: 1', expiresAt: Date.now() + 3_600_000 }),
};

/**
 * A token source (any object with getToken and invalidate will do) whose
 * credential Node refuses as a header value, whatever core checks.
 */
const refusedHeaderManager = {
  getToken: async () =>
    ({ authorizationHeader: 'Bearer leaked\u0000value', accessToken: 'leaked' }) as Token,
  invalidate: async () => undefined,
} as unknown as TokenManager<undefined>;

/** A real manager whose compare-and-invalidate fails, as a broken storage would make it. */
class FailingInvalidateManager extends TokenManager<undefined> {
  override invalidate(): Promise<void> {
    return Promise.reject(new Error('invalidate failed'));
  }
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  service: string;
  instance: string;
}

function problemOf(response: RawResponse): Problem {
  expect(response.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
  return JSON.parse(response.body) as Problem;
}

function received(path: string) {
  return upstream.received.filter((request) => request.url === path);
}

const frameworks = [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const;

describe.each(frameworks)('%s: the proxy under attack', (_label, express) => {
  let forge: ForgeMiddleware;
  let server: { url: string; close(): Promise<void> };
  const errors: unknown[] = [];

  beforeAll(async () => {
    const invalidHeaders = await startRawUpstream(
      'HTTP/1.1 200 OK\r\nx-bad: a\u0001b\r\ncontent-length: 2\r\n\r\nok',
    );
    const notHttp = await startRawUpstream('SSH-2.0-OpenSSH_9.6\r\n');
    const oddStatus = await startRawUpstream('HTTP/1.1 099 Odd\r\ncontent-length: 0\r\n\r\n');
    const switching = await startRawUpstream(
      'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: evil\r\n\r\n',
    );
    const echoing = await startFixedTokenEndpoint(
      400,
      { error: 'echo_marker_code', error_description: 'ECHO-DESCRIPTION-MARKER' },
      { 'www-authenticate': 'Basic error="echo_marker_header"' },
    );
    const silent = await startRawUpstream(undefined);
    const hangingUp = await startRawUpstream('');
    closers.push(
      invalidHeaders.close,
      notHttp.close,
      oddStatus.close,
      switching.close,
      echoing.close,
      silent.close,
      hangingUp.close,
    );
    const v1 = `${upstream.url}/v1`;
    forge = createForge({
      services: {
        api: {
          provider: provider('api'),
          baseURL: v1,
          policy: { excludedPathPatterns: ['/v1/public/**'] },
        },
        invalid: { provider: provider('invalid'), baseURL: `${invalidHeaders.url}/v1` },
        notHttp: { provider: provider('notHttp'), baseURL: `${notHttp.url}/v1` },
        oddStatus: { provider: provider('oddStatus'), baseURL: `${oddStatus.url}/v1` },
        switching: { provider: provider('switching'), baseURL: `${switching.url}/v1` },
        refused: { manager: refusedHeaderManager, baseURL: v1 },
        silent: { provider: provider('silent'), baseURL: `${silent.url}/v1` },
        hangingUp: { provider: provider('hangingUp'), baseURL: `${hangingUp.url}/v1` },
        echoing: { provider: provider('echoing', echoing.url), baseURL: v1 },
        crlf: { provider: crlfProvider, baseURL: v1 },
        failing: { manager: new FailingInvalidateManager(provider('failing')), baseURL: v1 },
      },
    });
    const app = express();
    app.use('/bff', forge.proxy('api'));
    app.use(
      '/pass',
      forge.proxy('api', {
        passRequestHeaders: ['Cookie', 'authorization', 'X-API-KEY'],
        passResponseHeaders: ['set-cookie', 'WWW-Authenticate'],
      }),
    );
    app.use('/rewrite', forge.proxy('api', { pathRewrite: { '^/old': '/new' } }));
    app.use('/climb', forge.proxy('api', { pathRewrite: () => '/../admin' }));
    app.use('/invalid', forge.proxy('invalid'));
    app.use('/not-http', forge.proxy('notHttp'));
    app.use('/odd-status', forge.proxy('oddStatus'));
    app.use('/switching', forge.proxy('switching'));
    app.use('/refused', forge.proxy('refused'));
    app.use('/silent', forge.proxy('silent', { timeoutMs: 200 }));
    app.use('/hanging-up', forge.proxy('hangingUp'));
    app.use('/echoing', forge.proxy('echoing'));
    app.use('/crlf', forge.proxy('crlf'));
    app.use('/failing', forge.proxy('failing'));
    const record: ErrorRequestHandler = (error, _req, _res, next) => {
      errors.push(error);
      next(error);
    };
    app.use(record);
    app.use(forgeErrorHandler());
    server = await listen(app);
  });

  afterAll(async () => {
    await server?.close();
    await forge?.close();
  });

  describe('paths', () => {
    it.each([
      '/bff/../admin',
      '/bff/%2e%2e/admin',
      '/bff/%2E%2e/admin',
      '/bff/.%2e/admin',
      '/bff/%2e%2E/%2e%2e/admin',
      '/bff/a/../../admin',
      '/bff/public/../../admin',
      '/bff/..%2fadmin',
      '/bff/a%2Fb',
      '/bff/..\\admin',
      '/bff/a\\b',
      '/bff/..%5cadmin',
      '/bff/a%5Cb',
      '/bff/a%00b',
      '/bff/%',
      '/bff/a%zzb',
      '/bff/a?x=%',
      '/bff/a#fragment',
      '/climb/anything',
    ])('%s answers 400 problem+json and reaches nothing upstream', async (path) => {
      const before = upstream.received.length;
      const response = await rawGet(server.url, path);
      expect(response.status).toBe(400);
      expect(problemOf(response)).toMatchObject({
        type: 'urn:forge:problem:invalid-path',
        status: 400,
        service: 'api',
      });
      expect(upstream.received.length).toBe(before);
    });

    it('an absolute-form request target cannot climb out either', async () => {
      const before = upstream.received.length;
      const response = await rawGet(server.url, `${server.url}/bff/%2e%2e/admin`);
      expect(response.status).toBe(400);
      expect(upstream.received.length).toBe(before);
    });

    it.each([
      ['/bff/items/../orders', '/v1/orders', true],
      ['/bff/./orders/.', '/v1/orders/', true],
      ['/bff//orders', '/v1/orders', true],
      ['/bff//127.0.0.1:1/x', '/v1/127.0.0.1:1/x', true],
      ['/bff/%70ublic/x', '/v1/public/x', false],
      ['/bff/public/x', '/v1/public/x', false],
      ['/bff/public/../orders', '/v1/orders', true],
      ['/bff/%41%7e%2D%5f%2e', '/v1/A~-_.', true],
      ['/bff/caf%c3%a9', '/v1/caf%C3%A9', true],
      ['/bff/a|b^c', '/v1/a%7Cb%5Ec', true],
      ['/bff/orders?q=a%2fb&next=../x', '/v1/orders?q=a%2fb&next=../x', true],
      ['/rewrite/x/../old/a', '/v1/new/a', true],
    ] as const)('%s is forwarded as %s (credentials: %s)', async (path, forwarded, credentials) => {
      const before = received(forwarded).length;
      const response = await rawGet(server.url, path);
      expect(response.status).toBe(200);
      const hits = received(forwarded);
      expect(hits.length).toBe(before + 1);
      const authorization = hits.at(-1)?.headers.authorization;
      if (credentials) expect(authorization).toMatch(/^Bearer \S+$/);
      else expect(authorization).toBeUndefined();
    });
  });

  describe('headers', () => {
    const forged = [
      'authorization: Bearer caller-secret',
      'cookie: session=caller-cookie',
      'proxy-authorization: Basic Y2FsbGVyOnNlY3JldA==',
      'x-api-key: caller-api-key',
      'x-forwarded-for: 6.6.6.6',
      'x-forwarded-host: evil.example',
      'x-forwarded-proto: https',
      'x-forwarded-port: 666',
      'forwarded: for=6.6.6.6;host=evil.example',
      'x-real-ip: 6.6.6.6',
      'connection: x-caller-hop',
      'x-caller-hop: hop',
      'keep-alive: timeout=5',
      'te: trailers',
      'trailer: x-late',
      'upgrade: websocket',
      'proxy-connection: keep-alive',
      'x-custom: kept',
    ];

    it('no credential, forwarding or hop-by-hop header of the caller reaches the upstream', async () => {
      const response = await rawGet(server.url, '/bff/headers', forged);
      expect(response.status).toBe(200);
      const headers = received('/v1/headers').at(-1)!.headers;
      expect(headers.authorization).toMatch(/^Bearer /);
      expect(headers.authorization).not.toContain('caller-secret');
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers.host).toBe(new URL(upstream.url).host);
      expect(headers['x-custom']).toBe('kept');
      for (const name of [
        'cookie',
        'proxy-authorization',
        'x-api-key',
        'x-forwarded-host',
        'x-forwarded-port',
        'forwarded',
        'x-real-ip',
        'x-caller-hop',
        'keep-alive',
        'te',
        'trailer',
        'upgrade',
        'proxy-connection',
      ]) {
        expect(headers[name], name).toBeUndefined();
      }
    });

    it('an excluded path carries neither the service token nor the caller credentials', async () => {
      await rawGet(server.url, '/bff/public/headers', forged);
      const headers = received('/v1/public/headers').at(-1)!.headers;
      expect(headers.authorization).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
    });

    it('passRequestHeaders lets listed caller headers through; the service credentials still win', async () => {
      await rawGet(server.url, '/pass/headers', forged);
      const authorized = received('/v1/headers').at(-1)!.headers;
      expect(authorized.authorization).toMatch(/^Bearer /);
      expect(authorized.authorization).not.toContain('caller-secret');
      expect(authorized.cookie).toBe('session=caller-cookie');
      expect(authorized['x-api-key']).toBe('caller-api-key');
      expect(authorized['x-forwarded-for']).toBe('127.0.0.1');
      expect(authorized['proxy-authorization']).toBeUndefined();
      await rawGet(server.url, '/pass/public/headers', forged);
      const excluded = received('/v1/public/headers').at(-1)!.headers;
      expect(excluded.authorization).toBe('Bearer caller-secret');
    });

    it("the upstream's cookies, challenges and hop-by-hop headers do not reach the caller", async () => {
      const response = await rawGet(server.url, '/bff/response-headers');
      expect(response.status).toBe(200);
      expect(response.headers['x-kept']).toBe('kept');
      for (const name of [
        'set-cookie',
        'www-authenticate',
        'proxy-authenticate',
        'x-upstream-hop',
        'keep-alive',
      ]) {
        expect(response.headers[name], name).toBeUndefined();
      }
      const passed = await rawGet(server.url, '/pass/response-headers');
      expect(passed.headers['set-cookie']).toBe('upstream=1; Path=/, tracking=2');
      expect(passed.headers['www-authenticate']).toBe('Bearer realm="upstream"');
      expect(passed.headers['x-upstream-hop']).toBeUndefined();
    });
  });

  describe('problems', () => {
    it('echo nothing the authorization server sent, and carry an id the error carries too', async () => {
      errors.length = 0;
      const response = await rawGet(server.url, '/echoing/orders');
      expect(response.status).toBe(502);
      const problem = problemOf(response);
      expect(response.body).not.toMatch(/echo_marker|ECHO-DESCRIPTION/i);
      expect(problem.detail).not.toMatch(/echo_marker|ECHO-DESCRIPTION/i);
      expect(problem.instance).toMatch(/^urn:forge:error:[0-9a-f-]{36}$/);
      const error = errors.at(-1) as ServiceAuthorizationError;
      expect(error).toBeInstanceOf(ServiceAuthorizationError);
      expect(problem.instance).toBe(`urn:forge:error:${error.errorId}`);
      expect(error.message).toContain(error.errorId);
      expect(error.message).not.toMatch(/echo_marker|ECHO-DESCRIPTION/i);
      expect(error.cause).toBeDefined();
    });

    it('every problem has its own id', async () => {
      const first = problemOf(await rawGet(server.url, '/echoing/a'));
      const second = problemOf(await rawGet(server.url, '/echoing/a'));
      expect(first.instance).not.toBe(second.instance);
    });
  });

  describe('nothing sent to the proxy crashes the process', () => {
    it('an upstream that resets mid-body cuts the response off', async () => {
      const response = await rawGet(server.url, '/bff/reset');
      expect(response.status).toBe(200);
      expect(response.body.length).toBeLessThan(100_000);
      expect((await rawGet(server.url, '/bff/after-reset')).status).toBe(200);
    });

    it.each([
      ['/invalid/x', 'an upstream that sends invalid headers'],
      ['/not-http/x', 'an upstream that does not speak HTTP'],
      ['/bff/big-header', 'an upstream with a huge header'],
      ['/odd-status/x', 'an upstream with a status below 100'],
      ['/switching/x', 'an upstream that switches protocols unasked'],
    ])('%s: %s answers 502', async (path) => {
      const response = await rawGet(server.url, path);
      expect(response.status).toBe(502);
      expect(problemOf(response)).toMatchObject({
        type: 'urn:forge:problem:upstream-invalid-response',
        status: 502,
      });
    });

    it('a token that is not a header value answers 502 and is never sent', async () => {
      const before = upstream.received.length;
      const response = await rawGet(server.url, '/crlf/orders');
      expect(response.status).toBe(502);
      expect(response.body).not.toContain('abc');
      expect(response.body).not.toContain('x-injected');
      expect(upstream.received.length).toBe(before);
    });

    it('an upstream that never answers: 504 after timeoutMs; one that hangs up: 502', async () => {
      const silent = await rawGet(server.url, '/silent/x');
      expect(silent.status).toBe(504);
      expect(problemOf(silent).type).toBe('urn:forge:problem:upstream-timeout');
      const hangingUp = await rawGet(server.url, '/hanging-up/x');
      expect(hangingUp.status).toBe(502);
      expect(problemOf(hangingUp).type).toBe('urn:forge:problem:upstream-unreachable');
    });

    it('a credential Node refuses as a header answers 502, and no error carries it', async () => {
      errors.length = 0;
      const before = upstream.received.length;
      const response = await rawGet(server.url, '/refused/orders');
      expect(response.status).toBe(502);
      expect(problemOf(response).type).toBe('urn:forge:problem:forward-failed');
      expect(response.body).not.toContain('leaked');
      const error = errors.at(-1) as ServiceAuthorizationError;
      expect(inspect(error, { depth: 5 })).not.toContain('leaked');
      expect(upstream.received.length).toBe(before);
    });

    it("a caller's Trailer header on a request without a body", async () => {
      const response = await rawGet(server.url, '/bff/trailer', ['trailer: x-late']);
      expect(response.status).toBe(200);
      expect(received('/v1/trailer').at(-1)?.headers.trailer).toBeUndefined();
    });

    it('a caller that goes away mid-request, or mid-response', async () => {
      const { host } = new URL(server.url);
      await abandonRequest(
        server.url,
        `POST /bff/upload HTTP/1.1\r\nhost: ${host}\r\ncontent-length: 100000`,
        'only the start of the body',
        50,
      );
      await abandonRequest(server.url, `GET /bff/stream HTTP/1.1\r\nhost: ${host}`, '', 100);
      const deadline = Date.now() + 5_000;
      while (upstream.abandonedStreams() === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(upstream.abandonedStreams()).toBeGreaterThan(0);
      expect((await rawGet(server.url, '/bff/still-up')).status).toBe(200);
    });

    it('a caller that expects 100-continue, or sends a chunked body', async () => {
      const { host } = new URL(server.url);
      const expecting = await rawRequest(
        server.url,
        `POST /bff/continue HTTP/1.1\r\nhost: ${host}\r\nexpect: 100-continue\r\ncontent-length: 2`,
        '{}',
      );
      expect(expecting.status).toBe(200);
      const chunked = await rawRequest(
        server.url,
        `POST /bff/chunked HTTP/1.1\r\nhost: ${host}\r\ntransfer-encoding: chunked`,
        '2\r\n{}\r\n0\r\n\r\n',
      );
      expect(chunked.status).toBe(200);
      expect(received('/v1/continue').at(-1)?.headers.expect).toBeUndefined();
    });

    it('a huge caller header is refused by Node before the proxy sees it', async () => {
      const response = await rawGet(server.url, '/bff/x', [`x-huge: ${'h'.repeat(20_000)}`]);
      expect(response.status).toBe(431);
      expect((await rawGet(server.url, '/bff/still-up')).status).toBe(200);
    });

    it('an upstream 401 whose renewal fails is passed on without an unhandled rejection', async () => {
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => rawGet(server.url, '/failing/unauthorized')),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(5).fill(401));
    });
  });
});

describe('forge.proxy() setup', () => {
  function services(origins?: string[]) {
    return createForge({
      services: {
        api: {
          provider: provider('setup'),
          baseURL: 'https://api.example/v1',
          ...(origins ? { policy: { origins } } : {}),
        },
      },
    });
  }

  it('refuses a target whose origin would not receive the credentials, saying how to fix it', async () => {
    const forge = services();
    try {
      expect(() => forge.proxy('api', { target: 'https://other.example/v1' })).toThrow(
        ConfigurationError,
      );
      expect(() => forge.proxy('api', { target: 'https://other.example/v1' })).toThrow(
        /services\.api\.policy\.origins/,
      );
      expect(() => forge.proxy('api', { target: 'http://api.example/v1' })).toThrow(
        ConfigurationError,
      );
      expect(() => forge.proxy('api', { target: 'https://api.example/v2' })).not.toThrow();
    } finally {
      await forge.close();
    }
    const listed = services(['https://other.example']);
    try {
      expect(() => listed.proxy('api', { target: 'https://other.example/v1' })).not.toThrow();
    } finally {
      await listed.close();
    }
  });

  it.each([
    ['passRequestHeaders', 'cookie'],
    ['passRequestHeaders', ['connection']],
    ['passRequestHeaders', ['Transfer-Encoding']],
    ['passRequestHeaders', ['host']],
    ['passRequestHeaders', ['x-forwarded-for']],
    ['passRequestHeaders', ['X-Forwarded-Host']],
    ['passRequestHeaders', ['proxy-authorization']],
    ['passRequestHeaders', ['not a header']],
    ['passRequestHeaders', [42]],
    ['passResponseHeaders', ['keep-alive']],
    ['passResponseHeaders', ['x-bad\r\nheader']],
  ])('refuses %s: %j', async (option, value) => {
    const forge = services();
    try {
      expect(() => forge.proxy('api', { [option]: value })).toThrow(
        new RegExp(`\`${option}(\\[\\d+\\])?\``),
      );
    } finally {
      await forge.close();
    }
  });

  it.each([
    ['timeoutMs', -1],
    ['timeoutMs', '5s'],
    ['pathRewrite', 'nope'],
    ['pathRewrite', { '(': '/x' }],
  ])('refuses %s: %j', async (option, value) => {
    const forge = services();
    try {
      expect(() => forge.proxy('api', { [option]: value })).toThrow(ConfigurationError);
    } finally {
      await forge.close();
    }
  });

  it('refuses a target with a query, a fragment or credentials', async () => {
    const forge = services();
    try {
      for (const target of [
        'https://api.example/v1?key=1',
        'https://api.example/v1#x',
        'https://user:pw@api.example/v1',
        'ftp://api.example/v1',
      ]) {
        expect(() => forge.proxy('api', { target }), target).toThrow(ConfigurationError);
      }
    } finally {
      await forge.close();
    }
  });
});
