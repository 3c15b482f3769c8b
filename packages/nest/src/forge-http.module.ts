// Also brings @forge/axios's per-request `forge` option into axios's types,
// for this package's declarations as for its users.
import '@forge/axios';
import { withForge } from '@forge/axios';
import { ConfigurationError } from '@forge/core';
import { HttpService } from '@nestjs/axios';
import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import axios, { type CreateAxiosDefaults } from 'axios';
import { ForgeService } from './forge.service.js';
import { getForgeHttpServiceToken } from './tokens.js';

/**
 * Options of `ForgeHttpModule.register()`: the service, and axios defaults
 * for its client. The client's `baseURL` is the service's.
 *
 * @example
 * ```ts
 * const options: ForgeHttpModuleOptions = { service: 'billing', timeout: 5_000 };
 * ```
 */
export interface ForgeHttpModuleOptions extends Omit<CreateAxiosDefaults, 'baseURL'> {
  /** A service configured in `ForgeModule`. */
  readonly service: string;
}

/**
 * An `HttpService` (from `@nestjs/axios`) whose axios instance is authorized
 * for one service through `@forge/axios`, with the service's `baseURL`,
 * `policy` and `key`: tokens go only to the service's origin (and
 * `policy.origins`), a 401 is retried once with a fresh token, and a request
 * may pick the manager's key with `{ forge: { key } }`. Inject it as
 * `HttpService`, or with `@InjectForgeHttpService(name)` when a module
 * registers several. Needs `ForgeModule` to be global (its default).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [ForgeHttpModule.register({ service: 'billing', timeout: 5_000 })],
 *   providers: [InvoicesService],
 * })
 * export class InvoicesModule {}
 *
 * @Injectable()
 * export class InvoicesService {
 *   constructor(@Inject(HttpService) private readonly http: HttpService) {}
 *   list(tenant: string) { return firstValueFrom(this.http.get('/invoices', { forge: { key: tenant } })); }
 * }
 * ```
 */
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes.
export class ForgeHttpModule {
  /** Registers the authorized `HttpService` of `options.service`. */
  static register(options: ForgeHttpModuleOptions): DynamicModule {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.service !== 'string' ||
      options.service === ''
    ) {
      throw new ConfigurationError(
        'service',
        'ForgeHttpModule.register() needs { service: "<name configured in ForgeModule>" }',
        { package: 'nest' },
      );
    }
    const { service, ...axiosConfig } = options;
    if ('baseURL' in axiosConfig) {
      throw new ConfigurationError(
        'baseURL',
        `is the service's: set services.${service}.baseURL in ForgeModule`,
        { package: 'nest' },
      );
    }
    const token = getForgeHttpServiceToken(service);
    const httpService: FactoryProvider<HttpService> = {
      provide: token,
      useFactory: (forge: ForgeService) =>
        new HttpService(
          withForge(
            axios.create({ ...axiosConfig, baseURL: forge.baseURL(service) }),
            forge.manager(service),
            forge.options(service),
          ),
        ),
      inject: [ForgeService],
    };
    return {
      module: ForgeHttpModule,
      providers: [httpService, { provide: HttpService, useExisting: token }],
      exports: [token, HttpService],
    };
  }
}
