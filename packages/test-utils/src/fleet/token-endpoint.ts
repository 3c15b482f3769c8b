import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the loopback token endpoint counted. */
export interface EndpointCounts {
  /** Every token request, whatever the grant. */
  readonly requests: number;
  readonly clientCredentials: number;
  readonly refreshes: number;
  /** Refresh requests with a refresh token that was already used or never issued. */
  readonly invalidGrants: number;
}

/** A loopback OAuth token endpoint that rotates refresh tokens. */
export interface TokenEndpoint {
  readonly url: string;
  counts(): EndpointCounts;
  /** The only refresh token the endpoint still accepts. */
  newestRefreshToken(): string | undefined;
  close(): Promise<void>;
}

/**
 * A small, strict OAuth token endpoint (RFC 6749 §4.4 and §6) on 127.0.0.1:
 * each refresh token is valid exactly once; using it again is `invalid_grant`.
 */
export async function startTokenEndpoint(
  options: { expiresIn?: number; refreshTokens?: boolean } = {},
): Promise<TokenEndpoint> {
  const expiresIn = options.expiresIn ?? 3_600;
  let serial = 0;
  let newest: string | undefined;
  const counts = { requests: 0, clientCredentials: 0, refreshes: 0, invalidGrants: 0 };

  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => {
      counts.requests++;
      const form = new URLSearchParams(body);
      const reply = (status: number, payload: Record<string, unknown>): void => {
        response.writeHead(status, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
        });
        response.end(JSON.stringify(payload));
      };
      const grant = form.get('grant_type');
      if (grant === 'refresh_token') {
        counts.refreshes++;
        if (form.get('refresh_token') !== newest || newest === undefined) {
          counts.invalidGrants++;
          reply(400, { error: 'invalid_grant', error_description: 'refresh token already used' });
          return;
        }
      } else if (grant === 'client_credentials') {
        counts.clientCredentials++;
      } else {
        reply(400, { error: 'unsupported_grant_type' });
        return;
      }
      serial++;
      newest = options.refreshTokens
        ? `rt-${serial}-${Math.random().toString(36).slice(2)}`
        : undefined;
      reply(200, {
        access_token: `at-${serial}-${Math.random().toString(36).slice(2)}`,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(newest ? { refresh_token: newest } : {}),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    counts: () => ({ ...counts }),
    newestRefreshToken: () => newest,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
