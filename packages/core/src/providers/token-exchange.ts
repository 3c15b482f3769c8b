import { requireString } from '../client-auth/validate.js';
import { ConfigurationError } from '../errors.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import { canonical, joinKey, scopeParam } from './cache-key.js';
import { DigestMemo } from './digest.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { checkParam, type OAuthClientOptions, type ParamValue } from './options.js';

/**
 * RFC 8693 §3 token type identifiers.
 * @example
 * ```ts
 * await manager.getToken({ subjectToken: idToken, subjectTokenType: TokenTypeUri.IdToken });
 * ```
 */
export const TokenTypeUri = {
  AccessToken: 'urn:ietf:params:oauth:token-type:access_token',
  RefreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  IdToken: 'urn:ietf:params:oauth:token-type:id_token',
  Jwt: 'urn:ietf:params:oauth:token-type:jwt',
  Saml2: 'urn:ietf:params:oauth:token-type:saml2',
} as const;

/**
 * What to exchange, per call: `manager.getToken({ subjectToken })`.
 * @example
 * ```ts
 * await manager.getToken({ subjectToken: userToken, actorToken: serviceToken, audience: 'https://orders.example' });
 * ```
 */
export interface TokenExchangeInput {
  /** The token to exchange (e.g. the incoming request's bearer token). */
  readonly subjectToken: string;
  /** Default `urn:ietf:params:oauth:token-type:access_token`. */
  readonly subjectTokenType?: string;
  /** The acting party's token, for delegation. */
  readonly actorToken?: string;
  /** Default access token type when `actorToken` is given. */
  readonly actorTokenType?: string;
  /** Overrides the provider's `audience`. */
  readonly audience?: ParamValue;
  /** Overrides the provider's `scope`. */
  readonly scope?: ParamValue;
  /** Overrides the provider's `resource`. */
  readonly resource?: ParamValue;
}

/**
 * Options of {@link TokenExchangeProvider}: defaults for every exchange.
 * @example
 * ```ts
 * new TokenExchangeProvider({ clientId: 'gw', clientSecret: secret, issuer, audience: 'https://orders.example', digestCacheSize: 10_000 });
 * ```
 */
export interface TokenExchangeOptions extends OAuthClientOptions {
  readonly audience?: ParamValue;
  readonly scope?: ParamValue;
  readonly resource?: ParamValue;
  /** `requested_token_type`; default left to the server (usually an access token). */
  readonly requestedTokenType?: string;
  /** How many subject-token digests to remember. Default 1 000. */
  readonly digestCacheSize?: number;
}

/**
 * Token exchange (RFC 8693): a subject token in (the user's token your API
 * received), a token for a downstream API out. Each subject, audience and
 * scope gets its own cached token; the cache key holds a SHA-256 digest of
 * the subject token, never the token itself.
 *
 * @example
 * ```ts
 * const manager = new TokenManager(
 *   new TokenExchangeProvider({
 *     serviceName: 'inventory',
 *     clientId: 'gateway',
 *     clientSecret: process.env.GATEWAY_SECRET!,
 *     issuer: 'https://auth.example',
 *     audience: 'https://inventory.example',
 *   }),
 * );
 * const downstream = await manager.getToken({ subjectToken: incomingBearerToken });
 * ```
 */
export class TokenExchangeProvider extends OAuth2TokenProvider<TokenExchangeInput> {
  readonly #defaults: Pick<TokenExchangeInput, 'audience' | 'scope' | 'resource'>;
  readonly #requestedTokenType: string | undefined;
  readonly #digests: DigestMemo;

  constructor(options: TokenExchangeOptions) {
    super(options);
    this.#defaults = {
      audience: checkParam(options.audience, 'audience'),
      scope: checkParam(options.scope, 'scope'),
      resource: checkParam(options.resource, 'resource'),
    };
    this.#requestedTokenType =
      options.requestedTokenType === undefined
        ? undefined
        : requireString(options.requestedTokenType, 'requestedTokenType');
    const size = options.digestCacheSize ?? 1_000;
    if (!Number.isInteger(size) || size < 1) {
      throw new ConfigurationError('digestCacheSize', 'must be a positive integer');
    }
    this.#digests = new DigestMemo(size);
  }

  async fetchToken(input: TokenExchangeInput, context?: TokenRequestContext): Promise<Token> {
    const request = this.#check(input);
    return this.requestToken(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: request.subjectToken,
        subject_token_type: request.subjectTokenType ?? TokenTypeUri.AccessToken,
        actor_token: request.actorToken,
        actor_token_type:
          request.actorToken === undefined
            ? undefined
            : (request.actorTokenType ?? TokenTypeUri.AccessToken),
        audience: request.audience,
        scope: scopeParam(request.scope),
        resource: request.resource,
        requested_token_type: this.#requestedTokenType,
      },
      context,
    );
  }

  /** `serviceName:clientId:xchg:<sha-256 of subject, actor, audience, scope, resource>`. */
  async cacheKey(input: TokenExchangeInput): Promise<string> {
    const request = this.#check(input);
    const material = JSON.stringify([
      request.subjectToken,
      request.subjectTokenType ?? TokenTypeUri.AccessToken,
      request.actorToken ?? '',
      canonical(request.audience, ',') ?? '',
      canonical(request.scope, ' ') ?? '',
      canonical(request.resource, ',') ?? '',
    ]);
    return joinKey(this.serviceName, this.clientId, 'xchg', await this.#digests.digest(material));
  }

  #check(input: TokenExchangeInput): TokenExchangeInput {
    if (typeof input !== 'object' || input === null) {
      throw new ConfigurationError('input', 'must be an object { subjectToken, … }');
    }
    requireString(input.subjectToken, 'input.subjectToken');
    if (input.actorToken !== undefined) requireString(input.actorToken, 'input.actorToken');
    return {
      ...input,
      audience: checkParam(input.audience, 'input.audience') ?? this.#defaults.audience,
      scope: checkParam(input.scope, 'input.scope') ?? this.#defaults.scope,
      resource: checkParam(input.resource, 'input.resource') ?? this.#defaults.resource,
    };
  }
}
