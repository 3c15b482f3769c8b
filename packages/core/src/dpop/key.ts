import { base64url } from '../client-auth/encoding.js';
import { ConfigurationError } from '../errors.js';

/** The JWS algorithms a DPoP key may use (RFC 9449 §5.1 asks for asymmetric ones only). */
export type DPoPAlgorithm = 'ES256' | 'PS256' | 'EdDSA';

/** A private JWK as plain JSON (what `crypto.subtle.exportKey('jwk', privateKey)` returns). */
export type DPoPJwk = JsonWebKey;

/** A key pair to sign DPoP proofs with: a Web Crypto pair, or a private JWK. */
export type DPoPKeyInput = CryptoKeyPair | DPoPJwk;

/** A loaded proof key: what signs, what the header shows, and its RFC 7638 thumbprint. */
export interface DPoPKeyMaterial {
  readonly alg: DPoPAlgorithm;
  readonly privateKey: CryptoKey;
  /** The public JWK members that go into the proof's `jwk` header (no private member). */
  readonly publicJwk: Readonly<Record<string, string>>;
  /** base64url SHA-256 JWK thumbprint: the token's `cnf.jkt`. */
  readonly thumbprint: string;
  /** The base64url-encoded protected header, computed once per key. */
  readonly encodedHeader: string;
}

const ALGORITHMS: readonly DPoPAlgorithm[] = ['ES256', 'PS256', 'EdDSA'];

const GENERATE: Record<DPoPAlgorithm, EcKeyGenParams | RsaHashedKeyGenParams | Algorithm> = {
  ES256: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
  PS256: {
    name: 'RSA-PSS',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } as RsaHashedKeyGenParams,
  EdDSA: { name: 'Ed25519' },
};

/** The Web Crypto parameters of `crypto.subtle.sign` per algorithm. */
export const SIGN_PARAMS: Record<DPoPAlgorithm, AlgorithmIdentifier | EcdsaParams | RsaPssParams> =
  {
    ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    // RFC 7518 §3.5: the salt is as long as the hash.
    PS256: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
    EdDSA: { name: 'Ed25519' },
  };

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

const encoder = new TextEncoder();

/** base64url (no padding) of a string's UTF-8 bytes. */
export function encodeText(text: string): string {
  return base64url(encoder.encode(text));
}

/** Whether `value` is one of the DPoP algorithms Forge signs with. */
export function isDPoPAlgorithm(value: unknown): value is DPoPAlgorithm {
  return ALGORITHMS.includes(value as DPoPAlgorithm);
}

function algorithmOfJwk(jwk: JsonWebKey): DPoPAlgorithm | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'PS256';
  return undefined;
}

function algorithmOfKey(key: CryptoKey): DPoPAlgorithm | undefined {
  const algorithm = key.algorithm as { name: string; namedCurve?: string };
  if (algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256') return 'ES256';
  if (algorithm.name === 'Ed25519') return 'EdDSA';
  if (algorithm.name === 'RSA-PSS') return 'PS256';
  return undefined;
}

/** The public members of a JWK, as the thumbprint and the proof header need them. */
function publicMembers(jwk: Readonly<Record<string, unknown>>): Record<string, string> {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)];
  if (members === undefined) {
    throw new ConfigurationError('dpop.key', 'must be an EC P-256, RSA or Ed25519 key');
  }
  const result: Record<string, string> = {};
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string' || value === '') {
      throw new ConfigurationError(
        'dpop.key',
        `is a ${String(jwk.kty)} JWK without its "${name}" member`,
      );
    }
    result[name] = value;
  }
  return result;
}

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK, base64url-encoded: what a
 * DPoP-bound token carries as `cnf.jkt`.
 *
 * @example
 * ```ts
 * const jkt = await jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' });
 * ```
 */
export async function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): Promise<string> {
  const members = publicMembers(jwk);
  // The members are already in lexicographic order; JSON.stringify keeps insertion order.
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(JSON.stringify(members)));
  return base64url(new Uint8Array(digest));
}

async function material(
  alg: DPoPAlgorithm,
  privateKey: CryptoKey,
  jwk: Readonly<Record<string, unknown>>,
): Promise<DPoPKeyMaterial> {
  const publicJwk = publicMembers(jwk);
  const thumbprint = await jwkThumbprint(publicJwk);
  const encodedHeader = encodeText(JSON.stringify({ typ: 'dpop+jwt', alg, jwk: publicJwk }));
  return Object.freeze({
    alg,
    privateKey,
    publicJwk: Object.freeze(publicJwk),
    thumbprint,
    encodedHeader,
  });
}

/**
 * A new DPoP key pair made with Web Crypto, for `alg`. Non-extractable
 * unless asked: the private key can sign but never leave the process (a
 * fleet that stores one shared key needs `extractable: true`).
 *
 * @example
 * ```ts
 * const pair = await generateDPoPKeyPair('ES256', { extractable: false });
 * const provider = new ClientCredentialsTokenProvider({ ...options, dpop: { key: pair } });
 * ```
 */
export async function generateDPoPKeyPair(
  alg: DPoPAlgorithm = 'ES256',
  options: { readonly extractable?: boolean } = {},
): Promise<CryptoKeyPair> {
  if (!isDPoPAlgorithm(alg))
    throw new ConfigurationError('dpop.alg', 'must be ES256, PS256 or EdDSA');
  try {
    return (await crypto.subtle.generateKey(GENERATE[alg], options.extractable === true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
  } catch (cause) {
    throw new ConfigurationError(
      'dpop.alg',
      `${alg} keys cannot be made by this runtime's Web Crypto; use ES256 (the default)`,
      { cause },
    );
  }
}

/** A generated key pair and its loaded form. */
export async function generateDPoPKey(
  alg: DPoPAlgorithm,
  extractable: boolean,
): Promise<{ readonly pair: CryptoKeyPair; readonly material: DPoPKeyMaterial }> {
  const pair = await generateDPoPKeyPair(alg, { extractable });
  const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as Record<string, unknown>;
  return { pair, material: await material(alg, pair.privateKey, jwk) };
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  return (
    typeof value === 'object' &&
    value !== null &&
    'privateKey' in value &&
    'publicKey' in value &&
    typeof CryptoKey !== 'undefined' &&
    (value as CryptoKeyPair).privateKey instanceof CryptoKey
  );
}

/**
 * Loads a user-supplied key: a `CryptoKeyPair` (its private key must allow
 * `sign`) or a private JWK (imported non-extractable unless `extractable`).
 */
export async function importDPoPKey(
  input: DPoPKeyInput,
  extractable: boolean,
): Promise<DPoPKeyMaterial> {
  if (isKeyPair(input)) {
    const alg = algorithmOfKey(input.privateKey);
    if (alg === undefined || !input.privateKey.usages.includes('sign')) {
      throw new ConfigurationError(
        'dpop.key',
        'must be an ECDSA P-256, RSA-PSS or Ed25519 key pair whose private key may sign',
      );
    }
    const jwk = (await crypto.subtle.exportKey('jwk', input.publicKey)) as Record<string, unknown>;
    return material(alg, input.privateKey, jwk);
  }
  if (typeof input !== 'object' || input === null || typeof input.kty !== 'string') {
    throw new ConfigurationError('dpop.key', 'must be a CryptoKeyPair or a private JWK object');
  }
  const alg = algorithmOfJwk(input);
  if (alg === undefined) {
    throw new ConfigurationError('dpop.key', 'must be an EC P-256, RSA or Ed25519 JWK');
  }
  if (typeof input.d !== 'string') {
    throw new ConfigurationError('dpop.key', 'is a public JWK: pass the private JWK (with "d")');
  }
  const importParams =
    alg === 'PS256' ? { name: 'RSA-PSS', hash: 'SHA-256' } : (GENERATE[alg] as Algorithm);
  const { alg: _alg, key_ops: _ops, use: _use, ...bare } = input as Record<string, unknown>;
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey(
      'jwk',
      bare as JsonWebKey,
      importParams,
      extractable,
      ['sign'],
    );
  } catch (cause) {
    // The import error may quote key material: keep only its name.
    throw new ConfigurationError('dpop.key', 'is not a valid private JWK for its key type', {
      cause: new Error(cause instanceof Error ? cause.name : 'ImportError'),
    });
  }
  return material(alg, privateKey, input as Readonly<Record<string, unknown>>);
}
