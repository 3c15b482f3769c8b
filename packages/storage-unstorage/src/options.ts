import { ConfigurationError } from '@forge/core';
import { type EncryptionOptions, type Keyring, resolveEncryption } from '@forge/core/storage';

/** The package name in error messages: `[forge] [storage-unstorage] …`. @internal */
export const PACKAGE = 'storage-unstorage';

/**
 * Options of `UnstorageTokenStorage`.
 *
 * @example
 * ```ts
 * const options: UnstorageTokenStorageOptions = {
 *   prefix: 'billing:tokens',
 *   operationTimeoutMs: 1_000,
 *   encryption: { key: process.env.TOKEN_KEY! },
 * };
 * new UnstorageTokenStorage(createStorage({ driver: fsDriver({ base: './.tokens' }) }), options);
 * ```
 */
export interface UnstorageTokenStorageOptions {
  /**
   * The unstorage base every entry lives under (`<prefix>:<sha256 of the
   * manager's key>`), so tokens never mix with the other items of a shared
   * storage and a mount can route them to a driver of their own. Letters,
   * digits, `_`, `-`, `.`, with `:` between segments. Default `forge:tokens`.
   */
  readonly prefix?: string;
  /**
   * Upper bound for every driver call, in ms. A slower or absent answer is a
   * `StorageError` (a miss for the manager), so a stuck backend never holds a
   * request longer than this. Default 1000 (remote drivers answer over HTTP).
   */
  readonly operationTimeoutMs?: number;
  /** Encrypt stored tokens (AES-256-GCM, keys newest first for rotation). Off by default. */
  readonly encryption?: EncryptionOptions;
  /**
   * Whether to pass unstorage's `ttl` option on `setItem` so the backend
   * drops the entry itself. Default: on for the drivers known to honour it
   * (redis, upstash, vercel-kv, cloudflare-kv-binding, cloudflare-kv-http,
   * deno-kv, deno-kv-node, vercel-runtime-cache) and for any driver whose
   * `flags.ttl` is set; off otherwise. Expiry is checked on every read either
   * way.
   */
  readonly ttl?: boolean;
}

/** Options after validation. @internal */
export interface ResolvedOptions {
  readonly prefix: string;
  readonly operationTimeoutMs: number;
  readonly keys: Keyring | undefined;
  readonly ttl: boolean | undefined;
}

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem, { package: PACKAGE });
}

// unstorage normalizes `/` to `:` and refuses `..` segments; a prefix made of
// plain segments means the stored key is exactly the one we built.
const PREFIX = /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*$/;

/** @internal */
export function resolveOptions(options: UnstorageTokenStorageOptions | undefined): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('options', 'must be an object such as `{ prefix: "forge:tokens" }`');
  }
  const prefix = (options.prefix ?? 'forge:tokens').replace(/:+$/, '');
  if (typeof prefix !== 'string' || !PREFIX.test(prefix) || /(^|:)\.\.?(:|$)/.test(prefix)) {
    fail(
      'prefix',
      'must be unstorage segments of letters, digits, `_`, `-` or `.` joined by `:`, such as `forge:tokens` (it namespaces every entry)',
    );
  }
  const operationTimeoutMs = options.operationTimeoutMs ?? 1_000;
  if (
    typeof operationTimeoutMs !== 'number' ||
    !Number.isFinite(operationTimeoutMs) ||
    operationTimeoutMs <= 0
  ) {
    fail('operationTimeoutMs', 'must be a positive number of milliseconds, such as 1000');
  }
  if (options.ttl !== undefined && typeof options.ttl !== 'boolean') {
    fail('ttl', 'must be true or false (or left out to detect it from the driver)');
  }
  return {
    prefix,
    operationTimeoutMs,
    keys: resolveEncryption(options.encryption, PACKAGE),
    ttl: options.ttl,
  };
}
