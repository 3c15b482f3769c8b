import type { Driver, Storage } from 'unstorage';

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
export function driverFacts(storage: Storage, base: string): DriverFacts {
  const { driver } = storage.getMount(base) as { driver: Driver };
  const name = typeof driver.name === 'string' ? driver.name : 'unknown';
  return {
    name,
    ttl: driver.flags?.ttl === true || TTL_DRIVERS.has(name),
    watches: typeof driver.watch === 'function',
  };
}

/** Whether `value` looks like an unstorage `Storage` (what `createStorage()` returns). @internal */
export function isUnstorage(value: unknown): value is Storage {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['getItem', 'setItem', 'removeItem', 'getMount', 'watch'].every(
    (method) => typeof candidate[method] === 'function',
  );
}
