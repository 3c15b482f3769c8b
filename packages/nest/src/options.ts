import type { ForgeServiceConfig, RequestLogOptions, TokenStorage } from '@forge/core';
import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';

/**
 * Options of `ForgeModule.forRoot()` and the result of `forRootAsync`'s `useFactory`.
 *
 * @example
 * ```ts
 * const options: ForgeModuleOptions = {
 *   services: {
 *     billing: {
 *       baseURL: 'https://billing.example.com',
 *       provider: { type: 'client_credentials', issuer: 'https://auth.example.com', clientId, clientSecret },
 *     },
 *   },
 *   storage: new RedisTokenStorage(redis),
 * };
 * ```
 */
export interface ForgeModuleOptions {
  /** The services the application calls, by name: core's `ForgeServiceConfig`, as `@forge/express` takes it. */
  readonly services: Readonly<Record<string, ForgeServiceConfig>>;
  /**
   * Token storage of every manager Forge creates (e.g. `RedisTokenStorage`),
   * unless a service sets `managerOptions.storage`; default in memory per service.
   */
  readonly storage?: TokenStorage | undefined;
  /**
   * Request logging of every service without a `log` of its own: one line
   * per request of its `HttpService` (and of clients built with
   * `ForgeService.options(name)`), secrets redacted; the events of the
   * managers Forge creates go to the same logger. Nest's `Logger` works:
   * `{ logger: new Logger('Forge') }`.
   */
  readonly log?: RequestLogOptions | undefined;
  /**
   * Make `ForgeService` and the services' managers and authorizers
   * injectable everywhere without importing `ForgeModule` again. Default
   * `true` (`ForgeHttpModule` and `forFeature` need it).
   */
  readonly isGlobal?: boolean | undefined;
}

/**
 * Options of `ForgeModule.forRootAsync()`.
 *
 * @example
 * ```ts
 * const options: ForgeModuleAsyncOptions = {
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ services: { billing: billingFrom(config) } }),
 * };
 * ```
 */
export interface ForgeModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Returns the options; receives the `inject` providers in order. */
  readonly useFactory: (
    ...args: never[]
  ) => Omit<ForgeModuleOptions, 'isGlobal'> | Promise<Omit<ForgeModuleOptions, 'isGlobal'>>;
  /** Providers handed to `useFactory`, e.g. `[ConfigService]`. */
  readonly inject?: FactoryProvider['inject'];
  /** See {@link ForgeModuleOptions.isGlobal}. Default `true`. */
  readonly isGlobal?: boolean | undefined;
}
