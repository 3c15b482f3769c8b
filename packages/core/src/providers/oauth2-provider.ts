import type { ClientAuth } from '../client-auth/types.js';
import { INSPECT } from '../client-auth/validate.js';
import { dpopChallengeError, isDPoPError } from '../dpop/challenge.js';
import type { DPoP } from '../dpop/dpop.js';
import { AuthenticationError } from '../errors.js';
import { parseBody } from '../protocol/body.js';
import {
  type DiscoveryCache,
  defaultDiscoveryCache,
  mtlsEndpointAlias,
} from '../protocol/discovery.js';
import { type PreviousGrant, parseTokenResponse } from '../protocol/token-response.js';
import type { TokenProvider, TokenRequestContext } from '../provider.js';
import { Token } from '../token.js';
import { type ResolvedTransport, resolveTransport } from '../transport/options.js';
import {
  type AttemptOutcome,
  type FormCredentials,
  type FormResponse,
  postForm,
} from '../transport/post-form.js';
import {
  checkExtraParams,
  checkLifetime,
  checkServiceName,
  type OAuthClientOptions,
  type ParamValue,
  resolveClientAuth,
  resolveDPoP,
  resolveEndpoint,
  resolveMtls,
} from './options.js';
import { secretsOf } from './secrets.js';

// RFC 9449 §8: `400 {"error":"use_dpop_nonce"}`, or a DPoP challenge on a 401.
// Client authentication that signs a single-use assertion for each request.
const SIGNED_CLIENT_AUTH: ReadonlySet<string> = new Set(['client_secret_jwt', 'private_key_jwt']);

function dpopRefusal(response: FormResponse): boolean {
  if (response.status !== 400 && response.status !== 401) return false;
  const error = parseBody(response.body, response.headers.get('content-type'))?.error;
  return (
    isDPoPError(typeof error === 'string' ? error : undefined) ||
    isDPoPError(dpopChallengeError(response.headers.get('www-authenticate')))
  );
}

/**
 * Form parameters of a token request; `undefined` values are left out, arrays repeated.
 * @example
 * ```ts
 * const params: GrantParams = { grant_type: 'client_credentials', resource: ['https://a.example', 'https://b.example'] };
 * ```
 */
export type GrantParams = Readonly<Record<string, ParamValue | undefined>>;

/** Adds what the transport does not know (grant type, endpoint origin) to each attempt's report. */
function attemptReporter(
  context: TokenRequestContext | undefined,
  grantType: string | null,
  url: string,
): ((outcome: AttemptOutcome) => void) | undefined {
  const onAttempt = context?.onAttempt;
  if (typeof onAttempt !== 'function') return undefined;
  // Only the origin: a token endpoint's path is harmless, but a query could carry anything.
  const origin = URL.canParse(url) ? new URL(url).origin : 'unknown';
  const grant = grantType ?? 'unknown';
  return (outcome) => onAttempt({ grantType: grant, origin, ...outcome });
}

/**
 * The base of every built-in provider: client authentication, endpoint
 * discovery, the retrying transport, lenient response parsing, and the
 * refresh grant. Extend it for a custom grant type: implement `fetchToken`
 * with `this.requestToken({ grant_type: '…', … })`.
 *
 * @example
 * ```ts
 * class DeviceCodeProvider extends OAuth2TokenProvider<string> {
 *   fetchToken(deviceCode: string, context?: TokenRequestContext) {
 *     return this.requestToken(
 *       { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode },
 *       context,
 *     );
 *   }
 * }
 * ```
 */
export abstract class OAuth2TokenProvider<TInput = void> implements TokenProvider<TInput> {
  readonly serviceName: string;
  /** The client id, or `undefined` for a grant sent without client authentication. */
  readonly clientId: string | undefined;
  readonly #clientAuth: ClientAuth | undefined;
  readonly #transport: ResolvedTransport;
  readonly #tokenEndpoint: string | undefined;
  readonly #issuer: string | undefined;
  readonly #discovery: DiscoveryCache;
  readonly #defaultLifetimeMs: number | undefined;
  readonly #extraParams: Readonly<Record<string, ParamValue>>;
  readonly #mtls: boolean;
  /** The DPoP key tokens are bound to (the `dpop` option), or `undefined`. */
  readonly dpop: DPoP | undefined;

  constructor(options: OAuthClientOptions, config: { clientOptional?: boolean } = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('[forge] [core] Provider options must be an object');
    }
    this.#clientAuth = resolveClientAuth(options, config.clientOptional);
    this.clientId = this.#clientAuth?.clientId;
    this.serviceName = checkServiceName(options.serviceName, this.clientId);
    const { tokenEndpoint, issuer } = resolveEndpoint(options);
    this.#tokenEndpoint = tokenEndpoint;
    this.#issuer = issuer;
    this.#transport = resolveTransport(options);
    this.#mtls = resolveMtls(options, this.#clientAuth);
    this.#discovery = options.discovery ?? defaultDiscoveryCache;
    this.#defaultLifetimeMs = checkLifetime(options.defaultLifetimeMs);
    this.#extraParams = checkExtraParams(options.extraParams);
    this.dpop = resolveDPoP(options.dpop);
  }

  /** Obtains a new token with this provider's grant. */
  abstract fetchToken(input: TInput, context?: TokenRequestContext): Promise<Token>;

  /**
   * Uses the current token's refresh token (refresh_token grant); a token
   * without one is replaced through `fetchToken`. The manager falls back to
   * `fetchToken` when the server answers `invalid_grant`.
   */
  refreshToken(current: Token, input: TInput, context?: TokenRequestContext): Promise<Token> {
    if (!current.refreshToken) return this.fetchToken(input, context);
    return this.requestToken(
      { grant_type: 'refresh_token', refresh_token: current.refreshToken },
      context,
      current,
    );
  }

  /** The client authentication method in use (`client_secret_basic`, …, or `none`). */
  get clientAuthMethod(): string {
    return this.#clientAuth?.method ?? 'none';
  }

  /** The issuer this provider was configured with, if any. */
  get issuer(): string | undefined {
    return this.#issuer;
  }

  /**
   * The token endpoint: the `tokenEndpoint` option, or discovered from
   * `issuer` (once); with mutual TLS, discovery's
   * `mtls_endpoint_aliases.token_endpoint` when it names one (RFC 8705 §5).
   */
  async tokenEndpoint(signal?: AbortSignal): Promise<string> {
    if (this.#tokenEndpoint) return this.#tokenEndpoint;
    const metadata = await this.metadata(signal);
    const alias = this.#mtls
      ? mtlsEndpointAlias(metadata, 'token_endpoint', this.serviceName)
      : undefined;
    return alias ?? metadata.token_endpoint;
  }

  /** Whether this provider presents a TLS client certificate (`mtls`, or a certificate client authentication). */
  get mtls(): boolean {
    return this.#mtls;
  }

  /** The issuer's discovered metadata (only with the `issuer` option). */
  protected metadata(signal?: AbortSignal) {
    return this.#discovery.get(this.#issuer as string, {
      serviceName: this.serviceName,
      fetch: this.#transport.fetch,
      timeoutMs: this.#transport.timeoutMs,
      maxResponseBytes: this.#transport.maxResponseBytes,
      signal,
    });
  }

  /**
   * Sends one token request: the grant parameters plus `extraParams`, client
   * authentication, retries, and parsing into a {@link Token} or a typed error.
   * `previous` supplies the refresh token and scope when a refresh response
   * omits them; `secretParams` names parameters beyond the standard ones
   * whose values must be scrubbed from errors.
   */
  protected async requestToken(
    params: GrantParams,
    context?: TokenRequestContext,
    previous?: PreviousGrant,
    secretParams: readonly string[] = [],
  ): Promise<Token> {
    const signal = context?.signal;
    const url = await this.tokenEndpoint(signal);
    const dpop = this.dpop;
    // The key is fixed before the first proof: a rotation meanwhile must not
    // bind the token to a key other than the one that signed for it.
    const jkt = dpop === undefined ? undefined : await dpop.ready();
    let response: FormResponse;
    let secrets: (string | undefined)[];
    // Applied per try, the transport's retries included: a client
    // assertion's or a DPoP proof's `jti` may be used once only.
    const credentials = async (): Promise<FormCredentials> => {
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries({ ...this.#extraParams, ...params })) {
        if (value === undefined) continue;
        if (typeof value === 'string') body.set(name, value);
        else for (const item of value) body.append(name, item);
      }
      const headers: Record<string, string> = {};
      await this.#clientAuth?.apply({ body, headers, tokenEndpoint: url, issuer: this.#issuer });
      if (dpop !== undefined) {
        headers.dpop = await dpop.proof({ method: 'POST', url, thumbprint: jkt });
      }
      return { body, headers, secrets: secretsOf(body, headers, secretParams) };
    };
    const signed = dpop !== undefined || SIGNED_CLIENT_AUTH.has(this.clientAuthMethod);
    // One extra try at most, and only when the server told us something new
    // (a nonce, its clock): a server that asks every time costs two requests.
    for (let attempt = 0; ; attempt++) {
      const first = await credentials();
      secrets = [...(first.secrets ?? [])];
      const onAttempt = attemptReporter(context, first.body.get('grant_type'), url);
      const renew = signed
        ? async () => {
            const next = await credentials();
            secrets = [...secrets, ...(next.secrets ?? [])];
            return next;
          }
        : undefined;
      response = await postForm(
        { serviceName: this.serviceName, url, ...first, signal, onAttempt, renew },
        this.#transport,
      );
      if (dpop === undefined) break;
      const refused = dpopRefusal(response);
      const changed = dpop.observe(url, response.headers, refused, response.receivedAt);
      if (!refused || !changed || attempt >= 1) break;
    }
    const token = parseTokenResponse(
      {
        status: response.status,
        contentType: response.headers.get('content-type'),
        wwwAuthenticate: response.headers.get('www-authenticate'),
        body: response.body,
      },
      {
        serviceName: this.serviceName,
        receivedAt: response.receivedAt,
        defaultLifetimeMs: this.#defaultLifetimeMs,
        secrets,
        previous,
        jkt,
      },
    );
    if (dpop !== undefined && token.tokenType !== 'DPoP') {
      if (dpop.allowBearer) return new Token({ ...token.toJSON(), jkt: undefined });
      throw new AuthenticationError(
        `Token endpoint answered "${this.serviceName}" with a ${token.tokenType} token although a DPoP-bound token was asked for. Enable DPoP for this client on the authorization server, or set \`dpop: { allowBearer: true }\` to accept unbound tokens.`,
        { serviceName: this.serviceName, status: response.status, error: 'dpop_downgrade' },
      );
    }
    return token;
  }

  /** A description without secrets, for logs and `util.inspect`. */
  toString(): string {
    return `${this.constructor.name} { serviceName: '${this.serviceName}', clientId: ${
      this.clientId === undefined ? 'undefined' : `'${this.clientId}'`
    }, clientAuth: '${this.clientAuthMethod}', ${
      this.#tokenEndpoint ? `tokenEndpoint: '${this.#tokenEndpoint}'` : `issuer: '${this.#issuer}'`
    } }`;
  }

  toJSON(): Record<string, unknown> {
    return {
      type: this.constructor.name,
      serviceName: this.serviceName,
      clientId: this.clientId,
      clientAuth: this.clientAuthMethod,
      tokenEndpoint: this.#tokenEndpoint,
      issuer: this.#issuer,
      ...(this.dpop === undefined ? {} : { dpop: this.dpop.toJSON() }),
    };
  }

  [INSPECT](): string {
    return this.toString();
  }
}
