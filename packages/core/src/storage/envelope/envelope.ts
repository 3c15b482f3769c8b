import { StorageError } from '../../errors.js';
import { Token } from '../../token.js';
import { sha256Hex } from './bytes.js';
import { type Keyring, open, seal } from './encryption.js';

/**
 * Version of the stored format. A reader rejects any other version, so a
 * format change never makes an old or new process misread an entry.
 */
export const ENVELOPE_VERSION = 1;

/**
 * The stored value: `{ v, fp, exp?, enc?, data }`. `fp` (SHA-256 of the
 * access token) sits outside the encrypted part so a compare-and-delete in
 * the backend (a Lua script, a SQL `WHERE`) can compare it; `exp` is when the
 * entry expires (writer's clock).
 */
interface Envelope {
  readonly v: number;
  readonly fp: string;
  readonly exp?: number;
  readonly enc?: { readonly alg: 'A256GCM'; readonly kid: string; readonly iv: string };
  readonly data: unknown;
}

/** A decoded entry. */
export interface EnvelopeEntry {
  readonly token: Token;
  /** Epoch ms when the backend drops the entry, when it has a TTL. */
  readonly expiresAt: number | undefined;
}

/** Who reads an entry, for the StorageError raised when it cannot be read. */
export interface EnvelopeReader {
  /** The package raising the error, such as `storage-postgres`. */
  readonly package: string;
  /** The package that writes such entries, such as `@forge/storage-postgres`. */
  readonly writer: string;
  /** How to find the right entries, such as ``check the key `prefix` ``. */
  readonly foreignHint: string;
}

/**
 * Fingerprint of a token (SHA-256 hex of its access token), stored in clear
 * beside the sealed token so compare-and-delete runs in the backend.
 *
 * @example
 * ```ts
 * const fp = await fingerprint(token);
 * ```
 */
export function fingerprint(token: Token): Promise<string> {
  return sha256Hex(token.accessToken);
}

function aadOf(digest: string, fp: string): string {
  return `forge:v${ENVELOPE_VERSION}:${digest}:${fp}`;
}

/**
 * Serializes a token for the entry whose key digest is `digest`, sealed with
 * the newest key of `keys` when given. The digest is bound into the
 * ciphertext, so a sealed value copied to another entry does not open.
 *
 * @example
 * ```ts
 * const value = await encodeEntry(token, await sha256Hex(key), Date.now() + ttlMs, keys);
 * ```
 */
export async function encodeEntry(
  token: Token,
  digest: string,
  expiresAt: number | undefined,
  keys: Keyring | undefined,
): Promise<string> {
  const fp = await fingerprint(token);
  const base = {
    v: ENVELOPE_VERSION,
    fp,
    ...(expiresAt === undefined ? {} : { exp: expiresAt }),
  };
  if (!keys) return JSON.stringify({ ...base, data: token.toJSON() });
  const { current } = await keys.keys();
  const sealed = await seal(current, JSON.stringify(token.toJSON()), aadOf(digest, fp));
  return JSON.stringify({
    ...base,
    enc: { alg: 'A256GCM', kid: sealed.kid, iv: sealed.iv },
    data: sealed.data,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and checks a stored value. Anything that is not a well-formed entry
 * of this format, readable with the configured keys and whose token matches
 * its fingerprint, rejects with a StorageError (never served). Messages name
 * `entry`, which must hold only a digest.
 *
 * @example
 * ```ts
 * const { token } = await decodeEntry(raw, 'forge:{digest}', digest, keys, reader);
 * ```
 */
export async function decodeEntry(
  raw: string,
  entry: string,
  digest: string,
  keys: Keyring | undefined,
  reader: EnvelopeReader,
): Promise<EnvelopeEntry> {
  const unreadable = (problem: string): StorageError =>
    new StorageError(
      'get',
      `The entry ${entry} ${problem}; it is treated as a miss and replaced by the next token.`,
      { package: reader.package },
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw unreadable('is not valid JSON (corrupted or truncated)');
  }
  if (!isObject(parsed) || !('v' in parsed) || typeof parsed.fp !== 'string') {
    throw unreadable(`was not written by ${reader.writer} (${reader.foreignHint})`);
  }
  const envelope = parsed as unknown as Envelope;
  if (envelope.v !== ENVELOPE_VERSION) {
    throw unreadable(
      `has format version ${String(envelope.v)}, this version reads ${ENVELOPE_VERSION}`,
    );
  }
  let json: unknown;
  if (envelope.enc === undefined) {
    if (keys) throw unreadable('is not encrypted but `encryption` is configured');
    json = envelope.data;
  } else {
    if (!keys) throw unreadable('is encrypted but no `encryption` keys are configured');
    const { enc } = envelope;
    if (
      !isObject(enc) ||
      typeof enc.kid !== 'string' ||
      typeof enc.iv !== 'string' ||
      typeof envelope.data !== 'string'
    ) {
      throw unreadable('has a malformed encryption header');
    }
    const key = (await keys.keys()).byId.get(enc.kid);
    if (!key) {
      throw unreadable(
        `was encrypted with key id ${enc.kid}, which is not among the configured keys`,
      );
    }
    let plaintext: string;
    try {
      plaintext = await open(
        key,
        { kid: enc.kid, iv: enc.iv, data: envelope.data },
        aadOf(digest, envelope.fp),
      );
    } catch {
      throw unreadable('failed decryption (tampered, truncated or moved from another key)');
    }
    try {
      json = JSON.parse(plaintext);
    } catch {
      throw unreadable('decrypted to something that is not JSON');
    }
  }
  let token: Token;
  try {
    token = Token.fromJSON(json);
  } catch {
    throw unreadable('holds no valid token');
  }
  if ((await fingerprint(token)) !== envelope.fp) {
    throw unreadable('holds a token that does not match its fingerprint (tampered)');
  }
  const expiresAt =
    typeof envelope.exp === 'number' && Number.isFinite(envelope.exp) ? envelope.exp : undefined;
  return { token, expiresAt };
}
