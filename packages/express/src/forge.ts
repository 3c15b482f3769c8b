import { ConfigurationError } from '@forge/core';
import type { Request, RequestHandler } from 'express';
import { RequestContext } from './context.js';
import { createServiceProxy, type ForgeProxyOptions } from './proxy.js';
import { type ForgeReadinessOptions, forgeReadiness } from './readiness.js';
import { withRequest } from './request.js';
import { createServiceRegistry } from './services.js';
import type { ForgeMiddlewareOptions } from './types.js';

/** The middleware `forge()` returns, with factories for proxies and token exchange. */
export interface ForgeMiddleware extends RequestHandler {
  /** The configured service names. */
  readonly serviceNames: readonly string[];
  /**
   * A middleware forwarding the route to the service with the service's
   * token (backend-for-frontend). Throws at setup for an unknown service.
   *
   * @example
   * ```ts
   * app.use('/api/billing', forge.proxy('billing'));
   * ```
   */
  proxy(service: string, options?: ForgeProxyOptions): RequestHandler;
  /**
   * A middleware exchanging the caller's bearer token (RFC 8693) for a token
   * of an `exchange` service before the next handler runs; 401 without a
   * bearer token, 502/503 when the exchange fails.
   *
   * @example
   * ```ts
   * app.get('/me/orders', forge.tokenExchange('orders'), async (req, res) => {
   *   res.json(await (await req.forge.fetch('orders', '/orders')).json());
   * });
   * ```
   */
  tokenExchange(service: string): RequestHandler;
  /**
   * A readiness probe over every configured service's token manager (see
   * {@link forgeReadiness}): 200 when all can authorize calls, 503 otherwise.
   *
   * @example
   * ```ts
   * app.get('/ready', forge.readiness());
   * ```
   */
  readiness(options?: ForgeReadinessOptions): RequestHandler;
  /** Closes the token managers Forge created from providers. */
  close(): Promise<void>;
}

/**
 * Express middleware giving every handler authorized clients for named
 * services as `req.forge`, and running the rest of the chain with the request
 * as `forgeRequest()` (for services' `key` functions). Token failures are
 * passed to `next(err)` as a `ServiceAuthorizationError` (status 502/503);
 * add `forgeErrorHandler()` to answer them with `application/problem+json`.
 *
 * @example
 * ```ts
 * const forge = createForge({
 *   services: {
 *     billing: {
 *       baseURL: 'https://billing.example/v1',
 *       provider: { type: 'client_credentials', issuer: 'https://auth.example', clientId, clientSecret },
 *     },
 *   },
 * });
 * app.use(forge);
 * app.get('/invoices', async (req, res) => {
 *   const response = await req.forge.fetch('billing', '/invoices');
 *   res.status(response.status).json(await response.json());
 * });
 * app.use(forgeErrorHandler());
 * ```
 */
export function createForge(options: ForgeMiddlewareOptions): ForgeMiddleware {
  const registry = createServiceRegistry(options);
  const contexts = new WeakMap<Request, RequestContext>();
  const contextOf = (req: Request): RequestContext => {
    let context = contexts.get(req);
    if (!context) {
      context = new RequestContext(registry, req);
      contexts.set(req, context);
    }
    return context;
  };

  const middleware: RequestHandler = (req, _res, next) => {
    req.forge = contextOf(req);
    withRequest(req, next);
  };

  return Object.assign(middleware, {
    serviceNames: registry.names,
    proxy(service: string, proxyOptions?: ForgeProxyOptions): RequestHandler {
      const resolved = registry.get(service, 'proxy(service)');
      const proxy = createServiceProxy(resolved, contextOf, proxyOptions);
      return (req, res, next) => {
        req.forge ??= contextOf(req);
        withRequest(req, () => proxy(req, res, next));
      };
    },
    tokenExchange(service: string): RequestHandler {
      const resolved = registry.get(service, 'tokenExchange(service)');
      if (resolved.kind !== 'exchange') {
        throw new ConfigurationError(
          'tokenExchange(service)',
          `service "${service}" has no \`exchange\` manager; configure it with { exchange: new TokenExchangeProvider(…), baseURL }`,
          { package: 'express' },
        );
      }
      return (req, _res, next) => {
        const context = contextOf(req);
        req.forge ??= context;
        withRequest(req, () => context.exchange(resolved).then(() => next(), next));
      };
    },
    readiness(readinessOptions?: ForgeReadinessOptions): RequestHandler {
      const managers = Object.fromEntries(
        registry.names.map((name) => [name, registry.get(name).manager]),
      );
      return forgeReadiness(managers, readinessOptions);
    },
    close: () => registry.close(),
  });
}

/**
 * Same as {@link createForge}; reads well as `app.use(forge({ services }))`
 * when you need neither proxies nor token exchange.
 *
 * @example
 * ```ts
 * app.use(forge({ services: { billing: { baseURL: 'https://billing.example', manager } } }));
 * ```
 */
export const forge = createForge;
