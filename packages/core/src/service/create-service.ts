import type { ForgeOptions } from '../adapter/options.js';
import { type BearerAuthorizer, bearer } from '../auth/bearer.js';
import { ConfigurationError } from '../errors.js';
import { logEvents } from '../logging/log-events.js';
import { checkLogOptions, type RequestLogOptions } from '../logging/request-log.js';
import type { TokenManagerOptions } from '../manager/options.js';
import { TokenManager } from '../manager/token-manager.js';
import {
  createRequestPolicy,
  isRequestPolicy,
  type RequestPolicy,
} from '../policy/request-policy.js';
import type { TokenProvider } from '../provider.js';
import { ClientCredentialsTokenProvider } from '../providers/client-credentials.js';

/** What {@link createService} needs to know about the framework package calling it. */
export interface CreateServiceOptions {
  /** The package's name in errors (`express`, `nest`). */
  readonly package: string;
  /**
   * Manager options the framework sets for every manager it creates (Nest's
   * module-level `storage`); a service's own `managerOptions` win.
   */
  readonly managerDefaults?: TokenManagerOptions | undefined;
  /** Request logging of every service that sets no `log` of its own (the framework's `log` option). */
  readonly log?: RequestLogOptions | undefined;
}

/** Where a service lives and who may receive its credentials, validated. */
export interface ServiceTarget {
  readonly baseURL: string;
  /** Compiled once, with `baseURL` as the default origin. */
  readonly policy: RequestPolicy;
}

/** One validated, ready service of a framework's `services` option. */
export interface BuiltService<TKey = unknown> extends ServiceTarget {
  readonly name: string;
  readonly manager: TokenManager<TKey>;
  /** Whether Forge created the manager (from `provider`) and must close it. */
  readonly owned: boolean;
  /** `bearer(manager, { policy })`: hand it to `createAdapter` with `{ key }`. */
  readonly authorizer: BearerAuthorizer;
  /** The service's key function, for `createAdapter` or `withForge(client, manager, { policy, key })`. */
  readonly key: ForgeOptions<TKey>['key'];
  /** The service's request logging (its own `log`, else the framework's), validated. */
  readonly log: RequestLogOptions | undefined;
}

const SERVICE_OPTIONS = new Set([
  'baseURL',
  'manager',
  'provider',
  'managerOptions',
  'policy',
  'key',
  'log',
]);
// Options of other shapes, and where they go now.
const MOVED: Readonly<Record<string, string>> = {
  storage: 'pass it as managerOptions: { storage }',
  origins: 'pass it as policy: { origins }',
  excludedPaths: 'pass it as policy: { excludedPaths }',
  excludedPathPatterns: 'pass it as policy: { excludedPathPatterns }',
  overrideAuthorization: 'pass it as policy: { overrideAuthorization }',
  retry: 'pass it as policy: { retry }',
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTokenManager(value: unknown): value is TokenManager<unknown> {
  return (
    isObject(value) &&
    typeof value.getToken === 'function' &&
    typeof value.invalidate === 'function'
  );
}

function isTokenProvider(value: unknown): value is TokenProvider<unknown> {
  return (
    isObject(value) &&
    typeof value.fetchToken === 'function' &&
    typeof value.serviceName === 'string'
  );
}

// Core's own errors name the option relative to what they were given.
function nested(prefix: string, error: unknown, pkg: string): unknown {
  if (!(error instanceof ConfigurationError)) return error;
  return new ConfigurationError(`${prefix}.${error.option}`, error.message.replace(/^.*?: /, ''), {
    package: pkg,
    cause: error,
  });
}

function checkBaseURL(option: string, baseURL: unknown, pkg: string): string {
  const fail = (problem: string) => new ConfigurationError(option, problem, { package: pkg });
  if (typeof baseURL !== 'string' || baseURL.length === 0) {
    throw fail(
      'is required: the absolute http(s) URL of the service, e.g. "https://api.example.com/v1"',
    );
  }
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw fail('must be an absolute http(s) URL, e.g. "https://api.example.com/v1"');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail(`must use http or https, not "${url.protocol}"`);
  }
  if (url.username || url.password) {
    throw fail('must not contain credentials; configure a provider instead');
  }
  return baseURL;
}

/**
 * Validates a service's `baseURL` and `policy` and compiles the policy with
 * the `baseURL` as its origin; errors name `services.<name>.<option>`. What
 * {@link createService} does first, for framework services of other shapes
 * (Express's token exchange services).
 *
 * @example
 * ```ts
 * const { baseURL, policy } = serviceTarget('orders', config, { package: 'express' });
 * ```
 */
export function serviceTarget(
  name: string,
  config: { readonly baseURL?: unknown; readonly policy?: unknown },
  options: CreateServiceOptions,
): ServiceTarget {
  const pkg = options.package;
  const at = `services.${name}`;
  const baseURL = checkBaseURL(`${at}.baseURL`, config.baseURL, pkg);
  const { policy } = config;
  if (policy !== undefined && (!isObject(policy) || isRequestPolicy(policy))) {
    throw new ConfigurationError(
      `${at}.policy`,
      'must be request policy options, e.g. { excludedPathPatterns: ["/public/**"] }',
      { package: pkg },
    );
  }
  if (policy?.baseURL !== undefined) {
    throw new ConfigurationError(
      `${at}.policy.baseURL`,
      `is the service's own: set ${at}.baseURL, and list further origins in policy.origins`,
      { package: pkg },
    );
  }
  try {
    return { baseURL, policy: createRequestPolicy({ ...policy, baseURL }) };
  } catch (error) {
    throw nested(`${at}.policy`, error, pkg);
  }
}

function providerOf(name: string, provider: unknown, pkg: string): TokenProvider<unknown> {
  const option = `services.${name}.provider`;
  if (isTokenProvider(provider)) return provider;
  if (!isObject(provider)) {
    throw new ConfigurationError(
      option,
      "must be a TokenProvider, or client credentials as data: { type: 'client_credentials', clientId, clientSecret, tokenEndpoint | issuer }",
      { package: pkg },
    );
  }
  if (provider.type !== 'client_credentials') {
    throw new ConfigurationError(
      `${option}.type`,
      `must be 'client_credentials' (got ${JSON.stringify(provider.type)}); for other grants pass a provider instance`,
      { package: pkg },
    );
  }
  const { type: _type, ...clientOptions } = provider;
  try {
    return new ClientCredentialsTokenProvider({ serviceName: name, ...clientOptions });
  } catch (error) {
    throw nested(option, error, pkg);
  }
}

/**
 * Validates one service of a framework's `services` option
 * (a `ForgeServiceConfig`) and builds it: the manager (created from
 * `provider` when none was passed), the compiled policy, the `bearer`
 * authorizer and the key function. Every problem is a `ConfigurationError`
 * naming `services.<name>.<option>`, so every framework validates alike.
 * Nothing is created before the whole configuration was found valid.
 *
 * @example
 * ```ts
 * import { createService } from '@forge/core/adapter';
 *
 * const billing = createService('billing', config, { package: 'my-framework' });
 * const adapter = createAdapter(billing.authorizer, { key: billing.key }, { package: 'my-framework', baseURL: billing.baseURL });
 * // on shutdown
 * if (billing.owned) await billing.manager.close();
 * ```
 */
export function createService<TKey = unknown>(
  name: string,
  config: unknown,
  options: CreateServiceOptions,
): BuiltService<TKey> {
  const pkg = options.package;
  const at = `services.${name}`;
  if (!isObject(config)) {
    throw new ConfigurationError(
      at,
      'must be an object: { baseURL, provider | manager, managerOptions?, policy?, key?, log? }',
      { package: pkg },
    );
  }
  for (const option of Object.keys(config)) {
    if (SERVICE_OPTIONS.has(option)) continue;
    throw new ConfigurationError(
      `${at}.${option}`,
      MOVED[option] ??
        'is not a service option; the options are baseURL, provider or manager, managerOptions, policy, key and log',
      { package: pkg },
    );
  }
  const { manager, provider, managerOptions, key } = config;
  const target = serviceTarget(name, config, options);
  if (manager !== undefined && provider !== undefined) {
    throw new ConfigurationError(at, 'set either `manager` or `provider`, not both', {
      package: pkg,
    });
  }
  if (manager === undefined && provider === undefined) {
    throw new ConfigurationError(
      at,
      "needs a `provider` (Forge creates the manager) or a `manager` you own, e.g. provider: { type: 'client_credentials', … }",
      { package: pkg },
    );
  }
  if (manager !== undefined && !isTokenManager(manager)) {
    throw new ConfigurationError(
      `${at}.manager`,
      'must be a TokenManager from @forge/core (to tune the manager Forge creates from `provider`, use managerOptions)',
      { package: pkg },
    );
  }
  if (managerOptions !== undefined && !isObject(managerOptions)) {
    throw new ConfigurationError(`${at}.managerOptions`, 'must be TokenManager options', {
      package: pkg,
    });
  }
  if (manager !== undefined && managerOptions !== undefined) {
    throw new ConfigurationError(
      `${at}.managerOptions`,
      'applies only when Forge creates the manager from `provider`; configure the TokenManager you pass instead',
      { package: pkg },
    );
  }
  if (key !== undefined && typeof key !== 'function') {
    throw new ConfigurationError(
      `${at}.key`,
      'must be a function of the request returning the manager key, e.g. () => tenants.getStore()',
      { package: pkg },
    );
  }
  const log = checkLogOptions(config.log, pkg, `${at}.log`) ?? checkLogOptions(options.log, pkg);
  let built: TokenManager<TKey>;
  if (manager !== undefined) {
    built = manager as TokenManager<TKey>;
  } else {
    const source = providerOf(name, provider, pkg);
    try {
      built = new TokenManager(source as TokenProvider<TKey>, {
        ...options.managerDefaults,
        ...(managerOptions as TokenManagerOptions | undefined),
      });
    } catch (error) {
      // The manager validates the provider too (`provider.cacheKey`, …).
      const option = error instanceof ConfigurationError ? error.option : '';
      throw nested(option.startsWith('provider') ? at : `${at}.managerOptions`, error, pkg);
    }
  }
  // The events of a manager you pass are yours to log (`logEvents`): it may serve other clients.
  if (log !== undefined && manager === undefined) logEvents(built, log.logger);
  return Object.freeze({
    name,
    ...target,
    manager: built,
    owned: manager === undefined,
    authorizer: bearer(built, { policy: target.policy }),
    key: key as ForgeOptions<TKey>['key'],
    log,
  });
}
