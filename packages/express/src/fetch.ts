import {
  type AuthorizationRequest,
  type Authorizer,
  authorizationBody,
  authorizeRequest,
  isReplayableBody,
  retryAfterUnauthorized,
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
 * Token failures are thrown as `ServiceAuthorizationError` (502/503).
 */
export async function authorizedFetch(
  serviceName: string,
  authorizer: Authorizer,
  url: string,
  init: ForgeFetchInit = {},
): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const replayable = isReplayableBody(init.body);
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
      for (const [name, value] of Object.entries(authorization?.headers ?? {})) {
        headers.set(name, value);
      }
      const response = await fetch(authorization?.url ?? url, {
        ...init,
        method,
        headers,
        body: authorization?.body ?? init.body ?? null,
      });
      if (response.status !== 401 || authorization === undefined) return response;
      const unauthorized = { status: 401, headers: headerRecord(response.headers) };
      // Read the decision before draining: the 401 goes back to the caller when there is no retry.
      if (
        !(await retryAfterUnauthorized(
          authorizer,
          request,
          unauthorized,
          authorization,
          replayable,
          'express',
        ))
      ) {
        return response;
      }
      await response.body?.cancel();
    } catch (error) {
      if (error instanceof TypeError) throw error;
      throw toServiceAuthorizationError(serviceName, error);
    }
  }
}
