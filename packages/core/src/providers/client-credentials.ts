import { ConfigurationError } from '../errors.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import { canonical, joinKey, scopeParam } from './cache-key.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { checkParam, type OAuthClientOptions, type ParamValue } from './options.js';

/**
 * What a multi-scope client asks for per call; each field overrides the provider's option.
 * @example
 * ```ts
 * await manager.getToken({ scope: 'read', audience: 'https://api.example' });
 * ```
 */
export interface ClientCredentialsInput {
  /** Space-delimited string or list. */
  readonly scope?: ParamValue;
  /** `audience` parameter (Auth0, Okta and others); repeated when a list. */
  readonly audience?: ParamValue;
  /** RFC 8707 resource indicator(s). */
  readonly resource?: ParamValue;
}

/**
 * Options of {@link ClientCredentialsTokenProvider}.
 * @example
 * ```ts
 * new ClientCredentialsTokenProvider({ clientId: 'svc', clientSecret: secret, issuer, scope: ['read', 'write'] });
 * ```
 */
export interface ClientCredentialsOptions extends OAuthClientOptions, ClientCredentialsInput {}

function checkInput(input: ClientCredentialsInput | undefined, prefix: string): void {
  if (input === undefined || input === null) return;
  if (typeof input !== 'object') {
    throw new ConfigurationError(
      prefix || 'input',
      'must be an object { scope?, audience?, resource? }',
    );
  }
  checkParam(input.scope, `${prefix}scope`);
  checkParam(input.audience, `${prefix}audience`);
  checkParam(input.resource, `${prefix}resource`);
}

/**
 * The client credentials grant (RFC 6749 §4.4): a machine-to-machine token
 * for the client itself. One provider can serve several scopes or
 * audiences: pass them to `manager.getToken({ scope })`, and each gets its
 * own cached token.
 *
 * @example
 * ```ts
 * const provider = new ClientCredentialsTokenProvider({
 *   serviceName: 'billing',
 *   clientId: 'orders-service',
 *   clientSecret: process.env.ORDERS_CLIENT_SECRET!,
 *   tokenEndpoint: 'https://auth.example/oauth/token',
 *   scope: 'invoices:read',
 * });
 * const token = await provider.fetchToken();
 * ```
 */
export class ClientCredentialsTokenProvider extends OAuth2TokenProvider<
  ClientCredentialsInput | undefined
> {
  readonly #defaults: ClientCredentialsInput;

  constructor(options: ClientCredentialsOptions) {
    super(options);
    checkInput(options, '');
    this.#defaults = {
      scope: options.scope,
      audience: options.audience,
      resource: options.resource,
    };
  }

  async fetchToken(
    input?: ClientCredentialsInput | undefined,
    context?: TokenRequestContext,
  ): Promise<Token> {
    checkInput(input, 'input.');
    const request = this.#merge(input);
    return this.requestToken(
      {
        grant_type: 'client_credentials',
        scope: scopeParam(request.scope),
        audience: request.audience,
        resource: request.resource,
      },
      context,
    );
  }

  /** `serviceName:clientId:scope:audience:resource`, scopes in canonical order. */
  cacheKey(input?: ClientCredentialsInput | undefined): string {
    checkInput(input, 'input.');
    const request = this.#merge(input);
    return joinKey(
      this.serviceName,
      this.clientId,
      canonical(request.scope, ' '),
      canonical(request.audience, ','),
      canonical(request.resource, ','),
    );
  }

  #merge(input: ClientCredentialsInput | undefined): ClientCredentialsInput {
    if (!input) return this.#defaults;
    return {
      scope: input.scope ?? this.#defaults.scope,
      audience: input.audience ?? this.#defaults.audience,
      resource: input.resource ?? this.#defaults.resource,
    };
  }
}
