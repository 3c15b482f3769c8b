import { requireString } from '../client-auth/validate.js';
import { ConfigurationError } from '../errors.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import type { MaybePromise } from '../types.js';
import { joinKey } from './cache-key.js';
import { type GrantParams, OAuth2TokenProvider } from './oauth2-provider.js';
import type { OAuthClientOptions } from './options.js';

/**
 * Options of {@link GrantTypeTokenProvider}.
 * @example
 * ```ts
 * const options: GrantTypeOptions = {
 *   grantType: 'urn:ibm:params:oauth:grant-type:apikey',
 *   params: { apikey: process.env.IBM_API_KEY! },
 *   secretParams: ['apikey'],
 *   tokenEndpoint: 'https://iam.cloud.ibm.com/identity/token',
 * };
 * ```
 */
export interface GrantTypeOptions<TInput = void> extends OAuthClientOptions {
  /** The `grant_type` to send: any grant the server supports (a URI for extension grants). */
  readonly grantType: string;
  /**
   * The grant's parameters, fixed or computed per `manager.getToken(input)`
   * (a device code, a vendor's API key, an assertion). `grant_type` is set by
   * the provider and may not appear here.
   */
  readonly params?: GrantParams | ((input: TInput) => MaybePromise<GrantParams>);
  /**
   * Parameters whose values are secrets beyond the standard ones (`password`,
   * `assertion`, `client_secret`, …): scrubbed from every error and kept out of
   * cache keys. Name every secret your grant sends.
   */
  readonly secretParams?: readonly string[];
  /**
   * The cache key per input; required when `params` is a function, since
   * only you know which inputs share a token. Never put a secret in it.
   * Defaults to `serviceName:clientId:grantType`.
   */
  readonly cacheKey?: (input: TInput) => MaybePromise<string>;
  /** Send the grant without client authentication (a public client, e.g. device code). */
  readonly publicClient?: boolean;
}

/**
 * A provider for any grant the token endpoint supports (RFC 6749 §4.5
 * extension grants, RFC 8628 device code, vendor grants), with the same client
 * authentication, discovery, retries, parsing and typed errors as the
 * built-in providers.
 *
 * @example
 * ```ts
 * const provider = new GrantTypeTokenProvider({
 *   grantType: 'urn:ietf:params:oauth:grant-type:device_code',
 *   params: (deviceCode: string) => ({ device_code: deviceCode }),
 *   secretParams: ['device_code'],
 *   cacheKey: () => 'device-session',
 *   clientId: 'tv-app',
 *   publicClient: true,
 *   tokenEndpoint: 'https://auth.example/oauth/token',
 * });
 * ```
 */
export class GrantTypeTokenProvider<TInput = void> extends OAuth2TokenProvider<TInput> {
  readonly grantType: string;
  readonly #params: GrantTypeOptions<TInput>['params'];
  readonly #secretParams: readonly string[];
  readonly #cacheKey: ((input: TInput) => MaybePromise<string>) | undefined;

  constructor(options: GrantTypeOptions<TInput>) {
    super(options, { clientOptional: options?.publicClient === true });
    this.grantType = requireString(options.grantType, 'grantType');
    const { params, secretParams = [], cacheKey } = options;
    if (params !== undefined && typeof params !== 'function') checkParams(params);
    if (
      !Array.isArray(secretParams) ||
      secretParams.some((name) => typeof name !== 'string' || name === '')
    ) {
      throw new ConfigurationError('secretParams', 'must be an array of parameter names');
    }
    if (cacheKey !== undefined && typeof cacheKey !== 'function') {
      throw new ConfigurationError('cacheKey', 'must be a function of the input');
    }
    if (typeof params === 'function' && cacheKey === undefined) {
      throw new ConfigurationError(
        'cacheKey',
        'is required when params is a function: return a key that names which inputs share a token (never a secret)',
      );
    }
    this.#params = params;
    this.#secretParams = Object.freeze([...secretParams]);
    this.#cacheKey = cacheKey;
  }

  async fetchToken(input: TInput, context?: TokenRequestContext): Promise<Token> {
    const params = typeof this.#params === 'function' ? await this.#params(input) : this.#params;
    if (typeof this.#params === 'function') checkParams(params);
    return this.requestToken(
      { ...params, grant_type: this.grantType },
      context,
      undefined,
      this.#secretParams,
    );
  }

  /** Your `cacheKey(input)`, else `serviceName:clientId:grantType`. */
  cacheKey(input: TInput): MaybePromise<string> {
    if (this.#cacheKey !== undefined) return this.#cacheKey(input);
    return joinKey(this.serviceName, this.clientId, this.grantType);
  }
}

function checkParams(params: unknown): asserts params is GrantParams {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ConfigurationError('params', 'must be an object of grant parameters');
  }
  for (const [name, value] of Object.entries(params)) {
    if (name === 'grant_type') {
      throw new ConfigurationError('params.grant_type', 'is set by the grantType option');
    }
    const ok =
      value === undefined ||
      typeof value === 'string' ||
      (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    if (!ok) {
      throw new ConfigurationError(`params.${name}`, 'must be a string or an array of strings');
    }
  }
}
