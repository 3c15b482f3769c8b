import { randomUUID } from 'node:crypto';
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';

/**
 * An asymmetric key pair in the forms tests tend to need.
 *
 * @example
 * ```ts
 * const key: TestKeyPair = auth.jwtBearer.trustedIssuer.key;
 * const signingKey = await importJWK(key.privateJwk, key.alg); // from jose
 * ```
 */
export interface TestKeyPair {
  /** Key id, also set as `kid` on both JWKs. */
  readonly kid: string;
  /** JWS algorithm the key is for, such as `ES256` or `RS256`. */
  readonly alg: string;
  /** PKCS#8 PEM of the private key. */
  readonly privateKeyPem: string;
  /** Private key as a JWK (with `kid` and `alg`). */
  readonly privateJwk: JWK;
  /** Public key as a JWK (with `kid`, `alg` and `use: "sig"`). */
  readonly publicJwk: JWK;
}

async function createKeyPair(alg: 'ES256' | 'RS256', name: string): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${name}-${randomUUID().slice(0, 8)}`;
  const [privateKeyPem, privateJwk, publicJwk] = await Promise.all([
    exportPKCS8(privateKey),
    exportJWK(privateKey),
    exportJWK(publicKey),
  ]);
  return {
    kid,
    alg,
    privateKeyPem,
    privateJwk: { ...privateJwk, kid, alg },
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  };
}

/** Every key a server needs. Generated once per process: RSA generation is the slow part of a start. */
export interface ServerKeys {
  /** Signs ID tokens (oidc-provider's default alg is RS256). */
  readonly signing: TestKeyPair;
  /** Registered on the `private_key_jwt` client. */
  readonly client: TestKeyPair;
  /** Trusted issuer of JWT bearer assertions and token-exchange subject tokens. */
  readonly trustedIssuer: TestKeyPair;
}

let cached: Promise<ServerKeys> | undefined;

export function serverKeys(): Promise<ServerKeys> {
  cached ??= (async () => {
    const [signing, client, trustedIssuer] = await Promise.all([
      createKeyPair('RS256', 'signing'),
      createKeyPair('ES256', 'client'),
      createKeyPair('ES256', 'trusted-issuer'),
    ]);
    return { signing, client, trustedIssuer };
  })();
  // A failed generation must not poison every later start.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
