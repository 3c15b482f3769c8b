import type { AuthorizationRequest } from '../authorizer.js';
import { ConfigurationError } from '../errors.js';
import { checkLogOptions, type RequestLogOptions } from '../logging/request-log.js';
import type { RequestPolicy, RequestPolicyOptions } from '../policy/request-policy.js';
import type { MaybePromise } from '../types.js';

/**
 * Options every adapter takes (`withForge(client, manager, options)`, and a
 * service in `@forge/express` and `@forge/nest`): where credentials may go,
 * and which of the manager's tokens a request gets.
 *
 * @example
 * ```ts
 * const options: ForgeOptions<string> = {
 *   policy: { excludedPathPatterns: ['/public/**'] },
 *   key: () => tenants.getStore(), // an AsyncLocalStorage<string> your middleware fills
 * };
 * ```
 */
export interface ForgeOptions<TKey = unknown> {
  /**
   * The request policy (origins, excluded paths, 401 retries) when a token
   * manager is passed; the client's base URL is the default origin.
   */
  readonly policy?: RequestPolicyOptions | RequestPolicy | undefined;
  /**
   * Picks the manager's key (tenant, user, scope, subject: what
   * `manager.getToken(key)` takes) for each request that names none itself.
   * Called per request, so it can read an `AsyncLocalStorage` a request
   * context filled; `undefined` means the manager's default token.
   */
  readonly key?: ((request: AuthorizationRequest) => MaybePromise<TKey | undefined>) | undefined;
  /**
   * Request logging: a logger (pino, bunyan, `console`, Nest's `Logger`) and
   * what to log; one line per request, secrets redacted. Off when unset.
   */
  readonly log?: RequestLogOptions | undefined;
}

/**
 * What one request may say to Forge, through each client's per-request
 * options: axios `{ forge: { key } }`, got and ky `{ context: { forge: { key } } }`,
 * `fetch` init `{ forge: { key } }`.
 *
 * @example
 * ```ts
 * await api.get('/invoices', { forge: { key: 'tenant-a' } });
 * ```
 */
export interface ForgeRequestOptions<TKey = unknown> {
  /** The manager's key for this request; takes precedence over `ForgeOptions.key`. */
  readonly key?: TKey | undefined;
}

const OPTION_NAMES = new Set(['policy', 'key', 'log']);
const POLICY_NAMES = new Set([
  'baseURL',
  'origins',
  'excludedPaths',
  'excludedPathPatterns',
  'overrideAuthorization',
  'retry',
]);

/** Validates `ForgeOptions`, pointing the flat policy options of old at `policy`. */
export function checkForgeOptions(options: unknown, pkg: string): ForgeOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigurationError('options', 'must be an options object: { policy, key, log }', {
      package: pkg,
    });
  }
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.has(name)) continue;
    throw new ConfigurationError(
      name,
      POLICY_NAMES.has(name)
        ? `is a request policy option: pass it as { policy: { ${name} } }`
        : 'is not an option; the options are policy, key and log',
      { package: pkg },
    );
  }
  const { policy, key } = options as ForgeOptions;
  if (policy !== undefined && (typeof policy !== 'object' || policy === null)) {
    throw new ConfigurationError('policy', 'must be a request policy options object', {
      package: pkg,
    });
  }
  if (key !== undefined && typeof key !== 'function') {
    throw new ConfigurationError(
      'key',
      'must be a function of the request that returns the manager key, e.g. () => tenants.getStore(); to pick a key for one request pass { forge: { key } } with it',
      { package: pkg },
    );
  }
  checkLogOptions((options as ForgeOptions).log, pkg);
  return options as ForgeOptions;
}

/** Validates the `forge` option of one request. */
export function checkRequestOptions(value: unknown, pkg: string): ForgeRequestOptions | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigurationError('forge', 'must be per-request Forge options: { key }', {
      package: pkg,
    });
  }
  return value as ForgeRequestOptions;
}
