import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientCredentialsTokenProvider,
  ConfigurationError,
  DiscoveryCache,
  TokenEndpointError,
} from '../src/index.js';
import { metadataUrls } from '../src/protocol/discovery.js';
import { hang, type Loopback, loopback, type Recorded } from './helpers/loopback.js';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
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
