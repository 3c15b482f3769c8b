import { ConfigurationError } from '@forge/core';
import { type EncryptionOptions, type Keyring, resolveEncryption } from '@forge/core/storage';

/**
 * Options of `RedisTokenStorage`.
 *
 * @example
 * ```ts
 * const options: RedisTokenStorageOptions = {
 *   prefix: 'billing:',
 *   commandTimeoutMs: 300,
 *   encryption: { key: process.env.TOKEN_KEY! },
 * };
 * new RedisTokenStorage(redis, options);
 * ```
 */
export interface RedisTokenStorageOptions {
  /** Prepended to every Redis key and to the change channel. Default `forge:`. */
  readonly prefix?: string;
  /**
   * Upper bound for every Redis command, in ms. A slower or absent answer is
   * a `StorageError` (a miss for the manager), so an outage never holds a
   * request longer than this. Default 500.
   */
  readonly commandTimeoutMs?: number;
  /** Encrypt stored tokens (AES-256-GCM). Off by default. */
  readonly encryption?: EncryptionOptions;
  /**
   * The in-process copy in front of Redis. `false` turns it off (every `get`
   * reads Redis); `maxEntries` bounds it. Default `{ maxEntries: 10_000 }`.
   */
  readonly localTier?: { readonly maxEntries?: number } | false;
}

/** Options after validation. @internal */
export interface ResolvedOptions {
  readonly prefix: string;
  readonly commandTimeoutMs: number;
  readonly keys: Keyring | undefined;
  readonly maxEntries: number;
}

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem, { package: 'storage-redis' });
}

/** @internal */
export function resolveOptions(options: RedisTokenStorageOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  const prefix = options.prefix ?? 'forge:';
  if (typeof prefix !== 'string' || prefix.length === 0) {
    fail('prefix', 'must be a non-empty string such as `forge:` (it namespaces every key)');
  }
  if (/[{}]/.test(prefix)) {
    fail(
      'prefix',
      'must not contain `{` or `}`: the storage puts its own Cluster hash tag after it',
    );
  }
  const commandTimeoutMs = options.commandTimeoutMs ?? 500;
  if (
    typeof commandTimeoutMs !== 'number' ||
    !Number.isFinite(commandTimeoutMs) ||
    commandTimeoutMs <= 0
  ) {
    fail('commandTimeoutMs', 'must be a positive number of milliseconds, such as 500');
  }
  const keys = resolveEncryption(options.encryption, 'storage-redis');
  let maxEntries = 10_000;
  if (options.localTier === false) {
    maxEntries = 0;
  } else if (options.localTier !== undefined) {
    maxEntries = options.localTier.maxEntries ?? maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      fail(
        'localTier.maxEntries',
        'must be a positive integer (use `localTier: false` to turn it off)',
      );
    }
  }
  return { prefix, commandTimeoutMs, keys, maxEntries };
}
