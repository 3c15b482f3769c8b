import { ConfigurationError } from '../../errors.js';
import { fromBase64, toBase64, toHex, utf8 } from './bytes.js';

/**
 * A 32-byte AES-256 key: raw bytes (`Buffer`, `Uint8Array`) or their base64
 * text (generate one with `openssl rand -base64 32`).
 *
 * @example
 * ```ts
 * const key: EncryptionKey = crypto.getRandomValues(new Uint8Array(32));
 * const fromEnv: EncryptionKey = process.env.TOKEN_KEY!; // base64
 * ```
 */
export type EncryptionKey = Uint8Array | string;

/**
 * Encryption at rest: AES-256-GCM with your key(s).
 *
 * @example
 * ```ts
 * const one: EncryptionOptions = { key: process.env.TOKEN_KEY! };
 * const rotating: EncryptionOptions = { keys: [newKey, oldKey] }; // write with newKey, read with both
 * ```
 */
export type EncryptionOptions =
  | {
      /** One 32-byte key. */
      readonly key: EncryptionKey;
    }
  | {
      /**
       * Keys newest first: entries are written with the first and read with
       * any, so a key can be rotated without losing stored tokens.
       */
      readonly keys: readonly EncryptionKey[];
    };

/** A key ready for Web Crypto, with its short, non-secret id. @internal */
export interface KeyEntry {
  readonly id: string;
  readonly key: CryptoKey;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The configured keys, newest first. Validated when built (so a bad key fails
 * the storage's constructor); imported into Web Crypto on first use, which is
 * asynchronous.
 */
export class Keyring {
  readonly #raw: readonly Uint8Array<ArrayBuffer>[];
  #ready: Promise<{ current: KeyEntry; byId: ReadonlyMap<string, KeyEntry> }> | undefined;

  /** @internal Use {@link resolveEncryption}. */
  constructor(raw: readonly Uint8Array<ArrayBuffer>[]) {
    this.#raw = raw;
  }

  /** @internal */
  keys(): Promise<{ current: KeyEntry; byId: ReadonlyMap<string, KeyEntry> }> {
    this.#ready ??= importAll(this.#raw);
    return this.#ready;
  }
}

async function importAll(
  raw: readonly Uint8Array<ArrayBuffer>[],
): Promise<{ current: KeyEntry; byId: ReadonlyMap<string, KeyEntry> }> {
  const entries = await Promise.all(
    raw.map(async (bytes) => {
      // The key id is a short digest of the key: it lets a reader pick the
      // right key after a rotation without trying each, and reveals nothing
      // usable about the key.
      const label = utf8('forge-key-id');
      const material = new Uint8Array(label.length + bytes.length);
      material.set(label);
      material.set(bytes, label.length);
      const id = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', material))).slice(
        0,
        16,
      );
      const key = await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ]);
      return { id, key };
    }),
  );
  return { current: entries[0]!, byId: new Map(entries.map((entry) => [entry.id, entry])) };
}

function parseKey(value: unknown, option: string, pkg: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  if (value instanceof Uint8Array) {
    bytes = new Uint8Array(value);
  } else if (typeof value === 'string') {
    bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? fromBase64(value) : undefined;
    if (!bytes) {
      throw new ConfigurationError(
        option,
        'must be base64 text of 32 random bytes (generate one with `openssl rand -base64 32`)',
        { package: pkg },
      );
    }
  } else {
    throw new ConfigurationError(option, 'must be a Uint8Array/Buffer or a base64 string', {
      package: pkg,
    });
  }
  if (bytes.length !== KEY_BYTES) {
    throw new ConfigurationError(
      option,
      `must be exactly 32 bytes for AES-256-GCM, got ${bytes.length} (generate one with \`openssl rand -base64 32\`)`,
      { package: pkg },
    );
  }
  return bytes;
}

function keyring(keys: readonly unknown[], option: string, pkg: string): Keyring {
  if (keys.length === 0) {
    throw new ConfigurationError(option, 'must list at least one key, newest first', {
      package: pkg,
    });
  }
  return new Keyring(keys.map((value, index) => parseKey(value, `${option}[${index}]`, pkg)));
}

/**
 * Validates a storage's `encryption` option and returns its keyring
 * (`undefined` when encryption is off). Throws a ConfigurationError naming
 * the option, raised on behalf of `pkg`.
 *
 * @example
 * ```ts
 * const keys = resolveEncryption(options.encryption, 'storage-postgres');
 * ```
 */
export function resolveEncryption(encryption: unknown, pkg: string): Keyring | undefined {
  if (encryption === undefined) return undefined;
  const fail = (option: string, problem: string): never => {
    throw new ConfigurationError(option, problem, { package: pkg });
  };
  if (typeof encryption !== 'object' || encryption === null) {
    return fail('encryption', 'must be `{ key }` or `{ keys: [newest, ...older] }`');
  }
  if ('keys' in encryption) {
    if (!Array.isArray(encryption.keys)) {
      return fail('encryption.keys', 'must be an array, newest key first');
    }
    return keyring(encryption.keys, 'encryption.keys', pkg);
  }
  if ('key' in encryption) return keyring([encryption.key], 'encryption.key', pkg);
  return fail('encryption', 'must be `{ key }` or `{ keys: [newest, ...older] }`');
}

/** Ciphertext and what is needed to open it. @internal */
export interface Sealed {
  readonly kid: string;
  readonly iv: string;
  /** base64 of ciphertext followed by the 16-byte GCM tag. */
  readonly data: string;
}

/** AES-256-GCM with a fresh 96-bit IV; `aad` binds the ciphertext to its entry. @internal */
export async function seal(entry: KeyEntry, plaintext: string, aad: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const body = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(aad), tagLength: TAG_BYTES * 8 },
    entry.key,
    utf8(plaintext),
  );
  return { kid: entry.id, iv: toBase64(iv), data: toBase64(new Uint8Array(body)) };
}

/** Opens {@link seal} output; rejects when the key is wrong or anything was changed. @internal */
export async function open(entry: KeyEntry, sealed: Sealed, aad: string): Promise<string> {
  const iv = fromBase64(sealed.iv);
  const body = fromBase64(sealed.data);
  if (!iv || !body || iv.length !== IV_BYTES || body.length < TAG_BYTES) {
    throw new Error('truncated ciphertext');
  }
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv, additionalData: utf8(aad), tagLength: TAG_BYTES * 8 },
    entry.key,
    body,
  );
  return new TextDecoder('utf-8', { fatal: true }).decode(plain);
}
