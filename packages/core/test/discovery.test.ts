import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  DiscoveryCache,
  TokenEndpointError,
} from '../src/index.js';
import { metadataUrls } from '../src/protocol/discovery.js';
import { endless, hang, type Loopback, loopback, type Recorded } from './helpers/loopback.js';

let server: Loopback | undefined;
let other: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  await other?.close();
  server = undefined;
  other = undefined;
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

/** A metadata server: answers `routes[path]`, 404 elsewhere, after `delayMs`. */
async function metadataServer(routes: (issuer: string) => Record<string, unknown>, delayMs = 0) {
  let issuer = '';
  const started = await loopback((req: Recorded, res) => {
    const body = routes(issuer)[req.url];
    setTimeout(() => {
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(body === undefined ? '{"error":"not_found"}' : JSON.stringify(body));
    }, delayMs);
  });
  issuer = started.url;
  return started;
}

describe('metadataUrls', () => {
  it('inserts the RFC 8414 suffix before the path and appends the OIDC one', () => {
    expect(metadataUrls('https://as.example')).toEqual([
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
    expect(metadataUrls('https://as.example/tenant/1/')).toEqual([
      'https://as.example/.well-known/oauth-authorization-server/tenant/1',
      'https://as.example/tenant/1/.well-known/openid-configuration',
    ]);
  });
});

describe('DiscoveryCache', () => {
  it('prefers RFC 8414 metadata', async () => {
    server = await metadataServer((issuer) => ({
      '/.well-known/oauth-authorization-server': { issuer, token_endpoint: `${issuer}/as-token` },
      '/.well-known/openid-configuration': { issuer, token_endpoint: `${issuer}/oidc-token` },
    }));
    const metadata = await new DiscoveryCache().get(server.url);
    expect(metadata.token_endpoint).toBe(`${server.url}/as-token`);
    expect(server.requests).toHaveLength(1);
  });

  it('falls back to OpenID Connect discovery', async () => {
    server = await metadataServer((issuer) => ({
      '/.well-known/openid-configuration': {
        issuer,
        token_endpoint: `${issuer}/oidc-token`,
        authorization_endpoint: `${issuer}/auth`,
      },
    }));
    const metadata = await new DiscoveryCache().get(server.url);
    expect(metadata.token_endpoint).toBe(`${server.url}/oidc-token`);
    expect(metadata.authorization_endpoint).toBe(`${server.url}/auth`);
  });

  it('fetches once per issuer for concurrent and later callers', async () => {
    server = await metadataServer(
      (issuer) => ({
        '/.well-known/oauth-authorization-server': { issuer, token_endpoint: `${issuer}/t` },
      }),
      30,
    );
    const cache = new DiscoveryCache();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.get(server!.url)));
    await cache.get(server.url);
    expect(new Set(results.map((m) => m.token_endpoint)).size).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects metadata naming another issuer (mix-up defence)', async () => {
    server = await metadataServer(() => ({
      '/.well-known/oauth-authorization-server': {
        issuer: 'https://evil.example',
        token_endpoint: 'https://evil.example/token',
      },
    }));
    const error = await failure(new DiscoveryCache().get(server.url));
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error.message).toContain('names issuer https://evil.example');
    expect(error.message).toContain('set `tokenEndpoint`');
  });

  it('does not cache failures', async () => {
    let up = false;
    server = await metadataServer((issuer) =>
      up ? { '/.well-known/openid-configuration': { issuer, token_endpoint: `${issuer}/t` } } : {},
    );
    const cache = new DiscoveryCache();
    await expect(cache.get(server.url)).rejects.toBeInstanceOf(TokenEndpointError);
    up = true;
    expect((await cache.get(server.url)).token_endpoint).toBe(`${server.url}/t`);
  });

  it('a caller signal stops waiting without failing other callers', async () => {
    server = await loopback(hang());
    const cache = new DiscoveryCache();
    const controller = new AbortController();
    const mine = cache.get(server.url, { signal: controller.signal, timeoutMs: 300 });
    const theirs = cache.get(server.url, { timeoutMs: 300 });
    controller.abort();
    expect(((await failure(mine)) as TokenEndpointError).reason).toBe('aborted');
    const later = (await failure(theirs)) as TokenEndpointError;
    expect(later.reason).toBe('network');
    expect(later.message).toContain('timed out');
  });

  it('validates the issuer', () => {
    expect(() => new DiscoveryCache().get('not a url')).toThrow(ConfigurationError);
  });

  it('providers use it to find the token endpoint', async () => {
    let issuer = '';
    server = await loopback((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        req.url === '/.well-known/oauth-authorization-server'
          ? JSON.stringify({ issuer, token_endpoint: `${issuer}/oauth/token` })
          : JSON.stringify({ access_token: 'discovered', expires_in: 60 }),
      );
    });
    issuer = server.url;
    const provider = new ClientCredentialsTokenProvider({
      clientId: 'c',
      clientSecret: 'secret',
      issuer,
      discovery: new DiscoveryCache(),
    });
    expect((await provider.fetchToken()).accessToken).toBe('discovered');
    expect(server.requests.map((r) => r.url)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/oauth/token',
    ]);
  });
});

describe('discovery against a hostile or broken server (RFC 8414 §3.3)', () => {
  const RFC8414 = '/.well-known/oauth-authorization-server';
  const OIDC = '/.well-known/openid-configuration';

  async function refused(issuer: string, options = {}): Promise<TokenEndpointError> {
    const error = await failure(new DiscoveryCache().get(issuer, options));
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error.message).toMatch(/^\[forge\] \[core\] /);
    expect(error.message).toContain('set `tokenEndpoint`');
    return error as TokenEndpointError;
  }

  it('metadata without an issuer is not used', async () => {
    server = await metadataServer((issuer) => ({
      [RFC8414]: { token_endpoint: `${issuer}/token` },
      [OIDC]: { token_endpoint: `${issuer}/token` },
    }));
    const error = await refused(server.url);
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('names no `issuer`');
  });

  it('the issuer must be identical; only a trailing slash may differ', async () => {
    server = await metadataServer((issuer) => ({
      [RFC8414]: { issuer, token_endpoint: `${issuer}/token` },
      [`${RFC8414}/Tenant`]: { issuer: `${issuer}/tenant`, token_endpoint: `${issuer}/token` },
      [`/Tenant${OIDC}`]: { issuer: `${issuer}/tenant`, token_endpoint: `${issuer}/token` },
    }));
    expect((await new DiscoveryCache().get(`${server.url}/`)).token_endpoint).toBe(
      `${server.url}/token`,
    );
    const error = await refused(`${server.url}/Tenant`);
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain(`names issuer ${server.url}/tenant`);
  });

  it.each([
    ['data:', 'data:application/json,{}'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['ftp:', 'ftp://127.0.0.1/token'],
    ['ws:', 'ws://127.0.0.1/token'],
  ])('a %s token endpoint is refused', async (_scheme, tokenEndpoint) => {
    server = await metadataServer((issuer) => ({
      [RFC8414]: { issuer, token_endpoint: tokenEndpoint },
    }));
    const error = await refused(server.url);
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('token_endpoint');
  });

  it('a token endpoint with user-info, or a non-http authorization endpoint, is refused', async () => {
    server = await metadataServer((issuer) => ({
      [RFC8414]: { issuer, token_endpoint: issuer.replace('//', '//user:pass@') },
      [OIDC]: { issuer, token_endpoint: `${issuer}/t`, authorization_endpoint: 'javascript:x' },
    }));
    const error = await refused(server.url);
    expect(error.message).not.toContain('user:pass');
    expect(error.message).toContain('authorization_endpoint');
  });

  it('an https issuer needs an https token endpoint', async () => {
    server = await metadataServer(() => ({
      [RFC8414]: { issuer: 'https://as.test', token_endpoint: 'http://as.test/token' },
      [OIDC]: { issuer: 'https://as.test', token_endpoint: 'https://as.test/token' },
    }));
    const url = server.url;
    // Routes the https issuer to the plain-HTTP loopback server; what it answers is real.
    const routed: typeof fetch = (input, init) =>
      fetch(String(input).replace('https://as.test', url), init);
    const metadata = await new DiscoveryCache().get('https://as.test', { fetch: routed });
    expect(metadata.token_endpoint).toBe('https://as.test/token');
    expect(server.requests.map((r) => r.url)).toEqual([RFC8414, OIDC]);

    const downgrade = await metadataServer(() => ({
      [RFC8414]: { issuer: 'https://as.test', token_endpoint: 'http://as.test/token' },
    }));
    other = downgrade;
    const error = await refused('https://as.test', {
      fetch: ((input, init) =>
        fetch(String(input).replace('https://as.test', downgrade.url), init)) as typeof fetch,
    });
    expect(error.message).toContain('must be https');
  });

  it('does not follow a redirect to another origin', async () => {
    other = await metadataServer((issuer) => ({
      [RFC8414]: { issuer, token_endpoint: `${issuer}/attacker-token` },
    }));
    const attacker = other.url;
    server = await loopback((req, res) => {
      res.writeHead(302, { location: `${attacker}${req.url}` });
      res.end();
    });
    const error = await refused(server.url);
    expect(error.message).toContain('another origin');
    expect(other.requests).toHaveLength(0);
  });

  it('follows a redirect within the issuer origin, a few hops at most', async () => {
    let issuer = '';
    server = await loopback((req, res) => {
      if (req.url === RFC8414) {
        res.writeHead(301, { location: '/moved/metadata' });
        res.end();
      } else if (req.url === '/moved/metadata') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token` }));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    issuer = server.url;
    expect((await new DiscoveryCache().get(issuer)).token_endpoint).toBe(`${issuer}/token`);

    const looping = await loopback((req, res) => {
      res.writeHead(302, { location: `${req.url}x` });
      res.end();
    });
    other = looping;
    const error = await refused(looping.url);
    expect(error.message).toContain('redirects');
    // Three hops per location, two locations.
    expect(looping.requests.length).toBeLessThanOrEqual(8);
  });

  it('a metadata document that never ends costs bounded memory and a malformed error', async () => {
    const stream = endless(32 * 1024 * 1024);
    server = await loopback(stream.handler);
    const error = await refused(server.url, { timeoutMs: 5_000 });
    expect(error.reason).toBe('malformed');
    expect(error.message).toContain('1048576 bytes');
    expect(error.message).toContain('`maxResponseBytes`');
    await vi.waitFor(() => expect(stream.stats.closed).toBe(true), { timeout: 5_000 });
    expect(stream.stats.written).toBeLessThan(16 * 1024 * 1024);
    expect(server.requests).toHaveLength(1);
  });

  it('maxResponseBytes is configurable and validated, and providers pass theirs on', async () => {
    server = await metadataServer((issuer) => ({
      [RFC8414]: { issuer, token_endpoint: `${issuer}/token`, padding: 'x'.repeat(2_000) },
    }));
    const error = await refused(server.url, { maxResponseBytes: 1_024 });
    expect(error.message).toContain('1024 bytes');
    expect(() => new DiscoveryCache().get(server!.url, { maxResponseBytes: 0 })).toThrow(
      ConfigurationError,
    );
    const provider = new ClientCredentialsTokenProvider({
      clientId: 'c',
      clientSecret: 'secret',
      issuer: server.url,
      discovery: new DiscoveryCache(),
      maxResponseBytes: 1_024,
    });
    const viaProvider = await failure(provider.fetchToken());
    expect(viaProvider.message).toContain('1024 bytes');
  });
});
