import { ConfigurationError } from '@forge/core';
import { fromBase64 } from '../encoding/base64.js';

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
// AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
const RSA_ALGORITHM = [
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

function problem(text: string): ConfigurationError {
  return new ConfigurationError('privateKey', text, { package: 'oauth1' });
}

function derLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** Length of the DER element at the start of `der`, or -1 when it is not one. */
function derElementLength(der: Uint8Array): number {
  if (der.length < 2) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}

function isDerSequence(der: Uint8Array): boolean {
  return der[0] === 0x30 && derElementLength(der) === der.length;
}

function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array<ArrayBuffer> {
  const version = [0x02, 0x01, 0x00];
  const octets = [0x04, ...derLength(pkcs1.length)];
  const bodyLength = version.length + RSA_ALGORITHM.length + octets.length + pkcs1.length;
  const head = [0x30, ...derLength(bodyLength), ...version, ...RSA_ALGORITHM, ...octets];
  const out = new Uint8Array(head.length + pkcs1.length);
  out.set(head);
  out.set(pkcs1, head.length);
  return out;
}

/**
 * Checks the structure of a PEM private key without importing it (Web
 * Crypto import is asynchronous) and returns its PKCS #8 DER bytes. Accepts
 * `PRIVATE KEY` (PKCS #8) and `RSA PRIVATE KEY` (PKCS #1, re-wrapped), so a
 * key made by either `openssl genrsa` or `openssl genpkey` works.
 *
 * @throws ConfigurationError naming `privateKey` when the text is not a usable PEM key.
 */
export function pemToPkcs8(pem: string): Uint8Array<ArrayBuffer> {
  const match = PEM.exec(pem);
  if (!match) {
    throw problem(
      'must be a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----)',
    );
  }
  const label = match[1]!;
  if (label === 'ENCRYPTED PRIVATE KEY') {
    throw problem(
      'is encrypted; decrypt it first (openssl pkcs8 -topk8 -nocrypt) and pass the PKCS #8 PEM',
    );
  }
  if (label !== 'PRIVATE KEY' && label !== 'RSA PRIVATE KEY') {
    throw problem(`is a PEM "${label}", expected "PRIVATE KEY" (PKCS #8) or "RSA PRIVATE KEY"`);
  }
  const der = fromBase64(match[2]!);
  if (der === undefined || !isDerSequence(der)) {
    throw problem('is not valid PEM: its base64 body is not a DER-encoded key');
  }
  return label === 'RSA PRIVATE KEY' ? pkcs1ToPkcs8(der) : der;
}

/**
 * Imports an RSA private key for RSASSA-PKCS1-v1_5 signing with Web Crypto.
 *
 * @throws ConfigurationError naming `privateKey` when the key is not an RSA private key.
 */
export async function importRsaPrivateKey(
  pkcs8: Uint8Array<ArrayBuffer>,
  hash: 'SHA-1' | 'SHA-256',
): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey(
      'pkcs8',
      pkcs8,
      { name: 'RSASSA-PKCS1-v1_5', hash },
      false,
      ['sign'],
    );
  } catch (cause) {
    throw new ConfigurationError(
      'privateKey',
      'could not be imported as an RSA private key; pass an unencrypted RSA key in PKCS #8 PEM (openssl pkcs8 -topk8 -nocrypt -in key.pem)',
      { package: 'oauth1', cause },
    );
  }
}

/**
 * Checks that a ready-made `CryptoKey` can sign with RSASSA-PKCS1-v1_5 and
 * the hash the signature method needs.
 *
 * @throws ConfigurationError naming `privateKey` otherwise.
 */
export function checkRsaCryptoKey(key: CryptoKey, hash: 'SHA-1' | 'SHA-256'): void {
  const algorithm = key.algorithm as RsaHashedKeyAlgorithm;
  if (key.type !== 'private' || !key.usages.includes('sign')) {
    throw problem('must be a private CryptoKey with the "sign" usage');
  }
  if (algorithm.name !== 'RSASSA-PKCS1-v1_5' || algorithm.hash?.name !== hash) {
    throw problem(
      `must be a CryptoKey imported for { name: 'RSASSA-PKCS1-v1_5', hash: '${hash}' }, got ${algorithm.name}${algorithm.hash ? ` with ${algorithm.hash.name}` : ''}`,
    );
  }
}
