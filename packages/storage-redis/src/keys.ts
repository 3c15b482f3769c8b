import { createHash } from 'node:crypto';

/**
 * SHA-256 hex of a string, synchronous: key names are needed before the
 * first await (Web Crypto's digest in @forge/core/storage is async). Same
 * digest as `sha256Hex` there.
 * @internal
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The Redis names of one manager key. The manager's key is digested, so no
 * identifier (and never a secret) appears in Redis; the digest sits in a hash
 * tag `{…}` so the entry and its lock hash to the same Cluster slot.
 * @internal
 */
export interface KeyNames {
  /** SHA-256 hex of the manager's key; also what is published on a change. */
  readonly digest: string;
  readonly entry: string;
  readonly lock: string;
}

/** @internal */
export function keyNames(prefix: string, key: string): KeyNames {
  const digest = sha256Hex(key);
  const base = `${prefix}{${digest}}`;
  return { digest, entry: base, lock: `${base}:lock` };
}

/**
 * The one channel every instance publishes changes on. Classic pub/sub
 * reaches every subscriber in a Cluster, whichever node it is connected to,
 * so one channel per prefix is enough.
 * @internal
 */
export function channelName(prefix: string): string {
  return `${prefix}changes`;
}
