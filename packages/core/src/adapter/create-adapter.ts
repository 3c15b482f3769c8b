import { type BearerTokenSource, bearer } from '../auth/bearer.js';
import {
  RequestAuthorizationError,
  type RequestDescription,
  requestError,
} from '../auth/request-error.js';
import type {
  Authorization,
  AuthorizationRequest,
  Authorizer,
  UnauthorizedResponse,
} from '../authorizer.js';
import { ConfigurationError, ForgeErrorCode } from '../errors.js';
import { createRequestLog, type RequestLog } from '../logging/request-log.js';
import { authorizationBody, isReplayableBody } from './body.js';
import {
  type HeaderSource,
  type HeaderTarget,
  headerLookup,
  headerRecord,
  removeCredentials,
  setCredentials,
} from './headers.js';
import {
  checkForgeOptions,
  checkRequestOptions,
  type ForgeOptions,
  type ForgeRequestOptions,
} from './options.js';
import {
  type FollowedResponse,
  followRedirects,
  type RedirectChain,
  type RedirectHop,
  redirectChain,
} from './redirects.js';
import { forgetSentHeaders } from './sent-headers.js';

/** What a user hands an adapter: a token manager (wrapped with `bearer`) or any {@link Authorizer}. */
export type AuthorizerOrManager<TKey = never> = Authorizer | BearerTokenSource<TKey>;

/** What {@link createAdapter} needs to know about the client being adapted. */
export interface CreateAdapterOptions {
  /** The adapter's name in errors (`axios`, `got`, …). */
  readonly package: string;
  /** The client's own base URL (`baseURL`, `prefixUrl`): the default origin for credentials. */
  readonly baseURL?: string | URL | undefined;
}

/** One request as an adapter sees it, before it is sent. */
export interface AdapterRequest {
  readonly method: string;
  /** The absolute URL the client will request. */
  readonly url: string;
  readonly headers: HeaderSource;
  /** The body as the client will send it (serialized text, params, bytes, a stream…). */
  readonly body?: unknown;
  /** The request's own `forge` options (a per-request key), as the caller gave them. */
  readonly forge?: unknown;
  /** The answer that is being retried: the retry keeps its key and counts one more attempt. */
  readonly retryOf?: Sent | undefined;
  /**
   * The request this one continues (a redirect hop, or the client's own
   * resend after a network error or 5xx, as got makes them): it keeps that
   * request's key and attempt.
   */
  readonly continues?: Sent | undefined;
}

/** A request Forge authorized, and the credentials it carries. */
export interface Sent {
  readonly request: AuthorizationRequest;
  readonly authorization: Authorization;
}

/** What {@link ForgeAdapter.followRedirects} needs from a fetch-based adapter. */
export interface AdapterRedirectOptions {
  /** Sends one hop with `redirect: 'manual'`. */
  send(url: string, init: RequestInit): Promise<Response>;
  /**
   * The body to send again on a 307/308, fresh for each call; `undefined`
   * when the request had a body that cannot be sent twice (a stream).
   */
  replayBody(): BodyInit | null | undefined;
  readonly signal?: AbortSignal | null | undefined;
}

/** Where a followed chain ended, and what its last hop carried. */
export interface FollowedRequest {
  readonly response: Response;
  readonly url: string;
  /** The last hop's credentials, `undefined` when it carried none. */
  readonly sent: Sent | undefined;
}

/**
 * Everything an adapter does, for one installed client: the one object an
 * adapter holds. It turns the user's manager or authorizer and options into
 * an {@link Authorizer}, describes and authorizes requests (per-request key
 * included), remembers what was sent with each request, decides 401 retries,
 * judges redirects, and sets and removes the credentials on any client's headers.
 */
export interface ForgeAdapter {
  readonly authorizer: Authorizer;
  /** Whether the authorizer reads text bodies (a request signer): serialize them first. */
  readonly signsBody: boolean;
  /**
   * Asks the authorizer for credentials. Resolves to what was sent, or to
   * `undefined` when the request goes without (policy, origin, method).
   * Failures reject with a `RequestAuthorizationError`.
   */
  authorize(request: AdapterRequest): Promise<Sent | undefined>;
  /**
   * After a 401 to `sent`: lets the authorizer drop the token and renew it,
   * refuses to resend a body that cannot be replayed, and waits the retry
   * strategy's delay. `true` means send the request again (through
   * {@link authorize} with `retryOf: sent`).
   */
  renew(
    sent: Sent,
    response: { readonly status: number; readonly headers: HeaderSource },
    body?: unknown,
  ): Promise<boolean>;
  /**
   * Whether {@link observe} does anything: adapters may skip it (and the
   * lookup of what was sent) on their hot path when it does not.
   */
  readonly observesResponses: boolean;
  /**
   * Hands every answer to a request Forge authorized to the authorizer
   * (a DPoP nonce may come on any answer). Cheap and synchronous; does
   * nothing for authorizers without `onResponse`.
   */
  observe(
    sent: Sent | undefined,
    response: { readonly status: number; readonly headers: HeaderSource },
  ): void;
  /** Remembers what was sent with a request, under the client's own request object. */
  remember(carrier: object, sent: Sent): void;
  recall(carrier: object): Sent | undefined;
  forget(carrier: object): void;
  /** A new chain of redirect hops for one request (see `RedirectChain`). */
  redirectChain(): RedirectChain;
  /**
   * Follows the redirects of a request sent with `redirect: 'manual'`, the
   * way fetch would, authorizing each hop the chain permits afresh.
   */
  followRedirects(
    response: Response,
    hop: RedirectHop,
    sent: Sent | undefined,
    options: AdapterRedirectOptions,
  ): Promise<FollowedRequest>;
  /** Wraps any failure into the `RequestAuthorizationError` of this adapter. */
  error(error: unknown, request: { readonly method: string; readonly url: string }): Error;
  /** String headers, names in lower case, from any client's headers. */
  headers(source: HeaderSource): Record<string, string>;
  /**
   * Replaces the credentials `sent` put on a finished Node request (a
   * `ClientRequest`, or a client's wrapper around one) where it keeps the
   * headers it sent, so no error reaching that request later prints them.
   */
  forgetSentHeaders(request: unknown, sent: Sent | undefined): void;
  setCredentials(target: HeaderTarget, sent: Sent | undefined): void;
  removeCredentials(target: HeaderTarget, sent: Sent | undefined): void;
  isReplayableBody(body: unknown): boolean;
  /** The request log (`ForgeOptions.log`); `undefined` when none is set, at no cost per request. */
  readonly log: RequestLog | undefined;
}

function isAuthorizer(value: unknown): value is Authorizer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Authorizer).authorize === 'function'
  );
}

function isTokenSource(value: unknown): value is BearerTokenSource<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BearerTokenSource<unknown>).getToken === 'function' &&
    typeof (value as BearerTokenSource<unknown>).invalidate === 'function'
  );
}

function resolveAuthorizer(
  value: unknown,
  options: ForgeOptions,
  baseURL: string | URL | undefined,
  pkg: string,
): Authorizer {
  if (isAuthorizer(value)) {
    if (options.policy !== undefined) {
      throw new ConfigurationError(
        'policy',
        'applies only when a token manager is passed; build the authorizer with bearer(manager, { policy }) and set it there',
        { package: pkg },
      );
    }
    return value;
  }
  if (isTokenSource(value)) {
    const { policy } = options;
    try {
      return bearer(value, {
        policy:
          policy === undefined || 'mayAuthorize' in policy
            ? (policy ?? { baseURL })
            : { ...policy, baseURL: policy.baseURL ?? baseURL },
      });
    } catch (error) {
      if (error instanceof ConfigurationError) {
        throw new ConfigurationError(
          `policy.${error.option}`,
          error.message.replace(/^.*?: /, ''),
          { package: pkg, cause: error },
        );
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
 * Makes the {@link ForgeAdapter} of one installed client from what the user
 * passed to the adapter's `withForge(client, authorizerOrManager, options)`,
 * validating it at once.
 *
 * @example
 * ```ts
 * import { createAdapter } from '@forge/core/adapter';
 *
 * const forge = createAdapter(manager, options, { package: 'my-client', baseURL });
 * const sent = await forge.authorize({ method: 'GET', url, headers, forge: perRequest });
 * forge.setCredentials(headers, sent);
 * ```
 */
export function createAdapter(
  authorizerOrManager: unknown,
  options: unknown,
  client: CreateAdapterOptions,
): ForgeAdapter {
  const pkg = client.package;
  const checked = checkForgeOptions(options, pkg);
  const authorizer = resolveAuthorizer(authorizerOrManager, checked, client.baseURL, pkg);
  const keyOf = checked.key;
  const sentBy = new WeakMap<object, Sent>();

  // Synchronous unless a key function must be awaited: every promise hop on
  // this path costs each request of every adapter.
  const describe = (
    request: AdapterRequest,
    own: ForgeRequestOptions | undefined,
  ): AuthorizationRequest | Promise<AuthorizationRequest> => {
    const headers = headerRecord(request.headers);
    const { retryOf, continues } = request;
    const described = {
      method: request.method.toUpperCase(),
      url: request.url,
      headers,
      body: authorizationBody(authorizer, request.body, headers['content-type']),
      attempt:
        retryOf !== undefined ? retryOf.request.attempt + 1 : (continues?.request.attempt ?? 0),
      key: undefined as unknown,
      // A hop or resend inherits what its request was retrying: a DPoP nonce
      // retry is bounded across the whole chain, not per hop.
      previous: retryOf !== undefined ? retryOf.authorization : continues?.request.previous,
    };
    const earlier = retryOf ?? continues;
    if (earlier !== undefined) described.key = earlier.request.key;
    else if (own?.key !== undefined) described.key = own.key;
    else if (keyOf !== undefined) {
      return Promise.resolve(keyOf(described)).then((key) => {
        described.key = key;
        return described;
      });
    }
    return described;
  };

  // One `then` with both handlers (one promise, where then + catch made two):
  // this path is paid by every request of every adapter.
  const sentFor = (request: AuthorizationRequest, authorization: Authorization | undefined) =>
    authorization === undefined ? undefined : { request, authorization };

  const send = (
    request: AuthorizationRequest,
    from: RequestDescription,
  ): Promise<Sent | undefined> => {
    let authorized: ReturnType<Authorizer['authorize']>;
    try {
      authorized = authorizer.authorize(request);
    } catch (error) {
      return Promise.reject(requestError(error, from, pkg));
    }
    return Promise.resolve(authorized).then(
      (authorization) => sentFor(request, authorization),
      (error: unknown) => {
        throw requestError(error, from, pkg);
      },
    );
  };

  const observes = authorizer.onResponse !== undefined;
  const adapter: ForgeAdapter = {
    authorizer,
    signsBody: authorizer.signsBody === true,
    authorize(request) {
      let described: AuthorizationRequest | Promise<AuthorizationRequest>;
      try {
        // A malformed option is the caller's mistake, not a failure to authorize.
        const own = checkRequestOptions(request.forge, pkg);
        try {
          described = describe(request, own);
        } catch (error) {
          throw requestError(error, request, pkg);
        }
      } catch (error) {
        return Promise.reject(error);
      }
      if (!(described instanceof Promise)) return send(described, request);
      return described.then(
        (ready) => send(ready, request),
        (error: unknown) => {
          throw requestError(error, request, pkg);
        },
      );
    },
    async renew(sent, response, body) {
      const { request } = sent;
      if (authorizer.onUnauthorized === undefined) return false;
      const unauthorized: UnauthorizedResponse = {
        status: response.status,
        headers: headerRecord(response.headers),
      };
      let decision: { retry: boolean; delayMs: number };
      try {
        decision = await authorizer.onUnauthorized(request, unauthorized, sent.authorization);
      } catch (error) {
        throw requestError(error, request, pkg);
      }
      if (!decision.retry) return false;
      if (!isReplayableBody(body)) {
        throw new RequestAuthorizationError(
          'the server answered 401 and the credentials were renewed, but the request body is a stream that cannot be sent again; pass a string, Buffer or URLSearchParams body to let Forge retry',
          { method: request.method, url: request.url, code: ForgeErrorCode.Request, package: pkg },
        );
      }
      if (decision.delayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
      }
      return true;
    },
    observesResponses: observes,
    observe(sent, response) {
      if (sent === undefined || authorizer.onResponse === undefined) return;
      authorizer.onResponse(
        sent.request,
        { status: response.status, headers: headerLookup(response.headers) },
        sent.authorization,
      );
    },
    remember: (carrier, sent) => {
      sentBy.set(carrier, sent);
    },
    recall: (carrier) => sentBy.get(carrier),
    forget: (carrier) => {
      sentBy.delete(carrier);
    },
    redirectChain: () => redirectChain(authorizer),
    async followRedirects(response, hop, sent, options) {
      let last = sent;
      // What the hop being sent carries, until its answer is observed: only
      // an answer to credentials Forge set is the authorizer's to learn from.
      let pending: Sent | undefined;
      // Every redirect on the way may carry news for the authorizer (a DPoP
      // nonce); the adapter observes the answer the chain ends with.
      const observeHop = (answer: Response, by: Sent | undefined) => {
        if (observes && answer.status >= 300 && answer.status < 400) adapter.observe(by, answer);
      };
      observeHop(response, sent);
      const followed: FollowedResponse = await followRedirects(response, hop, sent?.authorization, {
        authorizer,
        send: async (url, init) => {
          const by = pending;
          pending = undefined;
          const answer = await options.send(url, init);
          observeHop(answer, by);
          return answer;
        },
        replayBody: options.replayBody,
        signal: options.signal,
        authorize: async (next) => {
          const request: AuthorizationRequest = {
            method: next.method,
            url: next.url,
            headers: headerRecord(next.headers),
            attempt: sent?.request.attempt ?? 0,
            key: sent?.request.key,
            previous: sent?.request.previous,
          };
          last = await send(request, request);
          pending = last;
          setCredentials(next.headers, last?.authorization);
          return last?.authorization;
        },
      });
      return {
        response: followed.response,
        url: followed.url,
        sent: followed.authorization === undefined ? undefined : last,
      };
    },
    error: (error, request) => requestError(error, request, pkg),
    headers: headerRecord,
    forgetSentHeaders: (request, sent) => {
      if (sent !== undefined) forgetSentHeaders(request, sent.authorization);
    },
    setCredentials: (target, sent) => setCredentials(target, sent?.authorization),
    removeCredentials: (target, sent) => removeCredentials(target, sent?.authorization),
    isReplayableBody,
    log: createRequestLog(checked.log, pkg),
  };
  return Object.freeze(adapter);
}
