import { ConfigurationError } from '@forge/core';
import type { DynamicModule, FactoryProvider, Provider } from '@nestjs/common';
import { ForgeService } from './forge.service.js';
import { ForgeHealthIndicator } from './forge-health.indicator.js';
import type { ForgeModuleAsyncOptions, ForgeModuleOptions } from './options.js';
import { FORGE_MODULE_OPTIONS, getAuthorizerToken, getTokenManagerToken } from './tokens.js';

const PACKAGE = { package: 'nest' } as const;

const forgeServiceProvider: FactoryProvider<ForgeService> = {
  provide: ForgeService,
  useFactory: (options: ForgeModuleOptions) => new ForgeService(options),
  inject: [FORGE_MODULE_OPTIONS],
};

const healthIndicatorProvider: FactoryProvider<ForgeHealthIndicator> = {
  provide: ForgeHealthIndicator,
  useFactory: (forge: ForgeService) => new ForgeHealthIndicator(forge),
  inject: [ForgeService],
};

// The manager and authorizer tokens of the named services. An unknown name
// fails when Nest instantiates the provider: ForgeService names the
// configured services.
function perService(names: readonly string[]): FactoryProvider[] {
  return names.flatMap((name): FactoryProvider[] => [
    {
      provide: getTokenManagerToken(name),
      useFactory: (forge: ForgeService) => forge.manager(name),
      inject: [ForgeService],
    },
    {
      provide: getAuthorizerToken(name),
      useFactory: (forge: ForgeService) => forge.authorizer(name),
      inject: [ForgeService],
    },
  ]);
}

function rootModule(
  optionsProvider: Provider,
  names: readonly string[],
  isGlobal: boolean | undefined,
  imports: DynamicModule['imports'],
): DynamicModule {
  const providers = perService(names);
  return {
    module: ForgeModule,
    global: isGlobal ?? true,
    imports: imports ?? [],
    providers: [optionsProvider, forgeServiceProvider, healthIndicatorProvider, ...providers],
    exports: [ForgeService, ForgeHealthIndicator, ...providers.map((provider) => provider.provide)],
  };
}

/**
 * The Forge module: one token manager per named service, injectable with
 * `@InjectTokenManager(name)`, `@InjectAuthorizer(name)` or `ForgeService`;
 * the managers Forge created are closed on `app.close()`. A misconfigured
 * service fails the bootstrap with a `ConfigurationError` naming it.
 * Services take core's `ForgeServiceConfig`, the shape `@forge/express` takes.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ForgeModule.forRoot({
 *       services: {
 *         billing: {
 *           baseURL: 'https://billing.example',
 *           provider: { type: 'client_credentials', clientId: 'orders', clientSecret: 's3cr3t', tokenEndpoint: 'https://auth.example/token' },
 *         },
 *       },
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes.
export class ForgeModule {
  /**
   * Configures the services from static options, and provides the manager
   * and authorizer of each for `@InjectTokenManager(name)` and `@InjectAuthorizer(name)`.
   *
   * @example
   * ```ts
   * ForgeModule.forRoot({ services: { billing: { baseURL: 'https://billing.example', provider: new ClientCredentialsTokenProvider({ … }) } } })
   * ```
   */
  static forRoot(options: ForgeModuleOptions): DynamicModule {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.services !== 'object' ||
      options.services === null
    ) {
      throw new ConfigurationError(
        'services',
        'ForgeModule.forRoot() needs { services: { <name>: { baseURL, provider | manager } } }',
        PACKAGE,
      );
    }
    return rootModule(
      { provide: FORGE_MODULE_OPTIONS, useValue: options },
      Object.keys(options.services),
      options.isGlobal,
      [],
    );
  }

  /**
   * Configures the services from a factory, e.g. with `ConfigService`. The
   * names are known only once the factory ran, so the managers and
   * authorizers are provided by `ForgeModule.forFeature([names])` in the
   * modules that inject them; `ForgeService` and `ForgeHttpModule` need nothing more.
   *
   * @example
   * ```ts
   * ForgeModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     services: {
   *       billing: {
   *         baseURL: config.getOrThrow('BILLING_URL'),
   *         provider: {
   *           type: 'client_credentials',
   *           clientId: config.getOrThrow('BILLING_CLIENT_ID'),
   *           clientSecret: config.getOrThrow('BILLING_CLIENT_SECRET'),
   *           tokenEndpoint: config.getOrThrow('TOKEN_ENDPOINT'),
   *         },
   *       },
   *     },
   *   }),
   * })
   * ```
   */
  static forRootAsync(options: ForgeModuleAsyncOptions): DynamicModule {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.useFactory !== 'function'
    ) {
      throw new ConfigurationError(
        'useFactory',
        'ForgeModule.forRootAsync() needs a useFactory function',
        PACKAGE,
      );
    }
    return rootModule(
      {
        provide: FORGE_MODULE_OPTIONS,
        useFactory: options.useFactory,
        inject: [...(options.inject ?? [])],
      },
      [],
      options.isGlobal,
      options.imports,
    );
  }

  /**
   * Provides the managers and authorizers of the named services to the
   * module that imports it (for `@InjectTokenManager(name)` and
   * `@InjectAuthorizer(name)`). Needed with `forRootAsync`; harmless with
   * `forRoot`. A name that is not configured fails the bootstrap with a
   * `ConfigurationError` listing the configured names. Needs the root
   * `ForgeModule` to be global (its default).
   *
   * @example
   * ```ts
   * @Module({ imports: [ForgeModule.forFeature(['billing'])], providers: [BillingClient] })
   * export class BillingModule {}
   * ```
   */
  static forFeature(services: readonly string[]): DynamicModule {
    if (
      !Array.isArray(services) ||
      services.length === 0 ||
      services.some((name) => typeof name !== 'string' || name.length === 0)
    ) {
      throw new ConfigurationError(
        'forFeature(services)',
        "must be a non-empty list of service names, e.g. ForgeModule.forFeature(['billing'])",
        PACKAGE,
      );
    }
    const providers = perService(services);
    return {
      module: ForgeModule,
      providers,
      exports: providers.map((provider) => provider.provide),
    };
  }
}
