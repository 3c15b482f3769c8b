import { sha256Hex } from '@forge/core/storage';

/** The unstorage names of one manager key. @internal */
export interface KeyNames {
  /** SHA-256 hex of the manager's key: no identifier, and never a secret, reaches the backend. */
  readonly digest: string;
  /** `<prefix>:<digest>`, the unstorage key of the entry. */
  readonly entry: string;
}

/**
 * Digests keys, remembering the most recent ones both ways: the digest so a
 * hot key is hashed once, the key so a change notification (which carries
 * only the digest) can name the manager's key to listeners.
 * @internal
 */
export class KeyBook {
  readonly #prefix: string;
  readonly #maxEntries: number;
  readonly #byKey = new Map<string, KeyNames>();
  readonly #byDigest = new Map<string, string>();

  constructor(prefix: string, maxEntries = 10_000) {
    this.#prefix = prefix;
    this.#maxEntries = maxEntries;
  }

  async names(key: string): Promise<KeyNames> {
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    const digest = await sha256Hex(key);
    const names = { digest, entry: `${this.#prefix}:${digest}` };
    if (this.#byKey.size >= this.#maxEntries) {
      const oldest = this.#byKey.entries().next().value;
      if (oldest !== undefined) {
        this.#byKey.delete(oldest[0]);
        this.#byDigest.delete(oldest[1].digest);
      }
    }
    this.#byKey.set(key, names);
    this.#byDigest.set(digest, key);
    return names;
  }

  /** The manager key of an unstorage key this instance has used, if any. */
  keyOf(storageKey: string): string | undefined {
    const start = `${this.#prefix}:`;
    if (!storageKey.startsWith(start)) return undefined;
    return this.#byDigest.get(storageKey.slice(start.length));
  }
}
