import {
  type Authorization,
  type AuthorizationRequest,
  type AuthorizerOrManager,
  authorizationBody,
  authorizeRequest,
  ConfigurationError,
  isReplayableBody,
  REDACTED,
  type RedirectChain,
  type RequestPolicyOptions,
  redirectChain,
  resolveAuthorizer,
  retryAfterUnauthorized,
} from '@forge/core';
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/**
 * Options of {@link withForge}: the request policy when a token manager is
 * passed (`origins`, `excludedPaths`, `excludedPathPatterns`,
 * `overrideAuthorization`, `retry`). The instance's `baseURL` origin is always allowed.
 */
export type ForgeAxiosOptions = RequestPolicyOptions;

interface Sent {
  readonly request: AuthorizationRequest;
  readonly authorization: Authorization;
  // What the caller asked for, so a retry starts from it rather than from what was signed.
  readonly url: string | undefined;
  readonly params: unknown;
  readonly data: unknown;
  readonly transformRequest: InternalAxiosRequestConfig['transformRequest'];
  readonly beforeRedirect: InternalAxiosRequestConfig['beforeRedirect'];
}

/** A redirect hop this adapter follows itself (axios's fetch adapter has no hook per hop). */
interface Hop {
  readonly chain: RedirectChain;
  /** Hops so far, bounded like fetch's own following. */
  readonly count: number;
  readonly permitted: boolean;
}

type ForgeConfig = InternalAxiosRequestConfig & { forgeAttempt?: number; forgeHop?: Hop };
type RedirectOptions = { href?: string; headers?: Record<string, unknown> };
type BeforeRedirect = (options: RedirectOptions, ...details: unknown[]) => void;

const PKG = 'axios';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
// Never sent to another origin, whoever set them (fetch's and undici's rule).
const CROSS_ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

// The fetch adapter lets `fetch` follow redirects, and `beforeRedirect` never
// runs there: this adapter then asks for manual redirects and follows them.
function usesFetch(config: InternalAxiosRequestConfig): boolean {
  const { adapter } = config;
  return adapter === 'fetch' || (Array.isArray(adapter) && adapter[0] === 'fetch');
}
const FORM = 'application/x-www-form-urlencoded';

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const record: Record<string, string> = {};
  const source =
    typeof (headers as { toJSON?: unknown })?.toJSON === 'function'
      ? (headers as { toJSON(asStrings: boolean): Record<string, unknown> }).toJSON(true)
      : (headers as Record<string, unknown> | undefined);
  for (const name in source) {
    const value = source[name];
    if (typeof value === 'string') record[name.toLowerCase()] = value;
  }
  return record;
}

// axios gives these methods a form content type, after the interceptors, when none is set.
const FORM_BY_DEFAULT = new Set(['post', 'put', 'patch']);

type Transform = (this: InternalAxiosRequestConfig, data: unknown, headers: unknown) => unknown;

/**
 * Serializes the body now, with the request's own `transformRequest` chain
 * (axios's JSON and form serialization, and any the caller added), then
 * switches the chain off for this send so it runs once. A signer then sees
 * exactly the bytes axios sends, whatever the caller's transforms do.
 */
function serializeNow(config: InternalAxiosRequestConfig): void {
  const headers = config.headers as unknown as { normalize?(format: boolean): unknown };
  // Another interceptor replaced axios's headers object: leave serialization to axios.
  if (typeof headers?.normalize !== 'function') return;
  const chain = config.transformRequest;
  const transforms = (Array.isArray(chain) ? chain : chain ? [chain] : []) as Transform[];
  let data: unknown = config.data;
  for (const transform of transforms) data = transform.call(config, data, headers.normalize(false));
  config.data = data;
  config.transformRequest = [];
}

/** Removes the headers an authorization set, where they still hold its values. */
function removeCredentials(config: InternalAxiosRequestConfig, authorization: Authorization): void {
  const current = lowerCaseHeaders(config.headers);
  for (const name in authorization.headers) {
    if (current[name] === authorization.headers[name]) setHeader(config, name, undefined);
  }
}

const OUT_HEADERS = 'kOutHeaders';
let outHeaders: symbol | undefined;

/**
 * Node's `ClientRequest` (and follow-redirects' wrapper around it) keeps the
 * headers it sent: as the raw header block (`_header`), in its header map, and
 * in the options of each hop. An `AxiosError` carries that request, and through
 * its keep-alive socket every later request on the same connection, so
 * `util.inspect(error)` would print a token. Once a response has arrived the
 * request is finished: our values are replaced where it kept them, for every
 * request Forge authorized, so none is left for an error to reach later.
 */
function forgetSentHeaders(request: unknown, authorization: Authorization, depth = 0): void {
  if (typeof request !== 'object' || request === null || depth > 2) return;
  const record = request as Record<string | symbol, unknown>;
  if (typeof record._header === 'string') {
    let header = record._header;
    for (const name in authorization.headers) {
      const value = authorization.headers[name] as string;
      if (header.includes(value)) header = header.split(value).join(REDACTED);
    }
    record._header = header;
    outHeaders ??= Object.getOwnPropertySymbols(record).find(
      (symbol) => symbol.description === OUT_HEADERS,
    );
    if (outHeaders !== undefined) forgetInMap(record[outHeaders], authorization);
  }
  const options = record._options as { headers?: unknown } | undefined;
  if (options !== undefined) forgetInMap(options.headers, authorization);
  forgetSentHeaders(record._currentRequest, authorization, depth + 1);
  forgetSentHeaders(record._redirectable, authorization, depth + 1);
}

/**
 * Keeps `request` readable but out of `util.inspect` and `JSON.stringify`:
 * through its socket it reaches whatever request used the connection later
 * (a redirect hop that was never answered, say), and logging an error must not
 * print that request's headers.
 */
function hideRequest(holder: unknown): void {
  if (typeof holder !== 'object' || holder === null || !('request' in holder)) return;
  Object.defineProperty(holder, 'request', { enumerable: false });
}

// Header maps hold `name: value` (follow-redirects) or `name: [name, value]` (Node).
function forgetInMap(map: unknown, authorization: Authorization): void {
  if (typeof map !== 'object' || map === null) return;
  const record = map as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const ours = authorization.headers[name.toLowerCase()];
    if (ours === undefined) continue;
    const value = record[name];
    const held = Array.isArray(value) ? value[1] : value;
    if (held === ours) delete record[name];
  }
}

const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * The absolute URL axios will request. `instance.getUri(config)` merges the
 * instance defaults into the config again, which costs more than the rest of
 * the interceptor; the config an interceptor sees is already merged, so
 * without `params` joining `baseURL` and `url` the way axios does is enough.
 */
function requestURL(instance: AxiosInstance, config: InternalAxiosRequestConfig): string {
  const { baseURL, url = '', params } = config;
  if (params !== undefined && params !== null) return instance.getUri(config);
  if (!baseURL || (ABSOLUTE_URL.test(url) && config.allowAbsoluteUrls !== false)) return url;
  return url ? `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}` : baseURL;
}

function setHeader(
  config: InternalAxiosRequestConfig,
  name: string,
  value: string | undefined,
): void {
  const headers = config.headers as unknown as {
    set?(name: string, value: string): void;
    delete?(name: string): void;
  } & Record<string, unknown>;
  if (value === undefined) {
    if (typeof headers.delete === 'function') headers.delete(name);
    else delete headers[name];
  } else if (typeof headers.set === 'function') headers.set(name, value);
  else headers[name] = value;
}

/**
 * Keeps an axios instance's requests authorized: installs a request
 * interceptor that asks the authorizer for credentials (only for allowed
 * origins and paths), a response interceptor that after a 401 renews the token
 * and sends the request again through the same instance, and a redirect guard
 * that never forwards credentials to another origin. Returns a function that
 * removes both interceptors.
 *
 * Pass a `TokenManager` (wrapped with `bearer()` using the instance's `baseURL`
 * and `options`) or any `Authorizer`. The default axios instance has no
 * `baseURL`, so it needs `options.origins`.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { withForge } from '@forge/axios';
 *
 * const api = axios.create({ baseURL: 'https://api.example.com' });
 * const eject = withForge(api, manager, { excludedPathPatterns: ['/public/**'] });
 * const { data } = await api.get('/orders');
 * eject();
 * ```
 */
export function withForge(
  instance: AxiosInstance,
  authorizerOrManager: AuthorizerOrManager,
  options?: ForgeAxiosOptions,
): () => void {
  if (
    (typeof instance !== 'object' && typeof instance !== 'function') ||
    instance === null ||
    typeof instance.interceptors?.request?.use !== 'function' ||
    typeof instance.request !== 'function'
  ) {
    throw new ConfigurationError(
      'instance',
      'must be an axios instance (axios or axios.create({ baseURL }))',
      { package: PKG },
    );
  }
  const authorizer = resolveAuthorizer(
    authorizerOrManager,
    options,
    instance.defaults?.baseURL,
    PKG,
  );
  const sent = new WeakMap<object, Sent>();

  const guardRedirects = (config: ForgeConfig, url: string, authorization: Authorization) => {
    const own = config.beforeRedirect as BeforeRedirect | undefined;
    // Made on the first redirect: most requests have none, and this runs per request.
    let chain: RedirectChain | undefined;
    let current = url;
    config.beforeRedirect = ((redirect: RedirectOptions, ...details: unknown[]) => {
      const next = redirect.href ?? current;
      chain ??= redirectChain(authorizer);
      if (!chain.permits(current, next) && redirect.headers) {
        for (const name of Object.keys(redirect.headers)) {
          if (name.toLowerCase() in authorization.headers) delete redirect.headers[name];
        }
      }
      current = next;
      own?.(redirect, ...details);
    }) as InternalAxiosRequestConfig['beforeRedirect'];
  };

  const requestId = instance.interceptors.request.use(async (input) => {
    const config = input as ForgeConfig;
    // A hop after the chain broke goes without credentials; fetch may follow the rest.
    if (config.forgeHop?.permitted === false) return config;
    const url = requestURL(instance, config);
    const original = { data: config.data, transformRequest: config.transformRequest };
    if (authorizer.signsBody === true && config.data !== undefined) serializeNow(config);
    const headers = lowerCaseHeaders(config.headers);
    const method = (config.method ?? 'get').toLowerCase();
    // axios sets these content types only after the interceptors.
    if (
      config.data instanceof URLSearchParams ||
      (typeof config.data === 'string' && FORM_BY_DEFAULT.has(method))
    ) {
      headers['content-type'] ??= FORM;
    }
    const request: AuthorizationRequest = {
      method: method.toUpperCase(),
      url,
      headers,
      body: authorizationBody(authorizer, config.data, headers['content-type']),
      attempt: config.forgeAttempt ?? 0,
    };
    const authorization = await authorizeRequest(authorizer, request, PKG);
    if (authorization === undefined) return config;
    sent.set(config, {
      request,
      authorization,
      url: config.url,
      params: config.params,
      data: original.data,
      transformRequest: original.transformRequest,
      beforeRedirect: config.beforeRedirect,
    });
    for (const name in authorization.headers) {
      setHeader(config, name, authorization.headers[name]);
    }
    if (authorization.url !== undefined) {
      config.url = authorization.url;
      config.params = undefined;
    }
    if (authorization.body !== undefined) config.data = authorization.body;
    if (usesFetch(config)) {
      const fetchOptions = (config.fetchOptions ?? {}) as RequestInit;
      if ((fetchOptions.redirect ?? 'follow') === 'follow') {
        config.fetchOptions = { ...fetchOptions, redirect: 'manual' };
        config.forgeHop ??= { chain: redirectChain(authorizer), count: 0, permitted: true };
      }
    } else {
      guardRedirects(config, authorization.url ?? url, authorization);
    }
    return config;
  });

  // Follows a redirect the fetch adapter handed back (see usesFetch), judging
  // the hop as part of the chain; `undefined` when the response is no such redirect.
  const followRedirect = (response: AxiosResponse): Promise<AxiosResponse> | undefined => {
    const config = response.config as ForgeConfig;
    const entry = sent.get(config);
    const hop = config.forgeHop;
    const location = lowerCaseHeaders(response.headers).location;
    if (
      entry === undefined ||
      hop === undefined ||
      !REDIRECT_STATUSES.has(response.status) ||
      location === undefined
    ) {
      return undefined;
    }
    if (hop.count >= MAX_REDIRECTS) {
      return Promise.reject(new TypeError('redirect count exceeded'));
    }
    const from = entry.authorization.url ?? entry.request.url;
    const next = new URL(location, from);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      return Promise.reject(new TypeError(`the server redirected to a ${next.protocol} URL`));
    }
    const method = (config.method ?? 'get').toLowerCase();
    const toGet =
      (response.status === 303 && method !== 'get' && method !== 'head') ||
      ((response.status === 301 || response.status === 302) && method === 'post');
    removeCredentials(config, entry.authorization);
    if (new URL(from).origin !== next.origin) {
      for (const name of CROSS_ORIGIN_HEADERS) setHeader(config, name, undefined);
    }
    const permitted = hop.chain.permits(from, next.href);
    return instance.request({
      ...config,
      // Once the chain broke no hop gets credentials: fetch may follow the rest itself.
      fetchOptions: permitted
        ? config.fetchOptions
        : { ...config.fetchOptions, redirect: 'follow' },
      url: next.href,
      baseURL: undefined,
      params: undefined,
      method: toGet ? 'get' : method,
      data: toGet ? undefined : entry.data,
      transformRequest: entry.transformRequest,
      forgeHop: {
        chain: hop.chain,
        count: hop.count + 1,
        permitted: hop.chain.permits(from, next.href),
      },
    } as ForgeConfig);
  };

  const onUnauthorized = async (response: AxiosResponse): Promise<boolean> => {
    const config = response.config as ForgeConfig | undefined;
    const entry = config === undefined ? undefined : sent.get(config);
    if (config === undefined || entry === undefined) return false;
    const retry = await retryAfterUnauthorized(
      authorizer,
      entry.request,
      { status: response.status, headers: lowerCaseHeaders(response.headers) },
      entry.authorization,
      isReplayableBody(entry.data),
      PKG,
    );
    if (!retry) return false;
    removeCredentials(config, entry.authorization);
    config.url = entry.url;
    config.params = entry.params;
    config.data = entry.data;
    config.transformRequest = entry.transformRequest;
    config.beforeRedirect = entry.beforeRedirect;
    config.forgeAttempt = entry.request.attempt + 1;
    return true;
  };

  const responseId = instance.interceptors.response.use(
    async (response) => {
      const entry = sent.get(response.config);
      if (entry !== undefined) forgetSentHeaders(response.request, entry.authorization);
      const redirected = followRedirect(response);
      if (redirected !== undefined) return redirected;
      if (response.status !== 401 || !(await onUnauthorized(response))) return response;
      return instance.request(response.config);
    },
    async (error: unknown) => {
      const response = (error as { response?: AxiosResponse } | null)?.response;
      const answered = response === undefined ? undefined : sent.get(response.config);
      if (answered !== undefined) forgetSentHeaders(response?.request, answered.authorization);
      const redirected = response === undefined ? undefined : followRedirect(response);
      if (redirected !== undefined) return redirected;
      if (response?.status === 401 && (await onUnauthorized(response))) {
        return instance.request(response.config);
      }
      // Callers log AxiosErrors (their toJSON carries the config): keep our credentials out.
      // Removing them, rather than masking, lets a retry of error.config be authorized afresh.
      const config = (error as { config?: InternalAxiosRequestConfig } | null)?.config;
      const entry = config ? sent.get(config) : undefined;
      if (config && entry) {
        removeCredentials(config, entry.authorization);
        forgetSentHeaders((error as { request?: unknown }).request, entry.authorization);
        hideRequest(error);
        hideRequest(response);
      }
      throw error;
    },
  );

  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}
