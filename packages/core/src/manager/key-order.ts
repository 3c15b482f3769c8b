/** What {@link KeyOrder} links: the entries carry their own neighbours, so linking allocates nothing. */
export interface Ordered<T> {
  older: T | undefined;
  newer: T | undefined;
}

/**
 * The order in which entries entered the manager's tier, oldest first, as an
 * intrusive doubly linked list: finding the oldest entry and removing any
 * entry are O(1). A Map alone cannot do that: its iteration walks over the
 * holes that deleted entries leave at its front, so `map.keys().next()` costs
 * O(deleted entries) until the engine compacts the table.
 */
export class KeyOrder<T extends Ordered<T>> {
  #oldest: T | undefined;
  #newest: T | undefined;

  get oldest(): T | undefined {
    return this.#oldest;
  }

  /** Appends `entry` as the newest; it must not be linked already. */
  push(entry: T): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  /** Unlinks `entry`, which must be linked. */
  remove(entry: T): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  clear(): void {
    this.#oldest = undefined;
    this.#newest = undefined;
  }
}
