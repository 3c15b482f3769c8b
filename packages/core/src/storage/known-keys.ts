import { ConfigurationError } from '../errors.js';
import type { LocalCopy } from './local-copy.js';

/** How many manager keys a storage remembers, to name them in change notifications. */
const MAX_KNOWN_KEYS = 100_000;

/**
 * What a shared storage derives from each manager key (its digest, and the
 * backend names built on it), computed once and remembered, at most
 * `maxKeys` of them, oldest forgotten first. Each remembered key is tracked
 * by the {@link LocalCopy}, so change notifications name it to listeners.
 *
 * @example
 * ```ts
 * const known = new KnownKeys(copy, 'storage-redis', (key) => ({ digest: sha256Hex(key) }));
 * const { digest } = known.of(key); // ConfigurationError for an empty key
 * ```
 */
export class KnownKeys<T extends { readonly digest: string }> {
  readonly #names = new Map<string, T>();
  readonly #copy: LocalCopy;
  readonly #package: string;
  readonly #derive: (key: string) => T;
  readonly #maxKeys: number;

  constructor(
    copy: LocalCopy,
    pkg: string,
    derive: (key: string) => T,
    maxKeys: number = MAX_KNOWN_KEYS,
  ) {
    this.#copy = copy;
    this.#package = pkg;
    this.#derive = derive;
    this.#maxKeys = maxKeys;
  }

  /** The names of `key`, which must be a non-empty string. */
  of(key: string): T {
    const known = this.#names.get(key);
    if (known) return known;
    if (typeof key !== 'string' || key.length === 0) {
      throw new ConfigurationError('key', 'must be a non-empty string', {
        package: this.#package,
      });
    }
    const names = this.#derive(key);
    if (this.#names.size >= this.#maxKeys) {
      const oldest = this.#names.entries().next().value;
      if (oldest) {
        this.#names.delete(oldest[0]);
        this.#copy.untrack(oldest[1].digest);
      }
    }
    this.#names.set(key, names);
    this.#copy.track(names.digest, key);
    return names;
  }
}
