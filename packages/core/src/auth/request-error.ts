import { ForgeError, ForgeErrorCode } from '../errors.js';
import { redact, redactUrl } from '../redact.js';

/** The request an error is about: its method and URL, never its headers. */
export interface RequestDescription {
  readonly method: string;
  readonly url: string;
}

/** Options of {@link RequestAuthorizationError}. */
export interface RequestAuthorizationErrorOptions extends RequestDescription {
  /** Defaults to the cause's code when it is a `ForgeError`, else `FORGE_REQUEST`. */
  readonly code?: ForgeErrorCode | undefined;
  readonly package?: string | undefined;
  readonly cause?: unknown;
}

const PREFIX = /^\[forge\] \[[^\]]*\] /;

/**
 * A request could not be authorized or retried: the token could not be
 * obtained, or a 401 could not be retried (its body is a stream). Carries the
 * request's `method` and redacted `url`, never its headers; `cause` holds the
 * underlying error (a `TokenEndpointError`, `AuthenticationError`, …) and `code`
 * repeats the cause's code so callers can branch without unwrapping.
 *
 * @example
 * ```ts
 * try { await api.get('/orders'); } catch (error) {
 *   if (error instanceof RequestAuthorizationError) log.warn(error.method, error.url, error.code);
 * }
 * ```
 */
export class RequestAuthorizationError extends ForgeError {
  readonly method: string;
  /** The request URL with user-info and secret query parameters redacted. */
  readonly url: string;

  constructor(message: string, options: RequestAuthorizationErrorOptions) {
    const code =
      options.code ??
      (options.cause instanceof ForgeError ? options.cause.code : ForgeErrorCode.Request);
    const method = String(options.method).toUpperCase();
    const url = redactUrl(String(options.url));
    super(code, `${method} ${url}: ${redact(message)}`, {
      package: options.package,
      cause: options.cause,
    });
    this.method = method;
    this.url = url;
  }
}

/**
 * Wraps any failure to authorize `request` into a {@link RequestAuthorizationError}
 * (returned as is when it already is one), so callers of every adapter see one
 * typed error with the method and URL, and no header.
 *
 * @example
 * ```ts
 * try { token = await manager.getToken(); } catch (error) {
 *   throw requestError(error, { method: 'GET', url: 'https://api.example.com/orders' });
 * }
 * ```
 */
export function requestError(
  error: unknown,
  request: RequestDescription,
  pkg?: string,
): RequestAuthorizationError {
  if (error instanceof RequestAuthorizationError) return error;
  const reason =
    error instanceof Error ? error.message.replace(PREFIX, '') : 'the authorizer failed';
  return new RequestAuthorizationError(
    `could not authorize the request: ${reason}. The request was not sent with credentials.`,
    { ...request, cause: error, package: pkg },
  );
}
