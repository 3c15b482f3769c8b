import type { Cluster, Redis } from 'ioredis';

/**
 * Your ioredis client: `Redis` (standalone or Sentinel) or `Cluster`, ioredis
 * 5 or 6. The storage never closes it.
 *
 * @example
 * ```ts
 * const redis: RedisClient = new Redis('redis://127.0.0.1:6379');
 * ```
 */
export type RedisClient = Redis | Cluster;

/** The event names this package listens to on its own subscriber connection. */
type SubscriberEvent = 'message' | 'error' | 'ready' | 'close' | 'end';

/**
 * The part of ioredis this package calls. ioredis 5 and 6, `Redis` and
 * `Cluster` all have it; typing against this narrow shape keeps the code
 * independent of the reply-mapping generics that differ between versions.
 * @internal
 */
export interface RedisCommands {
  readonly status: string;
  readonly isCluster: boolean;
  get(key: string): Promise<string | null>;
  exists(key: string): Promise<number>;
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<string | null>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  duplicate(override?: { readonly autoResubscribe: boolean }): RedisSubscriber;
}

/** @internal */
export interface RedisSubscriber {
  readonly status: string;
  on(event: SubscriberEvent, listener: (...args: never[]) => void): unknown;
  removeAllListeners(): unknown;
  subscribe(channel: string): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Opens the connection that SUBSCRIBEs. On a standalone client ioredis's own
 * re-subscribe after a reconnect is turned off: ioredis never catches that
 * promise, so a connection lost before Redis answers it would reject it
 * unhandled, which ends a Node process. The storage subscribes on every
 * `ready` itself. A Cluster's subscriber catches its own re-subscribe, and
 * its `duplicate` takes other arguments.
 * @internal
 */
export function openSubscriber(redis: RedisCommands): RedisSubscriber {
  return redis.isCluster ? redis.duplicate() : redis.duplicate({ autoResubscribe: false });
}

/**
 * Duck-typed check that `value` is an ioredis client: `instanceof` would fail
 * across duplicated copies and across ioredis 5 and 6.
 * @internal
 */
export function isRedisClient(value: unknown): value is RedisClient {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.get === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.eval === 'function' &&
    typeof candidate.evalsha === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.status === 'string'
  );
}
