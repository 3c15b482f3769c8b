import type { IncomingMessage, ServerResponse } from 'node:http';
import { internals } from '../auth-server/internal.js';
import { TestkitError } from '../shared/errors.js';
import { listenOnLoopback, readBody } from '../shared/listen.js';
import { certificateBindingProblem } from './certificate-binding.js';
import {
  type ResourceRequestLog as Log,
  type ResourceRequestFilter,
  ResourceRequestLog,
  type ResourceRequestRecord,
} from './counters.js';
import { ProofChecker, type ProofRefusal } from './dpop-proof.js';
import type {
  ResourceResponse,
  ResourceRoute,
  ResourceServerOptions,
  TokenInfo,
} from './options.js';
import { validateToken } from './validate-token.js';

/**
 * A running protected resource server. See {@link startResourceServer}.
 *
 * @example
 * ```ts
 * const api: ResourceServer = await startResourceServer({ auth });
 * api.revokeAll();
 * await api.close();
 * ```
 */
export interface ResourceServer {
  /** `http://127.0.0.1:PORT`, or `https://…` with `{ mtls: true }`. */
  readonly url: string;
  /** Every access token issued so far is refused from now on; tokens issued later are accepted. */
  revokeAll(): void;
  /** Requests answered so far, optionally only those matching a filter. */
  requests(filter?: ResourceRequestFilter): number;
  /** The last request answered, or `undefined`. Never holds the token. */
  lastRequest(): ResourceRequestRecord | undefined;
  /** Every request answered so far, oldest first. */
  requestLog(): readonly ResourceRequestRecord[];
  resetCounters(): void;
  /** Issues a new resource-server DPoP nonce (with `dpop: { nonce }`): clients must learn it. */
  rotateDpopNonce(): void;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

const REALM = 'forge-testkit';

function send(res: ServerResponse, response: ResourceResponse): void {
  res.statusCode = response.status ?? 200;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  if (response.body === undefined) {
    res.end();
    return;
  }
  if (typeof response.body === 'string') {
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(response.body);
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(response.body));
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return undefined;
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return text;
}

function dpopRefused(refusal: ProofRefusal, checker: ProofChecker): ResourceResponse {
  const nonce = refusal.error === 'use_dpop_nonce' ? checker.nonce : undefined;
  return {
    status: 401,
    headers: {
      'www-authenticate': `DPoP realm="${REALM}", error="${refusal.error}", error_description="${refusal.description}", algs="ES256 PS256 EdDSA"`,
      date: new Date(checker.now()).toUTCString(),
      ...(nonce === undefined ? {} : { 'dpop-nonce': nonce }),
    },
    body: { error: refusal.error },
  };
}

function unauthorized(reason: string | undefined): ResourceResponse {
  // RFC 6750 §3.1: a request without credentials gets no error code.
  const challenge =
    reason === undefined
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${reason}"`;
  return {
    status: 401,
    headers: { 'www-authenticate': challenge },
    body: { error: reason === undefined ? 'unauthorized' : 'invalid_token' },
  };
}

function findRoute(
  routes: Readonly<Record<string, ResourceRoute>>,
  method: string,
  path: string,
): ResourceRoute | undefined {
  return routes[`${method} ${path}`] ?? routes[path];
}

/**
 * Starts a protected API on 127.0.0.1 on a free port that accepts only access
 * tokens issued by `auth` (and not revoked): any path answers
 * `200 { ok, path, method, query, body, client_id, sub, scope, aud, gty, x5t#S256 }` with a valid
 * bearer token and `401` with `WWW-Authenticate: Bearer … error="invalid_token"`
 * otherwise. `/health` and `/public/*` need no token; `/redirect?to=URL` answers 302
 * (`&status=307` another redirect status; with DPoP nonces on, `&dpop-nonce=new`
 * replaces the nonce and sends the new one in `DPoP-Nonce`, `&dpop-nonce=unannounced`
 * replaces it without saying so).
 *
 * @example
 * ```ts
 * const auth = await startAuthServer();
 * const api = await startResourceServer({ auth });
 * const res = await fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${accessToken}` } });
 * // res.status === 200; api.requests({ status: 200 }) === 1
 * await api.close();
 * await auth.close();
 * ```
 */
export async function startResourceServer(options: ResourceServerOptions): Promise<ResourceServer> {
  const auth =
    typeof options === 'object' && options !== null ? internals.get(options.auth) : undefined;
  if (!auth) {
    throw new TestkitError(
      'must be a server returned by startAuthServer() (and not closed)',
      'startResourceServer({ auth })',
    );
  }
  if (
    options.audience !== undefined &&
    (typeof options.audience !== 'string' || options.audience === '')
  ) {
    throw new TestkitError('must be a non-empty string', 'startResourceServer({ audience })');
  }
  const routes = options.routes ?? {};
  for (const key of Object.keys(routes)) {
    if (!/^([A-Z]+ )?\/\S*$/.test(key) || typeof routes[key] !== 'function') {
      throw new TestkitError(
        'keys are "METHOD /path" or "/path", values are functions',
        `startResourceServer({ routes["${key}"] })`,
      );
    }
  }
  if (options.mtls !== undefined && typeof options.mtls !== 'boolean') {
    throw new TestkitError('must be true or false', 'startResourceServer({ mtls })');
  }
  if (options.mtls && !auth.tls) {
    throw new TestkitError(
      'needs an authorization server started with { mtls: true } (its test CA issues the certificates)',
      'startResourceServer({ mtls })',
    );
  }
  const dpopOptions = options.dpop ?? {};
  if (typeof dpopOptions !== 'object' || dpopOptions === null) {
    throw new TestkitError(
      'must be an object { nonce, clockOffsetSeconds }',
      'startResourceServer({ dpop })',
    );
  }
  const nonceMode = dpopOptions.nonce ?? false;
  if (typeof nonceMode !== 'boolean' && nonceMode !== 'every-request') {
    throw new TestkitError(
      "must be true, false or 'every-request'",
      'startResourceServer({ dpop.nonce })',
    );
  }
  const offset = dpopOptions.clockOffsetSeconds ?? 0;
  if (typeof offset !== 'number' || !Number.isFinite(offset)) {
    throw new TestkitError(
      'must be a number of seconds',
      'startResourceServer({ dpop.clockOffsetSeconds })',
    );
  }
  const proofs = new ProofChecker(nonceMode, offset);
  const loopback = await listenOnLoopback(options.mtls ? auth.tls : undefined);
  const log: Log = new ResourceRequestLog();
  let revokedThrough = 0;

  const handle = async (req: IncomingMessage): Promise<ResourceResponse> => {
    const url = new URL(req.url ?? '/', loopback.origin);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/redirect') {
      const to = url.searchParams.get('to');
      if (!to || !URL.canParse(to))
        return { status: 400, body: { error: 'to must be an absolute URL' } };
      const status = Number(url.searchParams.get('status') ?? 302);
      const headers: Record<string, string> = { location: to };
      // RFC 9449 §8.2: a new nonce may come on any answer, a redirect included;
      // `unannounced` retires the nonce without saying so (a hostile server).
      const renew = url.searchParams.get('dpop-nonce');
      if ((renew === 'new' || renew === 'unannounced') && nonceMode !== false) {
        proofs.replaceNonce();
        if (renew === 'new') headers['dpop-nonce'] = proofs.nonce as string;
      }
      return { status: [301, 302, 303, 307, 308].includes(status) ? status : 302, headers };
    }
    const body = parseBody(await readBody(req), req.headers['content-type']);
    const query = Object.fromEntries(url.searchParams);
    const isPublic = path === '/health' || path.startsWith('/public/');
    let token: TokenInfo | undefined;
    if (!isPublic) {
      const header = req.headers.authorization;
      const match = header?.match(/^(Bearer|DPoP)\s+(\S+)$/i);
      if (!header) return unauthorized(undefined);
      if (!match?.[2])
        return unauthorized('the Authorization header is not a Bearer or DPoP token');
      const verdict = await validateToken(auth, match[2], revokedThrough, options.audience);
      if (!verdict.valid) return unauthorized(verdict.reason);
      const scheme = (match[1] as string).toLowerCase();
      const { jkt } = verdict.info;
      if (jkt === undefined && scheme === 'dpop') {
        return unauthorized('the access token is not DPoP-bound; send it as Bearer');
      }
      if (jkt !== undefined) {
        // RFC 9449 §7.2: a DPoP-bound token is no bearer token.
        if (scheme !== 'dpop')
          return unauthorized('the access token is DPoP-bound; send it as DPoP with a proof');
        const refusal = await proofs.check(
          req.headers.dpop,
          { method, url: url.href },
          match[2],
          jkt,
        );
        if (refusal !== undefined) return dpopRefused(refusal, proofs);
      }
      const unbound = certificateBindingProblem(verdict.info.certificateThumbprint, req.socket);
      if (unbound) return unauthorized(unbound);
      token = verdict.info;
    }
    const route = findRoute(routes, method, path);
    if (route) return route({ method, path, query, body, headers: req.headers, token });
    return {
      body: {
        ok: true,
        path,
        method,
        query,
        ...(body === undefined ? {} : { body }),
        client_id: token?.clientId,
        sub: token?.subject,
        scope: token?.scope,
        aud: token?.audience,
        gty: token?.grantType,
        'x5t#S256': token?.certificateThumbprint,
      },
    };
  };

  loopback.setHandler((req, res) => {
    const authorization = req.headers.authorization;
    const record = (status: number) =>
      log.add({
        method: req.method ?? 'GET',
        path: new URL(req.url ?? '/', loopback.origin).pathname,
        status,
        hadAuthorization: authorization !== undefined,
        authorizationScheme: authorization?.split(' ', 1)[0] || undefined,
      });
    handle(req)
      .then((response) => {
        record(response.status ?? 200);
        // RFC 9449 §8.2: the next nonce may come on any answer.
        if (
          nonceMode === 'every-request' &&
          proofs.nonce !== undefined &&
          !res.hasHeader('dpop-nonce')
        ) {
          res.setHeader('dpop-nonce', proofs.nonce);
        }
        send(res, response);
      })
      .catch((error: unknown) => {
        record(500);
        send(res, {
          status: 500,
          body: {
            error: 'server_error',
            message: error instanceof Error ? error.message : 'unknown',
          },
        });
      });
  });

  return {
    url: loopback.origin,
    revokeAll() {
      revokedThrough = auth.lastIssued();
    },
    requests: (filter) => log.count(filter),
    lastRequest: () => log.last(),
    requestLog: () => log.all(),
    resetCounters: () => log.reset(),
    rotateDpopNonce: () => proofs.rotateNonce(),
    close: () => loopback.close(),
  };
}
