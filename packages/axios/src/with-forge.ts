import {
  type Authorization,
  ConfigurationError,
  type ForgeOptions,
  type ForgeRequestOptions,
  isForgeError,
} from '@forge/core';
import {
  type AuthorizerOrManager,
  createAdapter,
  type ForgeAdapter,
  type HeaderSource,
  type RedirectChain,
  type RequestLog,
  type Sent,
} from '@forge/core/adapter';
import type { AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';

declare module 'axios' {
  // No type parameters: a declaration may have fewer than the original, so this
  // one merges with axios 1.0's `<D>` as well as the `<D, P>` of later releases.
  interface AxiosRequestConfig {
    /**
     * What this request says to Forge: `{ key }` picks the manager's token
     * (tenant, user, scope) for this request instead of `ForgeOptions.key`.
     */
    forge?: ForgeRequestOptions | undefined;
  }
}

/** What was sent with one request, and what the caller asked for, so a retry starts from it rather than from what was signed. */
interface AxiosSent extends Sent {
  readonly url: string | undefined;
  readonly params: unknown;
  readonly data: unknown;
  readonly transformRequest: InternalAxiosRequestConfig['transformRequest'];
  readonly beforeRedirect: InternalAxiosRequestConfig['beforeRedirect'];
  readonly fetchOptions: InternalAxiosRequestConfig['fetchOptions'];
  readonly maxRedirects: InternalAxiosRequestConfig['maxRedirects'];
  /** Where its redirects stand, when Forge follows them itself (the fetch adapter). */
  readonly hop: Hop | undefined;
}

/** A redirect hop this adapter follows itself (axios's fetch adapter has no hook per hop). */
interface Hop {
  readonly chain: RedirectChain;
  /** Hops so far, bounded like fetch's own following. */
  readonly count: number;
  readonly permitted: boolean;
}

/**
 * Rides on a request Forge sends again itself (a retry after a 401, a redirect
 * hop), with what the previous send carried. An instance of a class, so
 * axios's `mergeConfig` hands it on as it is where it would copy a plain
 * object, and with private fields, which a logged config never shows.
 */
class Resend {
  readonly #previous: AxiosSent;

  constructor(
    /** A retry after a 401, rather than a redirect hop. */
    readonly retry: boolean,
    readonly hop: Hop | undefined,
    previous: AxiosSent,
  ) {
    this.#previous = previous;
  }

  get previous(): AxiosSent {
    return this.#previous;
  }
}

/**
 * What was sent with a config, kept on the config itself: a WeakMap entry
 * per request costs more than the rest of the interceptor. The key is a
 * symbol (skipped by JSON and by axios's `toJSON`) and the value keeps what
 * was sent in a private field, so `util.inspect` of a config shows no token.
 */
const SENT = Symbol('@forge/axios:sent');

class Remembered {
  readonly #sent: AxiosSent;

  constructor(sent: AxiosSent) {
    this.#sent = sent;
  }

  get sent(): AxiosSent {
    return this.#sent;
  }
}

type ForgeConfig = InternalAxiosRequestConfig & { forgeResend?: Resend; [SENT]?: Remembered };
type RedirectOptions = { href?: string; headers?: Record<string, unknown> };
type BeforeRedirect = (options: RedirectOptions, ...details: unknown[]) => void;

/** An interceptor as axios keeps it (`InterceptorManager#forEach`, public since 1.0). */
interface Interceptor {
  readonly fulfilled?: ((value: never) => unknown) | null;
  readonly rejected?: ((error: unknown) => unknown) | null;
  readonly synchronous?: boolean;
  readonly runWhen?: ((config: InternalAxiosRequestConfig) => boolean) | null;
}
interface Interceptors {
  use(
    fulfilled?: Interceptor['fulfilled'],
    rejected?: Interceptor['rejected'],
    options?: { synchronous?: boolean; runWhen?: Interceptor['runWhen'] },
  ): number;
  forEach(visit: (interceptor: Interceptor) => void): void;
}

const PKG = 'axios';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
// Never sent to another origin, whoever set them (fetch's and undici's rule).
const CROSS_ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const FORM = 'application/x-www-form-urlencoded';
// axios gives these methods a form content type, after the interceptors, when none is set.
const FORM_BY_DEFAULT = new Set(['post', 'put', 'patch']);

// The fetch adapter lets `fetch` follow redirects, and `beforeRedirect` never
// runs there: this adapter then asks for manual redirects and follows them.
function usesFetch(config: InternalAxiosRequestConfig): boolean {
  const { adapter } = config;
  return adapter === 'fetch' || (Array.isArray(adapter) && adapter[0] === 'fetch');
}

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

function deleteHeader(config: InternalAxiosRequestConfig, name: string): void {
  const headers = config.headers as unknown as { delete?(name: string): unknown } & Record<
    string,
    unknown
  >;
  if (typeof headers.delete === 'function') headers.delete(name);
  else {
    for (const held of Object.keys(headers)) {
      if (held.toLowerCase() === name) delete headers[held];
    }
  }
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

/**
 * The request headers as the server will get them: axios declares a form
 * content type for `URLSearchParams` and for a bare string POST only after the
 * interceptors, and an authorizer must see it to treat the body as a form.
 */
function requestHeaders(
  forge: ForgeAdapter,
  config: InternalAxiosRequestConfig,
  method: string,
): HeaderSource {
  const { data } = config;
  if (
    !(data instanceof URLSearchParams) &&
    !(typeof data === 'string' && FORM_BY_DEFAULT.has(method))
  ) {
    return config.headers;
  }
  const headers = forge.headers(config.headers);
  headers['content-type'] ??= FORM;
  return headers;
}

function isInterceptors(value: unknown): value is Interceptors {
  return (
    typeof (value as Partial<Interceptors> | undefined)?.use === 'function' &&
    typeof (value as Partial<Interceptors> | undefined)?.forEach === 'function'
  );
}

function checkInstance(instance: unknown): asserts instance is AxiosInstance {
  const candidate = instance as Partial<AxiosInstance> | null;
  if (
    (typeof instance !== 'object' && typeof instance !== 'function') ||
    candidate === null ||
    typeof candidate.create !== 'function' ||
    typeof candidate.request !== 'function' ||
    !isInterceptors(candidate.interceptors?.request) ||
    !isInterceptors(candidate.interceptors?.response)
  ) {
    throw new ConfigurationError(
      'instance',
      'must be an axios instance (axios or axios.create({ baseURL }))',
      { package: PKG },
    );
  }
}

// Same order as on the argument; Forge's come after, as they would if added there.
function copyInterceptors(from: unknown, to: unknown): void {
  const source = from as Interceptors;
  const target = to as Interceptors;
  source.forEach(({ fulfilled, rejected, synchronous, runWhen }) => {
    target.use(fulfilled, rejected, { synchronous: synchronous === true, runWhen });
  });
}

/**
 * Returns a new axios instance whose requests are authorized; `instance`
 * stays as it was. The new one is made from `instance`'s defaults with its
 * interceptors copied, then Forge's added: a request interceptor that asks
 * the authorizer for credentials (only for allowed origins and paths), a
 * response interceptor that after a 401 renews the token and sends the
 * request again with the same key, and a redirect guard that never forwards
 * credentials where the policy does not allow them.
 *
 * Pass a `TokenManager` (wrapped with `bearer()`, `options.policy` and the
 * instance's `baseURL` as the default origin) or any `Authorizer`. A request
 * picks the manager's key with `{ forge: { key } }`; otherwise
 * `options.key(request)` is asked. The default axios instance has no
 * `baseURL`, so it needs `policy.origins`.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { withForge } from '@forge/axios';
 *
 * const api = withForge(axios.create({ baseURL: 'https://api.example.com' }), manager, {
 *   policy: { excludedPathPatterns: ['/public/**'] },
 * });
 * const { data } = await api.get('/orders');
 * const invoices = await api.get('/invoices', { forge: { key: { scope: 'invoices:read' } } });
 * ```
 */
export function withForge<TKey = never>(
  instance: AxiosInstance,
  authorizerOrManager: AuthorizerOrManager<TKey>,
  options?: ForgeOptions<TKey>,
): AxiosInstance {
  checkInstance(instance);
  const forge = createAdapter(authorizerOrManager, options, {
    package: PKG,
    baseURL: instance.defaults?.baseURL,
  });
  const client = instance.create();
  copyInterceptors(instance.interceptors.request, client.interceptors.request);
  copyInterceptors(instance.interceptors.response, client.interceptors.response);
  const recall = (config: object) => (config as ForgeConfig)[SENT]?.sent;
  const { log } = forge;
  // When each config's send started, for its log line; a resend is a config of its own.
  const started = new WeakMap<object, number>();

  // One line per send: the answer (any status), or the failure of a send that had none.
  const logSend = (
    log: RequestLog,
    config: InternalAxiosRequestConfig,
    response?: AxiosResponse,
    error?: unknown,
  ) => {
    log.exchange(
      {
        startedAt: started.get(config) ?? 0,
        method: config.method ?? 'get',
        url: requestURL(client, config),
        sent: recall(config),
        requestHeaders: config.headers as HeaderSource,
        requestBody: config.data,
        status: response?.status,
        responseHeaders: response?.headers as HeaderSource,
        responseBody: response?.data,
      },
      error,
    );
  };

  const guardRedirects = (config: ForgeConfig, url: string, authorization: Authorization) => {
    const own = config.beforeRedirect as BeforeRedirect | undefined;
    // Made on the first redirect: most requests have none, and this runs per request.
    let chain: RedirectChain | undefined;
    let current = url;
    config.beforeRedirect = ((redirect: RedirectOptions, ...details: unknown[]) => {
      const next = redirect.href ?? current;
      chain ??= forge.redirectChain();
      if (!chain.permits(current, next) && redirect.headers) {
        for (const name of Object.keys(redirect.headers)) {
          if (name.toLowerCase() in authorization.headers) delete redirect.headers[name];
        }
      }
      current = next;
      own?.(redirect, ...details);
    }) as InternalAxiosRequestConfig['beforeRedirect'];
  };

  client.interceptors.request.use(async (input) => {
    const config = input as ForgeConfig;
    if (log !== undefined) started.set(config, log.start());
    const again = config.forgeResend;
    const previous = again?.previous;
    const hop = again?.hop;
    // A hop after the chain broke goes without credentials; fetch may follow the rest.
    if (hop?.permitted === false) return config;
    const retry = again?.retry === true;
    const url = requestURL(client, config);
    const { data, transformRequest } = config;
    if (forge.signsBody && config.data !== undefined) serializeNow(config);
    const method = (config.method ?? 'get').toLowerCase();
    const sent = await forge.authorize({
      method,
      url,
      headers: requestHeaders(forge, config, method),
      body: config.data,
      forge: config.forge,
      // A retry keeps the key and counts an attempt; a redirect hop keeps both.
      retryOf: retry ? previous : undefined,
      continues: retry ? undefined : previous,
    });
    if (sent === undefined) return config;
    const { authorization } = sent;
    const { fetchOptions, beforeRedirect, maxRedirects } = config;
    let follow: Hop | undefined;
    if (usesFetch(config)) {
      const init = (fetchOptions ?? {}) as RequestInit;
      if ((init.redirect ?? 'follow') === 'follow') {
        config.fetchOptions = { ...init, redirect: 'manual' };
        follow = hop ?? { chain: forge.redirectChain(), count: 0, permitted: true };
      }
    } else if ('dpop' in authorization.headers && (hop !== undefined || maxRedirects !== 0)) {
      // A DPoP proof names its URL: the http adapter would send it unchanged
      // to the next hop, so Forge follows redirects itself, with a proof per hop.
      config.maxRedirects = 0;
      follow = hop ?? { chain: forge.redirectChain(), count: 0, permitted: true };
    } else {
      guardRedirects(config, authorization.url ?? url, authorization);
    }
    const entry: AxiosSent = {
      request: sent.request,
      authorization,
      url: config.url,
      params: config.params,
      data,
      transformRequest,
      beforeRedirect,
      fetchOptions,
      maxRedirects,
      hop: follow,
    };
    config[SENT] = new Remembered(entry);
    forge.setCredentials(config.headers, sent);
    if (authorization.url !== undefined) {
      config.url = authorization.url;
      config.params = undefined;
    }
    if (authorization.body !== undefined) config.data = authorization.body;
    return config;
  });

  // Sends `config` again through the new instance, remembering what `entry` sent.
  const resend = (config: ForgeConfig, entry: AxiosSent, retry: boolean, hop: Hop | undefined) => {
    config.forgeResend = new Resend(retry, hop, entry);
    return client.request(config);
  };

  // Follows a redirect the fetch adapter handed back (see usesFetch), judging
  // the hop as part of the chain; `undefined` when the response is no such redirect.
  const followRedirect = (
    response: AxiosResponse,
    entry: AxiosSent,
  ): Promise<AxiosResponse> | undefined => {
    const config = response.config as ForgeConfig;
    const { hop } = entry;
    if (hop === undefined || !REDIRECT_STATUSES.has(response.status)) return undefined;
    const location = forge.headers(response.headers as HeaderSource).location;
    if (location === undefined) return undefined;
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
    forge.removeCredentials(config.headers, entry);
    if (new URL(from).origin !== next.origin) {
      for (const name of CROSS_ORIGIN_HEADERS) deleteHeader(config, name);
    }
    const permitted = hop.chain.permits(from, next.href);
    const redirected = {
      ...config,
      // The caller's own: Forge asks for manual redirects again while the chain
      // holds; once it broke no hop gets credentials and fetch follows the rest.
      fetchOptions: entry.fetchOptions,
      maxRedirects: entry.maxRedirects,
      url: next.href,
      baseURL: undefined,
      params: undefined,
      method: toGet ? 'get' : method,
      data: toGet ? undefined : entry.data,
      transformRequest: entry.transformRequest,
    } as ForgeConfig;
    return resend(redirected, entry, false, { chain: hop.chain, count: hop.count + 1, permitted });
  };

  // After a 401: whether the request is sent again, with the caller's own url, body and hooks.
  const retryAfter401 = async (response: AxiosResponse, entry: AxiosSent): Promise<boolean> => {
    const config = response.config as ForgeConfig;
    if (
      !(await forge.renew(entry, response as { status: number; headers: HeaderSource }, entry.data))
    ) {
      return false;
    }
    forge.removeCredentials(config.headers, entry);
    config.url = entry.url;
    config.params = entry.params;
    config.data = entry.data;
    config.transformRequest = entry.transformRequest;
    config.beforeRedirect = entry.beforeRedirect;
    config.fetchOptions = entry.fetchOptions;
    config.maxRedirects = entry.maxRedirects;
    return true;
  };

  client.interceptors.response.use(
    async (response) => {
      if (log !== undefined) logSend(log, response.config, response);
      const entry = recall(response.config);
      if (entry === undefined) return response;
      if (forge.observesResponses)
        forge.observe(entry, response as { status: number; headers: HeaderSource });
      forge.forgetSentHeaders(response.request, entry);
      const redirected = followRedirect(response, entry);
      if (redirected !== undefined) return redirected;
      if (response.status !== 401 || !(await retryAfter401(response, entry))) return response;
      return resend(response.config, entry, true, entry.hop);
    },
    async (error: unknown) => {
      const response = (error as { response?: AxiosResponse } | null)?.response;
      const failed = (error as { config?: InternalAxiosRequestConfig } | null)?.config;
      // A request Forge could not authorize was never sent: no line.
      if (log !== undefined && failed !== undefined && !isForgeError(error)) {
        logSend(log, failed, response, response === undefined ? error : undefined);
      }
      const answered = response === undefined ? undefined : recall(response.config);
      if (response !== undefined && answered !== undefined) {
        if (forge.observesResponses)
          forge.observe(answered, response as { status: number; headers: HeaderSource });
        forge.forgetSentHeaders(response.request, answered);
        const redirected = followRedirect(response, answered);
        if (redirected !== undefined) return redirected;
        if (response.status === 401 && (await retryAfter401(response, answered))) {
          return resend(response.config, answered, true, answered.hop);
        }
      }
      // Callers log AxiosErrors (their toJSON carries the config): keep our credentials out.
      // Removing them, rather than masking, lets a retry of error.config be authorized afresh.
      const config = (error as { config?: InternalAxiosRequestConfig } | null)?.config;
      const entry = config ? recall(config) : undefined;
      if (config && entry) {
        forge.removeCredentials(config.headers, entry);
        forge.forgetSentHeaders((error as { request?: unknown }).request, entry);
        hideRequest(error);
        hideRequest(response);
      }
      throw error;
    },
  );

  return client;
}
