import { signAssertion } from '../client-auth/assertion.js';
import {
  type AsymmetricAlgorithm,
  checkSigningKey,
  type LoadedKey,
  loadSigningKey,
  type SigningKey,
} from '../client-auth/keys.js';
import { requireString } from '../client-auth/validate.js';
import { ConfigurationError } from '../errors.js';
import type { TokenRequestContext } from '../provider.js';
import type { Token } from '../token.js';
import type { MaybePromise } from '../types.js';
import { joinKey, scopeParam } from './cache-key.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { checkParam, type OAuthClientOptions, type ParamValue } from './options.js';

/**
 * What an assertion callback learns about the request it signs for.
 * @example
 * ```ts
 * new JwtBearerTokenProvider({ serviceName: 'sts', issuer, assertion: ({ tokenEndpoint }: AssertionContext) => mintFor(tokenEndpoint) });
 * ```
 */
export interface AssertionContext {
  readonly tokenEndpoint: string;
  readonly issuer: string | undefined;
}

/**
 * How {@link JwtBearerTokenProvider} signs its own assertion.
 * @example
 * ```ts
 * const signer: AssertionSigner = { key: pem, issuer: 'svc@example', subject: 'svc@example' };
 * new JwtBearerTokenProvider({ serviceName: 'google', tokenEndpoint, signer });
 * ```
 */
export interface AssertionSigner {
  /** The private key (PKCS#8 PEM, private JWK or CryptoKey), or the HMAC secret as bytes. */
  readonly key: SigningKey | Uint8Array;
  /** Default from the key type; required for an HMAC key (`HS256`, …). */
  readonly alg?: AsymmetricAlgorithm | 'HS256' | 'HS384' | 'HS512';
  readonly kid?: string;
  /** `iss`: who issued the assertion (often the client or service account id). */
  readonly issuer: string;
  /** `sub`: the principal the token is for. */
  readonly subject: string;
  /** `aud`; default the token endpoint. */
  readonly audience?: string | readonly string[];
  /** Seconds until `exp`. Default 300. */
  readonly lifetimeSeconds?: number;
  /** Further claims (e.g. Google's `scope`). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * Options of {@link JwtBearerTokenProvider}: give `assertion` or `signer`.
 * @example
 * ```ts
 * new JwtBearerTokenProvider({ clientId: 'svc', clientSecret: secret, issuer, assertion: () => workloadToken(), scope: 'read' });
 * ```
 */
export interface JwtBearerOptions extends OAuthClientOptions {
  /** Returns a ready assertion (from a workload identity, an STS, …) for each request. */
  readonly assertion?: (context: AssertionContext) => MaybePromise<string>;
  /** Or: Forge signs a fresh assertion with this key for each request. */
  readonly signer?: AssertionSigner;
  readonly scope?: ParamValue;
}

/**
 * The JWT bearer grant (RFC 7523 §2.1): a signed assertion is exchanged for
 * an access token (Google service accounts, Salesforce, workload identity
 * federation). The assertion comes from your callback, or Forge signs it
 * with `jose` (fresh `jti`, short `exp`). Client authentication is optional
 * for this grant: without `clientId` none is sent.
 *
 * @example
 * ```ts
 * const provider = new JwtBearerTokenProvider({
 *   serviceName: 'google',
 *   tokenEndpoint: 'https://oauth2.googleapis.com/token',
 *   signer: {
 *     key: serviceAccount.private_key,
 *     kid: serviceAccount.private_key_id,
 *     issuer: serviceAccount.client_email,
 *     subject: serviceAccount.client_email,
 *     audience: 'https://oauth2.googleapis.com/token',
 *     claims: { scope: 'https://www.googleapis.com/auth/cloud-platform' },
 *   },
 * });
 * ```
 */
export class JwtBearerTokenProvider extends OAuth2TokenProvider {
  readonly #assertion: (context: AssertionContext) => MaybePromise<string>;
  readonly #scope: ParamValue | undefined;
  readonly #subject: string | undefined;

  constructor(options: JwtBearerOptions) {
    super(options, { clientOptional: true });
    this.#scope = checkParam(options.scope, 'scope');
    if (options.assertion !== undefined && options.signer !== undefined) {
      throw new ConfigurationError('assertion', 'give either `assertion` or `signer`, not both');
    }
    if (typeof options.assertion === 'function') {
      this.#assertion = options.assertion;
    } else if (options.signer !== undefined) {
      this.#assertion = signerFunction(options.signer);
      this.#subject = options.signer.subject;
    } else {
      throw new ConfigurationError(
        'assertion',
        'is required: a function returning a JWT, or give `signer`',
      );
    }
  }

  async fetchToken(_input?: undefined, context?: TokenRequestContext): Promise<Token> {
    const tokenEndpoint = await this.tokenEndpoint(context?.signal);
    const assertion = await this.#assertion({ tokenEndpoint, issuer: this.issuer });
    if (typeof assertion !== 'string' || assertion === '') {
      throw new ConfigurationError('assertion', 'must return a non-empty JWT string');
    }
    return this.requestToken(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion,
        scope: scopeParam(this.#scope),
      },
      context,
    );
  }

  /** `serviceName:clientId:subject`. */
  cacheKey(): string {
    return joinKey(this.serviceName, this.clientId, this.#subject);
  }
}

function signerFunction(signer: AssertionSigner): (context: AssertionContext) => Promise<string> {
  if (typeof signer !== 'object' || signer === null) {
    throw new ConfigurationError('signer', 'must be an object { key, issuer, subject, … }');
  }
  requireString(signer.issuer, 'signer.issuer');
  requireString(signer.subject, 'signer.subject');
  const lifetime = signer.lifetimeSeconds ?? 300;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 3600) {
    throw new ConfigurationError('signer.lifetimeSeconds', 'must be an integer from 1 to 3600');
  }
  let load: () => Promise<LoadedKey>;
  const key = signer.key;
  if (key instanceof Uint8Array) {
    const alg = signer.alg;
    if (alg !== 'HS256' && alg !== 'HS384' && alg !== 'HS512') {
      throw new ConfigurationError(
        'signer.alg',
        "must be 'HS256', 'HS384' or 'HS512' for a byte key",
      );
    }
    load = async () => ({ key, alg, kid: signer.kid });
  } else {
    checkSigningKey(key, 'signer.key');
    load = () => loadSigningKey(key, 'signer.key', signer.alg, signer.kid);
  }
  let loaded: Promise<LoadedKey> | undefined;
  return async ({ tokenEndpoint }) => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return signAssertion(await loaded, {
      issuer: signer.issuer,
      subject: signer.subject,
      audience: signer.audience ?? tokenEndpoint,
      lifetimeSeconds: lifetime,
      claims: signer.claims,
    });
  };
}
