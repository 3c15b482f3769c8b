import { ConfigurationError, type ForgeOptions, type ForgeRequestOptions } from '@forge/core';
import {
  type AuthorizerOrManager,
  createAdapter,
  type LoggedExchange,
  type RequestLog,
  type Sent,
} from '@forge/core/adapter';

/** What Forge reads of the responses of the `fetch` it wraps (any implementation's `Response`). */
export interface FetchResponse {
  readonly status: number;
  readonly url: string;
  readonly headers: {
    get(name: string): string | null;
    forEach(callback: (value: string, name: string) => void): void;
  };
  readonly body: { cancel(reason?: unknown): Promise<void> } | null;
}

/**
 * Any function with `fetch`'s call signature: `globalThis.fetch`, undici's
 * `fetch`, a test double.
 */
export type FetchLike = (input: never, init?: never) => Promise<FetchResponse>;

/** The `init` of a {@link FetchLike}, with what one request may say to Forge. */
export type ForgeRequestInit<TKey = unknown, TInit = RequestInit> = TInit & {
  /**
   * `{ key }` picks the manager's token (tenant, user, scope) for this
   * request instead of `ForgeOptions.key`. Never reaches the wrapped `fetch`.
   */
  forge?: ForgeRequestOptions<TKey> | undefined;
};

/**
 * What {@link withForge} returns: the signature and types of the `fetch` it
 * wraps (undici's `fetch` keeps undici's `Request` and `Response`), with
 * `init.forge`.
 */
export type ForgeFetch<TKey = unknown, TFetch extends FetchLike = typeof fetch> = (
  input: Parameters<TFetch>[0],
  init?: ForgeRequestInit<TKey, InitOf<TFetch>>,
) => ReturnType<TFetch>;

// A conditional type, not `NonNullable<Parameters<TFetch>[1]>`: TypeScript
// reduces that to `never` through FetchLike's `init?: never` before TFetch is known.
type InitOf<TFetch> = TFetch extends (input: never, init?: infer TInit) => unknown
  ? Exclude<TInit, undefined>
  : never;

/** How this adapter calls the `fetch` it wraps: what it sends is the caller's, or built like it. */
type Send = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Headers as this adapter holds them: the caller's record or a `Headers`. */
type Held = Headers | Record<string, string>;

const PKG = 'fetch';
const FORM = /application\/x-www-form-urlencoded/i;
// What fetch itself declares for a URLSearchParams body.
const FORM_TYPE = 'application/x-www-form-urlencoded;charset=UTF-8';
const NONE: Readonly<Record<string, string>> = Object.freeze({});
const NO_INIT: RequestInit = Object.freeze({});
const ignore = (): void => undefined;

function withoutForge({ forge: _, ...init }: ForgeRequestInit): RequestInit {
  return init;
}

// A Request of any fetch implementation (undici's own has another class than the global one).
function isRequest(input: unknown): input is Request {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as Partial<Request>).clone === 'function' &&
    typeof (input as Partial<Request>).url === 'string'
  );
}

// Records and `Headers` are read as they are; `[name, value]` pairs and
// another implementation's `Headers` become a `Headers` the kit can read.
function held(source: HeadersInit | null | undefined): Held {
  if (source === undefined || source === null) return NONE;
  if (source instanceof Headers) return source;
  if (Symbol.iterator in source) return new Headers(source as HeadersInit);
  return source as Record<string, string>;
}

function copy(headers: Held): Held {
  return headers instanceof Headers ? new Headers(headers) : { ...headers };
}

function contentType(headers: Held): string | undefined {
  if (headers instanceof Headers) return headers.get('content-type') ?? undefined;
  for (const name in headers) {
    if (name.toLowerCase() === 'content-type') return headers[name];
  }
  return undefined;
}

// Only on a 401, and by `forEach`, which every implementation's `Headers` has.
function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

// The text of a Request's body for an authorizer that reads bodies; bytes
// that are not UTF-8 are not text, and a signer gets none, as for a Blob.
async function textOf(request: Request): Promise<string | undefined> {
  const bytes = await request.clone().arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The copies of a Request whose body Forge may send more than once (a retry
 * after a 401, a 307/308 hop): a send consumes the body, so a clone is made
 * before each one and kept for the next.
 */
class Copies {
  #next: Request;
  #cloned = false;

  constructor(request: Request) {
    this.#next = request;
  }

  /** A Request to send now; a clone of it stays for the next send. */
  take(): Request {
    const now = this.#next;
    this.#next = now.clone();
    this.#cloned = true;
    return now;
  }

  /** Drops the clone kept for a send that will not happen (never the caller's own Request). */
  release(): void {
    if (this.#cloned) this.#next.body?.cancel().catch(ignore);
  }
}

/**
 * Ends a wait (for a token, a renewal) when the caller's signal aborts, with
 * the signal's reason, as fetch ends its own waits. The token request goes
 * on for the requests after this one; its outcome is ignored here.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (signal === undefined || signal === null) return work;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      work.catch(ignore);
      reject(signal.reason);
      return;
    }
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** The one log line of a send: its answer, or its failure. */
function logSend(
  log: RequestLog,
  entry: LoggedExchange,
  response: Response | undefined,
  error?: unknown,
): void {
  log.exchange(
    response === undefined
      ? entry
      : {
          ...entry,
          status: response.status,
          responseHeaders: response.headers,
          responseBody: response,
        },
    error,
  );
}

/** Sends a request Forge does not authorize, with its one log line. */
async function sendLogged(
  log: RequestLog,
  entry: Omit<LoggedExchange, 'startedAt'>,
  sending: () => Promise<Response>,
): Promise<Response> {
  const started = { ...entry, startedAt: log.start() };
  let response: Response;
  try {
    response = await sending();
  } catch (error) {
    logSend(log, started, undefined, error);
    throw error;
  }
  logSend(log, started, response);
  return response;
}

/**
 * Returns a new function with `fetch`'s signature whose requests stay
 * authorized; `fetch` itself is unchanged. Each request asks the authorizer
 * for credentials (only for allowed origins and paths); after a 401 the token
 * is renewed and the request sent once more with the same key, when its body
 * can be sent again. Redirects of an authorized request are followed here,
 * one `redirect: 'manual'` fetch per hop, so that each hop is judged by the
 * policy; a request sent with `redirect: 'manual'` or `'error'` is left alone.
 * Everything else in `init` (`dispatcher`, `keepalive`, …) reaches `fetch`
 * as given, on retries and redirect hops too.
 *
 * Pass a `TokenManager` (wrapped with `bearer()`) or any `Authorizer`. `fetch`
 * has no base URL, so a manager needs `policy.baseURL` or `policy.origins`.
 * A request picks the manager's key with `init.forge.key`; otherwise
 * `options.key(request)` is asked.
 *
 * @example
 * ```ts
 * import { withForge } from '@forge/fetch';
 *
 * const api = withForge(fetch, manager, { policy: { baseURL: 'https://api.example.com' } });
 * const orders = await (await api('https://api.example.com/orders')).json();
 * const invoices = await api('https://api.example.com/invoices', { forge: { key: 'tenant-a' } });
 * ```
 */
export function withForge<TFetch extends FetchLike, TKey = unknown>(
  fetch: TFetch,
  authorizerOrManager: AuthorizerOrManager<TKey>,
  options?: ForgeOptions<TKey>,
): ForgeFetch<TKey, TFetch> {
  if (typeof fetch !== 'function') {
    throw new ConfigurationError(
      'fetch',
      "must be a fetch function (globalThis.fetch, undici's fetch, …), e.g. withForge(fetch, manager, { policy: { baseURL: 'https://api.example.com' } })",
      { package: PKG },
    );
  }
  const forge = createAdapter(authorizerOrManager, options, { package: PKG });
  const send = fetch as unknown as Send;
  const { log } = forge;

  const forgeFetch = async (
    input: string | URL | Request,
    init?: ForgeRequestInit<TKey>,
  ): Promise<Response> => {
    const request = isRequest(input) ? input : undefined;
    const url = request === undefined ? String(input) : request.url;
    const perRequest = init?.forge;
    // `forge` stays here: the wrapped fetch gets the caller's init without it.
    const rest: RequestInit =
      init === undefined ? NO_INIT : 'forge' in init ? withoutForge(init) : init;
    const own = init?.body ?? null;
    // A Request's body travels in the Request unless init replaces it.
    const carried = request !== undefined && own === null && request.body !== null;
    const method = init?.method ?? request?.method ?? 'GET';
    const signal = init?.signal ?? request?.signal;
    // Already aborted: fail as fetch does, before asking for a token.
    signal?.throwIfAborted();
    const mode = init?.redirect ?? request?.redirect ?? 'follow';
    let headers = held(init?.headers ?? request?.headers);
    // fetch declares this type only when it sends; an authorizer must see the form as a form.
    if (own instanceof URLSearchParams && contentType(headers) === undefined) {
      headers = copy(headers);
      if (headers instanceof Headers) headers.set('content-type', FORM_TYPE);
      else headers['content-type'] = FORM_TYPE;
    }
    const body =
      carried && (forge.signsBody || FORM.test(contentType(headers) ?? ''))
        ? await textOf(request)
        : own;

    const copies = carried ? new Copies(request) : undefined;

    let retryOf: Sent | undefined;
    for (;;) {
      const sent = await untilAborted(
        forge.authorize({ method, url, headers, body, forge: perRequest, retryOf }),
        signal,
      );
      if (sent === undefined && retryOf === undefined) {
        if (log === undefined) return send(input, rest);
        return sendLogged(log, { method, url, requestHeaders: headers, requestBody: body }, () =>
          send(input, rest),
        );
      }
      const sending = copy(headers);
      forge.setCredentials(sending, sent);
      const authorization = sent?.authorization;
      const target = authorization?.url ?? url;
      const follows = mode === 'follow' && sent !== undefined;
      const redirect = follows ? 'manual' : mode;
      const next: RequestInit = { ...rest, headers: sending, redirect };
      if (authorization?.body !== undefined) next.body = authorization.body;
      // Its log line, when there is a log; made as the send starts.
      const entry =
        log === undefined
          ? undefined
          : {
              log,
              line: {
                startedAt: log.start(),
                method,
                url: target,
                sent,
                requestHeaders: sending,
                requestBody: next.body ?? body,
              },
            };
      let response: Response;
      let answer: Response;
      let answered: Sent | undefined;
      // Only a log line needs the catch: the failure goes to the caller as it was.
      try {
        if (request === undefined) {
          response = await send(target, next);
        } else if (target === url) {
          // The Request keeps what init does not say (credentials mode, keepalive, …).
          response = await send(copies?.take() ?? request, next);
        } else {
          // A signer moved the request to another URL: the Request is sent as its parts.
          next.method = method;
          next.signal = signal ?? null;
          next.body ??= own ?? copies?.take().body ?? null;
          if (next.body instanceof ReadableStream) (next as { duplex?: string }).duplex = 'half';
          response = await send(target, next);
        }

        answer = response;
        answered = sent;
        const { status } = response;
        if (follows && status >= 300 && status < 400) {
          const followed = await forge.followRedirects(
            response,
            { url: target, method: method.toUpperCase(), headers: new Headers(sending) },
            sent,
            {
              send: (next, hop) => send(next, { ...rest, ...hop }),
              replayBody: () =>
                copies
                  ? copies.take().body
                  : own === null
                    ? null
                    : forge.isReplayableBody(own)
                      ? own
                      : undefined,
              signal,
            },
          );
          answer = followed.response;
          answered = followed.sent;
          // Each hop was a fetch of its own: say, as fetch would, that redirects were followed.
          if (answer !== response) Object.defineProperty(answer, 'redirected', { value: true });
        }
        if (entry !== undefined) logSend(entry.log, entry.line, answer);
      } catch (error) {
        if (entry !== undefined) logSend(entry.log, entry.line, undefined, error);
        throw error;
      }
      if (forge.observesResponses) forge.observe(answered, answer);
      if (answer.status !== 401 || answered === undefined) {
        copies?.release();
        return answer;
      }
      // The body is not handed to renew: a stream's 401 goes back to the
      // caller, as fetch answers it, rather than failing; the token is renewed
      // all the same, so the caller's next request gets the new one.
      const renewed = await untilAborted(
        forge.renew(answered, { status: answer.status, headers: headerRecord(answer.headers) }),
        signal,
      );
      if (!renewed || !(carried || forge.isReplayableBody(own))) {
        copies?.release();
        return answer;
      }
      answer.body?.cancel().catch(ignore);
      retryOf = answered;
    }
  };
  // Forge hands the caller's input and init to `fetch` and its responses back:
  // the wrapped fetch's own types hold for the new function too.
  return forgeFetch as unknown as ForgeFetch<TKey, TFetch>;
}
