import { requireString } from '../client-auth/validate.js';
import { AuthenticationError, ConfigurationError } from '../errors.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import { joinKey, scopeParam } from './cache-key.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { checkParam, type OAuthClientOptions, type ParamValue } from './options.js';
import { pkceChallenge, randomToken } from './pkce.js';

/**
 * Options of {@link AuthorizationCodeFlow}.
 * @example
 * ```ts
 * new AuthorizationCodeFlow({
 *   clientId: 'web', clientSecret: secret, issuer,
 *   redirectUri: 'https://app.example/callback',
 *   scope: 'openid offline_access',
 *   authorizationParams: { prompt: 'consent' },
 * });
 * ```
 */
export interface AuthorizationCodeOptions extends OAuthClientOptions {
  /** Where the server sends the user back; can be overridden per call. */
  readonly redirectUri?: string;
  /** The authorization endpoint; default discovered from `issuer`. */
  readonly authorizationEndpoint?: string;
  /** Default scope of the authorization request. */
  readonly scope?: ParamValue;
  /** Extra parameters for every authorization URL (`prompt`, `access_type`, …). */
  readonly authorizationParams?: Readonly<Record<string, string>>;
}

/**
 * Arguments of {@link AuthorizationCodeFlow.authorizationUrl}.
 * @example
 * ```ts
 * await flow.authorizationUrl({ scope: 'openid calendar.write', extraParams: { login_hint: email } });
 * ```
 */
export interface AuthorizationUrlParams {
  readonly redirectUri?: string;
  readonly scope?: ParamValue;
  /** Default: 32 random bytes, base64url. */
  readonly state?: string;
  readonly extraParams?: Readonly<Record<string, string>>;
}

/**
 * What to keep (in the user's session) until the user comes back.
 * @example
 * ```ts
 * const { url, state, codeVerifier }: AuthorizationRequestState = await flow.authorizationUrl();
 * ```
 */
export interface AuthorizationRequestState {
  /** Send the user's browser here. */
  readonly url: string;
  /** Compare with the `state` of the callback. */
  readonly state: string;
  /** Pass to `exchangeCode` / `completeAuthorization`; never show it. */
  readonly codeVerifier: string;
}

/**
 * Arguments of {@link AuthorizationCodeFlow.exchangeCode}.
 * @example
 * ```ts
 * await flow.exchangeCode({ code: query.code, codeVerifier: session.codeVerifier });
 * ```
 */
export interface CodeExchangeParams {
  readonly code: string;
  readonly codeVerifier: string;
  /** Must equal the one in the authorization URL; default the `redirectUri` option. */
  readonly redirectUri?: string;
}

/**
 * The part of a `TokenManager<string>` that {@link AuthorizationCodeFlow.completeAuthorization} uses.
 * @example
 * ```ts
 * const users: UserTokenManager = new TokenManager(flow);
 * await flow.completeAuthorization(users, userId, { code, codeVerifier });
 * ```
 */
export interface UserTokenManager {
  forceRefresh(userId: string): Promise<Token>;
}

/**
 * The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636) for
 * tokens that act for a user. It is a `TokenProvider<string>` keyed by your
 * user id: a `TokenManager` keeps each user's token in its storage and
 * refreshes it with the refresh grant; `completeAuthorization` puts a newly
 * authorized user's token there.
 *
 * @example
 * ```ts
 * const flow = new AuthorizationCodeFlow({
 *   serviceName: 'calendar',
 *   clientId: 'my-app',
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   issuer: 'https://auth.example',
 *   redirectUri: 'https://app.example/callback',
 *   scope: 'openid offline_access calendar.read',
 * });
 * const users = new TokenManager(flow, { storage });
 *
 * // GET /login
 * const { url, state, codeVerifier } = await flow.authorizationUrl();
 * session.oauth = { state, codeVerifier };
 * // GET /callback?code=…&state=…  (check state first)
 * await flow.completeAuthorization(users, userId, { code, codeVerifier: session.oauth.codeVerifier });
 * // anywhere later
 * const token = await users.getToken(userId);
 * ```
 */
export class AuthorizationCodeFlow extends OAuth2TokenProvider<string> {
  readonly #redirectUri: string | undefined;
  readonly #authorizationEndpoint: string | undefined;
  readonly #scope: ParamValue | undefined;
  readonly #authorizationParams: Readonly<Record<string, string>>;
  /** Tokens just obtained by code exchange, waiting for the manager to ask for them. */
  readonly #handoff = new Map<string, Token>();

  constructor(options: AuthorizationCodeOptions) {
    super(options);
    this.#redirectUri = checkAbsolute(options.redirectUri, 'redirectUri');
    this.#authorizationEndpoint = checkAbsolute(
      options.authorizationEndpoint,
      'authorizationEndpoint',
    );
    if (!this.#authorizationEndpoint && !this.issuer) {
      throw new ConfigurationError(
        'authorizationEndpoint',
        'is required (or give `issuer` to discover it from the server metadata)',
      );
    }
    this.#scope = checkParam(options.scope, 'scope');
    this.#authorizationParams = options.authorizationParams ?? {};
  }

  /**
   * Builds the URL to send the user to, with PKCE (S256) and a random
   * `state`. Keep `state` and `codeVerifier` in the user's session.
   */
  async authorizationUrl(params: AuthorizationUrlParams = {}): Promise<AuthorizationRequestState> {
    const redirectUri = this.#redirect(params.redirectUri);
    const state =
      params.state === undefined ? randomToken(32) : requireString(params.state, 'state');
    const codeVerifier = randomToken(32);
    const endpoint = this.#authorizationEndpoint ?? (await this.metadata()).authorization_endpoint;
    if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) {
      throw new ConfigurationError(
        'authorizationEndpoint',
        `is not in the metadata of ${this.issuer}; set it explicitly`,
      );
    }
    const url = new URL(endpoint);
    const query: Record<string, string | undefined> = {
      ...this.#authorizationParams,
      ...params.extraParams,
      response_type: 'code',
      client_id: this.clientId,
      redirect_uri: redirectUri,
      scope: scopeParam(checkParam(params.scope, 'scope') ?? this.#scope),
      state,
      code_challenge: await pkceChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return { url: url.toString(), state, codeVerifier };
  }

  /** Exchanges the callback's `code` (with the PKCE verifier) for the user's token. */
  async exchangeCode(params: CodeExchangeParams, context?: TokenRequestContext): Promise<Token> {
    if (typeof params !== 'object' || params === null) {
      throw new ConfigurationError(
        'params',
        'must be an object { code, codeVerifier, redirectUri? }',
      );
    }
    return this.requestToken(
      {
        grant_type: 'authorization_code',
        code: requireString(params.code, 'code'),
        code_verifier: requireString(params.codeVerifier, 'codeVerifier'),
        redirect_uri: this.#redirect(params.redirectUri),
      },
      context,
    );
  }

  /**
   * Exchanges the code and stores the token under `userId` in `manager`
   * (and so in its storage, shared with other instances), replacing any
   * token the user had. Resolves with the stored token.
   */
  async completeAuthorization(
    manager: UserTokenManager,
    userId: string,
    params: CodeExchangeParams,
  ): Promise<Token> {
    requireString(userId, 'userId');
    const token = await this.exchangeCode(params);
    this.#handoff.set(userId, token);
    try {
      // forceRefresh makes the manager ask this provider, which hands over the exchanged token;
      // a second try covers joining a flight that started before the handoff was in place.
      for (let attempt = 0; attempt < 2 && this.#handoff.get(userId) === token; attempt++) {
        await manager.forceRefresh(userId);
      }
      return token;
    } finally {
      if (this.#handoff.get(userId) === token) this.#handoff.delete(userId);
    }
  }

  /**
   * The user's token exists only after an authorization: without one this
   * fails with an `AuthenticationError` (`error: 'authorization_required'`).
   */
  async fetchToken(userId: string, context?: TokenRequestContext): Promise<Token> {
    const handed = this.#take(userId);
    if (handed) return handed;
    context?.signal.throwIfAborted();
    throw new AuthenticationError(
      `No token for this user of "${this.serviceName}": run the authorization flow (authorizationUrl, then completeAuthorization) for the user first.`,
      { serviceName: this.serviceName, error: 'authorization_required' },
    );
  }

  override refreshToken(
    current: Token,
    userId: string,
    context?: TokenRequestContext,
  ): Promise<Token> {
    const handed = this.#take(userId);
    if (handed) return Promise.resolve(handed);
    return super.refreshToken(current, userId, context);
  }

  /** `serviceName:clientId:user:<userId>`. */
  cacheKey(userId: string): string {
    return joinKey(this.serviceName, this.clientId, 'user', requireString(userId, 'userId'));
  }

  #take(userId: string): Token | undefined {
    const token = this.#handoff.get(userId);
    if (token) this.#handoff.delete(userId);
    return token;
  }

  #redirect(value: string | undefined): string {
    const redirectUri = checkAbsolute(value, 'redirectUri') ?? this.#redirectUri;
    if (!redirectUri) {
      throw new ConfigurationError(
        'redirectUri',
        'is required: set it on the flow or pass it per call',
      );
    }
    return redirectUri;
  }
}

function checkAbsolute(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new ConfigurationError(option, 'must be an absolute URL');
  }
  return value;
}
