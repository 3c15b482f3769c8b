import { randomUUID } from 'node:crypto';
import {
  AuthenticationError,
  ForgeError,
  ForgeErrorCode,
  redact,
  TokenEndpointError,
} from '@forge/core';

/**
 * What went wrong, as the last part of a problem's `type`
 * (`urn:forge:problem:<kind>`). Each kind has one fixed title and detail.
 *
 * @example
 * ```ts
 * const kind = error.problem.type.slice('urn:forge:problem:'.length) as ProblemKind;
 * if (kind === 'upstream-timeout') metrics.increment('billing.timeouts');
 * ```
 */
export type ProblemKind =
  | 'caller-unauthorized'
  | 'token-endpoint-unavailable'
  | 'token-refused'
  | 'invalid-path'
  | 'upstream-unreachable'
  | 'upstream-invalid-response'
  | 'upstream-timeout'
  | 'forward-failed';

/**
 * An RFC 9457 problem details body, as Forge sends it.
 *
 * @example
 * ```ts
 * const problem = (await response.json()) as ProblemDetails;
 * console.log(problem.type, problem.instance); // urn:forge:problem:token-refused urn:forge:error:…
 * ```
 */
export interface ProblemDetails {
  readonly type: `urn:forge:problem:${ProblemKind}`;
  readonly title: string;
  readonly status: number;
  /** Fixed per kind and service: never text an authorization server or upstream sent. */
  readonly detail: string;
  /** The configured service the failure concerns. */
  readonly service: string;
  /** `urn:forge:error:<errorId>`: the same id as the error passed to `next(err)`. */
  readonly instance: string;
}

/** The media type of every error body Forge's Express middleware sends. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Readonly<Record<ProblemKind, string>> = {
  'caller-unauthorized': 'The caller is not authorized',
  'token-endpoint-unavailable': 'The authorization server is unavailable',
  'token-refused': 'The authorization server refused a token',
  'invalid-path': 'The request path cannot be forwarded',
  'upstream-unreachable': 'The upstream API could not be reached',
  'upstream-invalid-response': 'The upstream API sent an invalid response',
  'upstream-timeout': 'The upstream API did not answer in time',
  'forward-failed': 'The request could not be forwarded',
};

function kindOf(status: number): ProblemKind {
  if (status === 401) return 'caller-unauthorized';
  if (status === 503) return 'token-endpoint-unavailable';
  return 'token-refused';
}

/**
 * A failure of a call to a named service, translated for HTTP: `status` is
 * 502 when the authorization server refused to issue a token (or answered
 * with an error), 503 when it could not be reached or timed out, 401 when the
 * caller's own bearer token was missing or refused for token exchange; from
 * the proxy also 400 (a path it will not forward), 502 (the upstream could
 * not be reached or answered with something that is not HTTP) and 504 (the
 * upstream timed out). `problem` is the `application/problem+json` body.
 *
 * Neither `problem` nor `message` carries text the authorization server or
 * upstream sent, nor a secret: `detail` is fixed per failure kind. What
 * happened is in `cause` (the original error, for your logs), and `errorId`
 * (also in `problem.instance` and at the end of `message`) ties the log line
 * to the response the caller got.
 *
 * Express's `err.status` / `err.statusCode` / `err.expose` conventions are
 * honoured, so any error handler (or Express's default one) answers with the
 * right status; {@link forgeErrorHandler} renders `problem` as the body.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof ServiceAuthorizationError) {
 *     log.warn({ errorId: err.errorId, service: err.serviceName, cause: err.cause });
 *   }
 *   next(err);
 * });
 * app.use(forgeErrorHandler());
 * ```
 */
export class ServiceAuthorizationError extends ForgeError {
  readonly serviceName: string;
  readonly status: number;
  readonly statusCode: number;
  /** Tells Express-style handlers the message is safe to show. */
  readonly expose = true;
  /** A random UUID naming this failure; `problem.instance` is `urn:forge:error:<errorId>`. */
  readonly errorId: string;
  /** Extra response headers, e.g. `www-authenticate` or `retry-after`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly problem: ProblemDetails;

  constructor(
    serviceName: string,
    status: number,
    detail: string,
    options: { cause?: unknown; headers?: Record<string, string>; kind?: ProblemKind } = {},
  ) {
    const safeDetail = redact(detail);
    const errorId = randomUUID();
    const instance = `urn:forge:error:${errorId}`;
    super(ForgeErrorCode.Request, `${safeDetail} [${instance}]`, {
      package: 'express',
      cause: options.cause,
    });
    const kind = options.kind ?? kindOf(status);
    this.serviceName = serviceName;
    this.status = status;
    this.statusCode = status;
    this.errorId = errorId;
    this.headers = Object.freeze({ ...options.headers });
    this.problem = Object.freeze({
      type: `urn:forge:problem:${kind}` as const,
      title: TITLES[kind],
      status,
      detail: safeDetail,
      service: serviceName,
      instance,
    });
  }
}

/**
 * Maps any error raised while obtaining a token for `serviceName` to a
 * {@link ServiceAuthorizationError}: 503 when the token endpoint was
 * unreachable, slow or rate limiting, 502 for every other failure. The detail
 * is fixed per failure kind; the server's own words stay in `cause`.
 *
 * @example
 * ```ts
 * try { token = await manager.getToken(); } catch (error) {
 *   next(toServiceAuthorizationError('billing', error));
 * }
 * ```
 */
export function toServiceAuthorizationError(
  serviceName: string,
  thrown: unknown,
): ServiceAuthorizationError {
  if (thrown instanceof ServiceAuthorizationError) return thrown;
  const error = rootCause(thrown);
  if (error instanceof TokenEndpointError) {
    const unavailable =
      error.reason === 'network' ||
      error.reason === 'timeout' ||
      error.reason === 'rate-limited' ||
      error.reason === 'aborted';
    return unavailable
      ? new ServiceAuthorizationError(
          serviceName,
          503,
          `Could not obtain a token for service "${serviceName}": the authorization server is unavailable. Try again later.`,
          { cause: thrown, headers: { 'retry-after': '1' } },
        )
      : new ServiceAuthorizationError(
          serviceName,
          502,
          `Could not obtain a token for service "${serviceName}": the authorization server answered with an error.`,
          { cause: thrown },
        );
  }
  if (error instanceof AuthenticationError) {
    return new ServiceAuthorizationError(
      serviceName,
      502,
      `The authorization server refused a token for service "${serviceName}". Check the service's client credentials and scopes.`,
      { cause: thrown },
    );
  }
  return new ServiceAuthorizationError(
    serviceName,
    502,
    `Could not authorize the request to service "${serviceName}".`,
    { cause: thrown },
  );
}

// Adapters wrap token failures (RequestAuthorizationError); the status depends
// on what the token endpoint did, so look through the wrappers.
function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof TokenEndpointError || current instanceof AuthenticationError)
      return current;
    if (!(current instanceof Error) || current.cause === undefined) return error;
    current = current.cause;
  }
  return error;
}
