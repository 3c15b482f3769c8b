import {
  type Authorization,
  type AuthorizationRequest,
  type Authorizer,
  authorizationBody,
  authorizeRequest,
  followRedirects,
  isReplayableBody,
  type RedirectHop,
  retryAfterUnauthorized,
  setCredentials,
} from '@forge/core';
import { toServiceAuthorizationError } from './problem.js';

/** `fetch`'s `init`, as `req.forge.fetch` accepts it. */
export type ForgeFetchInit = RequestInit;

/**
 * Joins a base URL and a path the way API clients do: `/invoices` against
 * `https://api.example/v1` is `https://api.example/v1/invoices` (not the
 * origin root, as `new URL` would have it). Absolute URLs pass unchanged.
 */
export function joinURL(baseURL: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return `${baseURL.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

/**
 * Sends `init` to `url` with the authorizer's credentials, and after a 401
 * lets the authorizer renew the token and decide whether to send it again.
 * Redirects are followed here rather than by `fetch`, so that every hop is
 * judged by the policy (`followRedirects`), unless the caller chose another
 * `redirect` mode. Token failures are thrown as `ServiceAuthorizationError`
 * (502/503).
 */
export async function authorizedFetch(
  serviceName: string,
  authorizer: Authorizer,
  url: string,
  init: ForgeFetchInit = {},
): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const replayable = isReplayableBody(init.body);
  const follow = (init.redirect ?? 'follow') === 'follow';
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers);
    const request: AuthorizationRequest = {
      method,
      url,
      headers: headerRecord(headers),
      body: authorizationBody(authorizer, init.body, headers.get('content-type') ?? undefined),
      attempt,
    };
    try {
      const authorization = await authorizeRequest(authorizer, request, 'express');
      setCredentials(headers, authorization);
      const target = authorization?.url ?? url;
      const sent = await fetch(target, {
        ...init,
        method,
        headers,
        body: authorization?.body ?? init.body ?? null,
        redirect: follow && authorization !== undefined ? 'manual' : init.redirect,
      });
      const final =
        follow && authorization !== undefined
          ? await followRedirects(sent, { url: target, method, headers }, authorization, {
              authorizer,
              send: (next, hop) => fetch(next, hop),
              replayBody: () => (replayable ? (init.body ?? null) : undefined),
              authorize: (hop) => authorizeHop(authorizer, hop, attempt),
              signal: init.signal,
            })
          : { response: sent, authorization };
      const { response } = final;
      // Only a 401 to credentials we sent says anything about our token.
      if (response.status !== 401 || final.authorization === undefined) return response;
      const unauthorized = { status: 401, headers: headerRecord(response.headers) };
      // Read the decision before draining: the 401 goes back to the caller when there is no retry.
      if (
        !(await retryAfterUnauthorized(
          authorizer,
          request,
          unauthorized,
          final.authorization,
          replayable,
          'express',
        ))
      ) {
        return response;
      }
      await response.body?.cancel();
    } catch (error) {
      // fetch's own failures (network, the caller's abort or timeout) are the caller's, as with fetch.
      if (error instanceof TypeError || isAbort(error)) throw error;
      throw toServiceAuthorizationError(serviceName, error);
    }
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

async function authorizeHop(
  authorizer: Authorizer,
  hop: RedirectHop,
  attempt: number,
): Promise<Authorization | undefined> {
  const authorization = await authorizeRequest(
    authorizer,
    { method: hop.method, url: hop.url, headers: headerRecord(hop.headers), attempt },
    'express',
  );
  setCredentials(hop.headers, authorization);
  return authorization;
}
