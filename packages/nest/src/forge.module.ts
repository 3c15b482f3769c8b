import { ConfigurationError } from '@forge/core';
import type { DynamicModule, FactoryProvider, Provider } from '@nestjs/common';
import { ForgeService } from './forge.service.js';
import type { ForgeModuleAsyncOptions, ForgeModuleOptions } from './options.js';
import {
  FORGE_MODULE_OPTIONS,
  getAuthorizerToken,
  getTokenManagerToken,
  requested,
} from './tokens.js';

const forgeServiceProvider: FactoryProvider<ForgeService> = {
  provide: ForgeService,
  useFactory: (options: ForgeModuleOptions) => new ForgeService(options),
  inject: [FORGE_MODULE_OPTIONS],
};

// One provider per name: configured ones, and every name a decorator asked
// for, so an unknown name fails at bootstrap listing the configured names
// instead of Nest's generic "can't resolve dependencies".
function perServiceProviders(configured: readonly string[]): Provider[] {
  const { managers, authorizers } = requested();
  const managerNames = new Set([...configured, ...managers]);
  const authorizerNames = new Set(authorizers);
  return [
    ...[...managerNames].map(
      (name): FactoryProvider => ({
        provide: getTokenManagerToken(name),
        useFactory: (forge: ForgeService) => forge.manager(name),
        inject: [ForgeService],
      }),
    ),
    ...[...authorizerNames].map(
      (name): FactoryProvider => ({
        provide: getAuthorizerToken(name),
        useFactory: (forge: ForgeService) => forge.authorizer(name),
        inject: [ForgeService],
      }),
    ),
  ];
}

function dynamicModule(
  optionsProvider: Provider,
  configured: readonly string[],
  isGlobal: boolean | undefined,
  imports: DynamicModule['imports'],
): DynamicModule {
  // Providers are computed when Nest scans the module (after every file that
  // uses the decorators was loaded), not when forRoot() is called.
  const perService = (): Provider[] => perServiceProviders(configured);
  return {
    module: ForgeModule,
    global: isGlobal ?? true,
    imports: imports ?? [],
    get providers(): Provider[] {
      return [optionsProvider, forgeServiceProvider, ...perService()];
    },
    get exports() {
      return [
        ForgeService,
        ...perService().map((provider) => (provider as FactoryProvider).provide),
      ];
    },
  };
}

/**
 * The Forge module: one token manager per named service, injectable with
 * `@InjectTokenManager(name)`, `@InjectAuthorizer(name)` or `ForgeService`,
 * all closed on `app.close()`. A misconfigured service fails the bootstrap
 * with a `ConfigurationError` naming it.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ForgeModule.forRoot({
 *       services: {
 *         billing: {
 *           provider: { type: 'client_credentials', clientId: 'orders', clientSecret: 's3cr3t', tokenEndpoint: 'https://auth.example/token' },
 *           baseURL: 'https://billing.example',
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
   * Configures the services from static options.
   *
   * @example
   * ```ts
   * ForgeModule.forRoot({ services: { billing: { provider: new ClientCredentialsTokenProvider({ … }) } } })
   * ```
   */
  static forRoot(options: ForgeModuleOptions): DynamicModule {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError('options', 'ForgeModule.forRoot() needs { services: { … } }', {
        package: 'nest',
      });
    }
    const configured = Object.keys(options.services ?? {});
    return dynamicModule(
      { provide: FORGE_MODULE_OPTIONS, useValue: options },
      configured,
      options.isGlobal,
      [],
    );
  }

  /**
   * Configures the services from a factory, e.g. with `ConfigService`.
   *
   * @example
   * ```ts
   * ForgeModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     services: {
   *       billing: {
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
        {
          package: 'nest',
        },
      );
    }
    return dynamicModule(
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
}
