// The Express proxy as an anonymous caller, a hostile token endpoint and a
// hostile upstream would use it: paths that climb out of the mounted upstream
// path, exclusions dodged by encoding, credential and hop-by-hop headers in
// both directions, a target that would get no token, server text echoed in
// problem bodies, and inputs that used to crash the process. Raw requests go
// through `net` where Node's HTTP client would normalize the path.
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  type TokenProvider,
} from '@forge/core';
import { createForge, type ForgeMiddleware, forgeErrorHandler } from '@forge/express';
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Attacker,
  abandonUpload,
  deadURL,
  expressApp,
  type Listening,
  listen,
  type RecordedRequest,
  rawRequest,
  startAttacker,
  statusOf,
  watchCrashes,
} from './core-support.js';

const CALLER = {
  authorization: 'Bearer caller-own-token-3d9a',
  cookie: 'site_session=caller-cookie-value',
  proxyAuthorization: 'Basic Y2FsbGVyOnByb3h5LXBhc3N3b3Jk',
  apiKey: 'caller-api-key-77f2',
  spoofedAddress: '203.0.113.7',
};
const UPSTREAM_COOKIE = 'upstream_session=upstream-cookie-value-51c0';

/** An HTTP/1.1 request line and headers, exactly as written. */
function raw(method: string, target: string, headers: readonly string[] = []): string {
  return [
    `${method} ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...headers,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
}

/**
 * Whether a request target the upstream received stays inside `/v1`, read the
 * way any upstream might read it: percent-decoded, backslashes as slashes, dot
 * segments resolved.
 */
function staysInsideMount(target: string): boolean {
  const path = target.split('?')[0] ?? '';
  if (/%2f|%5c|\\/i.test(path)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return false;
  return decoded === '/v1' || decoded.startsWith('/v1/');
}

/** The id a problem body carries for correlation with the event or log entry. */
function problemId(problem: Record<string, unknown>): unknown {
  const key = Object.keys(problem).find((name) => /^(id|instance)$|Id$/.test(name));
  return key === undefined ? undefined : problem[key];
}

function bodyOf(answer: string): string {
  return answer.slice(answer.indexOf('\r\n\r\n') + 4);
}

describe('express proxy: what a caller, token endpoint or upstream may send', () => {
  let auth: AuthServer;
  let upstream: Attacker;
  let refusingTokenEndpoint: Attacker;
  let crlfTokenEndpoint: Attacker;
  let forge: ForgeMiddleware;
  let app: Listening;
  let refusal = 0;
  // Every error the proxy passed to `next(err)`: what an application logs.
  const passedOn: unknown[] = [];

  const upstreamAnswers = (req: { url?: string | undefined }, res: ServerResponse): void => {
    const path = req.url ?? '/';
    if (path.startsWith('/v1/reset-before-answer')) {
      res.socket?.destroy();
    } else if (path.startsWith('/v1/reset-mid-body')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
      res.write('x'.repeat(1_000), () => res.socket?.destroy());
    } else if (path.startsWith('/v1/invalid-header')) {
      res.socket?.end('HTTP/1.1 200 OK\r\nBad Header Name: x\r\nContent-Length: 2\r\n\r\n{}');
    } else if (path.startsWith('/v1/huge-header')) {
      res.writeHead(200, { 'x-huge': 'h'.repeat(64 * 1024) }).end('{}');
    } else {
      res
        .writeHead(200, { 'content-type': 'application/json', 'set-cookie': UPSTREAM_COOKIE })
        .end(JSON.stringify({ path }));
    }
  };

  function clientCredentials(serviceName: string, tokenEndpoint: string): TokenProvider<undefined> {
    return new ClientCredentialsTokenProvider({
      serviceName,
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      tokenEndpoint,
      timeoutMs: 5_000,
      retry: false,
    });
  }

  beforeAll(async () => {
    auth = await startAuthServer();
    upstream = await startAttacker((req, res) => upstreamAnswers(req, res));
    refusingTokenEndpoint = await startAttacker((_req, res) => {
      refusal += 1;
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: `echoed_marker_${refusal}`,
          error_description: `Echoed description marker ${refusal}`,
        }),
      );
    });
    crlfTokenEndpoint = await startAttacker((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          access_token: 'crlf-token-marker\r\nX-Injected: yes',
          token_type: 'Bearer',
        }),
      );
    });
    const base = `${upstream.url}/v1`;
    forge = createForge({
      services: {
        api: { provider: clientCredentials('api', auth.tokenEndpoint), baseURL: base },
        open: {
          provider: clientCredentials('open', auth.tokenEndpoint),
          baseURL: base,
          policy: { excludedPaths: ['/v1/public/info'] },
        },
        refused: {
          provider: clientCredentials('refused', `${refusingTokenEndpoint.url}/token`),
          baseURL: base,
        },
        crlf: {
          provider: clientCredentials('crlf', `${crlfTokenEndpoint.url}/token`),
          baseURL: base,
        },
      },
    });
    const server = expressApp();
    server.use(forge);
    server.use('/api', forge.proxy('api'));
    server.use('/open', forge.proxy('open'));
    server.use('/refused', forge.proxy('refused'));
    server.use('/crlf', forge.proxy('crlf'));
    server.use(
      '/allow',
      forge.proxy('api', {
        passRequestHeaders: ['x-api-key'],
        passResponseHeaders: ['set-cookie'],
      }),
    );
    server.use((error: unknown, _req: unknown, _res: unknown, next: (error: unknown) => void) => {
      passedOn.push(error);
      next(error);
    });
    server.use(forgeErrorHandler());
    app = await listen(server);
  });

  afterEach(() => {
    upstream.requests.length = 0;
  });

  afterAll(async () => {
    await app?.close();
    await forge?.close();
    for (const server of [upstream, refusingTokenEndpoint, crlfTokenEndpoint])
      await server?.close();
    await auth?.close();
  });

  const outside = (): string[] =>
    upstream.requests.map((request) => request.url).filter((url) => !staysInsideMount(url));

  it('paths that climb out of the mounted upstream path answer 400 and reach nothing', async () => {
    const answers: Record<string, number> = {};
    for (const path of [
      '/../admin',
      '/%2e%2e/admin',
      '/%2E%2e%2fadmin',
      '/..%5cadmin',
      '/a/..\\..\\admin',
    ]) {
      answers[path] = statusOf(await rawRequest(app.url, raw('GET', `/api${path}`)));
    }
    expect(upstream.requests.map((request) => request.url)).toEqual([]);
    expect(answers).toEqual({
      '/../admin': 400,
      '/%2e%2e/admin': 400,
      '/%2E%2e%2fadmin': 400,
      '/..%5cadmin': 400,
      '/a/..\\..\\admin': 400,
    });
  });

  it('an encoded slash or a lone `%` is refused, or forwarded only where it stays inside', async () => {
    for (const path of ['/%2fadmin', '/%', '/x/%2f..%2f..%2fadmin', '/%252e%252e/admin']) {
      const status = statusOf(await rawRequest(app.url, raw('GET', `/api${path}`)));
      const reached = upstream.requests.length > 0;
      expect(status === 400 || (status === 200 && reached), `${path}: HTTP ${status}`).toBe(true);
    }
    expect(outside()).toEqual([]);
  });

  it('exclusions are judged on the normalized path', async () => {
    // Control: the excluded path itself goes out without credentials, another with them.
    await rawRequest(app.url, raw('GET', '/open/public/info'));
    await rawRequest(app.url, raw('GET', '/open/orders'));
    expect(upstream.requests.map((request) => Boolean(request.headers.authorization))).toEqual([
      false,
      true,
    ]);
    upstream.requests.length = 0;

    for (const path of ['/%70ublic/info', '/x/../public/info', '/public/%69nfo']) {
      await rawRequest(app.url, raw('GET', `/open${path}`));
    }
    const credentialed = upstream.requests.filter((request) => request.headers.authorization);
    expect(credentialed.map((request) => request.url)).toEqual([]);
    expect(outside()).toEqual([]);
  });

  it("the caller's credential and hop-by-hop headers stay here; the upstream's Set-Cookie stays there", async () => {
    const answer = await rawRequest(
      app.url,
      raw('GET', '/api/headers', [
        `Authorization: ${CALLER.authorization}`,
        `Cookie: ${CALLER.cookie}`,
        `Proxy-Authorization: ${CALLER.proxyAuthorization}`,
        `X-Api-Key: ${CALLER.apiKey}`,
        `X-Forwarded-For: ${CALLER.spoofedAddress}`,
        `X-Forwarded-Host: evil.example`,
        `Forwarded: for=${CALLER.spoofedAddress}`,
        'X-Hop: hop-by-hop-value',
        'Keep-Alive: timeout=5',
        'Connection: X-Hop, Keep-Alive',
      ]),
    );
    expect(statusOf(answer)).toBe(200);
    const [received] = upstream.requests as [RecordedRequest];
    const sent = JSON.stringify(received.headers);
    // The upstream gets the service's token, and none of the caller's credentials.
    expect(received.headers.authorization).toMatch(/^Bearer /);
    for (const value of [
      CALLER.authorization,
      CALLER.cookie,
      CALLER.proxyAuthorization,
      CALLER.apiKey,
      CALLER.spoofedAddress,
      'evil.example',
      'hop-by-hop-value',
    ]) {
      expect(sent).not.toContain(value);
    }
    expect(received.headers['x-hop']).toBeUndefined();
    expect(answer).not.toContain('upstream-cookie-value');
  });

  it('passRequestHeaders / passResponseHeaders let exactly the listed headers through', async () => {
    const answer = await rawRequest(
      app.url,
      raw('GET', '/allow/headers', [
        `X-Api-Key: ${CALLER.apiKey}`,
        `Proxy-Authorization: ${CALLER.proxyAuthorization}`,
        `Cookie: ${CALLER.cookie}`,
      ]),
    );
    expect(statusOf(answer)).toBe(200);
    const [received] = upstream.requests as [RecordedRequest];
    expect(received.headers['x-api-key']).toBe(CALLER.apiKey);
    expect(received.headers['proxy-authorization']).toBeUndefined();
    expect(received.headers.cookie).toBeUndefined();
    expect(answer).toContain('upstream-cookie-value');
  });

  it('a target whose origin would receive no credentials fails at setup', async () => {
    const elsewhere = await deadURL();
    expect(() => forge.proxy('api', { target: `${elsewhere}/v1` })).toThrow(ConfigurationError);
  });

  it('problem bodies carry a fixed detail and an id, never text from the token endpoint or upstream', async () => {
    const refusals = [];
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${app.url}/refused/orders`);
      const text = await response.text();
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(text).not.toMatch(/echoed_marker|Echoed description marker/);
      refusals.push(JSON.parse(text) as Record<string, unknown>);
    }
    // Two refusals with different server text: one fixed detail, two ids.
    expect(refusals[0]?.detail).toBe(refusals[1]?.detail);
    const ids = refusals.map(problemId);
    expect(ids[0]).not.toBe(ids[1]);

    for (const path of ['/api/reset-before-answer', '/api/invalid-header']) {
      const response = await fetch(`${app.url}${path}`);
      const problem = (await response.json()) as Record<string, unknown>;
      expect(response.status, path).toBeGreaterThanOrEqual(500);
      expect(String(problem.detail), path).not.toMatch(/ECONN|EPIPE|HPE_|hang up|Bad Header/i);
      ids.push(problemId(problem));
    }
    // Each id names the error the application was handed (and logs).
    for (const id of ids) {
      expect(id).toEqual(expect.stringMatching(/\S{8,}/));
      expect(passedOn.filter((error) => inspect(error).includes(String(id)))).toHaveLength(1);
    }
  });

  it("an upstream reset mid-body ends the caller's response instead of leaving it open", async () => {
    const response = await fetch(`${app.url}/api/reset-mid-body`, {
      signal: AbortSignal.timeout(5_000),
    });
    const outcome = await response.text().then(
      (text) => `a complete body of ${text.length} bytes`,
      (error: unknown) => (error as Error).name,
    );
    // The caller must see the body break off, not wait on a connection the proxy forgot.
    expect(outcome).not.toMatch(/TimeoutError|AbortError|complete body/);
  });

  it('nothing a client, the token endpoint or the upstream sends crashes the process', async () => {
    const watch = watchCrashes();
    try {
      // The upstream resets mid-body, sends an invalid header, or a 64 KB header.
      await fetch(`${app.url}/api/reset-mid-body`, { signal: AbortSignal.timeout(2_000) })
        .then((response) => response.text())
        .catch(() => undefined);
      await rawRequest(app.url, raw('GET', '/api/invalid-header'));
      await rawRequest(app.url, raw('GET', '/api/huge-header'));
      // The client sends a 64 KB header, or disconnects mid-upload.
      await rawRequest(app.url, raw('GET', '/api/orders', [`X-Big: ${'b'.repeat(64 * 1024)}`]));
      await abandonUpload(
        app.url,
        raw('POST', '/api/upload', ['Content-Length: 1000000']),
        'u'.repeat(64 * 1024),
      );
      // The token endpoint issues a token with CR/LF in it.
      const injected = await rawRequest(app.url, raw('GET', '/crlf/orders'));
      expect(statusOf(injected)).toBeGreaterThanOrEqual(500);
      expect(bodyOf(injected)).not.toContain('crlf-token-marker');
      expect(upstream.requests.filter((request) => request.headers['x-injected'])).toEqual([]);

      // Let late socket errors surface, then check the server still answers.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const health = await fetch(`${app.url}/api/orders`);
      expect(health.status).toBe(200);
      expect(watch.crashes).toEqual([]);
    } finally {
      watch.stop();
    }
  });
});
