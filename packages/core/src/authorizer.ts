import type { MaybePromise } from './types.js';

/** An outgoing request, as an adapter describes it to an {@link Authorizer}. */
export interface AuthorizationRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The absolute, final URL, query included. */
  readonly url: string;
  /** Headers already set on the request, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The body when it is `application/x-www-form-urlencoded` (request signers
   * need its parameters), a string for other text bodies, otherwise absent.
   */
  readonly body?: string | URLSearchParams | undefined;
  /** 0 for the first send, then 1, 2, … for each retry after a 401. */
  readonly attempt: number;
}

/** What an {@link Authorizer} adds to a request. */
export interface Authorization {
  /** Headers to set, e.g. `{ authorization: 'Bearer …' }`. */
  readonly headers: Readonly<Record<string, string>>;
  /** A replacement URL (OAuth 1 query transmission), if any. */
  readonly url?: string;
  /** A replacement form body (OAuth 1 body transmission), if any. */
  readonly body?: string;
  /** Opaque to adapters; handed back to `onUnauthorized` (e.g. the token that was sent). */
  readonly state?: unknown;
}

/** The parts of a 401 answer an {@link Authorizer} may look at. */
export interface UnauthorizedResponse {
  readonly status: number;
  /** Response headers, names in lower case (`www-authenticate`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Whether, and after how long, to send a request again after a 401. */
export interface RetryDecision {
  readonly retry: boolean;
  /** Wait before retrying, in milliseconds. */
  readonly delayMs: number;
}

/**
 * What every adapter consumes: `authorize` before a request is sent, and
 * `onUnauthorized` after a 401. `bearer(manager, policy)` makes one from a
 * token manager; `@forge/oauth1` makes one that signs each request.
 *
 * @example
 * ```ts
 * const apiKey: Authorizer = {
 *   authorize: () => ({ headers: { 'x-api-key': process.env.API_KEY! } }),
 * };
 * ```
 */
export interface Authorizer {
  /**
   * Returns what to add to the request, or `undefined` to send it unchanged
   * (the policy excludes it, or the origin may not receive credentials).
   */
  authorize(request: AuthorizationRequest): MaybePromise<Authorization | undefined>;
  /**
   * Called after a 401 for a request this authorizer authorized. Resolves
   * once it is safe to retry (e.g. after the token was refreshed).
   */
  onUnauthorized?(
    request: AuthorizationRequest,
    response: UnauthorizedResponse,
    authorization: Authorization,
  ): MaybePromise<RetryDecision>;
  /**
   * Whether credentials may follow a redirect from `from` to `to`. Adapters
   * strip them when this answers false; absent means "only to the same origin".
   */
  mayRedirect?(from: string, to: string): boolean;
}
