import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/**
 * The store behind one authorization server: a `Map` per server with no size
 * limit. oidc-provider's own memory adapter is an LRU capped at 1000 entries,
 * which would silently drop live tokens in load tests, and it warns on stdout.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  readonly #grants = new Map<string, Set<string>>();
  readonly #indexes = new Map<string, string>();

  adapterFor(model: string): Adapter {
    const store = this;
    const key = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), payload, expiresIn);
        if (payload.grantId) store.addToGrant(payload.grantId, key(id));
        if (payload.uid && model === 'Session') store.#indexes.set(`uid:${payload.uid}`, id);
        if (payload.userCode) store.#indexes.set(`userCode:${payload.userCode}`, id);
      },
      async find(id) {
        return store.get(key(id));
      },
      async findByUid(uid) {
        const id = store.#indexes.get(`uid:${uid}`);
        return id === undefined ? undefined : store.get(key(id));
      },
      async findByUserCode(userCode) {
        const id = store.#indexes.get(`userCode:${userCode}`);
        return id === undefined ? undefined : store.get(key(id));
      },
      async consume(id) {
        const payload = store.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.#entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        store.revokeGrant(grantId);
      },
    };
  }

  clear(): void {
    this.#entries.clear();
    this.#grants.clear();
    this.#indexes.clear();
  }

  private set(key: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const expiresAt =
      typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.#entries.set(key, { payload, expiresAt });
  }

  private get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  private addToGrant(grantId: string, key: string): void {
    let members = this.#grants.get(grantId);
    if (!members) {
      members = new Set();
      this.#grants.set(grantId, members);
    }
    members.add(key);
  }

  private revokeGrant(grantId: string): void {
    for (const key of this.#grants.get(grantId) ?? []) this.#entries.delete(key);
    this.#grants.delete(grantId);
  }
}
