import { ConfigurationError, type ForgeRequestOptions } from '@forge/core';
import type { ForgeAdapter, Sent } from '@forge/core/adapter';
import { toServiceAuthorizationError } from './problem.js';

/**
 * `fetch`'s `init`, as `req.forge.fetch` accepts it, with Forge's own
 * per-request options.
 *
 * @example
 * ```ts
 * const init: ForgeFetchInit = { method: 'POST', body: JSON.stringify(order), forge: { key: 'tenant-a' } };
 * await req.forge.fetch('billing', '/orders', init);
 * ```
 */
export interface ForgeFetchInit extends RequestInit {
  /**
   * `{ key }`: the manager's key (tenant, user, scope) for this request; it
   * takes precedence over the service's `key` function.
   */
  readonly forge?: ForgeRequestOptions | undefined;
}

/**
 * Joins a base URL and a path the way API clients do: `/invoices` against
 * `https://api.example/v1` is `https://api.example/v1/invoices` (not the
 * origin root, as `new URL` would have it). Absolute URLs pass unchanged.
 */
export function joinURL(baseURL: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return `${baseURL.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * Sends `init` to `url` with the service's credentials, and after a 401 lets
 * the kit renew the token and decide whether to send it again (with the same
 * key). Redirects are followed here rather than by `fetch`, so that every hop
 * is judged by the policy, unless the caller chose another `redirect` mode.
 * Token failures are thrown as `ServiceAuthorizationError` (502/503).
 */
export async function authorizedFetch(
  serviceName: string,
  adapter: ForgeAdapter,
  url: string,
  init: ForgeFetchInit = {},
): Promise<Response> {
  const { forge, ...fetchInit } = init;
  const { body } = fetchInit;
  const method = (fetchInit.method ?? 'GET').toUpperCase();
  const follow = (fetchInit.redirect ?? 'follow') === 'follow';
  let retryOf: Sent | undefined;
  for (;;) {
    const headers = new Headers(fetchInit.headers);
    try {
      const sent = await adapter.authorize({ method, url, headers, body, forge, retryOf });
      adapter.setCredentials(headers, sent);
      const target = sent?.authorization.url ?? url;
      const manual = follow && sent !== undefined;
      const first = await fetch(target, {
        ...fetchInit,
        method,
        headers,
        body: sent?.authorization.body ?? body ?? null,
        redirect: manual ? 'manual' : fetchInit.redirect,
      });
      const final = manual
        ? await adapter.followRedirects(first, { url: target, method, headers }, sent, {
            send: (next, hop) => fetch(next, { ...fetchInit, ...hop }),
            replayBody: () => (adapter.isReplayableBody(body) ? (body ?? null) : undefined),
            signal: fetchInit.signal,
          })
        : { response: first, sent };
      const { response } = final;
      // Only a 401 to credentials we sent says anything about our token.
      if (response.status !== 401 || final.sent === undefined) return response;
      // Decided before draining: the 401 goes back to the caller when there is no retry.
      if (!(await adapter.renew(final.sent, response, body))) return response;
      await response.body?.cancel();
      retryOf = final.sent;
    } catch (error) {
      // fetch's own failures (network, the caller's abort or timeout) are the
      // caller's, as with fetch; so is a malformed `forge` option.
      if (error instanceof TypeError || isAbort(error) || error instanceof ConfigurationError) {
        throw error;
      }
      throw toServiceAuthorizationError(serviceName, error);
    }
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
