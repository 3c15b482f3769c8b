import {
  type Authorization,
  type AuthorizationRequest,
  type Authorizer,
  type AuthorizerOrManager,
  authorizationBody,
  authorizeRequest,
  ConfigurationError,
  ForgeError,
  followRedirects,
  type RedirectHop,
  type RequestPolicyOptions,
  removeCredentials,
  resolveAuthorizer,
  retryAfterUnauthorized,
  setCredentials,
} from '@forge/core';

/**
 * Options of {@link withForge}: the request policy when a token manager is
 * passed. ky does not expose an instance's `prefix`/`prefixUrl`, so name the
 * API's origin with `baseURL` or `origins`.
 */
export type ForgeKyOptions = RequestPolicyOptions;

/** The part of a ky instance (ky 1 or 2) that {@link withForge} uses. */
export interface KyLike<T> {
  extend(options: object): T;
  retry?(options?: { delay?: number; code?: string }): unknown;
}

interface HookState {
  readonly request: Request;
  readonly options: {
    readonly context?: Record<string, unknown>;
    readonly body?: unknown;
    readonly retry?: { readonly limit?: number };
    readonly fetch?: typeof fetch;
    readonly dispatcher?: unknown;
    readonly timeout?: number | false;
  };
  readonly response?: Response;
  readonly retryCount: number;
}

interface Sent {
  readonly request: AuthorizationRequest;
  authorization: Authorization | undefined;
  attempt: number;
  /** Whether this adapter follows the request's redirects (the caller left `redirect: 'follow'`). */
  readonly follows: boolean;
}

const PKG = 'ky';
const REDIRECT = new Set([301, 302, 303, 307, 308]);
// Set by the init hook (ky 2) on a request whose redirects this adapter follows.
const FOLLOWS = '@forge/ky:follows';
const SENDING = '@forge/ky:sending';
const KY_DEFAULT_TIMEOUT = 10_000;

/** How ky sends a request: what the redirect hops Forge follows need too. */
interface Sending {
  readonly fetch?: typeof fetch | undefined;
  readonly timeout?: number | false | undefined;
}

// ky 2 hands every hook one state object; ky 1 passes (request, options, response?, state).
function hookState(args: readonly unknown[]): HookState {
  const [first, options, third, fourth] = args;
  if (!(first instanceof Request)) return first as HookState;
  const response = third instanceof Response ? third : undefined;
  const extra = (response ? fourth : third) as { retryCount?: number } | undefined;
  return {
    request: first,
    options: options as HookState['options'],
    response,
    retryCount: extra?.retryCount ?? 0,
  };
}

function lowerCaseHeaders(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

// ky has already serialized `json` into `body` (a string) and built the
// Request from it. For a signer, read the text back from the Request: an
// earlier hook may have replaced it, and those are the bytes fetch sends.
async function requestBody(
  authorizer: Authorizer,
  request: Request,
  body: unknown,
  headers: Record<string, string>,
): Promise<string | URLSearchParams | undefined> {
  const text =
    authorizer.signsBody === true && typeof body === 'string' && request.body !== null
      ? await request.clone().text()
      : body;
  return authorizationBody(authorizer, text, headers['content-type']);
}

type ShouldRetry = (state: { error: unknown; retryCount: number }) => unknown;

// Retries of a 401 that Forge forces (`ky.retry()` from afterResponse) count
// against ky's `retry.limit`, so a caller's `retry: 0` (meant for 5xx) would
// silently switch renewal off. They get their own budget on top; the caller's
// limit still bounds every other retry, and the auth retry strategy bounds these.
const RENEWAL_BUDGET = 10;
const KY_DEFAULT_LIMIT = 2;
const withRenewal = new WeakSet<object>();

// Also: ky 1 retries whatever a hook throws; a failed authorization must reach
// the caller at once instead.
function withRenewalBudget(retry: unknown): object {
  if (typeof retry === 'object' && retry !== null && withRenewal.has(retry)) return retry;
  const base: { limit?: number; shouldRetry?: ShouldRetry } =
    typeof retry === 'number'
      ? { limit: retry }
      : typeof retry === 'object' && retry !== null
        ? retry
        : {};
  const limit = base.limit ?? KY_DEFAULT_LIMIT;
  const own = base.shouldRetry;
  const budgeted = {
    ...base,
    limit: limit + RENEWAL_BUDGET,
    // ky 1 and 2 both pass the 1-based number of the retry being decided.
    shouldRetry: (state: { error: unknown; retryCount: number }) =>
      state.error instanceof ForgeError || state.retryCount > limit ? false : own?.(state),
  };
  withRenewal.add(budgeted);
  return budgeted;
}

/**
 * Returns a new ky instance (via `ky.extend`) whose requests stay authorized:
 * `beforeRequest` asks the authorizer for credentials (only allowed origins and
 * paths), `afterResponse` renews the token after a 401 and forces a retry with
 * the instance's `ky.retry()`, and `beforeRetry` puts the new credentials on the
 * retried request. Works with ky 1 and ky 2. The renewal retries do not use up
 * ky's `retry.limit`: with `retry: 0` a 401 is still renewed and retried once.
 * Redirects are followed by `fetch`, which drops `Authorization` on a redirect
 * to another origin.
 *
 * @example
 * ```ts
 * import ky from 'ky';
 * import { withForge } from '@forge/ky';
 *
 * const api = withForge(ky.create({ prefix: 'https://api.example.com' }), manager, {
 *   baseURL: 'https://api.example.com',
 * });
 * const orders = await api.get('orders').json();
 * ```
 */
export function withForge<T extends KyLike<T>>(
  ky: T,
  authorizerOrManager: AuthorizerOrManager,
  options?: ForgeKyOptions,
): T {
  if (
    (typeof ky !== 'function' && typeof ky !== 'object') ||
    ky === null ||
    typeof ky.extend !== 'function' ||
    typeof ky.retry !== 'function'
  ) {
    throw new ConfigurationError(
      'ky',
      'must be a ky instance (ky, ky.create() or ky.extend()) from ky 1.14 or later, which has ky.retry()',
      {
        package: PKG,
      },
    );
  }
  const retry = ky.retry.bind(ky);
  const authorizer = resolveAuthorizer(authorizerOrManager, options, undefined, PKG);
  // Keyed by the options object ky hands every hook of one request, and by the
  // request's `context` (ky 2 copies it per request) for when a hook replaced
  // the request and with it the options snapshot.
  const sent = new WeakMap<object, Sent>();
  const find = (options: HookState['options']): Sent | undefined =>
    sent.get(options) ?? (options.context === undefined ? undefined : sent.get(options.context));

  const beforeRequest = async (...args: unknown[]): Promise<Request | undefined> => {
    const { request, options } = hookState(args);
    // ky 1 runs beforeRequest again on every retry; beforeRetry has already re-authorized it.
    if (sent.has(options)) return undefined;
    const headers = lowerCaseHeaders(request.headers);
    const described: AuthorizationRequest = {
      method: request.method,
      url: request.url,
      headers,
      body: await requestBody(authorizer, request, options.body, headers),
      attempt: 0,
    };
    const authorization = await authorizeRequest(authorizer, described, PKG);
    // ky 2's init hook already asked for manual redirects; ky 1 has no init hook.
    const follows = options.context?.[FOLLOWS] === true || request.redirect === 'follow';
    const entry: Sent = { request: described, authorization, attempt: 0, follows };
    sent.set(options, entry);
    if (options.context !== undefined) sent.set(options.context, entry);
    if (authorization === undefined) return undefined;
    setCredentials(request.headers, authorization);
    const manual = follows && request.redirect !== 'manual';
    if (authorization.url === undefined && authorization.body === undefined && !manual) {
      return undefined;
    }
    return new Request(authorization.url ?? request.url, {
      method: request.method,
      headers: request.headers,
      body: authorization.body ?? request.body,
      signal: request.signal,
      redirect: follows ? 'manual' : request.redirect,
      credentials: request.credentials,
      duplex: 'half',
    } as RequestInit);
  };

  // fetch was told not to follow redirects: follow them here, judging every hop.
  const followed = async (
    state: HookState,
    response: Response,
    entry: Sent,
  ): Promise<{ response: Response; authorization: Authorization | undefined }> => {
    const { request, options } = state;
    const sending = (options.context?.[SENDING] as Sending | undefined) ?? options;
    const send = sending.fetch ?? globalThis.fetch;
    const timeout = sending.timeout ?? KY_DEFAULT_TIMEOUT;
    const extra = options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher };
    const hop: RedirectHop = {
      url: response.url || request.url,
      method: request.method,
      headers: new Headers(request.headers),
    };
    return followRedirects(response, hop, entry.authorization, {
      authorizer,
      send: (url, init) => send(url, { ...init, ...extra }),
      replayBody: () =>
        request.body === null ? null : request.bodyUsed ? undefined : request.clone().body,
      authorize: async (next) => {
        const authorization = await authorizeRequest(
          authorizer,
          {
            method: next.method,
            url: next.url,
            headers: lowerCaseHeaders(next.headers),
            attempt: entry.attempt,
          },
          PKG,
        );
        setCredentials(next.headers, authorization);
        return authorization;
      },
      // ky times only its own fetch: the hops followed here get its timeout too.
      signal:
        timeout === false
          ? request.signal
          : AbortSignal.any([request.signal, AbortSignal.timeout(timeout)]),
    });
  };

  const afterResponse = async (...args: unknown[]): Promise<unknown> => {
    const state = hookState(args);
    const { options, retryCount } = state;
    const entry = find(options);
    let response = state.response;
    let replaced: Response | undefined;
    let authorization = entry?.authorization;
    if (response !== undefined && entry?.follows === true && REDIRECT.has(response.status)) {
      ({ response, authorization } = await followed(state, response, entry));
      replaced = response;
    }
    if (response?.status !== 401 || entry === undefined || authorization === undefined) {
      return replaced;
    }
    // ky refuses a forced retry past its own limit: then the authorizer still
    // drops the rejected token, but the 401 goes to the caller.
    const kyAllows = (options.retry?.limit ?? 0) > retryCount;
    const again = await retryAfterUnauthorized(
      authorizer,
      { ...entry.request, attempt: kyAllows ? entry.attempt : Number.MAX_SAFE_INTEGER },
      { status: 401, headers: lowerCaseHeaders(response.headers) },
      authorization,
      true, // ky clones every request before sending it, so the body can always be replayed.
      PKG,
    );
    if (!again || !kyAllows) return replaced;
    entry.attempt += 1;
    replaced?.body?.cancel().catch(() => undefined);
    return retry({ delay: 0, code: 'FORGE_UNAUTHORIZED' });
  };

  const beforeRetry = async (state: HookState): Promise<void> => {
    const { request, options } = state;
    const entry = find(options);
    if (entry === undefined) return;
    removeCredentials(request.headers, entry.authorization);
    const headers = lowerCaseHeaders(request.headers);
    entry.authorization = await authorizeRequest(
      authorizer,
      { ...entry.request, headers, attempt: entry.attempt },
      PKG,
    );
    setCredentials(request.headers, entry.authorization);
  };

  // Callers log ky's errors, whose `request` carries the headers: keep our credentials out.
  // ky 2 calls this with a state object for every error; ky 1 with the error, for HTTP errors only.
  const beforeError = (...args: unknown[]): unknown => {
    const first = args[0] as { error?: unknown; request?: unknown; options?: HookState['options'] };
    const error = (first instanceof Error ? first : first.error) as
      | (Error & { request?: unknown; options?: HookState['options'] })
      | undefined;
    const options = error?.options ?? first.options;
    const entry = options === undefined ? undefined : find(options);
    if (entry?.authorization !== undefined) {
      for (const request of [error?.request, first.request]) {
        if (request instanceof Request) removeCredentials(request.headers, entry.authorization);
      }
    }
    return error;
  };

  return ky.extend((parent: { retry?: unknown }) => ({
    retry: withRenewalBudget(parent.retry),
    hooks: {
      // ky 2 gives each request its own copy of `context` when an init hook exists.
      init: [
        (init: {
          context?: object;
          redirect?: RequestRedirect;
          retry?: unknown;
          fetch?: typeof fetch;
          timeout?: number | false;
        }) => {
          // A per-request `retry` replaces the instance's: budget it too.
          init.retry = withRenewalBudget(init.retry);
          const context: Record<string, unknown> = { ...init.context };
          if ((init.redirect ?? 'follow') === 'follow') {
            init.redirect = 'manual';
            context[FOLLOWS] = true;
            // ky 2 keeps `fetch` and `timeout` out of what later hooks see; the hops need both.
            context[SENDING] = { fetch: init.fetch, timeout: init.timeout ?? KY_DEFAULT_TIMEOUT };
          }
          init.context = context;
        },
      ],
      beforeRequest: [beforeRequest],
      afterResponse: [afterResponse],
      beforeRetry: [beforeRetry],
      beforeError: [beforeError],
    },
  }));
}
