import {
  AuthenticationError,
  ForgeError,
  ForgeErrorCode,
  redact,
  TokenEndpointError,
} from '@forge/core';

/** An RFC 9457 problem details body, as Forge sends it. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The configured service the failure concerns. */
  readonly service: string;
}

/** The media type of every error body Forge's Express middleware sends. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * A failure to authorize a call to a named service, translated for HTTP:
 * `status` is 502 when the authorization server refused to issue a token (or
 * answered with an error), 503 when it could not be reached or timed out, and
 * 401 when the caller's own bearer token was missing or refused for token
 * exchange. `problem` is the `application/problem+json` body; it names the
 * service and never carries a secret. The original error is the `cause`.
 *
 * Express's `err.status` / `err.statusCode` / `err.expose` conventions are
 * honoured, so any error handler (or Express's default one) answers with the
 * right status; {@link forgeErrorHandler} renders `problem` as the body.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof ServiceAuthorizationError) log.warn(err.serviceName, err.status);
 *   next(err);
 * });
 * ```
 */
export class ServiceAuthorizationError extends ForgeError {
  readonly serviceName: string;
  readonly status: number;
  readonly statusCode: number;
  /** Tells Express-style handlers the message is safe to show. */
  readonly expose = true;
  /** Extra response headers, e.g. `www-authenticate` or `retry-after`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly problem: ProblemDetails;

  constructor(
    serviceName: string,
    status: number,
    detail: string,
    options: { cause?: unknown; headers?: Record<string, string>; upstream?: boolean } = {},
  ) {
    const safeDetail = redact(detail);
    super(ForgeErrorCode.Request, safeDetail, { package: 'express', cause: options.cause });
    this.serviceName = serviceName;
    this.status = status;
    this.statusCode = status;
    this.headers = Object.freeze({ ...options.headers });
    this.problem = Object.freeze({
      type: `urn:forge:problem:${options.upstream ? 'upstream-unreachable' : problemType(status)}`,
      title: options.upstream ? 'The upstream API could not be reached' : problemTitle(status),
      status,
      detail: safeDetail,
      service: serviceName,
    });
  }
}

function problemType(status: number): string {
  if (status === 401) return 'caller-unauthorized';
  if (status === 503) return 'token-endpoint-unavailable';
  return 'token-refused';
}

function problemTitle(status: number): string {
  if (status === 401) return 'The caller is not authorized';
  if (status === 503) return 'The authorization server is unavailable';
  return 'The authorization server refused a token';
}

/**
 * Maps any error raised while obtaining a token for `serviceName` to a
 * {@link ServiceAuthorizationError}: 503 when the token endpoint was
 * unreachable, slow or rate limiting, 502 for every other failure.
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
    return new ServiceAuthorizationError(
      serviceName,
      unavailable ? 503 : 502,
      unavailable
        ? `Could not obtain a token for service "${serviceName}": the authorization server is unavailable (${error.reason}). Try again later.`
        : `Could not obtain a token for service "${serviceName}": the authorization server answered with an error (${error.reason}${error.status ? ` ${error.status}` : ''}).`,
      { cause: thrown, headers: unavailable ? { 'retry-after': '1' } : {} },
    );
  }
  if (error instanceof AuthenticationError) {
    return new ServiceAuthorizationError(
      serviceName,
      502,
      `The authorization server refused a token for service "${serviceName}"${
        error.error ? ` (${error.error})` : ''
      }. Check the service's client credentials and scopes.`,
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
