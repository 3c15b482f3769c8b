import { ConfigurationError, ForgeError, type ForgeOptions } from '@forge/core';
import {
  type AuthorizerOrManager,
  createAdapter,
  type ForgeAdapter,
  type HeaderSource,
  type RedirectChain,
  type RequestLog,
  type Sent,
} from '@forge/core/adapter';
import type {
  AfterResponseHook,
  BeforeErrorHook,
  BeforeRedirectHook,
  BeforeRequestHook,
  PlainResponse,
  RequestError,
} from 'got';

/**
 * The part of a got instance (got 14 to 16) that {@link withForge} uses: its
 * defaults, whose `prefixUrl` is the default origin, and `extend`.
 */
export interface GotInstance {
  readonly defaults: { readonly options: { readonly prefixUrl: string | URL } };
  extend(...instancesOrOptions: never[]): unknown;
}

/**
 * One request and every request got makes from it: its redirect hops and its
 * resends (got's own retries, Forge's after a 401). They run one after the
 * other, so the last one's credentials are what the next finds on its headers.
 * got's errors carry the context it lives in: what was sent sits in a private
 * field, which neither a log (`util.inspect`) nor JSON shows, and costs less
 * per request than a WeakMap entry.
 */
class Lineage {
  /** The redirect hops so far, judged as a whole. */
  chain: RedirectChain | undefined = undefined;
  /** Set once a hop went without credentials: every later hop and resend goes without too. */
  withheld = false;
  /** Set by `afterResponse` before Forge's resend after a 401. */
  retrying = false;
  /** When the current send started, for its log line (`ForgeOptions.log`). */
  startedAt = 0;
  /** Set by `beforeRedirect`: the hop continues the send, and its log line. */
  hopping = false;
  #sent: Sent | undefined;

  /** What the last send carried; `undefined` when it went without credentials. */
  get sent(): Sent | undefined {
    return this.#sent;
  }

  set sent(sent: Sent | undefined) {
    this.#sent = sent;
  }
}

const PKG = 'got';
// Kept in the request's `context`, which got copies (symbols included) into the
// options of every redirect hop and retry it makes; a symbol stays out of JSON
// and of got's option merges.
const LINEAGE = Symbol('@forge/got:lineage');

function lineageOf(options: { readonly context?: unknown } | undefined): Lineage | undefined {
  return (options?.context as Record<symbol, Lineage | undefined> | undefined)?.[LINEAGE];
}

/**
 * got's request headers as the kit changes them. got keeps header names in
 * lower case, so one lookup per name does: walking got 16's headers, a Proxy,
 * costs more than the rest of the work Forge does per request.
 */
class GotHeaders {
  readonly #headers: Record<string, unknown>;

  constructor(options: { readonly headers: unknown }) {
    this.#headers = options.headers as Record<string, unknown>;
  }

  get(name: string): unknown {
    return this.#headers[name];
  }

  set(name: string, value: string): void {
    this.#headers[name] = value;
  }

  delete(name: string): void {
    delete this.#headers[name];
  }
}

// What the authorizer reads. got 16's getInternalHeaders() hands the object
// behind the headers Proxy, much cheaper to copy; got 14 has no Proxy.
function readHeaders(options: { readonly headers: unknown }): HeaderSource {
  const internal = (options as { getInternalHeaders?: () => HeaderSource }).getInternalHeaders;
  return typeof internal === 'function'
    ? internal.call(options)
    : (options.headers as HeaderSource);
}

function isGot(value: unknown): value is GotInstance {
  return (
    typeof value === 'function' &&
    typeof (value as Partial<GotInstance>).extend === 'function' &&
    typeof (value as Partial<GotInstance>).defaults?.options === 'object'
  );
}

// got serializes `json` (with the instance's `stringifyJson`) and `form` into
// `body`, and sets their content type, before beforeRequest runs: the body
// read here is the text got sends.
function clientBody(options: { readonly form?: unknown; readonly body?: unknown }): unknown {
  if (options.form !== undefined && options.form !== null) {
    return new URLSearchParams(options.form as Record<string, string>);
  }
  return options.body;
}

function hooks(forge: ForgeAdapter) {
  const { log } = forge;

  // One line per send that got an answer (got follows redirects before it hands one over).
  const logAnswer = (log: RequestLog, response: PlainResponse & { body?: unknown }) => {
    const { options } = response.request;
    const lineage = lineageOf(options);
    log.exchange({
      startedAt: lineage?.startedAt ?? 0,
      method: options.method,
      url: response.url || String(options.url),
      sent: lineage?.sent,
      requestHeaders: readHeaders(options),
      requestBody: log.bodies ? clientBody(options) : undefined,
      status: response.statusCode,
      responseHeaders: response.headers,
      responseBody: response.body,
    });
  };
  const beforeRequest: BeforeRequestHook = async (options) => {
    const context = options.context as Record<string | symbol, unknown>;
    let lineage = context[LINEAGE] as Lineage | undefined;
    if (lineage === undefined) {
      lineage = new Lineage();
      context[LINEAGE] = lineage;
    }
    if (log !== undefined && !lineage.hopping) lineage.startedAt = log.start();
    lineage.hopping = false;
    const headers = new GotHeaders(options);
    const previous = lineage.sent;
    // A hop or a resend starts from a copy of the previous options, our
    // headers included: they are ours, not the caller's.
    forge.removeCredentials(headers, previous);
    const { retrying } = lineage;
    lineage.retrying = false;
    if (lineage.withheld) {
      lineage.sent = undefined;
      return;
    }
    const sent = await forge.authorize({
      method: options.method,
      url: String(options.url),
      headers: readHeaders(options),
      body: clientBody(options),
      forge: context.forge,
      retryOf: retrying ? previous : undefined,
      continues: retrying ? undefined : previous,
    });
    if (sent === undefined) {
      lineage.sent = undefined;
      return;
    }
    forge.setCredentials(headers, sent);
    const { authorization } = sent;
    if (authorization.url !== undefined) options.url = authorization.url;
    if (authorization.body !== undefined) {
      options.form = undefined;
      options.body = authorization.body;
      // got 14 computed the length from the old body before this hook ran.
      headers.set('content-length', String(new TextEncoder().encode(authorization.body).length));
    }
    lineage.sent = sent;
  };

  const afterResponse: AfterResponseHook = async (response, retryWithMergedOptions) => {
    if (log !== undefined) logAnswer(log, response);
    const { options } = response.request;
    const lineage = lineageOf(options);
    const sent = lineage?.sent;
    if (forge.observesResponses) {
      forge.observe(sent, { status: response.statusCode, headers: response.headers });
    }
    if (sent === undefined || lineage === undefined) return response;
    // The request is finished: the headers Node kept of it lose our values,
    // which a later error on the same keep-alive socket could reach.
    forge.forgetSentHeaders(response.request, sent);
    if (
      response.statusCode === 401 &&
      (await forge.renew(sent, { status: 401, headers: response.headers }, options.body))
    ) {
      lineage.retrying = true;
      try {
        // Keep this hook for the retry: the retry strategy, not got, bounds the attempts.
        return await retryWithMergedOptions({ preserveHooks: true });
      } catch (error) {
        // got 14 releases before `preserveHooks` reject it; they get one retry after a 401.
        if (!(error instanceof Error && error.message.includes('preserveHooks'))) throw error;
        return retryWithMergedOptions({});
      }
    }
    // The answer is final: its options, which a caller may log, lose our credentials too
    // (a retry of got's own starts in beforeRequest, which sets fresh ones). Through
    // the object behind got 16's headers Proxy: the Proxy costs more than the rest.
    forge.removeCredentials(new GotHeaders({ headers: readHeaders(options) }), sent);
    return response;
  };

  // got copies the options for each hop (our headers included) and then runs
  // beforeRequest on the copy: remove ours here, and let beforeRequest put
  // fresh ones back only while the chain of hops may keep them.
  const beforeRedirect: BeforeRedirectHook = (options, response) => {
    const lineage = lineageOf(options);
    if (lineage === undefined) return;
    const previous = lineage.sent;
    // A redirect may carry news for the authorizer too (a DPoP nonce).
    if (forge.observesResponses) {
      forge.observe(previous, { status: response.statusCode, headers: response.headers });
    }
    forge.removeCredentials(new GotHeaders(options), previous);
    lineage.hopping = true;
    lineage.chain ??= forge.redirectChain();
    const from = response.url || response.requestUrl.toString();
    if (previous === undefined || !lineage.chain.permits(from, String(options.url))) {
      lineage.withheld = true;
    }
  };

  const beforeError: BeforeErrorHook = (error) => {
    // Callers log got's errors (their options and JSON carry the headers): keep our credentials out.
    const { options } = error;
    const lineage = lineageOf(options);
    const sent = lineage?.sent;
    // A send that got no answer (an answer was logged by afterResponse; a
    // request Forge could not authorize was never sent).
    if (log !== undefined && error.response === undefined && !(error.cause instanceof ForgeError)) {
      log.exchange(
        {
          startedAt: lineage?.startedAt ?? 0,
          method: options.method,
          url: String(options.url),
          sent,
          requestHeaders: readHeaders(options),
          requestBody: log.bodies ? clientBody(options) : undefined,
        },
        error,
      );
    }
    if (lineage !== undefined) forge.removeCredentials(new GotHeaders(options), sent);
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

/**
 * Returns a new got instance, made with `got.extend({ hooks })`, that keeps
 * every request authorized; `got` itself is left as it was. Its `prefixUrl`
 * is the default origin for credentials. `beforeRequest` asks the authorizer
 * for credentials (only allowed origins and paths), `afterResponse` renews the
 * token after a 401 and retries with `retryWithMergedOptions`,
 * `beforeRedirect` judges each redirect hop, and `beforeError` hands the
 * caller Forge's typed error instead of got's wrapper. A request picks the
 * manager's key with `context: { forge: { key } }`, or `options.key` picks it.
 *
 * @example
 * ```ts
 * import got from 'got';
 * import { withForge } from '@forge/got';
 *
 * const api = withForge(got.extend({ prefixUrl: 'https://api.example.com' }), manager);
 * const orders = await api.get('orders').json();
 * const theirs = await api.get('orders', { context: { forge: { key: 'tenant-a' } } }).json();
 * ```
 */
export function withForge<T extends GotInstance, K = never>(
  got: T,
  authorizerOrManager: AuthorizerOrManager<K>,
  options?: ForgeOptions<K>,
): T {
  if (!isGot(got)) {
    throw new ConfigurationError(
      'got',
      'must be a got instance (got 14 to 16), e.g. withForge(got.extend({ prefixUrl }), manager)',
      { package: PKG },
    );
  }
  const { prefixUrl } = got.defaults.options;
  const forge = createAdapter(authorizerOrManager, options, {
    package: PKG,
    baseURL: prefixUrl === '' ? undefined : prefixUrl,
  });
  return (got.extend as (options: object) => T)({ hooks: hooks(forge) });
}
