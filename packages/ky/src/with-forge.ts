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

/**
 * What Forge sent with one request, and what its answer needs: one object per
 * request, kept on the Request ky hands `fetch` and in the request's
 * `context`. ky's errors carry both, so everything sits in private fields:
 * neither a log (`util.inspect`) nor JSON of it shows the credentials.
 */
class Outgoing implements Sent {
  readonly #sent: Sent;
  readonly #follows: boolean;
  readonly #body: unknown;
  constructor(sent: Sent, follows: boolean, body: unknown) {
    this.#sent = sent;
    this.#follows = follows;
    this.#body = body;
  }
  get request(): Sent['request'] {
    return this.#sent.request;
  }
  get authorization(): Sent['authorization'] {
    return this.#sent.authorization;
  }
  /** Whether Forge follows the request's redirects (the caller did not ask for them). */
  get follows(): boolean {
    return this.#follows;
  }
  /** The body as ky built it from the caller's `body` or `json`: what a resend sends again. */
  get body(): unknown {
    return this.#body;
  }
}

/** The options ky hands a hook (normalized, for this one request). */
interface HookOptions {
  readonly context: Context;
  readonly body?: unknown;
  /** ky 1: this request's own retry options, which ky reads when the hook throws. */
  readonly retry?: { limit: number };
}

/** What ky hands a hook: ky 2 one state object, ky 1 `(request, options, …)`. */
interface HookState {
  readonly request: Request;
  readonly options: HookOptions;
}

/** ky's per-request `context`: the caller's, plus what Forge sent last. */
type Context = Record<string, unknown> & { [SENT]?: Outgoing };

/** A Request ky hands `fetch`, with what Forge sent on it. */
type Carrier = Request & { [SENT]?: Outgoing };

type Fetch = (input: Request | string, init?: RequestInit) => Promise<Response>;

const PKG = 'ky';
// What Forge sent last, kept on two objects ky hands around. On the Request
// `fetch` gets: the kit's `remember` (a WeakMap) costs about 1 µs a request
// there, a third of what Forge may add to ky (bench/adapter-overhead.bench.ts),
// and undici's inspect of a Request shows no symbol. And in the request's
// `context`, which ky makes anew for each call and hands every hook of it: its
// retries and errors find the request's credentials there. A symbol stays out
// of JSON; a context a caller copies into another request brings it along, so
// beforeRequest sets it afresh for every request.
const SENT = Symbol('@forge/ky:sent');
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// The answers the fetch wrapper acts on: redirects it follows, and a 401.
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

// A request sent again after a 401, with `headers` as they are now; `current`
// when nothing else changes (no body, same URL): a bodiless Request can be
// fetched again.
function resendable(current: Request, url: string, body: BodyInit | null | undefined): Request {
  if (url === current.url && body === null && current.body === null) return current;
  const init = { headers: current.headers, body, duplex: 'half' } as RequestInit;
  if (url === current.url) return new Request(current, init);
  return new Request(url, {
    ...init,
    method: current.method,
    signal: current.signal,
    redirect: current.redirect,
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
 * `beforeRequest` asks the authorizer for credentials; the instance's
 * `fetch` (yours, or the platform's) is wrapped to follow redirects, judging
 * every hop, and to renew the token and send the request once more after a
 * 401. The renewal is Forge's, not one of ky's retries: `retry: 0` leaves it on.
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
  const recall = (request: Request): Outgoing | undefined => (request as Carrier)[SENT];
  const remember = (request: Request, sent: Outgoing): void => {
    (request as Carrier)[SENT] = sent;
  };

  const authorized = (request: Request, options: HookOptions, sent: Outgoing) => {
    forge.setCredentials(request.headers, sent);
    remember(request, sent);
    options.context[SENT] = sent;
  };

  // The instance's default `redirect` becomes 'manual' unless it asks for
  // 'manual' or 'error' itself (those redirects are the caller's). ky then
  // builds every Request with it at once: none is rebuilt to switch its mode.
  // A request's own `redirect: 'manual'` cannot be told from this default
  // (ky hands hooks the merged options), so Forge follows those redirects too.
  const forgeManual = parent.redirect === undefined || parent.redirect === 'follow';

  // Forge follows a request's redirects unless the caller asked for them.
  const follows = (request: Request) =>
    request.redirect === 'follow' || (forgeManual && request.redirect === 'manual');

  // A request Forge set to manual redirects, sent without credentials: fetch
  // follows its redirects itself, as it would have without Forge.
  const unauthorized = (request: Request) =>
    forgeManual && request.redirect === 'manual'
      ? new Request(request, { redirect: 'follow' })
      : undefined;

  // What ky sends next, with the credentials of `sent`: the same Request,
  // unless the authorizer replaced its URL or body, or its mode must change.
  const sending = (request: Request, sent: Outgoing): Request => {
    const { url, body } = sent.authorization;
    const manual = sent.follows && request.redirect !== 'manual';
    if (url === undefined && body === undefined && !manual) return request;
    return new Request(url ?? request.url, {
      method: request.method,
      headers: request.headers,
      body: body ?? request.body,
      signal: request.signal,
      redirect: sent.follows ? 'manual' : request.redirect,
      credentials: request.credentials,
      duplex: 'half',
    } as RequestInit);
  };

  // A request signer signs the text ky sends, read back from the Request (an
  // earlier hook may have replaced it); every other authorizer gets ky's body.
  const signed = (request: Request, body: unknown): boolean =>
    forge.signsBody && typeof body === 'string' && request.body !== null;

  const beforeRequest = async (first: unknown, second?: unknown): Promise<Request | undefined> => {
    // ky 2 hands a hook one state object; ky 1 hands it `(request, options)`,
    // and runs it again before each of its retries, which beforeRetry has authorized.
    const ky1 = first instanceof Request;
    const request = ky1 ? first : (first as HookState).request;
    const options = ky1 ? (second as HookOptions) : (first as HookState).options;
    if (ky1 && recall(request) !== undefined) return undefined;
    let sent: Sent | undefined;
    try {
      sent = await forge.authorize({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: signed(request, options.body) ? await request.clone().text() : options.body,
        forge: options.context.forge,
      });
    } catch (error) {
      // ky 1 retries whatever a hook throws: a request Forge could not
      // authorize goes to the caller at once. The retry options ky 1 hands
      // the hook are this request's own.
      if (ky1 && options.retry !== undefined) options.retry.limit = 0;
      throw error;
    }
    if (sent === undefined) {
      // A caller may hand a request the context of an earlier one: nothing of it is this one's.
      options.context[SENT] = undefined;
      return unauthorized(request);
    }
    const entry = new Outgoing(sent, follows(request), options.body);
    const next = sending(request, entry);
    authorized(next, options, entry);
    return next === request ? undefined : next;
  };

  // ky's own retries (a 5xx, a network error, a timeout) send its copy of the
  // request, which still carries the credentials of the last send.
  const beforeRetry = async (
    state: HookState & { readonly error?: unknown },
  ): Promise<Request | undefined> => {
    const { request, options } = state;
    // ky 1 retries whatever failed, `fetch` included: not a request Forge could not authorize.
    if (isForgeError(state.error)) throw state.error;
    const previous = options.context[SENT];
    if (previous === undefined) return undefined;
    forge.removeCredentials(request.headers, previous);
    const sent = await forge.authorize({
      method: previous.request.method,
      url: previous.request.url,
      headers: request.headers,
      body: previous.request.body,
      forge: options.context.forge,
      continues: previous,
    });
    if (sent === undefined) return unauthorized(request);
    const entry = new Outgoing(sent, previous.follows, previous.body);
    const next = sending(request, entry);
    authorized(next, options, entry);
    return next === request ? undefined : next;
  };

  // Callers log ky's errors, whose `request` carries the headers: keep our
  // credentials out. ky 2 calls this with a state object for every error;
  // ky 1 with the error, for HTTP errors only.
  const beforeError = (state: unknown): unknown => {
    const first = state as { error?: unknown; request?: unknown; options?: HookOptions };
    const error = (first instanceof Error ? first : first.error) as
      | (Error & { request?: unknown; options?: HookOptions })
      | undefined;
    const latest = (error?.options ?? first.options)?.context[SENT];
    for (const request of [error?.request, first.request]) {
      if (request instanceof Request) {
        forge.removeCredentials(request.headers, recall(request) ?? latest);
      }
    }
    return error;
  };

  const inner = parent.fetch;
  const send: Fetch = (input, init) => (inner ?? globalThis.fetch)(input, init);

  // ky's `fetch`: most answers go straight back to ky. A redirect Forge took
  // over is followed (each hop judged), and a 401 to credentials Forge set
  // renews them and sends the request again. ky's timeout covers all of it.
  const forgeFetch = async (request: Request, init?: RequestInit): Promise<Response> => {
    // A streamed body can be read once: a request that may be sent again keeps a copy.
    const sent = request.body === null ? undefined : recall(request);
    const spare =
      sent !== undefined && !forge.isReplayableBody(sent.body) ? request.clone() : undefined;
    let response: Response;
    try {
      response = await send(request, init);
    } catch (error) {
      // ky 1 hands this request to its TimeoutError without running beforeError.
      forge.removeCredentials(request.headers, sent ?? recall(request));
      throw error;
    }
    if (!ANSWERED_BY_FORGE.has(response.status)) return response;
    const entry = sent ?? recall(request);
    return entry === undefined ? response : answer(request, init, response, entry, spare);
  };

  const answer = async (
    request: Request,
    init: RequestInit | undefined,
    first: Response,
    sent: Outgoing,
    spare: Request | undefined,
  ): Promise<Response> => {
    let reserve = spare;
    // Any other body ky built is sent again as it is.
    const replayBody = (): BodyInit | null => {
      if (reserve === undefined) return request.body === null ? null : (sent.body as BodyInit);
      const taken = reserve;
      reserve = reserve.clone();
      return taken.body;
    };
    let response = first;
    let current = request;
    let entry = sent;
    for (;;) {
      let answered: Sent | undefined = entry;
      if (entry.follows && REDIRECT_STATUSES.has(response.status)) {
        const followed = await forge.followRedirects(
          response,
          { url: current.url, method: current.method, headers: new Headers(current.headers) },
          entry,
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
      if (response.status !== 401 || answered === undefined) return response;
      // ky built every body but a stream from something it can send again.
      if (!(await forge.renew(answered, response, spare === undefined ? sent.body : null))) {
        return response;
      }
      response.body?.cancel().catch(ignore);
      forge.removeCredentials(current.headers, entry);
      const renewed = await forge.authorize({
        method: sent.request.method,
        url: sent.request.url,
        headers: current.headers,
        body: sent.request.body,
        retryOf: answered,
      });
      if (renewed === undefined) {
        return send(resendable(current, sent.request.url, replayBody()), init);
      }
      forge.setCredentials(current.headers, renewed);
      const next = resendable(
        current,
        renewed.authorization.url ?? sent.request.url,
        renewed.authorization.body ?? replayBody(),
      );
      entry = new Outgoing(renewed, sent.follows, sent.body);
      // ky's HTTPError names the request it passed to fetch, now holding these credentials.
      remember(request, entry);
      remember(next, entry);
      current = next;
      try {
        response = await send(current, init);
      } catch (error) {
        forge.removeCredentials(current.headers, entry);
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
