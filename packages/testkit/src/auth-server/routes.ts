import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import { createInteractionHandler } from './interactions.js';
import type { TestUser } from './options.js';

/**
 * Everything on the authorization server's port: oidc-provider, plus the RFC
 * 8414 metadata path (the same document as OIDC discovery), the login and
 * consent pages, and the shared redirect URI, which echoes its query as JSON.
 */
export function createRequestHandler(provider: Provider, users: readonly TestUser[]) {
  const callback = provider.callback();
  const interactions = createInteractionHandler(provider, users);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', provider.issuer);
    if (url.pathname === '/.well-known/oauth-authorization-server') {
      req.url = `/.well-known/openid-configuration${url.search}`;
    } else if (url.pathname.startsWith('/interaction/')) {
      interactions(req, res).catch((error: unknown) => {
        if (res.headersSent) return;
        res.statusCode = 400;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`interaction failed: ${error instanceof Error ? error.message : 'unknown error'}`);
      });
      return;
    } else if (url.pathname === '/callback') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Object.fromEntries(url.searchParams)));
      return;
    }
    callback(req, res);
  };
}
