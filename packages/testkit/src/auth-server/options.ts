import { TestkitError } from '../shared/errors.js';

/**
 * A user the authorization server knows, for the password grant and the login step of the code flow.
 *
 * @example
 * ```ts
 * const carol: TestUser = { username: 'carol', password: 'carol-password' };
 * const auth = await startAuthServer({ users: [carol] });
 * ```
 */
export interface TestUser {
  /** Also the `sub` (account id) of tokens issued for this user. */
  readonly username: string;
  readonly password: string;
}

/**
 * Options of `startAuthServer`. Every option is optional.
 *
 * @example
 * ```ts
 * const options: AuthServerOptions = { accessTokenTtlSeconds: 60, rotateRefreshTokens: false };
 * const auth = await startAuthServer(options);
 * ```
 */
export interface AuthServerOptions {
  /** Lifetime of every access token, in seconds (`expires_in`). Default `3600`. */
  readonly accessTokenTtlSeconds?: number;
  /** Lifetime of every refresh token, in seconds. Default `1209600` (14 days). */
  readonly refreshTokenTtlSeconds?: number;
  /**
   * Issue a new refresh token on every refresh and reject the old one from then on
   * (reusing a rotated refresh token also revokes the whole grant). Default `true`.
   */
  readonly rotateRefreshTokens?: boolean;
  /** Users for the password grant and the login step. Default: `alice`/`alice-password`, `bob`/`bob-password`. */
  readonly users?: readonly TestUser[];
  /** Scopes the server and its ready-made clients accept, besides `openid` and `offline_access`. Default `['read', 'write', 'admin']`. */
  readonly scopes?: readonly string[];
  /**
   * Mutual TLS (RFC 8705): a second, HTTPS listener that asks for a client
   * certificate, named in discovery's `mtls_endpoint_aliases`; clients for
   * `tls_client_auth` and `self_signed_tls_client_auth`; access tokens bound to
   * the certificate. Test certificates are made at start. See `auth.mtls`. Default `false`.
   */
  readonly mtls?: boolean;
  /**
   * DPoP (RFC 9449), oidc-provider's own: `true` issues DPoP-bound tokens to
   * requests that carry a proof (ES256, PS256, EdDSA); `{ nonce: true }`
   * also demands a server nonce (`400 use_dpop_nonce` with `DPoP-Nonce`).
   * Default off: the server then ignores proofs and issues Bearer tokens.
   */
  readonly dpop?: boolean | { readonly nonce?: boolean };
}

/**
 * {@link AuthServerOptions} with every default applied (`auth.options`).
 *
 * @example
 * ```ts
 * const { accessTokenTtlSeconds }: ResolvedAuthServerOptions = auth.options; // 3600 by default
 * ```
 */
export interface ResolvedAuthServerOptions {
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly rotateRefreshTokens: boolean;
  readonly users: readonly TestUser[];
  readonly scopes: readonly string[];
  readonly mtls: boolean;
  /** `false`, or DPoP on with or without required nonces. */
  readonly dpop: false | { readonly nonce: boolean };
}

/**
 * Users known to a server started without `users`: `alice` / `alice-password` and `bob` / `bob-password`.
 *
 * @example
 * ```ts
 * const { username, password } = DEFAULT_USERS[0]!;
 * ```
 */
export const DEFAULT_USERS: readonly TestUser[] = Object.freeze([
  Object.freeze({ username: 'alice', password: 'alice-password' }),
  Object.freeze({ username: 'bob', password: 'bob-password' }),
]);

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TestkitError(
      `must be a positive whole number of seconds, got ${String(value)}`,
      option,
    );
  }
  return value;
}

export function resolveAuthServerOptions(
  options: AuthServerOptions = {},
): ResolvedAuthServerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TestkitError('pass an options object or nothing', 'options');
  }
  const rotate = options.rotateRefreshTokens ?? true;
  if (typeof rotate !== 'boolean') {
    throw new TestkitError('must be true or false', 'rotateRefreshTokens');
  }
  const users = options.users ?? DEFAULT_USERS;
  if (!Array.isArray(users)) {
    throw new TestkitError('must be an array of { username, password }', 'users');
  }
  users.forEach((user: unknown, index) => {
    const candidate = user as Partial<TestUser> | null;
    if (
      typeof candidate?.username !== 'string' ||
      candidate.username === '' ||
      typeof candidate.password !== 'string'
    ) {
      throw new TestkitError(
        'each user needs a non-empty string `username` and a string `password`',
        `users[${index}]`,
      );
    }
  });
  const mtls = options.mtls ?? false;
  if (typeof mtls !== 'boolean') throw new TestkitError('must be true or false', 'mtls');
  const scopes = options.scopes ?? ['read', 'write', 'admin'];
  if (!Array.isArray(scopes)) throw new TestkitError('must be an array of scope names', 'scopes');
  scopes.forEach((scope: unknown, index) => {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new TestkitError(
        'a scope is a non-empty string without spaces, quotes or backslashes',
        `scopes[${index}]`,
      );
    }
  });
  return {
    accessTokenTtlSeconds: positiveInteger(
      'accessTokenTtlSeconds',
      options.accessTokenTtlSeconds,
      3600,
    ),
    refreshTokenTtlSeconds: positiveInteger(
      'refreshTokenTtlSeconds',
      options.refreshTokenTtlSeconds,
      14 * 24 * 3600,
    ),
    rotateRefreshTokens: rotate,
    users: users.map((user) => ({ username: user.username, password: user.password })),
    scopes: [...new Set(scopes)],
    mtls,
    dpop: resolveDpop(options.dpop),
  };
}

function resolveDpop(value: unknown): false | { readonly nonce: boolean } {
  if (value === undefined || value === false) return false;
  if (value === true) return { nonce: false };
  const nonce = (value as { nonce?: unknown } | null)?.nonce ?? false;
  if (typeof value !== 'object' || typeof nonce !== 'boolean') {
    throw new TestkitError('must be true, false or { nonce: boolean }', 'dpop');
  }
  return { nonce };
}
