import { requireString } from '../client-auth/validate.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import { joinKey, scopeParam } from './cache-key.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { checkParam, type OAuthClientOptions, type ParamValue } from './options.js';

/**
 * Options of {@link PasswordGrantTokenProvider}.
 * @example
 * ```ts
 * new PasswordGrantTokenProvider({ clientId: 'app', tokenEndpoint, username: 'svc', password, scope: 'reports' });
 * ```
 */
export interface PasswordGrantOptions extends OAuthClientOptions {
  readonly username: string;
  readonly password: string;
  readonly scope?: ParamValue;
}

/**
 * The resource owner password grant (RFC 6749 §4.3), for legacy servers
 * that offer nothing better. The password stays inside the provider and
 * never shows in `util.inspect`, JSON or an error.
 *
 * @example
 * ```ts
 * const provider = new PasswordGrantTokenProvider({
 *   clientId: 'legacy-app',
 *   tokenEndpoint: 'https://auth.example/oauth/token',
 *   username: 'svc-reports',
 *   password: process.env.REPORTS_PASSWORD!,
 * });
 * ```
 */
export class PasswordGrantTokenProvider extends OAuth2TokenProvider {
  readonly username: string;
  readonly #password: string;
  readonly #scope: ParamValue | undefined;

  constructor(options: PasswordGrantOptions) {
    super(options);
    this.username = requireString(options.username, 'username');
    this.#password = requireString(options.password, 'password');
    this.#scope = checkParam(options.scope, 'scope');
  }

  fetchToken(_input?: undefined, context?: TokenRequestContext): Promise<Token> {
    return this.requestToken(
      {
        grant_type: 'password',
        username: this.username,
        password: this.#password,
        scope: scopeParam(this.#scope),
      },
      context,
    );
  }

  /** `serviceName:clientId:username`. */
  cacheKey(): string {
    return joinKey(this.serviceName, this.clientId, this.username);
  }
}
