/**
 * What this package uses of an unstorage `Storage` (the object
 * `createStorage({ driver })` returns), written out so that no unstorage
 * type, and no second copy of one, stands between the two packages.
 *
 * @example
 * ```ts
 * const storage: UnstorageStorage = createStorage({ driver: fsDriver({ base: './.tokens' }) });
 * ```
 */
export interface UnstorageStorage {
  getItem(key: string): Promise<unknown>;
  setItem(key: string, value: string, opts?: { ttl?: number }): Promise<void>;
  removeItem(key: string): Promise<void>;
  getMount(key?: string): {
    base: string;
    driver: { name?: string; flags?: { ttl?: boolean }; watch?: unknown };
  };
  watch(callback: (event: 'update' | 'remove', key: string) => void): Promise<() => unknown>;
}

/**
 * Drivers whose `setItem` passes unstorage's `ttl` option (seconds) on to
 * the backend (`SET … EX`, KV `expirationTtl`, Deno KV `expireIn`), as read
 * from their sources in unstorage 1.17. Others ignore it silently, and
 * `flags.ttl` is not set by any of these, so the list is needed.
 * @internal
 */
const TTL_DRIVERS: ReadonlySet<string> = new Set([
  'redis',
  'upstash',
  'vercel-kv',
  'cloudflare-kv-binding',
  'cloudflare-kv-http',
  'deno-kv',
  'deno-kv-node',
  'vercel-runtime-cache',
]);

/** What the driver behind a base gives. @internal */
export interface DriverFacts {
  /** The driver's name, such as `fs` (`unknown` for a custom driver without one). */
  readonly name: string;
  /** The driver honours unstorage's `ttl` option. */
  readonly ttl: boolean;
  /** The driver watches its backend, so other processes' changes are heard. */
  readonly watches: boolean;
}

/** Looks up the driver mounted for `base` in `storage`. @internal */
export function driverFacts(storage: UnstorageStorage, base: string): DriverFacts {
  const { driver } = storage.getMount(base);
  const name = typeof driver.name === 'string' ? driver.name : 'unknown';
  return {
    name,
    ttl: driver.flags?.ttl === true || TTL_DRIVERS.has(name),
    watches: typeof driver.watch === 'function',
  };
}

/** Whether `value` looks like an unstorage `Storage` (what `createStorage()` returns). @internal */
export function isUnstorage(value: unknown): value is UnstorageStorage {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['getItem', 'setItem', 'removeItem', 'getMount', 'watch'].every(
    (method) => typeof candidate[method] === 'function',
  );
}
