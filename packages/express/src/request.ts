import { AsyncLocalStorage } from 'node:async_hooks';
import type { Request } from 'express';

// The request being handled, for key functions: they receive the outgoing
// request only, and a tenant or user usually lives on the incoming one.
const current = new AsyncLocalStorage<Request>();

/**
 * The Express request being handled: inside the handlers and middleware that
 * run after `forge()`, inside `forge.proxy()`, and always inside a service's
 * `key` function when `req.forge.fetch` or the proxy calls it. `undefined`
 * elsewhere.
 *
 * @example
 * ```ts
 * const forge = createForge({
 *   services: {
 *     billing: {
 *       baseURL: 'https://billing.example.com',
 *       manager: perTenantManager,
 *       key: () => forgeRequest()?.res?.locals.tenant,
 *     },
 *   },
 * });
 * ```
 */
export function forgeRequest(): Request | undefined {
  return current.getStore();
}

/** Runs `fn` with `req` as {@link forgeRequest}. */
export function withRequest<T>(req: Request, fn: () => T): T {
  return current.getStore() === req ? fn() : current.run(req, fn);
}
