import type { JWK } from 'jose';
import { ConfigurationError } from '../errors.js';
import { loadJose } from './jose.js';

/**
 * A private key for signing assertions: PKCS#8 PEM text, a private JWK, or a Web Crypto `CryptoKey`.
 * @example
 * ```ts
 * const key: SigningKey = await readFile('client-key.pem', 'utf8'); // or a JWK, or a CryptoKey
 * privateKeyJwt('svc', key);
 * ```
 */
export type SigningKey = string | JWK | CryptoKey;

/**
 * Asymmetric JWS algorithms Forge signs with.
 * @example
 * ```ts
 * privateKeyJwt('svc', rsaPem, { alg: 'PS256' satisfies AsymmetricAlgorithm });
 * ```
 */
export type AsymmetricAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** A key ready to sign with, and the algorithm and key id to name in the JWS header. */
export interface LoadedKey {
  readonly key: CryptoKey | Uint8Array;
  readonly alg: string;
  readonly kid: string | undefined;
}

const CURVE_ALG: Readonly<Record<string, AsymmetricAlgorithm>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  Ed25519: 'EdDSA',
};

function isCryptoKey(value: unknown): value is CryptoKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    'algorithm' in value &&
    'type' in value &&
    'usages' in value
  );
}

function algOfJwk(jwk: JWK): string | undefined {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC' || jwk.kty === 'OKP') return jwk.crv ? CURVE_ALG[jwk.crv] : undefined;
  return undefined;
}

function algOfCryptoKey(key: CryptoKey): string | undefined {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  const bits = algorithm.hash?.name.replace('SHA-', '') ?? '256';
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return `RS${bits}`;
  if (algorithm.name === 'RSA-PSS') return `PS${bits}`;
  if (algorithm.name === 'ECDSA')
    return algorithm.namedCurve ? CURVE_ALG[algorithm.namedCurve] : undefined;
  if (algorithm.name === 'Ed25519') return 'EdDSA';
  return undefined;
}

/**
 * Checks a signing key's shape at construction time, so a wrong key fails
 * when the provider is built rather than at the first token request.
 */
export function checkSigningKey(key: unknown, option: string): asserts key is SigningKey {
  if (typeof key === 'string') {
    if (/-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(key)) {
      throw new ConfigurationError(
        option,
        'is a PKCS#1/SEC1 PEM; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt -in key.pem`',
      );
    }
    if (!key.includes('-----BEGIN PRIVATE KEY-----')) {
      throw new ConfigurationError(
        option,
        'must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), a private JWK or a CryptoKey',
      );
    }
    return;
  }
  if (isCryptoKey(key)) {
    if (key.type !== 'private') throw new ConfigurationError(option, 'must be a private CryptoKey');
    return;
  }
  if (typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string') {
    if ((key as JWK).d === undefined) {
      throw new ConfigurationError(option, 'is a public JWK; pass the private key (with `d`)');
    }
    return;
  }
  throw new ConfigurationError(option, 'must be a PKCS#8 PEM string, a private JWK or a CryptoKey');
}

const PEM_CANDIDATES = ['RS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/**
 * Imports a signing key and settles its algorithm: the `alg` option, else
 * the JWK's `alg`, else what the key type implies (RSA -> RS256, P-256 ->
 * ES256, P-384 -> ES384, P-521 -> ES512, Ed25519 -> EdDSA).
 */
export async function loadSigningKey(
  key: SigningKey,
  option: string,
  alg?: string,
  kid?: string,
): Promise<LoadedKey> {
  if (isCryptoKey(key)) {
    const resolved = alg ?? algOfCryptoKey(key);
    if (!resolved)
      throw new ConfigurationError(
        `${option}`,
        'has an algorithm Forge cannot sign with; set `alg`',
      );
    return { key, alg: resolved, kid };
  }
  const { importJWK, importPKCS8 } = await loadJose();
  if (typeof key === 'string') {
    const candidates = alg ? [alg] : PEM_CANDIDATES;
    for (const candidate of candidates) {
      try {
        return { key: await importPKCS8(key, candidate), alg: candidate, kid };
      } catch {
        // The next candidate algorithm may fit the key type.
      }
    }
    throw new ConfigurationError(
      option,
      alg
        ? `could not be imported for ${alg}; check that the key type matches \`alg\``
        : 'could not be imported as an RSA, EC or Ed25519 PKCS#8 key; set `alg`',
    );
  }
  const resolved = alg ?? algOfJwk(key);
  if (!resolved)
    throw new ConfigurationError(option, 'has no `alg` and an unknown key type; set `alg`');
  try {
    return { key: await importJWK(key, resolved), alg: resolved, kid: kid ?? key.kid };
  } catch (error) {
    throw new ConfigurationError(option, `could not be imported for ${resolved}`, { cause: error });
  }
}
