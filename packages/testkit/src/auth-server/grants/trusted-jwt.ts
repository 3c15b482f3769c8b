import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { TestKeyPair } from '../keys.js';

/** Verifies a JWT signed by the trusted issuer's key, for the audiences this server answers to. */
export async function verifyTrustedJwt(
  jwt: string,
  key: TestKeyPair,
  issuerName: string,
  audiences: readonly string[],
): Promise<JWTPayload & { sub: string }> {
  const { payload } = await jwtVerify(jwt, createLocalJWKSet({ keys: [key.publicJwk] }), {
    issuer: issuerName,
    audience: [...audiences],
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
  });
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new Error('sub is missing');
  return payload as JWTPayload & { sub: string };
}
