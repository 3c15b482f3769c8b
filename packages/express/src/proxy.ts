import {
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestOptions,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream';
import { type Authorization, ConfigurationError, redact } from '@forge/core';
import type { ForgeAdapter, Sent } from '@forge/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RequestContext } from './context.js';
import {
  type ProblemKind,
  ServiceAuthorizationError,
  toServiceAuthorizationError,
} from './problem.js';
import {
  callerResponseHeaders,
  flatHeaders,
  headerAllowlist,
  upstreamRequestHeaders,
} from './proxy-headers.js';
import { normalizeTarget, originForm, type UpstreamBase, upstreamURL } from './proxy-path.js';
import type { Service } from './services.js';

const PACKAGE = { package: 'express' } as const;

/**
 * Options of `forge.proxy(service, options)`.
 *
 * @example
 * ```ts
 * const options: ForgeProxyOptions = {
 *   pathRewrite: { '^/old': '/new' },
 *   passRequestHeaders: ['cookie'],
 *   passResponseHeaders: ['set-cookie'],
 *   timeoutMs: 10_000,
 * };
 * app.use('/api/billing', forge.proxy('billing', options));
 * ```
 */
export interface ForgeProxyOptions {
  /**
   * Where to forward; defaults to the service's `baseURL`. Its path is a
   * prefix no forwarded path can leave. Its origin must be one the service
   * sends credentials to (the `baseURL`'s, or one in `policy.origins`).
   */
  readonly target?: string;
  /**
   * Rewrites the normalized path and query (relative to where the proxy is
   * mounted) before it is forwarded: `{ '^/old': '/new' }` (first matching
   * pattern wins) or a function. The result is normalized again.
   */
  readonly pathRewrite?:
    | Readonly<Record<string, string>>
    | ((path: string, req: Request) => string);
  /**
   * Caller headers withheld by default that may go upstream, any case:
   * `authorization` (only where the service adds no credentials of its own:
   * the service's always replace it), `cookie`, `x-api-key`. Hop-by-hop,
   * `Host`, `Forwarded` and `X-Forwarded-*` headers are refused.
   */
  readonly passRequestHeaders?: readonly string[];
  /**
   * Upstream response headers withheld by default that may reach the caller,
   * any case: `set-cookie`, `www-authenticate`, `clear-site-data`. Hop-by-hop
   * headers are refused.
   */
  readonly passResponseHeaders?: readonly string[];
  /** Upstream idle timeout in milliseconds (504 before the response starts); default 30 000. */
  readonly timeoutMs?: number;
}

function rewriter(
  pathRewrite: ForgeProxyOptions['pathRewrite'],
): ((path: string, req: Request) => string) | undefined {
  if (pathRewrite === undefined) return undefined;
  if (typeof pathRewrite === 'function') return pathRewrite;
  if (typeof pathRewrite !== 'object' || pathRewrite === null) {
    throw new ConfigurationError(
      'pathRewrite',
      "must be an object of patterns ({ '^/old': '/new' }) or a function",
      PACKAGE,
    );
  }
  const rules = Object.entries(pathRewrite).map(([pattern, to]) => {
    try {
      return [new RegExp(pattern), String(to)] as const;
    } catch {
      throw new ConfigurationError(
        `pathRewrite["${pattern}"]`,
        'is not a valid regular expression',
        PACKAGE,
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

function upstreamBase(service: Service, target: string): UpstreamBase {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new ConfigurationError(
      'target',
      'must be an absolute http(s) URL such as "https://api.example.com/v1"',
      PACKAGE,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(
      'target',
      `must use http or https, not "${url.protocol}"`,
      PACKAGE,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigurationError(
      'target',
      'must be an origin and a path only: no credentials, query or fragment',
      PACKAGE,
    );
  }
  if (!service.policy.origins.has(url.origin)) {
    throw new ConfigurationError(
      'target',
      `service "${service.name}" sends no credentials to ${url.origin}, so the proxy would forward without them; list it in services.${service.name}.policy.origins, or proxy to the service's own origin (${new URL(service.baseURL).origin})`,
      PACKAGE,
    );
  }
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

function validTimeout(value: unknown): number {
  if (value === undefined) return 30_000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError('timeoutMs', 'must be a positive number of milliseconds', PACKAGE);
  }
  return value;
}

type ProxyProblemKind = Extract<
  ProblemKind,
  | 'invalid-path'
  | 'upstream-unreachable'
  | 'upstream-invalid-response'
  | 'upstream-timeout'
  | 'forward-failed'
>;

// One fixed status and detail per kind: nothing the caller or the upstream sent.
const PROXY_PROBLEMS: Readonly<
  Record<ProxyProblemKind, { status: number; detail: (service: string) => string }>
> = {
  'invalid-path': {
    status: 400,
    detail: (service) =>
      `The request path cannot be forwarded to service "${service}": it climbs above the proxied path, or holds an encoded slash, a backslash, a control character or a malformed escape.`,
  },
  'upstream-unreachable': {
    status: 502,
    detail: (service) => `The upstream of service "${service}" could not be reached.`,
  },
  'upstream-invalid-response': {
    status: 502,
    detail: (service) =>
      `The upstream of service "${service}" sent a response that is not valid HTTP.`,
  },
  'upstream-timeout': {
    status: 504,
    detail: (service) => `The upstream of service "${service}" did not answer in time.`,
  },
  'forward-failed': {
    status: 502,
    detail: (service) => `The request to service "${service}" could not be forwarded.`,
  },
};

function proxyProblem(
  service: Service,
  kind: ProxyProblemKind,
  cause?: unknown,
): ServiceAuthorizationError {
  const { status, detail } = PROXY_PROBLEMS[kind];
  return new ServiceAuthorizationError(service.name, status, detail(service.name), {
    kind,
    cause,
  });
}

class UpstreamTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

function upstreamFailure(error: unknown): ProxyProblemKind {
  if (error instanceof UpstreamTimeout) return 'upstream-timeout';
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code.startsWith('HPE_') ? 'upstream-invalid-response' : 'upstream-unreachable';
}

// Node's errors about a header may quote its value; the value may be ours.
function withoutSecrets(error: unknown, authorization: Authorization | undefined): Error {
  const secrets = Object.values(authorization?.headers ?? {});
  const message = error instanceof Error ? error.message : String(error);
  const safe = new Error(redact(message, secrets));
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? safe : Object.assign(safe, { code });
}

function forwardedHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = { 'x-forwarded-proto': req.protocol };
  if (req.ip) out['x-forwarded-for'] = req.ip;
  return out;
}

/** One forwarded exchange: settles once, by answering, by handing an error on, or by tearing down. */
interface Exchange {
  readonly service: Service;
  readonly req: Request;
  readonly res: Response;
  readonly next: NextFunction;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly adapter: ForgeAdapter;
  readonly sent: Sent | undefined;
  readonly passResponse: ReadonlySet<string>;
  readonly timeoutMs: number;
  /** Set by the first failure; later ones (the same fault seen twice) only tear down. */
  failed: boolean;
  /** When the request went upstream, for its log line. */
  readonly startedAt: number;
  /** Set once its log line is written: one per proxied request. */
  logged: boolean;
}

/** The proxied request's one log line (`log` of the service): its answer or its failure. */
function logExchange(exchange: Exchange, upstream?: IncomingMessage, error?: unknown): void {
  const { log } = exchange.adapter;
  if (log === undefined || exchange.logged) return;
  exchange.logged = true;
  log.exchange(
    {
      startedAt: exchange.startedAt,
      method: exchange.req.method,
      url: exchange.url.href,
      sent: exchange.sent,
      requestHeaders: exchange.headers,
      status: upstream?.statusCode,
      responseHeaders: upstream?.headers,
    },
    error,
  );
}

function fail(
  exchange: Exchange,
  kind: ProxyProblemKind,
  cause: unknown,
  upstream?: ClientRequest,
) {
  const { req, res, next, service } = exchange;
  upstream?.destroy();
  if (exchange.failed) return;
  exchange.failed = true;
  logExchange(exchange, undefined, withoutSecrets(cause, exchange.sent?.authorization));
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  // The body is not read any further; Node discards the rest once the answer is sent.
  req.unpipe();
  next(proxyProblem(service, kind, withoutSecrets(cause, exchange.sent?.authorization)));
}

// A streamed body cannot be sent twice: the 401 goes to the caller, and the
// authorizer drops the refused token (of the key that was sent) so the
// caller's retry gets a fresh one. No retry, so no retry delay either.
function reportUnauthorized(exchange: Exchange, upstream: IncomingMessage): void {
  const { adapter, sent } = exchange;
  const { authorizer } = adapter;
  if (sent === undefined || authorizer.onUnauthorized === undefined) return;
  const response = { status: 401, headers: flatHeaders(upstream.headers) };
  void Promise.resolve()
    .then(() => authorizer.onUnauthorized?.(sent.request, response, sent.authorization))
    .catch(() => undefined);
}

function answer(exchange: Exchange, upstream: IncomingMessage, outgoing: ClientRequest): void {
  const { res } = exchange;
  logExchange(exchange, upstream);
  const { adapter, sent } = exchange;
  // Any answer may carry news for the authorizer (the next DPoP nonce).
  if (adapter.observesResponses) {
    adapter.observe(sent, { status: upstream.statusCode ?? 0, headers: upstream.headers });
  }
  if (upstream.statusCode === 401) reportUnauthorized(exchange, upstream);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(
    callerResponseHeaders(upstream.headers, exchange.passResponse),
  )) {
    try {
      validateHeaderName(name);
      for (const one of Array.isArray(value) ? value : [value]) validateHeaderValue(name, one);
      headers[name] = value;
    } catch {
      // Node's parser let it in, but it may not go out: dropped, not fatal.
    }
  }
  try {
    res.writeHead(upstream.statusCode ?? 502, headers);
  } catch (error) {
    for (const name of Object.keys(headers)) res.removeHeader(name);
    upstream.destroy();
    fail(exchange, 'upstream-invalid-response', error, outgoing);
    return;
  }
  // A failure on either side tears both down: a caller must never take a cut-off body for a whole one.
  pipeline(upstream, res as ServerResponse, (error) => {
    if (error) outgoing.destroy();
  });
}

function forward(exchange: Exchange): void {
  const { req, res, url, headers, sent } = exchange;
  const options: RequestOptions = {
    method: req.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, ...forwardedHeaders(req), host: url.host },
  };
  // The service's credentials replace whatever the caller's headers say, in any case.
  for (const [name, value] of Object.entries(sent?.authorization.headers ?? {})) {
    (options.headers as Record<string, string>)[name.toLowerCase()] = value;
  }
  let outgoing: ClientRequest;
  try {
    outgoing = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options);
  } catch (error) {
    fail(exchange, 'forward-failed', error);
    return;
  }
  outgoing.setTimeout(exchange.timeoutMs, () =>
    outgoing.destroy(new UpstreamTimeout('the upstream was idle too long')),
  );
  outgoing.on('error', (error) => fail(exchange, upstreamFailure(error), error, outgoing));
  // The proxy never asks to switch protocols (Upgrade is hop-by-hop), so a 101 is a fault.
  outgoing.on('upgrade', (_upstream, socket) => {
    socket.destroy();
    fail(
      exchange,
      'upstream-invalid-response',
      new Error('the upstream switched protocols unasked'),
    );
  });
  let answered = false;
  // Whatever else ends the upstream request before it answered ends this exchange too.
  outgoing.on('close', () => {
    if (!answered)
      fail(exchange, 'upstream-unreachable', new Error('the upstream closed without answering'));
  });
  outgoing.on('response', (upstream) => {
    answered = true;
    try {
      answer(exchange, upstream, outgoing);
    } catch (error) {
      upstream.destroy();
      fail(exchange, 'forward-failed', error, outgoing);
    }
  });
  // The caller went away (mid-request or mid-response): so does the upstream request.
  res.on('close', () => {
    if (!res.writableFinished) outgoing.destroy();
  });
  req.on('error', () => outgoing.destroy());
  req.pipe(outgoing);
}

/**
 * A proxy for one service. The path is normalized first (a path that cannot
 * be is answered 400), then authorized against the exact URL it will be sent
 * to (a request that cannot be authorized is answered with a problem and
 * never forwarded), then streamed upstream over Node's own `http`/`https`
 * with only the headers that may cross.
 */
export function createServiceProxy(
  service: Service,
  contextOf: (req: Request) => RequestContext,
  options: ForgeProxyOptions = {},
): RequestHandler {
  const base = upstreamBase(service, options.target ?? service.baseURL);
  const rewrite = rewriter(options.pathRewrite);
  const passRequest = headerAllowlist(options.passRequestHeaders, 'passRequestHeaders');
  const passResponse = headerAllowlist(options.passResponseHeaders, 'passResponseHeaders');
  const timeoutMs = validTimeout(options.timeoutMs);

  const resolve = (req: Request): URL | undefined => {
    let target = normalizeTarget(originForm(req.url));
    if (target !== undefined && rewrite) {
      const rewritten = rewrite(target, req);
      target = normalizeTarget(rewritten.startsWith('/') ? rewritten : `/${rewritten}`);
    }
    return target === undefined ? undefined : upstreamURL(base, target);
  };

  return async (req, res, next) => {
    try {
      const url = resolve(req);
      if (url === undefined) {
        next(proxyProblem(service, 'invalid-path'));
        return;
      }
      const headers = upstreamRequestHeaders(req.headers, passRequest);
      const { authorization: _callers, ...judged } = headers;
      let adapter: ForgeAdapter;
      let sent: Sent | undefined;
      try {
        adapter = await contextOf(req).adapterFor(service);
        // The service's key function picks the token, as for req.forge.fetch.
        sent = await adapter.authorize({ method: req.method, url: url.href, headers: judged });
      } catch (error) {
        next(toServiceAuthorizationError(service.name, error));
        return;
      }
      forward({
        service,
        req,
        res,
        next,
        url,
        headers,
        adapter,
        sent,
        passResponse,
        timeoutMs,
        failed: false,
        startedAt: adapter.log?.start() ?? 0,
        logged: false,
      });
    } catch (error) {
      next(error);
    }
  };
}
