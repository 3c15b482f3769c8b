import type {
  Authorization,
  AuthorizationRequest,
  Authorizer,
  ResponseHeaderLookup,
  RetryDecision,
  UnauthorizedResponse,
} from '../authorizer.js';
import { dpopChallengeError, isDPoPError } from '../dpop/challenge.js';
import type { DPoP, DPoPResponseHeaders } from '../dpop/dpop.js';
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
  /** The DPoP key its tokens are bound to (a `TokenManager` whose provider has `dpop`). */
  readonly dpop?: DPoP | undefined;
}

/** What a DPoP-bound request carried, in `Authorization.state`. */
interface DPoPState {
  readonly token: Token;
  /** Nonce retries spent before this send. */
  readonly nonceRetries: number;
  /** The nonce and clock offset the proof was made with. */
  readonly nonce: string | undefined;
  readonly offsetMs: number;
  /** Set by `onUnauthorized` when the retry it allows is a nonce retry. */
  nonceRetry: boolean;
}

function isDPoPState(value: unknown): value is DPoPState {
  return typeof value === 'object' && value !== null && 'nonceRetries' in value;
}

function headerGetter(headers: Readonly<Record<string, string>>): DPoPResponseHeaders {
  return { get: (name) => headers[name] ?? null };
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
const RETRY_NOW: RetryDecision = Object.freeze({ retry: true, delayMs: 0 });

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
  const dpop = manager.dpop;

  // A fresh proof per request, for its method and final URL, with the hash of
  // the token and signed by the key the token is bound to.
  const dpopAuthorization = async (
    request: AuthorizationRequest,
    token: Token,
    key: DPoP,
  ): Promise<Authorization> => {
    const before = request.previous?.state;
    const nonceRetries = isDPoPState(before)
      ? before.nonceRetries + (before.nonceRetry ? 1 : 0)
      : 0;
    const nonce = key.nonce(request.url);
    const offsetMs = key.clockOffsetMs(request.url);
    const proof = await key.proof({
      method: request.method,
      url: request.url,
      accessToken: token.accessToken,
      thumbprint: token.jkt,
    });
    const state: DPoPState = { token, nonceRetries, nonce, offsetMs, nonceRetry: false };
    return { headers: { authorization: token.authorizationHeader, dpop: proof }, state };
  };

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
        const token = await manager.getToken(request.key as TKey);
        if (dpop === undefined || token.jkt === undefined) return authorizationFor(token);
        return await dpopAuthorization(request, token, dpop);
      } catch (error) {
        throw requestError(error, request);
      }
    },
    async onUnauthorized(
      request: AuthorizationRequest,
      response: UnauthorizedResponse,
      authorization: Authorization,
    ): Promise<RetryDecision> {
      const state = authorization.state;
      const bound = isDPoPState(state) ? state : undefined;
      const sent = bound?.token ?? state;
      if (bound !== undefined && dpop !== undefined) {
        const refused = dpopChallengeError(response.headers['www-authenticate']);
        if (isDPoPError(refused)) {
          // RFC 9449 §9: the proof, not the token, was refused. One retry, and
          // only when the answer taught us something (a nonce, the server's clock).
          dpop.observe(request.url, headerGetter(response.headers), true);
          // Compared with what the proof used, not with what was held: the
          // adapter may have noted this answer's nonce already.
          const changed =
            dpop.nonce(request.url) !== bound.nonce ||
            dpop.clockOffsetMs(request.url) !== bound.offsetMs;
          if (!changed || bound.nonceRetries > 0) return GIVE_UP;
          bound.nonceRetry = true;
          return RETRY_NOW;
        }
        dpop.observe(request.url, headerGetter(response.headers));
      }
      if (!isToken(sent) || !tokenRejected(response)) return GIVE_UP;
      // A nonce retry is not a renewal: it does not use up the retry strategy's attempts.
      const decision = compiled.retry.decide(request.attempt - (bound?.nonceRetries ?? 0));
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
    ...(dpop === undefined
      ? {}
      : {
          onResponse(
            request: AuthorizationRequest,
            response: { readonly headers: ResponseHeaderLookup },
            authorization: Authorization,
          ): void {
            if (isDPoPState(authorization.state)) dpop.observe(request.url, response.headers);
          },
        }),
  });
}
