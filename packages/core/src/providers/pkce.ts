import { base64url } from '../client-auth/encoding.js';

/** A random base64url string of `bytes` random bytes (Web Crypto). */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge.
 *
 * @example
 * ```ts
 * const { codeVerifier, codeChallenge } = await createPkce();
 * ```
 */
export async function createPkce(): Promise<{ codeVerifier: string; codeChallenge: string }> {
  const codeVerifier = randomToken(32);
  return { codeVerifier, codeChallenge: await pkceChallenge(codeVerifier) };
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export async function pkceChallenge(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier));
  return base64url(new Uint8Array(digest));
}
