import type { Authorization, Authorizer } from '../authorizer.js';
import { removeCredentials } from './headers.js';

/**
 * The redirect hops of one request, judged as a whole: credentials follow a
 * hop only while every hop so far kept them. Once a hop went somewhere that
 * may not receive them (another origin, an excluded path, http after https),
 * no later hop gets them back, even one that returns to the API: the server
 * that sent the request there chose that hop's path, query and body.
 *
 * @example
 * ```ts
 * const chain = redirectChain(authorizer);
 * chain.permits('https://api.example/a', 'https://evil.example/b'); // false
 * chain.permits('https://evil.example/b', 'https://api.example/c'); // false: the chain is broken
 * ```
 */
export interface RedirectChain {
  /** Whether credentials may follow the hop from `from` to `to`. */
  permits(from: string, to: string): boolean;
  /** `true` once a hop was refused: every later hop is refused too. */
  readonly broken: boolean;
}

// The authorizer's `mayRedirect`, or "same origin only" when it has none.
function mayForwardCredentials(authorizer: Authorizer, from: string, to: string): boolean {
  if (authorizer.mayRedirect !== undefined) return authorizer.mayRedirect(from, to);
  try {
    return new URL(from).origin === new URL(to).origin;
  } catch {
    return false;
  }
}

function isDowngrade(from: string, to: string): boolean {
  return from.startsWith('https:') && !to.startsWith('https:');
}

/**
 * A new {@link RedirectChain} for one request: a hop keeps credentials only
 * while the chain is unbroken, it is no downgrade from https, and the
 * authorizer's `mayRedirect` (same origin and not excluded, for `bearer()`)
 * allows it.
 *
 * @example
 * ```ts
 * const chain = redirectChain(authorizer);
 * if (!chain.permits(previousUrl, nextUrl)) delete headers.authorization;
 * ```
 */
export function redirectChain(authorizer: Authorizer): RedirectChain {
  let broken = false;
  return {
    get broken() {
      return broken;
    },
    permits(from: string, to: string): boolean {
      if (!broken && !isDowngrade(from, to) && mayForwardCredentials(authorizer, from, to)) {
        return true;
      }
      broken = true;
      return false;
    },
  };
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// What fetch itself allows (WHATWG Fetch, "HTTP-redirect fetch").
const MAX_REDIRECTS = 20;
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];
// Never sent to another origin, whoever set them (undici's own redirect rule).
const CROSS_ORIGIN_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** One request of a redirect chain, as {@link followRedirects} sends it. */
export interface RedirectHop {
  readonly url: string;
  readonly method: string;
  /** The hop's headers; `authorize` may set credentials on them. */
  readonly headers: Headers;
}

/** What {@link followRedirects} needs from the fetch-based adapter that calls it. */
export interface FollowRedirectsOptions {
  readonly authorizer: Authorizer;
  /** Sends one hop with `redirect: 'manual'`. */
  send(url: string, init: RequestInit): Promise<Response>;
  /**
   * The body to send again on a 307/308, fresh for each call; `undefined`
   * when the request had a body that cannot be sent twice (a stream).
   */
  replayBody(): BodyInit | null | undefined;
  /**
   * Puts fresh credentials for the hop on `hop.headers` (a request signer
   * signs the new URL), returning what it set, or `undefined` for none.
   */
  authorize(hop: RedirectHop): Promise<Authorization | undefined>;
  readonly signal?: AbortSignal | null | undefined;
}

/** Where a followed chain ended. */
export interface FollowedResponse {
  readonly response: Response;
  /** The URL of the request that got `response`. */
  readonly url: string;
  /** The credentials the last hop carried, `undefined` when it carried none. */
  readonly authorization: Authorization | undefined;
}

// Not awaited: a body that was cloned (ky hands hooks a clone) stays pending
// until every branch is cancelled.
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}

/**
 * Follows the redirects of a request that was sent with `redirect: 'manual'`,
 * the way `fetch` would (at most 20 hops; 303, and 301/302 after a POST,
 * become a GET without body; other hops keep method and body), except that
 * every hop is judged by a {@link redirectChain}: a hop that may keep
 * credentials is authorized afresh for its own URL, every other hop, and all
 * after it, goes without them. `authorization` describes what the first
 * request carried.
 *
 * @example
 * ```ts
 * const first = await fetch(url, { ...init, redirect: 'manual' });
 * const { response } = await followRedirects(first, { url, method, headers }, authorization, {
 *   authorizer, send: fetch, replayBody: () => init.body, authorize: (hop) => authorizeHop(hop),
 * });
 * ```
 */
export async function followRedirects(
  first: Response,
  request: RedirectHop,
  authorization: Authorization | undefined,
  options: FollowRedirectsOptions,
): Promise<FollowedResponse> {
  const chain = redirectChain(options.authorizer);
  let response = first;
  let current = request;
  let carried = authorization;
  for (let hops = 0; ; hops++) {
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      return { response, url: current.url, authorization: carried };
    }
    if (hops >= MAX_REDIRECTS) {
      discard(response);
      throw new TypeError('redirect count exceeded');
    }
    let next: URL;
    try {
      next = new URL(location, current.url);
    } catch {
      discard(response);
      throw new TypeError('the server redirected to an invalid URL');
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      discard(response);
      throw new TypeError(`the server redirected to a ${next.protocol} URL`);
    }
    discard(response);
    const headers = new Headers(current.headers);
    const toGet =
      (response.status === 303 && current.method !== 'GET' && current.method !== 'HEAD') ||
      ((response.status === 301 || response.status === 302) && current.method === 'POST');
    const method = toGet ? 'GET' : current.method;
    let body: BodyInit | null | undefined = null;
    if (toGet) {
      for (const name of BODY_HEADERS) headers.delete(name);
    } else if (method !== 'GET' && method !== 'HEAD') {
      body = options.replayBody();
      if (body === undefined) {
        throw new TypeError('the server redirected a request whose body is a stream (307/308)');
      }
    }
    const from = current.url;
    removeCredentials(headers, carried);
    if (new URL(from).origin !== next.origin) {
      for (const name of CROSS_ORIGIN_HEADERS) headers.delete(name);
    }
    current = { url: next.href, method, headers };
    // A hop after one without credentials never gets them back: the chain broke there.
    carried =
      carried !== undefined && chain.permits(from, next.href)
        ? await options.authorize(current)
        : undefined;
    response = await options.send(next.href, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: options.signal ?? null,
      duplex: 'half',
    } as RequestInit);
  }
}
