import type { DPoP } from './dpop/dpop.js';
import type { Token, TokenInit } from './token.js';
import type { MaybePromise } from './types.js';

/** What the manager hands a provider with each request for a token. */
export interface TokenRequestContext {
  /** The cache key the token will be stored under. */
  readonly key: string;
  /** Aborted when the manager is closed; pass it to `fetch`. */
  readonly signal: AbortSignal;
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
