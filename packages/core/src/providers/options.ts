import { clientSecretJwt, privateKeyJwt } from '../client-auth/jwt-methods.js';
import type { SigningKey } from '../client-auth/keys.js';
import { clientSecretBasic, clientSecretPost, none } from '../client-auth/secret-methods.js';
import {
  CERTIFICATE_METHODS,
  isCertificateMethod,
  selfSignedTlsClientAuth,
  tlsClientAuth,
} from '../client-auth/tls-methods.js';
import type { ClientAuth, ClientAuthMethod } from '../client-auth/types.js';
import { describe, requireString } from '../client-auth/validate.js';
import { DPoP, type DPoPOptions } from '../dpop/dpop.js';
import { ConfigurationError } from '../errors.js';
import type { DiscoveryCache } from '../protocol/discovery.js';
import { CERTIFICATE_HOWTO } from '../transport/dispatcher.js';
import type { TransportOptions } from '../transport/options.js';

/**
 * A parameter value: one string, or several sent as repeated parameters.
 * @example
 * ```ts
 * const scope: ParamValue = ['read', 'write']; // sent as 'read write'
 * ```
 */
export type ParamValue = string | readonly string[];

/**
 * Options every built-in OAuth 2 provider takes: who the client is, how it
 * authenticates, where the token endpoint is, and how requests are sent.
 *
 * @example
 * ```ts
 * const options: OAuthClientOptions = {
 *   clientId: 'orders-service',
 *   clientSecret: process.env.ORDERS_CLIENT_SECRET,
 *   issuer: 'https://auth.example', // or tokenEndpoint: 'https://auth.example/oauth/token'
 *   timeoutMs: 5_000,
 * };
 * ```
 */
export interface OAuthClientOptions extends TransportOptions {
  /** Names the service in errors, events and cache keys. Default: the client id. */
  readonly serviceName?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /**
   * How the client authenticates: a method name, or a {@link ClientAuth} from
   * `clientSecretBasic()`, `privateKeyJwt()`, …. Default `client_secret_basic`
   * with a `clientSecret`, `private_key_jwt` with a `privateKey`, else `none`.
   */
  readonly clientAuth?: ClientAuth | ClientAuthMethod;
  /** The key for `private_key_jwt`. */
  readonly privateKey?: SigningKey;
  /** The token endpoint URL. Give this or `issuer`. */
  readonly tokenEndpoint?: string;
  /** The issuer URL; the token endpoint is discovered from its metadata (RFC 8414 / OIDC), once. */
  readonly issuer?: string;
  /**
   * Lifetime assumed when a response has no `expires_in`, in milliseconds;
   * `Infinity` keeps such tokens until a 401. Default one hour.
   */
  readonly defaultLifetimeMs?: number;
  /** Extra form parameters sent with every token request of this provider. */
  readonly extraParams?: Readonly<Record<string, ParamValue>>;
  /** Where discovered metadata is cached. Default: one cache shared by all providers. */
  readonly discovery?: DiscoveryCache;
  /**
   * The client presents a TLS client certificate (RFC 8705) through
   * `dispatcher` or `fetch`: token requests go to the `mtls_endpoint_aliases`
   * token endpoint when discovery names one, and the server may bind the
   * tokens to the certificate. Implied by `tls_client_auth` and
   * `self_signed_tls_client_auth`; set it for certificate-bound tokens with
   * another client authentication. Default `false`.
   */
  readonly mtls?: boolean;
  /**
   * Sender-constrained tokens (DPoP, RFC 9449): `true` for a generated,
   * non-extractable ES256 key, {@link DPoPOptions} (`alg`, your `key`,
   * `allowBearer`, …), or a {@link DPoP} shared with other providers. Token
   * requests then carry a proof, and `bearer()` sends `Authorization: DPoP`
   * with a fresh proof on every request.
   */
  readonly dpop?: boolean | DPoPOptions | DPoP | undefined;
}

const METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  ...CERTIFICATE_METHODS,
  'none',
];

function checkUrl(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new ConfigurationError(option, `must be an absolute http(s) URL, got ${describe(value)}`);
  }
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(option, `must be an http(s) URL, got ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new ConfigurationError(option, 'must not contain credentials; use `clientSecret`');
  }
  return value;
}

/** Validates a scope/audience/resource option: a string or a list of non-empty strings. */
export function checkParam(value: unknown, option: string): ParamValue | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '')) {
    return value as readonly string[];
  }
  throw new ConfigurationError(option, 'must be a string or an array of non-empty strings');
}

// A secret pasted into the wrong option must not reach an error message:
// only something shaped like a method name is quoted back.
function describeMethod(value: unknown): string {
  return typeof value === 'string' && /^[a-z]{1,20}(?:_[a-z]{1,20}){1,5}$/.test(value)
    ? `"${value}"`
    : `(a ${typeof value}${typeof value === 'string' ? ` of ${value.length} characters` : ''})`;
}

/** The client authentication implied by the options, or `undefined` when the grant needs none. */
export function resolveClientAuth(
  options: OAuthClientOptions,
  clientOptional = false,
): ClientAuth | undefined {
  for (const option of ['clientSecret', 'privateKey'] as const) {
    // `clientSecret: process.env.X` with X unset must not quietly become a public client.
    if (option in options && options[option] === undefined) {
      throw new ConfigurationError(
        option,
        'is present but undefined (an unset environment variable?); set it, or leave the option out',
      );
    }
  }
  const auth = options.clientAuth;
  if (typeof auth === 'object' && auth !== null) {
    if (typeof auth.apply !== 'function' || typeof auth.clientId !== 'string') {
      throw new ConfigurationError('clientAuth', 'must be a method name or a ClientAuth object');
    }
    if (options.clientId !== undefined && options.clientId !== auth.clientId) {
      throw new ConfigurationError('clientId', 'differs from `clientAuth.clientId`; give only one');
    }
    return auth;
  }
  if (auth !== undefined && !METHODS.includes(auth)) {
    throw new ConfigurationError(
      'clientAuth',
      `unknown client authentication method ${describeMethod(auth)}; use one of ${METHODS.join(', ')}`,
    );
  }
  const hasCredential = options.clientSecret !== undefined || options.privateKey !== undefined;
  if (options.clientId === undefined && clientOptional && auth === undefined && !hasCredential) {
    return undefined;
  }
  const clientId = requireString(options.clientId, 'clientId');
  const method: ClientAuthMethod =
    auth ??
    (options.clientSecret !== undefined
      ? 'client_secret_basic'
      : options.privateKey !== undefined
        ? 'private_key_jwt'
        : 'none');
  switch (method) {
    case 'client_secret_basic':
      return clientSecretBasic(clientId, requireString(options.clientSecret, 'clientSecret'));
    case 'client_secret_post':
      return clientSecretPost(clientId, requireString(options.clientSecret, 'clientSecret'));
    case 'client_secret_jwt':
      return clientSecretJwt(clientId, requireString(options.clientSecret, 'clientSecret'));
    case 'private_key_jwt':
      if (options.privateKey === undefined) {
        throw new ConfigurationError('privateKey', 'is required for `private_key_jwt`');
      }
      return privateKeyJwt(clientId, options.privateKey);
    case 'tls_client_auth':
      return tlsClientAuth(clientId);
    case 'self_signed_tls_client_auth':
      return selfSignedTlsClientAuth(clientId);
    default:
      return none(clientId);
  }
}

/**
 * Whether the provider presents a client certificate: `mtls: true`, or a
 * certificate client authentication. Either needs a transport that can present
 * one (`dispatcher` or `fetch`); without it this is a `ConfigurationError`
 * rather than an `invalid_client` from the server on the first request.
 */
export function resolveMtls(
  options: OAuthClientOptions,
  clientAuth: ClientAuth | undefined,
): boolean {
  if (options.mtls !== undefined && typeof options.mtls !== 'boolean') {
    throw new ConfigurationError('mtls', 'must be true or false');
  }
  const byMethod = clientAuth !== undefined && isCertificateMethod(clientAuth.method);
  if (byMethod && options.mtls === false) {
    throw new ConfigurationError(
      'mtls',
      `is false, but \`${clientAuth.method}\` authenticates with a TLS client certificate; leave \`mtls\` out`,
    );
  }
  const mtls = byMethod || options.mtls === true;
  if (mtls && options.dispatcher === undefined && options.fetch === undefined) {
    throw new ConfigurationError(
      byMethod ? 'clientAuth' : 'mtls',
      `${byMethod ? `\`${clientAuth.method}\`` : '`mtls: true`'} needs a transport that presents the TLS client certificate, and the platform \`fetch\` presents none: ${CERTIFICATE_HOWTO}.`,
    );
  }
  return mtls;
}

/** Validates the endpoint options: `tokenEndpoint` or `issuer`, both absolute http(s) URLs. */
export function resolveEndpoint(options: OAuthClientOptions): {
  tokenEndpoint: string | undefined;
  issuer: string | undefined;
} {
  const tokenEndpoint = checkUrl(options.tokenEndpoint, 'tokenEndpoint');
  const issuer = checkUrl(options.issuer, 'issuer');
  if (!tokenEndpoint && !issuer) {
    throw new ConfigurationError(
      'tokenEndpoint',
      'is required (or give `issuer` to discover it from the server metadata)',
    );
  }
  return { tokenEndpoint, issuer };
}

/** Validates `defaultLifetimeMs`. */
export function checkLifetime(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new ConfigurationError(
      'defaultLifetimeMs',
      'must be a positive number of milliseconds or Infinity',
    );
  }
  return value;
}

/** Validates `serviceName`. */
export function checkServiceName(value: unknown, fallback: string | undefined): string {
  if (value === undefined) {
    if (fallback) return fallback;
    throw new ConfigurationError('serviceName', 'is required when there is no `clientId`');
  }
  return requireString(value, 'serviceName');
}

/** Validates `extraParams`. */
export function checkExtraParams(value: unknown): Readonly<Record<string, ParamValue>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError('extraParams', 'must be an object of string or string[] values');
  }
  for (const [name, param] of Object.entries(value)) checkParam(param, `extraParams.${name}`);
  return value as Record<string, ParamValue>;
}

/** The `dpop` option as a {@link DPoP}, or `undefined` when DPoP is off. */
export function resolveDPoP(value: unknown): DPoP | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true || value instanceof DPoP) return DPoP.from(value);
  if (typeof value !== 'object' || value === null) {
    throw new ConfigurationError(
      'dpop',
      'must be true, an options object { alg, key, allowBearer }, or a DPoP',
    );
  }
  return new DPoP(value as DPoPOptions);
}
