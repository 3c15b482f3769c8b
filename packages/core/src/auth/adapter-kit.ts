import type {
  Authorization,
  AuthorizationRequest,
  Authorizer,
  UnauthorizedResponse,
} from '../authorizer.js';
import { ConfigurationError, ForgeErrorCode } from '../errors.js';
import type { RequestPolicyOptions } from '../policy/request-policy.js';
import { type BearerTokenSource, bearer } from './bearer.js';
import { RequestAuthorizationError, requestError } from './request-error.js';

/** What an adapter accepts: a token manager (wrapped with {@link bearer}) or any {@link Authorizer}. */
export type AuthorizerOrManager = Authorizer | BearerTokenSource;

const POLICY_KEYS = [
  'origins',
  'excludedPaths',
  'excludedPathPatterns',
  'overrideAuthorization',
  'retry',
] as const;

function isAuthorizer(value: unknown): value is Authorizer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Authorizer).authorize === 'function'
  );
}

function isTokenSource(value: unknown): value is BearerTokenSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BearerTokenSource).getToken === 'function' &&
    typeof (value as BearerTokenSource).invalidate === 'function'
  );
}

/**
 * Turns what a user handed an adapter into an {@link Authorizer}, validating at
 * install time: a manager is wrapped with `bearer(manager, { baseURL, ...options })`;
 * an authorizer is used as is (its own policy applies, so policy options next to
 * it are rejected rather than silently ignored). `baseURL` is the client's own.
 *
 * @example
 * ```ts
 * const authorizer = resolveAuthorizer(managerOrAuthorizer, options, instance.defaults.baseURL, 'axios');
 * ```
 */
export function resolveAuthorizer(
  value: unknown,
  options: RequestPolicyOptions | undefined,
  baseURL: string | URL | undefined,
  pkg: string,
): Authorizer {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new ConfigurationError('options', 'must be an options object', { package: pkg });
  }
  if (isAuthorizer(value)) {
    const misplaced = POLICY_KEYS.find((key) => options?.[key] !== undefined);
    if (misplaced !== undefined) {
      throw new ConfigurationError(
        misplaced,
        'applies only when a token manager is passed; build the authorizer with bearer(manager, { ... }) and set it there',
        { package: pkg },
      );
    }
    return value;
  }
  if (isTokenSource(value)) {
    try {
      return bearer(value, { ...options, baseURL: options?.baseURL ?? baseURL });
    } catch (error) {
      if (error instanceof ConfigurationError) {
        throw new ConfigurationError(error.option, error.message.replace(/^.*?: /, ''), {
          package: pkg,
          cause: error,
        });
      }
      throw error;
    }
  }
  throw new ConfigurationError(
    'authorizer',
    'pass a TokenManager or an Authorizer (an object with authorize(request)), e.g. withForge(client, new TokenManager(provider))',
    { package: pkg },
  );
}

/**
 * Calls `authorizer.authorize`, turning any failure into a
 * {@link RequestAuthorizationError} that carries the method and URL.
 *
 * @example
 * ```ts
 * const authorization = await authorizeRequest(authorizer, request, 'got');
 * ```
 */
export async function authorizeRequest(
  authorizer: Authorizer,
  request: AuthorizationRequest,
  pkg: string,
): Promise<Authorization | undefined> {
  try {
    return await authorizer.authorize(request);
  } catch (error) {
    throw requestError(error, request, pkg);
  }
}

/**
 * Everything an adapter does after a 401 on a request it authorized: asks the
 * authorizer (which invalidates the sent token and waits for the refresh),
 * refuses to resend a body that cannot be replayed, and waits the strategy's
 * delay. Resolves to `true` when the adapter should send the request again,
 * `false` when the 401 goes to the caller.
 *
 * @example
 * ```ts
 * if (await retryAfterUnauthorized(authorizer, request, { status: 401, headers }, authorization, true, 'axios')) {
 *   return instance.request(config);
 * }
 * ```
 */
export async function retryAfterUnauthorized(
  authorizer: Authorizer,
  request: AuthorizationRequest,
  response: UnauthorizedResponse,
  authorization: Authorization,
  replayable: boolean,
  pkg: string,
): Promise<boolean> {
  if (authorizer.onUnauthorized === undefined) return false;
  let retry: boolean;
  let delayMs: number;
  try {
    ({ retry, delayMs } = await authorizer.onUnauthorized(request, response, authorization));
  } catch (error) {
    throw requestError(error, request, pkg);
  }
  if (!retry) return false;
  if (!replayable) {
    throw new RequestAuthorizationError(
      'the server answered 401 and the credentials were renewed, but the request body is a stream that cannot be sent again; pass a string, Buffer or URLSearchParams body to let Forge retry',
      { method: request.method, url: request.url, code: ForgeErrorCode.Request, package: pkg },
    );
  }
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  return true;
}

/**
 * Whether credentials may follow a redirect from `from` to `to`: the
 * authorizer's `mayRedirect`, or "same origin only" when it has none.
 *
 * @example
 * ```ts
 * if (!mayForwardCredentials(authorizer, previousUrl, nextUrl)) delete headers.authorization;
 * ```
 */
export function mayForwardCredentials(authorizer: Authorizer, from: string, to: string): boolean {
  if (authorizer.mayRedirect !== undefined) return authorizer.mayRedirect(from, to);
  try {
    return new URL(from).origin === new URL(to).origin;
  } catch {
    return false;
  }
}

const FORM_TYPE = /application\/x-www-form-urlencoded/i;

/**
 * The `body` to put in an {@link AuthorizationRequest}, from the body a client
 * will send (already serialized: adapters turn JSON into its text first) and
 * its content type. Every authorizer gets form bodies (`URLSearchParams`, or a
 * string declared `application/x-www-form-urlencoded`); one with
 * `signsBody` also gets every other string body. Bytes, streams and
 * `FormData` are never passed: reading them would cost a copy or consume them.
 *
 * @example
 * ```ts
 * const body = authorizationBody(authorizer, options.body, headers['content-type']);
 * authorizationBody(bearerAuthorizer, '{"a":1}', 'application/json'); // undefined
 * authorizationBody(oauth1Signer, '{"a":1}', 'application/json');     // '{"a":1}'
 * ```
 */
export function authorizationBody(
  authorizer: Authorizer,
  body: unknown,
  contentType: string | undefined,
): string | URLSearchParams | undefined {
  if (body instanceof URLSearchParams) return body;
  if (typeof body !== 'string') return undefined;
  if (authorizer.signsBody === true) return body;
  return contentType !== undefined && FORM_TYPE.test(contentType) ? body : undefined;
}

/**
 * Whether a request body can be sent a second time: strings, bytes, blobs,
 * form data, URL parameters and plain (JSON) values can; streams and async
 * iterables cannot.
 *
 * @example
 * ```ts
 * isReplayableBody('{"a":1}');                 // true
 * isReplayableBody(fs.createReadStream(path)); // false
 * ```
 */
export function isReplayableBody(body: unknown): boolean {
  if (body === undefined || body === null || typeof body !== 'object') return true;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return false;
  const candidate = body as { pipe?: unknown; [Symbol.asyncIterator]?: unknown };
  return (
    typeof candidate.pipe !== 'function' && typeof candidate[Symbol.asyncIterator] !== 'function'
  );
}
