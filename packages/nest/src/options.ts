import type {
  ClientCredentialsOptions,
  RequestPolicyOptions,
  TokenManagerOptions,
  TokenProvider,
  TokenStorage,
} from '@forge/core';
import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';

/**
 * Client credentials provider options with a `type` tag, so that a service
 * can be configured from plain data (e.g. from `ConfigService`).
 */
export interface ClientCredentialsProviderConfig extends ClientCredentialsOptions {
  readonly type: 'client_credentials';
}

/** One named service of {@link ForgeModuleOptions}. */
export interface ForgeServiceConfig {
  /** Where tokens come from: any `TokenProvider`, or client credentials options. */
  readonly provider: TokenProvider<unknown> | ClientCredentialsProviderConfig;
  /** The API this service's token is for; its origin may receive the token. */
  readonly baseURL?: string;
  /** Overrides the module's `storage` for this service. */
  readonly storage?: TokenStorage;
  /** Which requests get credentials and how 401s are retried (core's request policy). */
  readonly policy?: Omit<RequestPolicyOptions, 'baseURL'>;
  /** Token manager tuning (skew, refresh ahead, backoff, …). */
  readonly manager?: Omit<TokenManagerOptions, 'storage'>;
}

/** Options of `ForgeModule.forRoot()` and the result of `forRootAsync`'s `useFactory`. */
export interface ForgeModuleOptions {
  /** The services the application calls, by name. */
  readonly services: Readonly<Record<string, ForgeServiceConfig>>;
  /** Shared token storage (e.g. `RedisTokenStorage`); default in-memory per service. */
  readonly storage?: TokenStorage;
  /**
   * Make the managers, authorizers and `ForgeService` injectable everywhere
   * without importing `ForgeModule` again. Default `true` (ForgeHttpModule needs it).
   */
  readonly isGlobal?: boolean;
}

/** Options of `ForgeModule.forRootAsync()`. */
export interface ForgeModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Returns the options; receives the `inject` providers in order. */
  readonly useFactory: (
    ...args: never[]
  ) => Omit<ForgeModuleOptions, 'isGlobal'> | Promise<Omit<ForgeModuleOptions, 'isGlobal'>>;
  /** Providers handed to `useFactory`, e.g. `[ConfigService]`. */
  readonly inject?: FactoryProvider['inject'];
  /** See {@link ForgeModuleOptions.isGlobal}. Default `true`. */
  readonly isGlobal?: boolean;
}
