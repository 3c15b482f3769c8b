import type { ForgeOptions } from '../adapter/options.js';
import type { TokenManagerOptions } from '../manager/options.js';
import type { TokenManager } from '../manager/token-manager.js';
import type { RequestPolicyOptions } from '../policy/request-policy.js';
import type { TokenProvider } from '../provider.js';
import type { ClientCredentialsOptions } from '../providers/client-credentials.js';

/**
 * Client credentials options tagged with their grant, so a service can be
 * configured from plain data (environment, `ConfigService`, a JSON file).
 * Forge builds a `ClientCredentialsTokenProvider` from it; `serviceName`
 * defaults to the service's name.
 *
 * @example
 * ```ts
 * const provider: ClientCredentialsProviderConfig = {
 *   type: 'client_credentials',
 *   tokenEndpoint: 'https://auth.example.com/oauth/token',
 *   clientId: 'orders-service',
 *   clientSecret: process.env.BILLING_CLIENT_SECRET,
 * };
 * ```
 */
export interface ClientCredentialsProviderConfig extends ClientCredentialsOptions {
  readonly type: 'client_credentials';
}

/**
 * The request policy of a service: core's `RequestPolicyOptions` without
 * `baseURL`, which is the service's own, so only its origin receives
 * credentials unless `origins` lists more.
 *
 * @example
 * ```ts
 * const policy: ForgeServicePolicy = { excludedPathPatterns: ['/public/**'] };
 * ```
 */
export type ForgeServicePolicy = Omit<RequestPolicyOptions, 'baseURL'>;

/**
 * One named service, configured the same way in `@forge/express`'s
 * `forge({ services })` and `@forge/nest`'s `ForgeModule.forRoot({ services })`.
 * Give either `manager` (a `TokenManager` you own and close) or `provider`
 * (Forge creates the manager with `managerOptions` and closes it).
 * `TKey` is the manager's key (tenant, user, scope) that `key` picks.
 *
 * @example
 * ```ts
 * const billing: ForgeServiceConfig<string> = {
 *   baseURL: 'https://billing.example.com/v1',
 *   provider: { type: 'client_credentials', issuer: 'https://auth.example.com', clientId: 'orders', clientSecret },
 *   managerOptions: { storage: new RedisTokenStorage(redis) },
 *   policy: { excludedPathPatterns: ['/public/**'] },
 *   key: () => tenants.getStore(), // an AsyncLocalStorage<string> your middleware fills
 * };
 * ```
 */
export interface ForgeServiceConfig<TKey = unknown> {
  /**
   * Where the service lives: an absolute http(s) URL. Clients resolve paths
   * against it, and its origin is the one that receives the service's
   * credentials (add others in `policy.origins`).
   */
  readonly baseURL: string;
  /** A token manager you own: Forge uses it and never closes it. Give this or `provider`. */
  readonly manager?: TokenManager<TKey> | undefined;
  /**
   * Where tokens come from: any `TokenProvider`, or client credentials as
   * plain data. Forge creates the manager and closes it on shutdown.
   */
  readonly provider?: TokenProvider<TKey> | ClientCredentialsProviderConfig | undefined;
  /** Options of the manager Forge creates from `provider` (storage, skew, refresh ahead, …). */
  readonly managerOptions?: TokenManagerOptions | undefined;
  /** Which requests get credentials and how 401s are retried; `baseURL` is the service's. */
  readonly policy?: ForgeServicePolicy | undefined;
  /**
   * Picks the manager's key for each request that names none itself; called
   * per request, so it can read an `AsyncLocalStorage`. `undefined` means the
   * manager's default token.
   */
  readonly key?: ForgeOptions<TKey>['key'];
  /**
   * Request logging of the service's clients (as `ForgeOptions.log`); the
   * events of a manager Forge creates from `provider` go to the same logger.
   * Overrides the framework's own `log` option for this service.
   */
  readonly log?: ForgeOptions<TKey>['log'];
}
