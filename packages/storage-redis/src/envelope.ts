import { Token } from '@forge/core';
import { type Keyring, open, seal } from './encryption.js';
import { sha256Hex } from './keys.js';
import { storageError } from './timeout.js';

/**
 * Version of the stored format. A reader rejects any other version, so a
 * format change never makes an old or new process misread an entry.
 * @internal
 */
export const FORMAT_VERSION = 1;

/**
 * The stored value: `{ v, fp, exp?, enc?, data }`. `fp` (SHA-256 of the
 * access token) sits outside the encrypted part so the compare-and-delete Lua
 * script can compare it; `exp` is when the entry expires (writer's clock).
 * @internal
 */
interface Envelope {
  readonly v: number;
  readonly fp: string;
  readonly exp?: number;
  readonly enc?: { readonly alg: 'A256GCM'; readonly kid: string; readonly iv: string };
  readonly data: unknown;
}

/** A decoded entry. @internal */
export interface Entry {
  readonly token: Token;
  /** Epoch ms when Redis drops the entry, when it has a TTL. */
  readonly expiresAt: number | undefined;
}

/** Fingerprint of a token, compared by compare-and-delete. @internal */
export function fingerprint(token: Token): string {
  return sha256Hex(token.accessToken);
}

function aadOf(digest: string, fp: string): string {
  return `forge:v${FORMAT_VERSION}:${digest}:${fp}`;
}

/** Serializes a token for the entry whose key digest is `digest`. @internal */
export function encode(
  token: Token,
  digest: string,
  expiresAt: number | undefined,
  keys: Keyring | undefined,
): string {
  const fp = fingerprint(token);
  const base = { v: FORMAT_VERSION, fp, ...(expiresAt === undefined ? {} : { exp: expiresAt }) };
  if (!keys) return JSON.stringify({ ...base, data: token.toJSON() });
  const sealed = seal(keys.current, JSON.stringify(token.toJSON()), aadOf(digest, fp));
  return JSON.stringify({
    ...base,
    enc: { alg: 'A256GCM', kid: sealed.kid, iv: sealed.iv },
    data: sealed.data,
  });
}

function unreadable(entry: string, problem: string): Error {
  return storageError(
    'get',
    `The entry ${entry} ${problem}; it is treated as a miss and replaced by the next token.`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses and checks a stored value. Anything that is not a well-formed entry
 * of this format, readable with the configured keys and whose token matches
 * its fingerprint, throws a StorageError (never served). Messages name the
 * Redis key, which holds only a digest.
 * @internal
 */
export function decode(
  raw: string,
  entry: string,
  digest: string,
  keys: Keyring | undefined,
): Entry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw unreadable(entry, 'is not valid JSON (corrupted or truncated)');
  }
  if (!isObject(parsed) || !('v' in parsed) || typeof parsed.fp !== 'string') {
    throw unreadable(entry, 'was not written by @forge/storage-redis (check the key `prefix`)');
  }
  const envelope = parsed as unknown as Envelope;
  if (envelope.v !== FORMAT_VERSION) {
    throw unreadable(
      entry,
      `has format version ${String(envelope.v)}, this version reads ${FORMAT_VERSION}`,
    );
  }
  let json: unknown;
  if (envelope.enc === undefined) {
    if (keys) throw unreadable(entry, 'is not encrypted but `encryption` is configured');
    json = envelope.data;
  } else {
    if (!keys) throw unreadable(entry, 'is encrypted but no `encryption` keys are configured');
    const { enc } = envelope;
    if (
      !isObject(enc) ||
      typeof enc.kid !== 'string' ||
      typeof enc.iv !== 'string' ||
      typeof envelope.data !== 'string'
    ) {
      throw unreadable(entry, 'has a malformed encryption header');
    }
    const key = keys.byId.get(enc.kid);
    if (!key) {
      throw unreadable(
        entry,
        `was encrypted with key id ${enc.kid}, which is not among the configured keys`,
      );
    }
    let plaintext: string;
    try {
      plaintext = open(
        key,
        { kid: enc.kid, iv: enc.iv, data: envelope.data },
        aadOf(digest, envelope.fp),
      );
    } catch {
      throw unreadable(entry, 'failed decryption (tampered, truncated or moved from another key)');
    }
    try {
      json = JSON.parse(plaintext);
    } catch {
      throw unreadable(entry, 'decrypted to something that is not JSON');
    }
  }
  let token: Token;
  try {
    token = Token.fromJSON(json);
  } catch {
    throw unreadable(entry, 'holds no valid token');
  }
  if (fingerprint(token) !== envelope.fp) {
    throw unreadable(entry, 'holds a token that does not match its fingerprint (tampered)');
  }
  const expiresAt =
    typeof envelope.exp === 'number' && Number.isFinite(envelope.exp) ? envelope.exp : undefined;
  return { token, expiresAt };
}
