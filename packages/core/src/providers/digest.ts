/**
 * SHA-256 (Web Crypto) of secret material as hex, memoized in a small
 * bounded map: cache keys for subject tokens are computed on every
 * `getToken`, and a digest is the only form of a token allowed in a key.
 */
export class DigestMemo {
  readonly #entries = new Map<string, Promise<string>>();

  constructor(readonly maxEntries = 1_000) {}

  digest(text: string): Promise<string> {
    const hit = this.#entries.get(text);
    if (hit) {
      // Re-insert so the map's order is least-recently-used first.
      this.#entries.delete(text);
      this.#entries.set(text, hit);
      return hit;
    }
    const pending = crypto.subtle
      .digest('SHA-256', new TextEncoder().encode(text))
      .then((buffer) =>
        Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join(''),
      );
    this.#entries.set(text, pending);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return pending;
  }

  get size(): number {
    return this.#entries.size;
  }
}
