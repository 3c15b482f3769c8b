import { randomUUID } from 'node:crypto';
import { importJWK, type JWTPayload, SignJWT } from 'jose';
import type { TestKeyPair } from './keys.js';

/**
 * Claims of a JWT minted by the trusted issuer.
 *
 * @example
 * ```ts
 * const options: MintJwtOptions = { subject: 'user-42', expiresInSeconds: -60 }; // already expired
 * const expired = await auth.jwtBearer.createAssertion(options);
 * ```
 */
export interface MintJwtOptions {
  /** `sub`: becomes the subject of the access token the server issues for this JWT. */
  readonly subject: string;
  /** `aud`. Default: the authorization server's issuer. */
  readonly audience?: string | readonly string[];
  /** Seconds until `exp`. Default 300. Negative values mint an expired JWT. */
  readonly expiresInSeconds?: number;
  /** Extra claims, merged under the standard ones. */
  readonly claims?: Readonly<JWTPayload>;
}

/**
 * The external issuer whose JWTs the server trusts for the JWT bearer and token-exchange grants.
 *
 * @example
 * ```ts
 * const { issuer, key }: TrustedIssuer = auth.jwtBearer.trustedIssuer;
 * // sign your own assertion with key.privateKeyPem, iss = issuer, aud = auth.issuer
 * ```
 */
export interface TrustedIssuer {
  /** `iss` of every JWT it mints. */
  readonly issuer: string;
  /** Its ES256 key pair; the public half is what the server verifies against. */
  readonly key: TestKeyPair;
  /** Signs a JWT this server accepts (unless it is expired or its audience is wrong). */
  mint(options: MintJwtOptions): Promise<string>;
}

export const TRUSTED_ISSUER = 'https://trusted-issuer.forge.test';

export function createTrustedIssuer(key: TestKeyPair, defaultAudience: string): TrustedIssuer {
  let signingKey: Promise<CryptoKey | Uint8Array> | undefined;
  return {
    issuer: TRUSTED_ISSUER,
    key,
    async mint(options) {
      signingKey ??= importJWK(key.privateJwk, key.alg);
      const now = Math.floor(Date.now() / 1000);
      const audience = options.audience ?? defaultAudience;
      return new SignJWT({ ...options.claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(TRUSTED_ISSUER)
        .setSubject(options.subject)
        .setAudience(typeof audience === 'string' ? audience : [...audience])
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInSeconds ?? 300))
        .setJti(randomUUID())
        .sign(await signingKey);
    },
  };
}
