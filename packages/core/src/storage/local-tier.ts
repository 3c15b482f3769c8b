import type { Token } from '../token.js';

interface Slot {
  readonly token: Token;
  readonly validUntil: number;
}

/**
 * The in-process copy a shared storage keeps in front of its backend: a
 * bounded map from key digest to token, least recently used evicted first.
 * It is only as good as the invalidation that keeps it honest, so a storage
 * serves it only while its change notifications are live and clears it
 * whenever they drop.
 *
 * @example
 * ```ts
 * const local = new LocalTier(10_000);
 * local.set(digest, token, token.expiresAtMs);
 * local.get(digest, Date.now()); // token, until validUntil
 * ```
 */
export class LocalTier {
  readonly #slots = new Map<string, Slot>();
  readonly #maxEntries: number;

  /** `maxEntries` 0 keeps nothing. */
  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(digest: string, now: number): Token | undefined {
    const slot = this.#slots.get(digest);
    if (!slot) return undefined;
    if (now >= slot.validUntil) {
      this.#slots.delete(digest);
      return undefined;
    }
    this.#slots.delete(digest);
    this.#slots.set(digest, slot);
    return slot.token;
  }

  set(digest: string, token: Token, validUntil: number): void {
    if (this.#maxEntries === 0) return;
    this.#slots.delete(digest);
    this.#slots.set(digest, { token, validUntil });
    if (this.#slots.size > this.#maxEntries) {
      const oldest = this.#slots.keys().next().value;
      if (oldest !== undefined) this.#slots.delete(oldest);
    }
  }

  delete(digest: string): void {
    this.#slots.delete(digest);
  }

  clear(): void {
    this.#slots.clear();
  }
}
