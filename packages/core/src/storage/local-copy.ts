import type { TokenLock } from '../storage.js';
import type { Token } from '../token.js';
import type { EnvelopeEntry } from './envelope/envelope.js';
import { LocalTier } from './local-tier.js';

/**
 * What a shared storage (Redis, PostgreSQL) keeps in front of its backend
 * and what keeps it honest, in one place: the in-process copy, served only
 * while change notifications are live and never for a key whose lock this
 * process holds; the change announcements (`<instance> <digest>`, never a
 * token); and the listeners `subscribe` registers. The storage feeds it the
 * notification channel's state (`up`, `down`) and messages.
 *
 * @example
 * ```ts
 * const copy = new LocalCopy(10_000);
 * const token = await copy.readThrough(digest, async () => decodeBackendEntry());
 * await copy.writeThrough(digest, token, expiresAt, (message) => writeBackend(value, message));
 * ```
 */
export class LocalCopy {
  readonly #local: LocalTier;
  /** Tags this instance's announcements, so it ignores its own changes. */
  readonly #instance = crypto.randomUUID();
  /** Digest -> until when this instance holds its lock; reads then bypass the copy. */
  readonly #held = new Map<string, number>();
  readonly #listeners = new Set<(key: string) => void>();
  readonly #keysByDigest = new Map<string, string>();
  #listening = false;
  #epoch = 0;

  constructor(maxEntries: number) {
    this.#local = new LocalTier(maxEntries);
  }

  /** Bumped on every invalidation, so a read that raced one never fills the copy. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Remembers which manager key a digest names, to tell listeners of it. */
  track(digest: string, key: string): void {
    this.#keysByDigest.set(digest, key);
  }

  untrack(digest: string): void {
    this.#keysByDigest.delete(digest);
  }

  /** The copy's token, when it may be served. */
  lookup(digest: string, now: number): Token | undefined {
    if (!this.#listening || this.#isHeld(digest, now)) return undefined;
    return this.#local.get(digest, now);
  }

  /**
   * A storage's `get`: the copy's token when it may be served, else what
   * `read` finds in the backend, kept unless an invalidation came in while
   * it was read (the epoch is taken before `read` starts, so a stale read
   * never outlives a change notification).
   */
  async readThrough(
    digest: string,
    read: () => Promise<EnvelopeEntry | undefined>,
  ): Promise<Token | undefined> {
    const hit = this.lookup(digest, Date.now());
    if (hit) return hit;
    const epoch = this.#epoch;
    const entry = await read();
    if (!entry) return undefined;
    this.fill(epoch, digest, entry.token, entry.expiresAt);
    return entry.token;
  }

  /**
   * A storage's `set`: drops the copy first (so a read in flight cannot fill
   * the old token), lets `write` store the entry and announce `message`,
   * then keeps `token`.
   */
  async writeThrough(
    digest: string,
    token: Token,
    expiresAt: number | undefined,
    write: (message: string) => Promise<unknown>,
  ): Promise<void> {
    this.invalidate(digest);
    await write(this.message(digest));
    this.remember(digest, token, expiresAt);
  }

  /**
   * A storage's `delete`: drops the copy first, then lets `remove` delete
   * the entry and announce `message`.
   */
  async deleteThrough(
    digest: string,
    remove: (message: string) => Promise<unknown>,
  ): Promise<void> {
    this.invalidate(digest);
    await remove(this.message(digest));
  }

  /** Keeps what a read found, unless an invalidation came in since `epoch`. */
  fill(epoch: number, digest: string, token: Token, expiresAt: number | undefined): void {
    if (epoch === this.#epoch) this.remember(digest, token, expiresAt);
  }

  /** Keeps a token this instance wrote, until the earlier of entry and token expiry. */
  remember(digest: string, token: Token, expiresAt: number | undefined): void {
    this.#local.set(
      digest,
      token,
      Math.min(expiresAt ?? Number.POSITIVE_INFINITY, token.expiresAtMs),
    );
  }

  invalidate(digest: string): void {
    this.#epoch++;
    this.#local.delete(digest);
  }

  /**
   * This instance took the lock on `digest` until `until`: under the lock the
   * manager re-reads the entry for the newest refresh token, and a
   * notification may still be in flight, so reads go to the backend.
   * Returns what the lock's release calls.
   */
  hold(digest: string, until: number): () => void {
    this.#held.set(digest, Math.max(until, this.#held.get(digest) ?? 0));
    this.invalidate(digest);
    return () => {
      if (this.#held.get(digest) === until) this.#held.delete(digest);
    };
  }

  /**
   * The lock a storage took on `digest` for `ttl` ms, held (see
   * {@link hold}) until it expires or is released; `release` works once,
   * and hands the backend's release to `unlock`.
   */
  held(digest: string, ttl: number, unlock: () => Promise<unknown>): TokenLock {
    const unhold = this.hold(digest, Date.now() + ttl);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        unhold();
        await unlock();
      },
    };
  }

  /** The change announcement: who changed which digest; never a token. */
  message(digest: string): string {
    return `${this.#instance} ${digest}`;
  }

  /** Notifications are live; `again` after a reconnect, when changes may have been missed. */
  up(again: boolean): void {
    if (!this.#listening) {
      // What was read or written while no notification could arrive may have
      // been changed by another instance since: serve none of it, and let no
      // read begun before now fill the copy.
      this.#epoch++;
      this.#local.clear();
    }
    this.#listening = true;
    if (again) this.#resync();
  }

  /** Notifications dropped: the copy can no longer be trusted. */
  down(): void {
    if (!this.#listening) return;
    this.#listening = false;
    this.#epoch++;
    this.#local.clear();
  }

  get listening(): boolean {
    return this.#listening;
  }

  /** A change announced by any instance; this instance's own are ignored. */
  onMessage(message: string): void {
    const space = message.indexOf(' ');
    if (space < 0 || message.slice(0, space) === this.#instance) return;
    const digest = message.slice(space + 1);
    this.invalidate(digest);
    const key = this.#keysByDigest.get(digest);
    if (key !== undefined) this.#notify(key);
  }

  subscribe(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops serving and forgets listeners (the storage's dispose). */
  close(): void {
    this.#listening = false;
    this.#local.clear();
    this.#listeners.clear();
  }

  #isHeld(digest: string, now: number): boolean {
    const until = this.#held.get(digest);
    if (until === undefined) return false;
    if (now < until) return true;
    this.#held.delete(digest);
    return false;
  }

  /**
   * After a reconnect, changes announced while the channel was away are
   * lost: every key this process knows may be stale, so tell the listeners
   * to re-read them.
   */
  #resync(): void {
    this.#epoch++;
    this.#local.clear();
    for (const key of this.#keysByDigest.values()) this.#notify(key);
  }

  #notify(key: string): void {
    for (const listener of this.#listeners) {
      try {
        listener(key);
      } catch {
        // One failing listener must not keep the others from hearing of the change.
      }
    }
  }
}
