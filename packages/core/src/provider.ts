import type { DPoP } from './dpop/dpop.js';
import type { Token, TokenInit } from './token.js';
import type { MaybePromise } from './types.js';

/**
 * One HTTP attempt at a token endpoint, as a provider reports it through
 * {@link TokenRequestContext.onAttempt}. Holds no credential and no URL
 * beyond the endpoint's origin.
 *
 * @example
 * ```ts
 * const report = (attempt: TokenRequestAttempt) => console.log(attempt.attempt, attempt.status);
 * ```
 */
export interface TokenRequestAttempt {
  /** The `grant_type` sent (`client_credentials`, `refresh_token`, …). */
  readonly grantType: string;
  /** The token endpoint's origin (`https://auth.example.com`): never its path or query. */
  readonly origin: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** The HTTP status answered, or `undefined` when none came (network error, timeout, abort). */
  readonly status: number | undefined;
  /**
   * Why the attempt did not succeed at the HTTP level, as a `TokenEndpointError` reason
   * (`network`, `timeout`, `server`, `rate-limited`, `malformed`, `aborted`); `undefined`
   * when an answer was read (a 4xx answer is read and judged afterwards).
   */
  readonly errorReason: string | undefined;
  /** Wall-clock start, epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
}

/** What the manager hands a provider with each request for a token. */
export interface TokenRequestContext {
  /** The cache key the token will be stored under. */
  readonly key: string;
  /** Aborted when the manager is closed; pass it to `fetch`. */
  readonly signal: AbortSignal;
  /**
   * Called after each HTTP attempt at the token endpoint, so the manager can
   * report it (the `attempt` event). Providers that make HTTP requests should
   * call it; it never throws.
   */
  readonly onAttempt?: ((attempt: TokenRequestAttempt) => void) | undefined;
}

/**
 * Where tokens come from. Built-in providers speak OAuth 2 grants; a custom
 * provider is any object with these members, and may resolve to a plain
 * object with the `Token` fields (`accessToken`, `expiresAt`, …): the manager
 * makes the `Token`.
 *
 * `TInput` is what a caller passes to `manager.getToken(input)` to pick one of
 * many tokens (a tenant, a user, a scope, a subject token); providers with a
 * single token use `void`.
 *
 * @example
 * ```ts
 * const provider: TokenProvider = {
 *   serviceName: 'legacy-api',
 *   async fetchToken() {
 *     const { token, ttl } = await myLogin();
 *     return { accessToken: token, expiresAt: Date.now() + ttl * 1000 };
 *   },
 * };
 * ```
 */
export interface TokenProvider<TInput = void> {
  /** Names the service in errors, events and cache keys. Not a secret. */
  readonly serviceName: string;
  /** Obtains a new token: a `Token`, or a plain object with its fields. */
  fetchToken(input: TInput, context: TokenRequestContext): Promise<Token | TokenInit>;
  /**
   * Obtains a token from the current one's refresh token. The manager falls
   * back to `fetchToken` when this fails with an `invalid_grant`.
   */
  refreshToken?(
    current: Token,
    input: TInput,
    context: TokenRequestContext,
  ): Promise<Token | TokenInit>;
  /**
   * The cache key for an input. Must identify the token (client, scope,
   * audience, subject) and must never contain a secret: digest secrets.
   * Defaults to `serviceName`.
   */
  cacheKey?(input: TInput): MaybePromise<string>;
  /**
   * The DPoP key its tokens are bound to (the `dpop` option of the built-in
   * providers): the manager keys its cache by the key's thumbprint and
   * `bearer()` signs a proof for every request with it.
   */
  readonly dpop?: DPoP | undefined;
}
