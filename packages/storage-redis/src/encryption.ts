import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigurationError } from '@forge/core';

/**
 * A 32-byte AES-256 key: raw bytes (`Buffer`, `Uint8Array`) or their base64
 * text (generate one with `openssl rand -base64 32`).
 *
 * @example
 * ```ts
 * const key: EncryptionKey = randomBytes(32);
 * const fromEnv: EncryptionKey = process.env.TOKEN_KEY!; // base64
 * ```
 */
export type EncryptionKey = Uint8Array | string;

/** A parsed key with its short, non-secret id. @internal */
export interface Keyring {
  /** Encrypts with this one. */
  readonly current: KeyEntry;
  /** Decrypts with any of these, by id. */
  readonly byId: ReadonlyMap<string, KeyEntry>;
}

/** @internal */
export interface KeyEntry {
  readonly id: string;
  readonly key: Buffer;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function parseKey(value: unknown, option: string): Buffer {
  let bytes: Buffer;
  if (value instanceof Uint8Array) {
    bytes = Buffer.from(value);
  } else if (typeof value === 'string') {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
      throw new ConfigurationError(
        option,
        'must be base64 text of 32 random bytes (generate one with `openssl rand -base64 32`)',
        { package: 'storage-redis' },
      );
    }
    bytes = Buffer.from(value, 'base64');
  } else {
    throw new ConfigurationError(option, 'must be a Uint8Array/Buffer or a base64 string', {
      package: 'storage-redis',
    });
  }
  if (bytes.length !== KEY_BYTES) {
    throw new ConfigurationError(
      option,
      `must be exactly 32 bytes for AES-256-GCM, got ${bytes.length} (generate one with \`openssl rand -base64 32\`)`,
      { package: 'storage-redis' },
    );
  }
  return bytes;
}

/**
 * Parses the keys, newest first. The key id is a short digest of the key:
 * it lets a reader pick the right key after a rotation without trying each,
 * and reveals nothing usable about the key.
 * @internal
 */
export function keyring(keys: readonly unknown[], option: string): Keyring {
  if (keys.length === 0) {
    throw new ConfigurationError(option, 'must list at least one key, newest first', {
      package: 'storage-redis',
    });
  }
  const entries = keys.map((value, index) => {
    const key = parseKey(value, `${option}[${index}]`);
    const id = createHash('sha256').update('forge-key-id').update(key).digest('hex').slice(0, 16);
    return { id, key };
  });
  return { current: entries[0]!, byId: new Map(entries.map((entry) => [entry.id, entry])) };
}

/** Ciphertext and what is needed to open it. @internal */
export interface Sealed {
  readonly kid: string;
  readonly iv: string;
  /** base64 of ciphertext followed by the 16-byte GCM tag. */
  readonly data: string;
}

/** AES-256-GCM with a fresh 96-bit IV; `aad` binds the ciphertext to its Redis entry. @internal */
export function seal(entry: KeyEntry, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', entry.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return { kid: entry.id, iv: iv.toString('base64'), data: body.toString('base64') };
}

/** Opens {@link seal} output; throws when the key is wrong or anything was changed. @internal */
export function open(entry: KeyEntry, sealed: Sealed, aad: string): string {
  const iv = Buffer.from(sealed.iv, 'base64');
  const body = Buffer.from(sealed.data, 'base64');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('truncated ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', entry.key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(body.subarray(0, body.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}
