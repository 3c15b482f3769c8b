import {
  AuthenticationError,
  ConfigurationError,
  redactUrl,
  TokenEndpointError,
} from '@forge/core';
import {
  type OAuth1Authorizer,
  type OAuth1AuthorizerOptions,
  oauth1Authorizer,
} from '../authorizer/authorizer.js';
import {
  OAuth1Signer,
  type OAuth1SignerOptions,
  type OAuth1TokenCredentials,
} from '../signing/signer.js';
import { endpointError, parseCredentialsBody } from './response.js';
import { OAuth1Token } from './token.js';

/**
 * Options of {@link OAuth1Client}: the consumer, the provider's three endpoints, and transport.
 *
 * @example
 * ```ts
 * const options: OAuth1ClientOptions = {
 *   consumerKey: 'key',
 *   consumerSecret: 'secret',
 *   requestTokenUrl: 'https://provider.example/oauth/request_token',
 *   authorizationUrl: 'https://provider.example/oauth/authorize',
 *   accessTokenUrl: 'https://provider.example/oauth/access_token',
 * };
 * ```
 */
export interface OAuth1ClientOptions extends OAuth1SignerOptions {
  /** Names the provider in errors; default `'oauth1'`. */
  readonly serviceName?: string | undefined;
  /** Temporary credential request endpoint (RFC 5849 §2.1), e.g. `.../oauth/request_token`. */
  readonly requestTokenUrl: string;
  /** Resource owner authorization endpoint (§2.2), where the user is sent, e.g. `.../oauth/authorize`. */
  readonly authorizationUrl: string;
  /** Token request endpoint (§2.3), e.g. `.../oauth/access_token`. */
  readonly accessTokenUrl: string;
  /** HTTP method for the two credential requests; default `'POST'` as RFC 5849 recommends. */
  readonly method?: 'POST' | 'GET' | undefined;
  /** Abort each credential request after this long; default 10 000 ms. */
  readonly timeoutMs?: number | undefined;
  /** The `fetch` to use; default `globalThis.fetch`. */
  readonly fetch?: typeof fetch | undefined;
}

/**
 * Options of {@link OAuth1Client.requestToken}.
 *
 * @example
 * ```ts
 * await client.requestToken({ callback: 'https://app.example/callback', parameters: { scope: 'read' } });
 * ```
 */
export interface RequestTokenOptions {
  /** `oauth_callback`: where the provider sends the user back, or `'oob'` (out of band, the user types the verifier). */
  readonly callback: string;
  /** Extra parameters some providers take on this request (e.g. `scope`, `x_auth_access_type`), sent in the form body and signed. */
  readonly parameters?: Readonly<Record<string, string>> | undefined;
}

/**
 * Options of {@link OAuth1Client.accessToken}.
 *
 * @example
 * ```ts
 * await client.accessToken({ requestToken: OAuth1Token.fromJSON(session.requestToken), verifier });
 * ```
 */
export interface AccessTokenOptions {
  /** The temporary credentials {@link OAuth1Client.requestToken} returned (keep them in the user's session). */
  readonly requestToken: OAuth1TokenCredentials;
  /** `oauth_verifier` from the callback (or typed by the user with `'oob'`). */
  readonly verifier: string;
}

/**
 * `oauth_token` and `oauth_verifier` from the callback URL (§2.2).
 *
 * @example
 * ```ts
 * const { token, verifier }: CallbackParameters = client.callbackParameters(callbackUrl);
 * ```
 */
export interface CallbackParameters {
  readonly token: string;
  readonly verifier: string;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem, { package: 'oauth1' });
}

function absoluteUrl(option: string, value: unknown): string {
  if (typeof value !== 'string') fail(option, 'must be an absolute http(s) URL string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(option, `must be an absolute http(s) URL; got ${JSON.stringify(redactUrl(value))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail(option, `must use http or https; got ${url.protocol}`);
  }
  return url.href;
}

/**
 * The OAuth 1.0a three-legged flow (RFC 5849 §2): get temporary
 * credentials, send the user to the provider, exchange the verifier for
 * token credentials, then sign API calls with {@link OAuth1Client.authorizer}.
 *
 * Errors: a refused request is an `AuthenticationError` (with `status` and
 * the provider's `oauth_problem` as `error`); an unreachable, slow, 429 or 5xx
 * endpoint is a `TokenEndpointError`. No message contains a secret.
 *
 * @example
 * ```ts
 * const client = new OAuth1Client({
 *   consumerKey: 'key',
 *   consumerSecret: 'secret',
 *   requestTokenUrl: 'https://provider.example/oauth/request_token',
 *   authorizationUrl: 'https://provider.example/oauth/authorize',
 *   accessTokenUrl: 'https://provider.example/oauth/access_token',
 * });
 * const requestToken = await client.requestToken({ callback: 'https://app.example/callback' });
 * // redirect the user to client.authorizationUrl(requestToken); on the callback:
 * const { verifier } = client.callbackParameters(callbackUrl);
 * const accessToken = await client.accessToken({ requestToken, verifier });
 * const authorizer = client.authorizer(accessToken);
 * ```
 */
export class OAuth1Client {
  readonly serviceName: string;
  readonly #options: OAuth1ClientOptions;
  readonly #signer: OAuth1Signer;
  readonly #requestTokenUrl: string;
  readonly #authorizationUrl: string;
  readonly #accessTokenUrl: string;
  readonly #method: 'POST' | 'GET';
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  /** @throws ConfigurationError naming the option. */
  constructor(options: OAuth1ClientOptions) {
    if (options === null || typeof options !== 'object') fail('options', 'must be an object');
    // Credential requests travel in the header or the body, never the query: URLs
    // end up in server and proxy logs, and PLAINTEXT would put the secrets there.
    this.#signer = new OAuth1Signer({
      ...options,
      transmission: options.transmission === 'body' ? 'body' : 'header',
      bodyHash: false,
    });
    this.#options = options;
    this.serviceName = options.serviceName ?? 'oauth1';
    if (typeof this.serviceName !== 'string' || this.serviceName === '') {
      fail('serviceName', 'must be a non-empty string');
    }
    this.#requestTokenUrl = absoluteUrl('requestTokenUrl', options.requestTokenUrl);
    this.#authorizationUrl = absoluteUrl('authorizationUrl', options.authorizationUrl);
    this.#accessTokenUrl = absoluteUrl('accessTokenUrl', options.accessTokenUrl);
    this.#method = options.method ?? 'POST';
    if (this.#method !== 'POST' && this.#method !== 'GET') {
      fail('method', "must be 'POST' or 'GET'");
    }
    if (this.#method === 'GET' && this.#signer.transmission === 'body') {
      fail('transmission', "'body' needs method 'POST'; use the default 'header' with GET");
    }
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0) {
      fail('timeoutMs', 'must be a positive number of milliseconds');
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function')
      fail('fetch', 'must be a fetch function (none is global here)');
    this.#fetch = fetchImpl;
  }

  /**
   * Step 1 (§2.1): asks for temporary credentials, sending `oauth_callback`.
   * Keep the result in the user's session: {@link OAuth1Client.accessToken} needs its secret.
   *
   * @throws AuthenticationError when refused, or when the provider does not confirm the
   * callback (`oauth_callback_confirmed=true`) or omits `oauth_token`/`oauth_token_secret`.
   *
   * @example
   * ```ts
   * const requestToken = await client.requestToken({ callback: 'https://app.example/callback' });
   * session.oauth1 = requestToken.toJSON();
   * ```
   */
  async requestToken(options: RequestTokenOptions): Promise<OAuth1Token> {
    const callback = options?.callback;
    if (callback !== 'oob') absoluteUrl('callback', callback);
    const { fields, status } = await this.#credentialsRequest(
      'temporary credential request',
      this.#requestTokenUrl,
      undefined,
      { oauth_callback: callback },
      options.parameters,
    );
    if (fields.oauth_callback_confirmed !== 'true') {
      throw new AuthenticationError(
        `temporary credential request at ${redactUrl(this.#requestTokenUrl)} did not confirm the callback (oauth_callback_confirmed is not "true"); the provider speaks OAuth 1.0, not 1.0a, or rejected the callback URL`,
        {
          serviceName: this.serviceName,
          status,
          error: 'callback_not_confirmed',
          package: 'oauth1',
        },
      );
    }
    return this.#token(fields, status, 'temporary credential request');
  }

  /**
   * Step 2 (§2.2): the URL to send the user to, with `oauth_token` (and any
   * extra parameters) added to the provider's authorization endpoint.
   *
   * @example
   * ```ts
   * response.redirect(client.authorizationUrl(requestToken));
   * ```
   */
  authorizationUrl(
    requestToken: OAuth1TokenCredentials | string,
    parameters: Readonly<Record<string, string>> = {},
  ): string {
    const token = typeof requestToken === 'string' ? requestToken : requestToken?.token;
    if (typeof token !== 'string' || token === '') {
      fail(
        'requestToken',
        'must be the temporary credentials from requestToken() or their oauth_token',
      );
    }
    const url = new URL(this.#authorizationUrl);
    url.searchParams.set('oauth_token', token);
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    return url.href;
  }

  /**
   * Reads `oauth_token` and `oauth_verifier` from the URL the provider sent
   * the user back to.
   *
   * @throws AuthenticationError when either is missing (the user denied access, or the URL is not the callback).
   *
   * @example
   * ```ts
   * const { token, verifier } = client.callbackParameters(`https://app.example${request.url}`);
   * ```
   */
  callbackParameters(callbackUrl: string | URL): CallbackParameters {
    const url = new URL(callbackUrl);
    const token = url.searchParams.get('oauth_token');
    const verifier = url.searchParams.get('oauth_verifier');
    if (!token || !verifier) {
      throw new AuthenticationError(
        'the callback carries no oauth_token and oauth_verifier: the user denied access, or this is not the callback URL',
        { serviceName: this.serviceName, error: 'access_denied', package: 'oauth1' },
      );
    }
    return { token, verifier };
  }

  /**
   * Step 3 (§2.3): exchanges the temporary credentials and the verifier
   * for token credentials.
   *
   * @throws AuthenticationError when refused or when `oauth_token`/`oauth_token_secret` are missing.
   *
   * @example
   * ```ts
   * const accessToken = await client.accessToken({ requestToken, verifier });
   * await db.save(userId, accessToken.toJSON());
   * ```
   */
  async accessToken(options: AccessTokenOptions): Promise<OAuth1Token> {
    const requestToken = options?.requestToken;
    if (!requestToken || typeof requestToken.token !== 'string' || requestToken.token === '') {
      fail('requestToken', 'must be the temporary credentials requestToken() returned');
    }
    if (typeof requestToken.tokenSecret !== 'string') {
      fail('requestToken.tokenSecret', 'must be the oauth_token_secret requestToken() returned');
    }
    if (typeof options.verifier !== 'string' || options.verifier === '') {
      fail('verifier', 'must be the oauth_verifier from the callback');
    }
    const { fields, status } = await this.#credentialsRequest(
      'token request',
      this.#accessTokenUrl,
      requestToken,
      { oauth_verifier: options.verifier },
      undefined,
    );
    return this.#token(fields, status, 'token request');
  }

  /**
   * An `Authorizer` for the adapters that signs with this consumer and the
   * given token credentials.
   *
   * @example
   * ```ts
   * const api = withForge(axios.create({ baseURL: 'https://api.example' }), client.authorizer(accessToken));
   * ```
   */
  authorizer(
    token: OAuth1TokenCredentials,
    options: Omit<OAuth1AuthorizerOptions, 'token' | 'tokenSecret' | 'consumerKey'> = {},
  ): OAuth1Authorizer {
    return oauth1Authorizer({
      ...this.#options,
      ...options,
      token: token?.token,
      tokenSecret: token?.tokenSecret,
    });
  }

  async #credentialsRequest(
    step: string,
    endpoint: string,
    token: OAuth1TokenCredentials | undefined,
    oauthParameters: Record<string, string>,
    extra: Readonly<Record<string, string>> | undefined,
  ): Promise<{ fields: Record<string, string>; status: number }> {
    const isPost = this.#method === 'POST';
    let url = endpoint;
    let body: URLSearchParams | undefined;
    if (extra && Object.keys(extra).length > 0) {
      if (isPost) body = new URLSearchParams(extra);
      else {
        const withQuery = new URL(endpoint);
        for (const [name, value] of Object.entries(extra))
          withQuery.searchParams.append(name, value);
        url = withQuery.href;
      }
    }
    const headers: Record<string, string> = body
      ? { 'content-type': 'application/x-www-form-urlencoded' }
      : {};
    const signed = await this.#signer.sign(
      { method: this.#method, url, headers, body },
      { token, oauthParameters },
    );
    const sendBody = signed.body ?? body?.toString();
    const init: RequestInit = {
      method: this.#method,
      headers: {
        accept: 'application/x-www-form-urlencoded, application/json;q=0.9, */*;q=0.1',
        ...headers,
        ...signed.headers,
      },
      redirect: 'error',
      signal: AbortSignal.timeout(this.#timeoutMs),
      ...(isPost && sendBody !== undefined ? { body: sendBody } : {}),
    };
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(signed.url, init);
      text = await response.text();
    } catch (cause) {
      const timeout = cause instanceof Error && cause.name === 'TimeoutError';
      throw new TokenEndpointError(
        `${step} at ${redactUrl(endpoint)} ${timeout ? `took longer than ${this.#timeoutMs} ms` : 'failed before an answer arrived'}; check the URL and the network`,
        {
          serviceName: this.serviceName,
          reason: timeout ? 'timeout' : 'network',
          cause,
          package: 'oauth1',
        },
      );
    }
    const fields = parseCredentialsBody(text);
    if (!response.ok) {
      throw endpointError(this.serviceName, step, endpoint, response, fields, [
        this.#options.consumerSecret,
        token?.tokenSecret,
        fields.oauth_token_secret,
      ]);
    }
    return { fields, status: response.status };
  }

  #token(fields: Record<string, string>, status: number, step: string): OAuth1Token {
    const { oauth_token: token, oauth_token_secret: tokenSecret, ...extra } = fields;
    if (!token || tokenSecret === undefined) {
      const missing = [
        token ? undefined : 'oauth_token',
        tokenSecret === undefined ? 'oauth_token_secret' : undefined,
      ]
        .filter(Boolean)
        .join(' and ');
      throw new AuthenticationError(
        `${step} succeeded but the answer has no ${missing}; the endpoint URL may be wrong (is it the provider's OAuth 1 endpoint?)`,
        { serviceName: this.serviceName, status, error: 'invalid_response', package: 'oauth1' },
      );
    }
    return new OAuth1Token(token, tokenSecret, extra);
  }

  [INSPECT](): string {
    return `OAuth1Client { serviceName: '${this.serviceName}', consumerKey: '${this.#signer.consumerKey}', signatureMethod: '${this.#signer.signatureMethod}' }`;
  }
}
