import { loadJose } from './jose.js';
import type { LoadedKey } from './keys.js';

/** Claims of a client or grant assertion (RFC 7523). */
export interface AssertionClaims {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string | readonly string[];
  /** Seconds until `exp`. */
  readonly lifetimeSeconds: number;
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Signs a short-lived JWT assertion with a fresh `jti`, so a captured
 * assertion cannot be replayed after a minute and servers that track `jti`
 * accept every new one.
 */
export async function signAssertion(key: LoadedKey, claims: AssertionClaims): Promise<string> {
  const { SignJWT } = await loadJose();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims.claims })
    .setProtectedHeader(key.kid === undefined ? { alg: key.alg } : { alg: key.alg, kid: key.kid })
    .setIssuer(claims.issuer)
    .setSubject(claims.subject)
    .setAudience(typeof claims.audience === 'string' ? claims.audience : [...claims.audience])
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + claims.lifetimeSeconds)
    .sign(key.key);
}
