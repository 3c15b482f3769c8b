import { ConfigurationError } from '@forge/core';
import { toBase64 } from '../encoding/base64.js';
import { percentEncode } from '../encoding/percent.js';
import { checkRsaCryptoKey, importRsaPrivateKey, pemToPkcs8 } from './private-key.js';

/**
 * The signature methods Forge implements: the three of RFC 5849 §3.4 and
 * the SHA-256 variants many providers (Xero, NetSuite, Jira) accept.
 *
 * @example
 * ```ts
 * SIGNATURE_METHODS.includes('HMAC-SHA256'); // true
 * ```
 */
export const SIGNATURE_METHODS = [
  'HMAC-SHA1',
  'HMAC-SHA256',
  'RSA-SHA1',
  'RSA-SHA256',
  'PLAINTEXT',
] as const;

/**
 * One of {@link SIGNATURE_METHODS}.
 *
 * @example
 * ```ts
 * const method: SignatureMethod = 'RSA-SHA256';
 * ```
 */
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** The digest a signature method uses, also used for `oauth_body_hash`. */
export type DigestName = 'SHA-1' | 'SHA-256';

/** Produces `oauth_signature` for a base string. */
export interface SignatureAlgorithm {
  readonly method: SignatureMethod;
  /** `undefined` for PLAINTEXT, which has no digest and so no body hash. */
  readonly digest: DigestName | undefined;
  sign(baseString: string, tokenSecret: string): Promise<string>;
  /** Imports the key now, so a bad RSA key fails at start-up, not on the first request. */
  prepare(): Promise<void>;
}

/** The key material a signature method needs. */
export interface SignatureKeys {
  readonly consumerSecret?: string | undefined;
  readonly privateKey?: string | CryptoKey | undefined;
}

const encoder = new TextEncoder();

function signingKey(consumerSecret: string, tokenSecret: string): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

function hmac(
  method: SignatureMethod,
  digest: DigestName,
  consumerSecret: string,
): SignatureAlgorithm {
  // Importing a key costs more than the HMAC itself: keep the key of the
  // last token secret, which is every request of an authorizer.
  let cached: { tokenSecret: string; key: Promise<CryptoKey> } | undefined;
  const keyFor = (tokenSecret: string): Promise<CryptoKey> => {
    if (cached?.tokenSecret !== tokenSecret) {
      const raw = encoder.encode(signingKey(consumerSecret, tokenSecret));
      const key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: digest }, false, [
        'sign',
      ]);
      cached = { tokenSecret, key };
    }
    return cached.key;
  };
  return {
    method,
    digest,
    async sign(baseString, tokenSecret) {
      const key = await keyFor(tokenSecret);
      return toBase64(await crypto.subtle.sign('HMAC', key, encoder.encode(baseString)));
    },
    async prepare() {
      await keyFor('');
    },
  };
}

function rsa(
  method: SignatureMethod,
  digest: DigestName,
  privateKey: string | CryptoKey,
): SignatureAlgorithm {
  let getKey: () => Promise<CryptoKey>;
  if (typeof privateKey === 'string') {
    const pkcs8 = pemToPkcs8(privateKey);
    let imported: Promise<CryptoKey> | undefined;
    // Web Crypto imports asynchronously: on first use, or earlier through `prepare()`.
    getKey = () => {
      imported ??= importRsaPrivateKey(pkcs8, digest);
      return imported;
    };
  } else {
    checkRsaCryptoKey(privateKey, digest);
    const ready = Promise.resolve(privateKey);
    getKey = () => ready;
  }
  return {
    method,
    digest,
    async sign(baseString) {
      const key = await getKey();
      return toBase64(
        await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, encoder.encode(baseString)),
      );
    },
    async prepare() {
      await getKey();
    },
  };
}

function plaintext(consumerSecret: string): SignatureAlgorithm {
  return {
    method: 'PLAINTEXT',
    digest: undefined,
    async sign(_baseString, tokenSecret) {
      return signingKey(consumerSecret, tokenSecret);
    },
    async prepare() {},
  };
}

function requireSecret(method: SignatureMethod, secret: string | undefined): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new ConfigurationError(
      'consumerSecret',
      `is required for ${method}; pass the consumer (client) secret the provider issued, or use signatureMethod 'RSA-SHA1' with a privateKey`,
      { package: 'oauth1' },
    );
  }
  return secret;
}

function requireKey(
  method: SignatureMethod,
  key: string | CryptoKey | undefined,
): string | CryptoKey {
  if (key === undefined || key === '') {
    throw new ConfigurationError(
      'privateKey',
      `is required for ${method}; pass the RSA private key as PKCS #8 PEM or a CryptoKey`,
      { package: 'oauth1' },
    );
  }
  if (typeof key !== 'string' && !(typeof CryptoKey !== 'undefined' && key instanceof CryptoKey)) {
    throw new ConfigurationError('privateKey', 'must be a PEM string or a CryptoKey', {
      package: 'oauth1',
    });
  }
  return key;
}

/**
 * Builds the algorithm for a signature method, validating the key material
 * it needs synchronously (an RSA PEM is checked structurally here and
 * imported on first use or on `prepare()`).
 *
 * @throws ConfigurationError naming `signatureMethod`, `consumerSecret` or `privateKey`.
 */
export function createSignatureAlgorithm(method: unknown, keys: SignatureKeys): SignatureAlgorithm {
  switch (method) {
    case 'HMAC-SHA1':
      return hmac(method, 'SHA-1', requireSecret(method, keys.consumerSecret));
    case 'HMAC-SHA256':
      return hmac(method, 'SHA-256', requireSecret(method, keys.consumerSecret));
    case 'RSA-SHA1':
      return rsa(method, 'SHA-1', requireKey(method, keys.privateKey));
    case 'RSA-SHA256':
      return rsa(method, 'SHA-256', requireKey(method, keys.privateKey));
    case 'PLAINTEXT':
      return plaintext(requireSecret(method, keys.consumerSecret));
    default:
      throw new ConfigurationError(
        'signatureMethod',
        `must be one of ${SIGNATURE_METHODS.join(', ')}; got ${JSON.stringify(String(method))}`,
        { package: 'oauth1' },
      );
  }
}
