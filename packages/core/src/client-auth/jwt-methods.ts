import { ConfigurationError } from '../errors.js';
import { REDACTED } from '../redact.js';
import { signAssertion } from './assertion.js';
import {
  type AsymmetricAlgorithm,
  checkSigningKey,
  type LoadedKey,
  loadSigningKey,
  type SigningKey,
} from './keys.js';
import type { ClientAuth, ClientAuthMethod, ClientAuthRequest } from './types.js';
import { INSPECT, requireString } from './validate.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Options shared by the JWT client authentication methods.
 * @example
 * ```ts
 * clientSecretJwt('svc', secret, { audience: 'issuer', lifetimeSeconds: 30 });
 * ```
 */
export interface JwtClientAuthOptions {
  /**
   * The assertion's `aud`: `'tokenEndpoint'` (the default, accepted by every
   * server), `'issuer'` (the provider's `issuer`), or explicit value(s).
   */
  readonly audience?: 'tokenEndpoint' | 'issuer' | (string & {}) | readonly string[];
  /** Seconds until the assertion expires. Default 60. */
  readonly lifetimeSeconds?: number;
}

/**
 * Options of {@link clientSecretJwt}.
 * @example
 * ```ts
 * clientSecretJwt('svc', secret, { alg: 'HS512' });
 * ```
 */
export interface ClientSecretJwtOptions extends JwtClientAuthOptions {
  /** HMAC algorithm. Default `HS256`. */
  readonly alg?: 'HS256' | 'HS384' | 'HS512';
}

/**
 * Options of {@link privateKeyJwt}.
 * @example
 * ```ts
 * privateKeyJwt('svc', jwk, { alg: 'ES256', kid: 'key-2024' });
 * ```
 */
export interface PrivateKeyJwtOptions extends JwtClientAuthOptions {
  /** Signing algorithm; default from the key (RSA -> RS256, P-256 -> ES256, …). */
  readonly alg?: AsymmetricAlgorithm;
  /** `kid` header, so the server picks the right registered key; default the JWK's `kid`. */
  readonly kid?: string;
}

function checkJwtOptions(options: JwtClientAuthOptions): number {
  const lifetime = options.lifetimeSeconds ?? 60;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 3600) {
    throw new ConfigurationError('lifetimeSeconds', 'must be an integer from 1 to 3600');
  }
  const audience = options.audience;
  if (audience !== undefined && typeof audience !== 'string' && !Array.isArray(audience)) {
    throw new ConfigurationError(
      'audience',
      "must be 'tokenEndpoint', 'issuer', a URL or a list of them",
    );
  }
  return lifetime;
}

function audienceFor(
  audience: JwtClientAuthOptions['audience'],
  request: ClientAuthRequest,
): string | readonly string[] {
  if (audience === undefined || audience === 'tokenEndpoint') return request.tokenEndpoint;
  if (audience === 'issuer') {
    if (!request.issuer) {
      throw new ConfigurationError(
        'audience',
        "is 'issuer' but the provider has no `issuer` option",
      );
    }
    return request.issuer;
  }
  return audience;
}

class JwtAuth implements ClientAuth {
  readonly #load: () => Promise<LoadedKey>;
  #loaded: Promise<LoadedKey> | undefined;
  readonly #audience: JwtClientAuthOptions['audience'];
  readonly #lifetime: number;

  constructor(
    readonly method: ClientAuthMethod,
    readonly clientId: string,
    load: () => Promise<LoadedKey>,
    options: JwtClientAuthOptions,
  ) {
    this.#load = load;
    this.#audience = options.audience;
    this.#lifetime = checkJwtOptions(options);
  }

  async apply(request: ClientAuthRequest): Promise<void> {
    // Import once; a failed import is retried on the next request rather than cached.
    this.#loaded ??= this.#load().catch((error: unknown) => {
      this.#loaded = undefined;
      throw error;
    });
    const assertion = await signAssertion(await this.#loaded, {
      issuer: this.clientId,
      subject: this.clientId,
      audience: audienceFor(this.#audience, request),
      lifetimeSeconds: this.#lifetime,
    });
    request.body.set('client_id', this.clientId);
    request.body.set('client_assertion_type', ASSERTION_TYPE);
    request.body.set('client_assertion', assertion);
  }

  toJSON(): { method: ClientAuthMethod; clientId: string } {
    return { method: this.method, clientId: this.clientId };
  }

  [INSPECT](): string {
    const secret = this.method === 'client_secret_jwt' ? 'clientSecret' : 'privateKey';
    return `ClientAuth { method: '${this.method}', clientId: '${this.clientId}', ${secret}: '${REDACTED}' }`;
  }
}

/**
 * `client_secret_jwt` (RFC 7523 §2.2): a JWT signed with the client secret
 * (HS256 by default), so the secret itself never travels. `aud` is the token
 * endpoint, `jti` fresh, `exp` one minute ahead.
 *
 * @example
 * ```ts
 * const clientAuth = clientSecretJwt('my-client', process.env.CLIENT_SECRET!, { alg: 'HS256' });
 * ```
 */
export function clientSecretJwt(
  clientId: string,
  clientSecret: string,
  options: ClientSecretJwtOptions = {},
): ClientAuth {
  requireString(clientId, 'clientId');
  requireString(clientSecret, 'clientSecret');
  const alg = options.alg ?? 'HS256';
  if (!['HS256', 'HS384', 'HS512'].includes(alg)) {
    throw new ConfigurationError('alg', "must be 'HS256', 'HS384' or 'HS512'");
  }
  const key = new TextEncoder().encode(clientSecret);
  return new JwtAuth(
    'client_secret_jwt',
    clientId,
    async () => ({ key, alg, kid: undefined }),
    options,
  );
}

/**
 * `private_key_jwt` (RFC 7523 §2.2, OpenID Connect): a JWT signed with the
 * client's private key; the server holds only the public key. The key may be
 * a PKCS#8 PEM, a private JWK or a `CryptoKey`; the algorithm defaults from
 * the key type.
 *
 * @example
 * ```ts
 * const clientAuth = privateKeyJwt('my-client', await readFile('client-key.pem', 'utf8'), {
 *   kid: 'key-2024',
 * });
 * ```
 */
export function privateKeyJwt(
  clientId: string,
  privateKey: SigningKey,
  options: PrivateKeyJwtOptions = {},
): ClientAuth {
  requireString(clientId, 'clientId');
  checkSigningKey(privateKey, 'privateKey');
  return new JwtAuth(
    'private_key_jwt',
    clientId,
    () => loadSigningKey(privateKey, 'privateKey', options.alg, options.kid),
    options,
  );
}
