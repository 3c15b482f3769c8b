import {
  type Authorization,
  type AuthorizationRequest,
  type AuthorizerOrManager,
  authorizationBody,
  authorizeRequest,
  ForgeError,
  isReplayableBody,
  type RedirectChain,
  type RequestPolicyOptions,
  redirectChain,
  resolveAuthorizer,
  retryAfterUnauthorized,
} from '@forge/core';
import type {
  AfterResponseHook,
  BeforeErrorHook,
  BeforeRedirectHook,
  BeforeRequestHook,
  RequestError,
} from 'got';

/**
 * Options of {@link forgeHooks}: the request policy when a token manager is
 * passed. got hooks cannot see the instance's `prefixUrl`, so name the API's
 * origin with `baseURL` or `origins`.
 */
export type ForgeGotOptions = RequestPolicyOptions;

/** The hooks {@link forgeHooks} returns, ready for `got.extend({ hooks })`. */
export interface ForgeGotHooks {
  readonly beforeRequest: BeforeRequestHook[];
  readonly afterResponse: AfterResponseHook[];
  readonly beforeRedirect: BeforeRedirectHook[];
  readonly beforeError: BeforeErrorHook[];
}

interface Sent {
  readonly request: AuthorizationRequest;
  readonly authorization: Authorization;
}

/** A redirect hop's options: the chain so far, and whether this hop may carry credentials. */
interface Hop {
  readonly chain: RedirectChain;
  readonly permitted: boolean;
}

const PKG = 'got';
const ATTEMPT = '@forge/got:attempt';
// Kept in the hop's `context`, which got copies into every options object made
// from it (its retries included), and a symbol keeps it out of JSON.
const HOP = Symbol('@forge/got:hop');

function hopOf(options: { context: unknown }): Hop | undefined {
  return (options.context as Record<symbol, Hop | undefined>)[HOP];
}

/** Removes the headers an authorization set, where they still hold its values. */
function removeCredentials(headers: Record<string, unknown>, authorization: Authorization): void {
  for (const name in authorization.headers) {
    if (headers[name] === authorization.headers[name]) delete headers[name];
  }
}

function stringHeaders(headers: Readonly<Record<string, unknown>>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string') record[name.toLowerCase()] = value;
    else if (Array.isArray(value)) record[name.toLowerCase()] = value.join(', ');
  }
  return record;
}

// got serializes `json` (with the instance's `stringifyJson`) and `form` into
// `body`, and sets their content type, before beforeRequest runs: the body
// read here is the text got sends.
function clientBody(options: { body?: unknown; form?: unknown }): unknown {
  if (options.form !== undefined && options.form !== null) {
    return new URLSearchParams(options.form as Record<string, string>);
  }
  return options.body;
}

/**
 * got hooks that keep requests authorized: `beforeRequest` asks the authorizer
 * for credentials (only allowed origins and paths), `afterResponse` renews the
 * token after a 401 and retries with `retryWithMergedOptions`, `beforeRedirect`
 * strips credentials on a redirect to another origin, and `beforeError` hands
 * the caller Forge's typed error instead of got's wrapper.
 *
 * @example
 * ```ts
 * import got from 'got';
 * import { forgeHooks } from '@forge/got';
 *
 * const api = got.extend({
 *   prefixUrl: 'https://api.example.com',
 *   hooks: forgeHooks(manager, { baseURL: 'https://api.example.com' }),
 * });
 * const orders = await api.get('orders').json();
 * ```
 */
export function forgeHooks(
  authorizerOrManager: AuthorizerOrManager,
  options?: ForgeGotOptions,
): ForgeGotHooks {
  const authorizer = resolveAuthorizer(authorizerOrManager, options, undefined, PKG);
  const sent = new WeakMap<object, Sent>();

  const beforeRequest: BeforeRequestHook = async (options) => {
    const headers = options.headers as Record<string, unknown>;
    const previous = sent.get(options);
    // Headers set on an earlier pass (a retry) are ours, not the caller's.
    if (previous !== undefined) {
      removeCredentials(headers, previous.authorization);
      sent.delete(options);
    }
    // got runs beforeRequest for every redirect hop, and for its own retries of
    // one (a copy of the hop's options): after the chain broke, they go without.
    if (hopOf(options)?.permitted === false) return;
    const current = stringHeaders(headers);
    const context = options.context as Record<string, unknown>;
    const request: AuthorizationRequest = {
      method: options.method.toUpperCase(),
      url: String(options.url),
      headers: current,
      body: authorizationBody(authorizer, clientBody(options), current['content-type']),
      attempt: typeof context[ATTEMPT] === 'number' ? context[ATTEMPT] : 0,
    };
    const authorization = await authorizeRequest(authorizer, request, PKG);
    if (authorization === undefined) return;
    for (const name in authorization.headers) headers[name] = authorization.headers[name];
    if (authorization.url !== undefined) options.url = authorization.url;
    if (authorization.body !== undefined) {
      options.form = undefined;
      options.body = authorization.body;
      // got 14 computed the length from the old body before this hook ran.
      headers['content-length'] = String(new TextEncoder().encode(authorization.body).length);
    }
    sent.set(options, { request, authorization });
  };

  const afterResponse: AfterResponseHook = async (response, retryWithMergedOptions) => {
    if (response.statusCode !== 401) return response;
    const options = response.request.options;
    const entry = sent.get(options);
    if (entry === undefined) return response;
    const retry = await retryAfterUnauthorized(
      authorizer,
      entry.request,
      { status: 401, headers: stringHeaders(response.headers) },
      entry.authorization,
      isReplayableBody(options.body),
      PKG,
    );
    if (!retry) return response;
    // The retry runs on a copy of the options: drop the headers we set so the
    // next beforeRequest authorizes afresh instead of taking them for the caller's.
    const ours: Record<string, undefined> = {};
    for (const name in entry.authorization.headers) ours[name] = undefined;
    const next = { headers: ours, context: { [ATTEMPT]: entry.request.attempt + 1 } };
    try {
      // Keep this hook for the retry: the retry strategy, not got, bounds the attempts.
      return await retryWithMergedOptions({ ...next, preserveHooks: true });
    } catch (error) {
      // got 14 releases before `preserveHooks` reject it; they get one retry after a 401.
      if (!(error instanceof Error && error.message.includes('preserveHooks'))) throw error;
      return retryWithMergedOptions(next);
    }
  };

  // got copies the options for each hop (our headers included) and then runs
  // beforeRequest on the copy: remove ours here, and let beforeRequest put
  // fresh ones back only while the chain of hops may keep them.
  const beforeRedirect: BeforeRedirectHook = (options, response) => {
    const previousOptions = response.request.options;
    const previous = sent.get(previousOptions);
    const chain = hopOf(previousOptions)?.chain ?? redirectChain(authorizer);
    const from = response.url || response.requestUrl.toString();
    const permitted = previous !== undefined && chain.permits(from, String(options.url));
    if (previous !== undefined) {
      removeCredentials(options.headers as Record<string, unknown>, previous.authorization);
    }
    (options.context as Record<symbol, unknown>)[HOP] = { chain, permitted } satisfies Hop;
  };

  const beforeError: BeforeErrorHook = (error) => {
    // Callers log got's errors (their options and JSON carry the headers): keep our credentials out.
    const options = (error as { options?: { headers?: unknown } }).options;
    const entry = options === undefined ? undefined : sent.get(options);
    if (entry !== undefined && typeof options?.headers === 'object' && options.headers !== null) {
      removeCredentials(options.headers as Record<string, unknown>, entry.authorization);
    }
    // got wraps what a hook throws; the caller should get Forge's typed error.
    return (error.cause instanceof ForgeError ? error.cause : error) as RequestError;
  };

  return {
    beforeRequest: [beforeRequest],
    afterResponse: [afterResponse],
    beforeRedirect: [beforeRedirect],
    beforeError: [beforeError],
  };
}
