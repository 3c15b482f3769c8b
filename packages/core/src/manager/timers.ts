type Handle = ReturnType<typeof setTimeout>;

/**
 * The manager's only timers (storage-call timeouts, lock waits), tracked so
 * `close()` can clear every one of them and a process can exit.
 */
export class Timers {
  readonly #handles = new Set<Handle>();

  set(callback: () => void, ms: number): Handle {
    const handle = setTimeout(() => {
      this.#handles.delete(handle);
      callback();
    }, ms);
    this.#handles.add(handle);
    return handle;
  }

  clear(handle: Handle): void {
    clearTimeout(handle);
    this.#handles.delete(handle);
  }

  clearAll(): void {
    for (const handle of this.#handles) clearTimeout(handle);
    this.#handles.clear();
  }
}
