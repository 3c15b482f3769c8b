import type { Authorizer, ForgeOptions, RequestLogOptions } from '@forge/core';
import { type ForgeFetch, type ForgeRequestInit, withForge } from '@forge/fetch';

/**
 * `fetch`'s `init`, as `req.forge.fetch` accepts it, with Forge's own
 * per-request options: `forge: { key }` picks the manager's key (tenant,
 * user, scope) for this request, over the service's `key` function.
 *
 * @example
 * ```ts
 * const init: ForgeFetchInit = { method: 'POST', body: JSON.stringify(order), forge: { key: 'tenant-a' } };
 * await req.forge.fetch('billing', '/orders', init);
 * ```
 */
export type ForgeFetchInit = ForgeRequestInit;

/**
 * Joins a base URL and a path the way API clients do: `/invoices` against
 * `https://api.example/v1` is `https://api.example/v1/invoices` (not the
 * origin root, as `new URL` would have it). Absolute URLs pass unchanged.
 */
export function joinURL(baseURL: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return `${baseURL.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

// Looked up per call, not captured when forge() runs: a fetch installed
// later (a test's mock server, instrumentation) is the one that sends.
const platformFetch: typeof fetch = (input, init) => fetch(input, init);

/**
 * What `req.forge.fetch` sends with for one authorizer (a service's, or one
 * bound to a caller for token exchange): `@forge/fetch` over the platform's
 * `fetch`, so 401 renewal, redirects judged per hop and bodies behave as
 * they do there.
 */
export function serviceFetch(
  authorizer: Authorizer,
  key?: ForgeOptions['key'],
  log?: RequestLogOptions,
): ForgeFetch {
  return withForge(platformFetch, authorizer, { key, log });
}
