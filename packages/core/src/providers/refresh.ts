import { requireString } from '../client-auth/validate.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import { joinKey, scopeParam } from './cache-key.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { checkParam, type OAuthClientOptions, type ParamValue } from './options.js';

/**
 * Options of {@link RefreshTokenProvider}.
 * @example
 * ```ts
 * new RefreshTokenProvider({ clientId: 'cli', issuer, refreshToken: saved.refreshToken, scope: 'read' });
 * ```
 */
export interface RefreshTokenOptions extends OAuthClientOptions {
  /** A refresh token obtained elsewhere (a consent flow, a CLI login). */
  readonly refreshToken: string;
  /** Narrower scope to ask for (RFC 6749 §6); default the original grant's. */
  readonly scope?: ParamValue;
}

/**
 * Access tokens from a refresh token you already hold (RFC 6749 §6). When
 * the server rotates refresh tokens, the provider keeps using the newest one
 * it received, and the manager stores it with the token.
 *
 * @example
 * ```ts
 * const provider = new RefreshTokenProvider({
 *   clientId: 'desktop-app',
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   issuer: 'https://auth.example',
 *   refreshToken: process.env.REFRESH_TOKEN!,
 * });
 * ```
 */
export class RefreshTokenProvider extends OAuth2TokenProvider {
  #refreshToken: string;
  readonly #scope: ParamValue | undefined;

  constructor(options: RefreshTokenOptions) {
    super(options);
    this.#refreshToken = requireString(options.refreshToken, 'refreshToken');
    this.#scope = checkParam(options.scope, 'scope');
  }

  fetchToken(_input?: undefined, context?: TokenRequestContext): Promise<Token> {
    return this.#refresh(this.#refreshToken, context);
  }

  override refreshToken(
    current: Token,
    _input?: undefined,
    context?: TokenRequestContext,
  ): Promise<Token> {
    return this.#refresh(current.refreshToken ?? this.#refreshToken, context, current);
  }

  /** `serviceName:clientId:refresh`. */
  cacheKey(): string {
    return joinKey(this.serviceName, this.clientId, 'refresh');
  }

  async #refresh(
    refreshToken: string,
    context?: TokenRequestContext,
    previous?: Token,
  ): Promise<Token> {
    // A server that does not rotate omits refresh_token: the one just used stays valid.
    const token = await this.requestToken(
      { grant_type: 'refresh_token', refresh_token: refreshToken, scope: scopeParam(this.#scope) },
      context,
      { refreshToken, scope: previous?.scope },
    );
    if (token.refreshToken) this.#refreshToken = token.refreshToken;
    return token;
  }
}
