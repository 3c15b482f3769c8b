import type { IncomingMessage } from 'node:http';
import { type Authorization, ConfigurationError } from '@forge/core';
import type { NextFunction, Request, RequestHandler } from 'express';
import {
  createProxyMiddleware,
  debugProxyErrorsPlugin,
  proxyEventsPlugin,
} from 'http-proxy-middleware';
import type { RequestContext } from './context.js';
import { joinURL } from './fetch.js';
import { ServiceAuthorizationError, toServiceAuthorizationError } from './problem.js';
import type { Service } from './services.js';

/** Options of `forge.proxy(service, options)`. */
export interface ForgeProxyOptions {
  /** Where to forward; defaults to the service's `baseURL` (its path is kept as a prefix). */
  readonly target?: string;
  /**
   * Rewrites the path (relative to where the proxy is mounted) before it is
   * forwarded: `{ '^/old': '/new' }` (first matching pattern wins) or a function.
   */
  readonly pathRewrite?:
    | Readonly<Record<string, string>>
    | ((path: string, req: Request) => string);
  /** Forward the caller's cookies upstream. Default `false`: they belong to your site, not the API. */
  readonly forwardCookies?: boolean;
  /**
   * Forward the caller's own `Authorization` header when the policy adds no
   * credentials. Default `false`. The service's credentials always replace it.
   */
  readonly forwardAuthorization?: boolean;
  /** Upstream timeout in milliseconds; default 30 000. */
  readonly timeoutMs?: number;
}

interface Pending {
  readonly authorization: Authorization | undefined;
  readonly url: string;
  readonly next: NextFunction;
}

function rewriter(
  pathRewrite: ForgeProxyOptions['pathRewrite'],
): ((path: string, req: Request) => string) | undefined {
  if (pathRewrite === undefined) return undefined;
  if (typeof pathRewrite === 'function') return pathRewrite;
  const rules = Object.entries(pathRewrite).map(([pattern, to]) => {
    try {
      return [new RegExp(pattern), to] as const;
    } catch {
      throw new ConfigurationError(
        `pathRewrite["${pattern}"]`,
        'is not a valid regular expression',
        {
          package: 'express',
        },
      );
    }
  });
  return (path) => {
    for (const [pattern, to] of rules) {
      if (pattern.test(path)) return path.replace(pattern, to);
    }
    return path;
  };
}

function headerRecord(
  message: IncomingMessage,
  forwarded: { cookies: boolean; authorization: boolean },
): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie' && !forwarded.cookies) continue;
    if (name === 'authorization' && !forwarded.authorization) continue;
    record[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

/**
 * A proxy for one service: authorizes first (a request that cannot be
 * authorized is answered with a problem and never forwarded), then streams
 * the request upstream with http-proxy-middleware.
 */
export function createServiceProxy(
  service: Service,
  contextOf: (req: Request) => RequestContext,
  options: ForgeProxyOptions = {},
): RequestHandler {
  const target = options.target ?? service.baseURL;
  try {
    new URL(target);
  } catch {
    throw new ConfigurationError('target', 'must be an absolute http(s) URL', {
      package: 'express',
    });
  }
  const rewrite = rewriter(options.pathRewrite);
  // What the upstream may see of the caller's headers, and so what the policy is asked about.
  const forwarded = {
    cookies: options.forwardCookies ?? false,
    authorization: options.forwardAuthorization ?? false,
  };
  const pending = new WeakMap<IncomingMessage, Pending>();

  const proxy = createProxyMiddleware({
    target,
    changeOrigin: true,
    xfwd: true,
    proxyTimeout: options.timeoutMs ?? 30_000,
    ejectPlugins: true,
    plugins: [debugProxyErrorsPlugin, proxyEventsPlugin],
    on: {
      proxyReq(proxyReq, req) {
        const state = pending.get(req);
        if (!forwarded.cookies) proxyReq.removeHeader('cookie');
        if (!forwarded.authorization || state?.authorization) {
          proxyReq.removeHeader('authorization');
        }
        for (const [name, value] of Object.entries(state?.authorization?.headers ?? {})) {
          proxyReq.setHeader(name, value);
        }
      },
      proxyRes(proxyRes, req) {
        const state = pending.get(req);
        const authorization = state?.authorization;
        if (proxyRes.statusCode !== 401 || !state || !authorization) return;
        // The body was streamed and cannot be replayed; let the authorizer drop
        // the refused token so the caller's retry gets a fresh one.
        const authorizer = contextOf(req as Request).authorizerFor(service);
        void authorizer
          .then((a) =>
            a.onUnauthorized?.(
              {
                method: req.method ?? 'GET',
                url: state.url,
                headers: headerRecord(req, forwarded),
                attempt: 0,
              },
              {
                status: 401,
                headers: headerRecord(proxyRes, { cookies: true, authorization: true }),
              },
              authorization,
            ),
          )
          .catch(() => undefined);
      },
      error(error, req, res) {
        const state = pending.get(req);
        const failure = new ServiceAuthorizationError(
          service.name,
          502,
          `The upstream of service "${service.name}" could not be reached (${
            (error as NodeJS.ErrnoException).code ?? 'error'
          }).`,
          { cause: error, upstream: true },
        );
        if (state && 'headersSent' in res && !res.headersSent) state.next(failure);
        else if ('destroy' in res) res.destroy();
      },
    },
  });

  return async (req, res, next) => {
    const context = contextOf(req);
    if (rewrite) req.url = rewrite(req.url, req);
    const url = joinURL(target, req.url);
    let authorization: Authorization | undefined;
    try {
      const authorizer = await context.authorizerFor(service);
      authorization = await authorizer.authorize({
        method: req.method,
        url,
        headers: headerRecord(req, forwarded),
        attempt: 0,
      });
    } catch (error) {
      next(
        error instanceof ServiceAuthorizationError
          ? error
          : toServiceAuthorizationError(service.name, error),
      );
      return;
    }
    pending.set(req, { authorization, url, next });
    await proxy(req, res, next);
  };
}
