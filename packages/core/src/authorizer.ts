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
   * The body when it is `application/x-www-form-urlencoded` (as a string or
   * `URLSearchParams`), for every authorizer. For one with
   * {@link Authorizer.signsBody}, also any other text body exactly as it will
   * be sent (JSON included, serialized by the client or the adapter). Absent
   * otherwise, and for bodies that are not text (bytes, streams, `FormData`).
   */
  readonly body?: string | URLSearchParams | undefined;
  /** 0 for the first send, then 1, 2, … for each retry after a 401. */
  readonly attempt: number;
  /**
   * Which of the manager's tokens the request asked for (tenant, user,
   * scope, subject): what `manager.getToken(key)` takes. `undefined` for the
   * manager's default token.
   */
  readonly key?: unknown;
  /**
   * On a retry after a 401: what the request that got the 401 carried, so an
   * authorizer can bound its own retries (a DPoP nonce retry). A redirect hop
   * or a client's own resend keeps its request's.
   */
  readonly previous?: Authorization | undefined;
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

/** One response header by lower-case name, `null` when absent. */
export interface ResponseHeaderLookup {
  get(name: string): string | null;
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
   * `true` when `authorize()` needs the request body (request signers, e.g.
   * OAuth 1 `oauth_body_hash`): adapters then pass text bodies, serializing
   * JSON bodies themselves so the bytes signed are the bytes sent. Absent or
   * `false`, adapters pass only form bodies, so the hot path of a bearer
   * authorizer never touches bodies.
   *
   * @example
   * ```ts
   * const signer: Authorizer = {
   *   signsBody: true,
   *   authorize: async ({ body }) => ({
   *     headers: { 'x-body-sha256': await sha256Base64(typeof body === 'string' ? body : '') },
   *   }),
   * };
   * ```
   */
  readonly signsBody?: boolean;
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
   * Called with every answer to a request this authorizer authorized (not
   * only 401s), when present: `bearer()` with DPoP keeps the `DPoP-Nonce` a
   * server sends on any answer. Absent for plain bearer tokens, so adapters
   * skip it on their hot path.
   */
  onResponse?(
    request: AuthorizationRequest,
    response: { readonly status: number; readonly headers: ResponseHeaderLookup },
    authorization: Authorization,
  ): void;
  /**
   * Whether credentials may follow a redirect from `from` to `to`. Adapters
   * strip them when this answers false; absent means "only to the same origin".
   */
  mayRedirect?(from: string, to: string): boolean;
}
