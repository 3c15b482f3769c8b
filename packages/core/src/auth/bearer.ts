import type {
  Authorization,
  AuthorizationRequest,
  Authorizer,
  RetryDecision,
  UnauthorizedResponse,
} from '../authorizer.js';
import { ConfigurationError } from '../errors.js';
import {
  createRequestPolicy,
  isRequestPolicy,
  type RequestPolicy,
  type RequestPolicyOptions,
} from '../policy/request-policy.js';
import { isToken, type Token } from '../token.js';
import { requestError } from './request-error.js';

/**
 * What `bearer()` needs from a token manager: a `TokenManager` fits, and so
 * does any object with these two methods.
 */
export interface BearerTokenSource<TKey = never> {
  getToken(key?: TKey): Promise<Token>;
  /** Compare-and-invalidate: forget `token` only if it is still the current one. */
  invalidate(token?: Token, key?: TKey): Promise<void>;
}

/** Options of {@link bearer}. */
export interface BearerOptions {
  /** Where the token may go and how 401s are retried: options, or a built policy. */
  readonly policy?: RequestPolicy | RequestPolicyOptions | undefined;
}

/** An {@link Authorizer} made by {@link bearer}, with the policy it follows. */
export interface BearerAuthorizer extends Authorizer {
  readonly policy: RequestPolicy;
  authorize(request: AuthorizationRequest): Promise<Authorization | undefined>;
  onUnauthorized(
    request: AuthorizationRequest,
    response: UnauthorizedResponse,
    authorization: Authorization,
  ): Promise<RetryDecision>;
  mayRedirect(from: string, to: string): boolean;
}

// RFC 9110 §9.3.8: a server answers TRACE with the request it received, headers
// included, so a client must not send credentials with it (TRACK is IIS's twin).
const ECHOES = new Set(['TRACE', 'TRACK']);
const GIVE_UP: RetryDecision = Object.freeze({ retry: false, delayMs: 0 });
const BEARER_ERROR = /\berror\s*=\s*"?([A-Za-z_]+)/;

// A 401 that names an error other than invalid_token (invalid_request, …) will
// not be cured by a new token, so it is neither retried nor a reason to drop one.
function tokenRejected(response: UnauthorizedResponse): boolean {
  const challenge = response.headers['www-authenticate'];
  const error = challenge === undefined ? undefined : BEARER_ERROR.exec(challenge)?.[1];
  return error === undefined || error === 'invalid_token';
}

/**
 * Makes the {@link Authorizer} every adapter consumes from a token manager:
 * requests the policy allows get `authorization: <scheme> <token>`; after a 401
 * the exact token that was sent is invalidated (compare-and-invalidate), the
 * manager's single-flight refresh is awaited, and the policy's retry strategy
 * decides; a request is retried only when the manager now serves another
 * token (a damped renewal keeps the rejected one). The same frozen
 * `Authorization` object is handed out for as long as the token lasts, so the
 * hot path allocates nothing of its own.
 *
 * @example
 * ```ts
 * const authorizer = bearer(manager, {
 *   policy: { baseURL: 'https://api.example.com', excludedPathPatterns: ['/public/**'] },
 * });
 * const auth = await authorizer.authorize({ method: 'GET', url: 'https://api.example.com/orders', headers: {}, attempt: 0 });
 * ```
 */
export function bearer<TKey>(
  manager: BearerTokenSource<TKey>,
  options: BearerOptions = {},
): BearerAuthorizer {
  if (
    typeof manager !== 'object' ||
    manager === null ||
    typeof manager.getToken !== 'function' ||
    typeof manager.invalidate !== 'function'
  ) {
    throw new ConfigurationError(
      'manager',
      'must be a TokenManager (an object with getToken() and invalidate(token))',
    );
  }
  const misplaced =
    typeof options === 'object' && options !== null
      ? Object.keys(options).find((name) => name !== 'policy')
      : 'options';
  if (misplaced !== undefined || isRequestPolicy(options)) {
    throw new ConfigurationError(
      misplaced ?? 'options',
      'bearer() takes { policy }: pass policy options or a built policy as bearer(manager, { policy: { baseURL } })',
    );
  }
  const policy = options.policy ?? {};
  const compiled = isRequestPolicy(policy) ? policy : createRequestPolicy(policy);
  let lastToken: Token | undefined;
  let lastAuthorization: Authorization | undefined;

  const authorizationFor = (token: Token): Authorization => {
    if (token !== lastToken || lastAuthorization === undefined) {
      lastToken = token;
      lastAuthorization = Object.freeze({
        headers: Object.freeze({ authorization: token.authorizationHeader }),
        state: token,
      });
    }
    return lastAuthorization;
  };

  return Object.freeze({
    policy: compiled,
    async authorize(request: AuthorizationRequest): Promise<Authorization | undefined> {
      if (!compiled.mayAuthorize(request.url, request.headers) || ECHOES.has(request.method)) {
        return undefined;
      }
      try {
        return authorizationFor(await manager.getToken(request.key as TKey));
      } catch (error) {
        throw requestError(error, request);
      }
    },
    async onUnauthorized(
      request: AuthorizationRequest,
      response: UnauthorizedResponse,
      authorization: Authorization,
    ): Promise<RetryDecision> {
      const sent = authorization.state;
      if (!isToken(sent) || !tokenRejected(response)) return GIVE_UP;
      const decision = compiled.retry.decide(request.attempt);
      try {
        await manager.invalidate(sent, request.key as TKey);
        if (!decision.retry) return decision;
        // Awaiting here joins the manager's single-flight refresh, so every
        // request that got a 401 together retries with the one new token.
        const next = await manager.getToken(request.key as TKey);
        // A damped invalidate keeps the sent token: sending it again would only earn another 401.
        return next.authorizationHeader === sent.authorizationHeader ? GIVE_UP : decision;
      } catch (error) {
        throw requestError(error, request);
      }
    },
    mayRedirect: compiled.mayRedirect,
  });
}
