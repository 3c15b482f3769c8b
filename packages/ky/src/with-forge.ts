import { ConfigurationError, type ForgeOptions, isForgeError } from '@forge/core';
import {
  type AuthorizerOrManager,
  createAdapter,
  type ForgeAdapter,
  type Sent,
} from '@forge/core/adapter';

/**
 * The defaults of a ky instance (ky 1 or 2) that {@link withForge} reads:
 * the base URL (ky 2 `prefix` or `baseUrl`, ky 1 `prefixUrl`), and what
 * Forge builds on (`fetch`, `redirect`).
 */
export interface KyDefaults {
  readonly prefix?: string | URL | undefined;
  readonly prefixUrl?: string | URL | undefined;
  readonly baseUrl?: string | URL | undefined;
  readonly fetch?:
    | ((input: string | URL | Request, init?: RequestInit) => Promise<Response>)
    | undefined;
  readonly redirect?: RequestRedirect | undefined;
}

/** The part of a ky instance (ky 1.14 or later, or ky 2) that {@link withForge} uses. */
export interface KyLike<T> {
  extend(options: (parent: KyDefaults) => object): T;
}

/** The options ky hands a hook (normalized, for this one request). */
interface HookOptions {
  readonly context: Context;
  readonly body?: unknown;
  /** ky 1: this request's own retry options, which ky reads when `fetch` throws. */
  readonly retry?: { limit: number };
}

/** What ky hands a hook: ky 2 one state object, ky 1 `(request, options, …)`. */
interface HookState {
  readonly request: Request;
  readonly options: HookOptions;
  readonly error?: unknown;
}

/**
 * One call of the ky instance, from the hooks, which see ky's options, to
 * Forge's `fetch`, which sees only the Request: the request's own Forge
 * options and body, and what was sent last. Kept in the call's `context`
 * (which ky makes anew for each call and hands every hook) and on each Request
 * of the call. ky's errors carry both, so everything sits in private fields:
 * neither a log (`util.inspect`) nor JSON of it shows the credentials.
 */
class Exchange {
  readonly #context: Context | undefined;
  readonly #forge: unknown;
  readonly #body: unknown;
  readonly #retry: { limit: number } | undefined;
  #sent: Sent | undefined;

  /** `options`: what ky handed the hooks; none for a Request they never saw. */
  constructor(options?: HookOptions, ky1 = false) {
    this.#context = options?.context;
    this.#forge = options?.context.forge;
    this.#body = options?.body;
    this.#retry = ky1 ? options?.retry : undefined;
  }

  /** Whether this exchange belongs to the call of `context` (not to one whose context was copied). */
  of(context: Context): boolean {
    return this.#context === context;
  }
  /** The request's own `forge` options (`context.forge`). */
  get forge(): unknown {
    return this.#forge;
  }
  /** The body as ky built it from the caller's `body` or `json`: what a resend sends again. */
  get body(): unknown {
    return this.#body;
  }
  /** What the last send of this call carried; a retry of ky's continues it (key, attempt). */
  get sent(): Sent | undefined {
    return this.#sent;
  }
  set sent(sent: Sent | undefined) {
    this.#sent = sent;
  }
  /**
   * ky 1 retries whatever `fetch` throws: a request Forge could not authorize
   * goes to the caller at once. ky 1 reads the retry options it handed the
   * hook, this request's own, when it decides.
   */
  refuseRetries(): void {
    if (this.#retry !== undefined) this.#retry.limit = 0;
  }
}

// The Exchange of a call, in its `context` and on its Requests. A symbol stays
// out of JSON and out of undici's inspect of a Request; the kit's `remember`
// (a WeakMap) would cost about 1 µs a request here, a third of what Forge may
// add to ky (bench/adapter-overhead.bench.ts).
const EXCHANGE = Symbol('@forge/ky:exchange');

/** ky's per-call `context`: the caller's, plus Forge's exchange. */
type Context = Record<string, unknown> & { [EXCHANGE]?: Exchange };

/** A Request ky hands `fetch`, with the exchange of its call. */
type Carrier = Request & { [EXCHANGE]?: Exchange };

type Fetch = (input: Request | string, init?: RequestInit) => Promise<Response>;

const PKG = 'ky';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// The answers Forge's `fetch` acts on: redirects it follows, and a 401.
const ANSWERED_BY_FORGE = new Set([...REDIRECT_STATUSES, 401]);

// The origin the instance's requests go to: ky joins `prefix` (ky 2) or
// `prefixUrl` (ky 1) before the path, and resolves the result against
// `baseUrl` (ky 2). A relative one (a browser page's) names no origin here.
function clientBase(parent: KyDefaults): string | undefined {
  const prefix = parent.prefix || parent.prefixUrl || undefined;
  const base = parent.baseUrl || undefined;
  if (prefix === undefined && base === undefined) return undefined;
  try {
    return new URL(String(prefix ?? base), base === undefined ? undefined : String(base)).href;
  } catch {
    return undefined;
  }
}

// The request to send with credentials (already on `current.headers`): the
// same Request, unless the authorizer replaced its URL or body (a signer) or
// its redirects must go manual; `body` is sent again when it has been read.
function sendable(
  current: Request,
  url: string,
  body: BodyInit | null | undefined,
  redirect: RequestRedirect,
): Request {
  if (url === current.url && body === null && redirect === current.redirect) return current;
  const init = { headers: current.headers, redirect, duplex: 'half' } as RequestInit;
  if (body !== null) init.body = body;
  if (url === current.url) return new Request(current, init);
  return new Request(url, {
    ...init,
    method: current.method,
    body: body ?? current.body,
    signal: current.signal,
    credentials: current.credentials,
  });
}

function ignore(): void {
  // A body nobody reads any more: cancelling it may fail, and that is fine.
}

/**
 * Returns a new ky instance, made with `ky.extend()`, whose requests stay
 * authorized; the instance you pass is unchanged. Its `prefix` (ky 2),
 * `prefixUrl` (ky 1) or `baseUrl` is the default origin for credentials.
 * A request picks the manager's key with `context: { forge: { key } }`.
 * Works with ky 1.14 and later and with ky 2.
 *
 * The instance's `fetch` (yours, or the platform's) is wrapped: it asks the
 * authorizer for credentials for each request it sends (ky's retries
 * included), follows redirects, judging every hop, and after a 401 renews the
 * token and sends the request once more. The renewal is Forge's, not one of
 * ky's retries: `retry: 0` leaves it on.
 *
 * @example
 * ```ts
 * import ky from 'ky';
 * import { withForge } from '@forge/ky';
 *
 * const api = withForge(ky.create({ prefix: 'https://api.example.com' }), manager, {
 *   policy: { excludedPathPatterns: ['/public/**'] },
 * });
 * const orders = await api.get('orders').json();
 * const invoices = await api.get('invoices', { context: { forge: { key: 'tenant-a' } } }).json();
 * ```
 */
export function withForge<T extends KyLike<T>, TKey = never>(
  ky: T,
  authorizerOrManager: AuthorizerOrManager<TKey>,
  options?: ForgeOptions<TKey>,
): T {
  if (
    (typeof ky !== 'function' && typeof ky !== 'object') ||
    ky === null ||
    typeof ky.extend !== 'function'
  ) {
    throw new ConfigurationError(
      'ky',
      'must be a ky instance (ky, ky.create() or ky.extend()) from ky 1.14 or later',
      { package: PKG },
    );
  }
  // ky calls this at once, with the instance's own options.
  return ky.extend((parent) => {
    const forge = createAdapter(authorizerOrManager, options, {
      package: PKG,
      baseURL: clientBase(parent),
    });
    return kyOptions(forge, parent);
  });
}

function kyOptions(forge: ForgeAdapter, parent: KyDefaults): object {
  // The instance's default `redirect` becomes 'manual' unless it asks for
  // 'manual' or 'error' itself (those redirects are the caller's). ky then
  // builds every Request with it at once: none is rebuilt to switch its mode.
  // A request's own `redirect: 'manual'` cannot be told from this default
  // (ky hands hooks the merged options), so Forge follows those redirects too.
  const forgeManual = parent.redirect === undefined || parent.redirect === 'follow';

  // Forge follows a request's redirects unless the caller asked for them.
  const follows = (request: Request) =>
    request.redirect === 'follow' || (forgeManual && request.redirect === 'manual');

  // ky 2 hands a hook one state object; ky 1 hands beforeRequest
  // `(request, options)` and runs it again before each of its retries. Both
  // find the call's exchange in its context, or start it.
  const beforeRequest = (first: unknown, second?: unknown): undefined => {
    const ky1 = first instanceof Request;
    const request = ky1 ? first : (first as HookState).request;
    const options = ky1 ? (second as HookOptions) : (first as HookState).options;
    const { context } = options;
    let exchange = context[EXCHANGE];
    // A caller may hand a call the context of an earlier one: that exchange is not this call's.
    if (exchange === undefined || !exchange.of(context)) {
      exchange = new Exchange(options, ky1);
      context[EXCHANGE] = exchange;
    }
    (request as Carrier)[EXCHANGE] = exchange;
    return undefined;
  };

  // ky's own retries (a 5xx, a network error, a timeout) send its copy of the
  // request, made before Forge's `fetch` put credentials on the original.
  const beforeRetry = (state: HookState): undefined => {
    // ky 1 retries whatever `fetch` threw: not a request Forge could not authorize.
    if (isForgeError(state.error)) throw state.error;
    const exchange = state.options.context[EXCHANGE];
    if (exchange?.of(state.options.context)) (state.request as Carrier)[EXCHANGE] = exchange;
    return undefined;
  };

  // ky's errors carry the Request Forge's `fetch` put credentials on (ky 2's
  // `HTTPError` and `TimeoutError`): callers log them, so keep our credentials
  // out. ky 2 calls this with a state object for every error; ky 1 with the
  // error, for HTTP errors only (its `request` is ky's copy, which never had them).
  const beforeError = (state: unknown): unknown => {
    const first = state as { error?: unknown; request?: unknown; options?: HookOptions };
    const error = (first instanceof Error ? first : first.error) as
      | (Error & { request?: unknown; options?: HookOptions })
      | undefined;
    const call = (error?.options ?? first.options)?.context[EXCHANGE];
    for (const request of [error?.request, first.request]) {
      if (request instanceof Request) {
        forge.removeCredentials(request.headers, ((request as Carrier)[EXCHANGE] ?? call)?.sent);
      }
    }
    return error;
  };

  const { log } = forge;
  // One line per send: its answer once Forge followed any redirects, or the failure.
  const logSend = (
    startedAt: number,
    request: Request,
    exchange: Exchange,
    sent: Sent | undefined,
    response: Response | undefined,
    error?: unknown,
  ): void => {
    log?.exchange(
      {
        startedAt,
        method: request.method,
        url: request.url,
        sent,
        requestHeaders: request.headers,
        requestBody: exchange.body,
        status: response?.status,
        responseHeaders: response?.headers,
        responseBody: response,
      },
      error,
    );
  };

  const inner = parent.fetch;
  const send: Fetch = (input, init) => (inner ?? globalThis.fetch)(input, init);

  // What the authorizer is told the body is: a resend after a 401 gets the
  // body the first send was described with; a request signer signs the text
  // ky sends, read back from the Request (also of a Request the hooks never
  // saw, whose body Forge did not see built); anything else, ky's own body.
  const describedBody = (
    request: Request,
    exchange: Exchange,
    retryOf: Sent | undefined,
  ): unknown | Promise<unknown> => {
    const { body } = exchange;
    if (retryOf !== undefined) return exchange.sent?.request.body;
    if (
      forge.signsBody &&
      (typeof body === 'string' || body === undefined) &&
      request.body !== null
    ) {
      return request.clone().text();
    }
    return body;
  };

  // Asks the authorizer about `request` (its key from the call's exchange; a
  // Request the hooks never saw gets the defaults) and puts the credentials
  // on its headers. One async frame: this runs for every request.
  const authorize = async (
    request: Request,
    exchange: Exchange,
    retryOf: Sent | undefined,
  ): Promise<Sent | undefined> => {
    const earlier = exchange.sent;
    const { headers } = request;
    let body = describedBody(request, exchange, retryOf);
    let sent: Sent | undefined;
    try {
      if (body instanceof Promise) body = await body;
      sent = await forge.authorize({
        method: request.method,
        url: request.url,
        headers,
        body,
        forge: exchange.forge,
        retryOf,
        // ky's own retry of a send continues it: same key, same attempt.
        continues: retryOf === undefined ? earlier : undefined,
      });
    } catch (error) {
      exchange.refuseRetries();
      throw error;
    }
    forge.setCredentials(headers, sent);
    exchange.sent = sent;
    return sent;
  };

  // ky's `fetch`: authorizes the request and sends it. Most answers go
  // straight back to ky; a redirect Forge took over is followed (each hop
  // judged), and a 401 to credentials Forge set renews them and sends the
  // request again. ky's timeout covers all of it.
  const forgeFetch = async (input: Request, init?: RequestInit): Promise<Response> => {
    let exchange = (input as Carrier)[EXCHANGE];
    if (exchange === undefined) {
      // A Request the hooks never saw (a hook after Forge's replaced it, ky 2's
      // upload progress copied it): the manager's defaults, and beforeError finds it.
      exchange = new Exchange();
      (input as Carrier)[EXCHANGE] = exchange;
    }
    const sent = await authorize(input, exchange, undefined);
    const follow = follows(input);
    const url = sent?.authorization.url;
    const body = sent?.authorization.body;
    // A signer may move the request; an authorized request that would let
    // fetch follow its redirects is switched to manual ones (rare: a request's
    // own `redirect: 'follow'`).
    const manual = sent !== undefined && follow && input.redirect === 'follow';
    const request =
      url === undefined && body === undefined && !manual
        ? input
        : sendable(input, url ?? input.url, body ?? null, manual ? 'manual' : input.redirect);
    // A streamed body can be read once: a request that may be sent again keeps a copy.
    const spare =
      sent !== undefined && request.body !== null && !forge.isReplayableBody(exchange.body)
        ? request.clone()
        : undefined;
    const startedAt = log?.start() ?? 0;
    let response: Response;
    try {
      response = await send(request, init);
    } catch (error) {
      if (log !== undefined) logSend(startedAt, request, exchange, sent, undefined, error);
      // ky 1 hands this request to its TimeoutError without running beforeError.
      forge.removeCredentials(input.headers, sent);
      throw error;
    }
    if (!ANSWERED_BY_FORGE.has(response.status) || !(follow || sent !== undefined)) {
      if (log !== undefined) logSend(startedAt, request, exchange, sent, response);
      return response;
    }
    return answer(input, request, init, response, exchange, sent, spare, startedAt);
  };

  const answer = async (
    input: Request,
    first: Request,
    init: RequestInit | undefined,
    firstResponse: Response,
    exchange: Exchange,
    firstSent: Sent | undefined,
    spare: Request | undefined,
    firstStartedAt: number,
  ): Promise<Response> => {
    const follow = follows(input);
    // What can be sent again: nothing, a body ky built (not a stream), the
    // spare copy of a stream; `undefined` for a body Forge never saw.
    const replayable =
      input.body === null || spare !== undefined
        ? null
        : exchange.body !== undefined
          ? exchange.body
          : input.body;
    let reserve = spare;
    const replayBody = (): BodyInit | null | undefined => {
      if (reserve === undefined) {
        if (input.body === null) return null;
        return forge.isReplayableBody(replayable) ? (replayable as BodyInit) : undefined;
      }
      const taken = reserve;
      reserve = reserve.clone();
      return taken.body;
    };
    let response = firstResponse;
    let current = first;
    let sent = firstSent;
    let startedAt = firstStartedAt;
    for (;;) {
      let answered = sent;
      if (follow && REDIRECT_STATUSES.has(response.status)) {
        const followed = await forge.followRedirects(
          response,
          { url: current.url, method: current.method, headers: new Headers(current.headers) },
          sent,
          {
            send: (url, hop) => send(url, { ...init, ...hop }),
            replayBody,
            signal: current.signal,
          },
        );
        // Each hop was a fetch of its own: say, as fetch would, that redirects were followed.
        if (followed.response !== response) {
          Object.defineProperty(followed.response, 'redirected', { value: true });
        }
        response = followed.response;
        answered = followed.sent;
      }
      if (log !== undefined) logSend(startedAt, current, exchange, sent, response);
      if (forge.observesResponses) forge.observe(answered, response);
      if (response.status !== 401 || sent === undefined || answered === undefined) {
        return response;
      }
      if (!(await forge.renew(answered, response, replayable))) return response;
      response.body?.cancel().catch(ignore);
      forge.removeCredentials(input.headers, sent);
      const renewed = await authorize(input, exchange, answered);
      const { url, body } = renewed?.authorization ?? {};
      current = sendable(input, url ?? input.url, body ?? replayBody(), current.redirect);
      sent = renewed;
      startedAt = log?.start() ?? 0;
      try {
        response = await send(current, init);
      } catch (error) {
        if (log !== undefined) logSend(startedAt, current, exchange, sent, undefined, error);
        forge.removeCredentials(input.headers, sent);
        throw error;
      }
    }
  };

  return {
    fetch: forgeFetch,
    ...(forgeManual ? { redirect: 'manual' } : {}),
    hooks: {
      beforeRequest: [beforeRequest],
      beforeRetry: [beforeRetry],
      beforeError: [beforeError],
    },
  };
}
