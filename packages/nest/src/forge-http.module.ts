import { withForge } from '@forge/axios';
import { ConfigurationError } from '@forge/core';
import { HttpService } from '@nestjs/axios';
import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import axios, { type CreateAxiosDefaults } from 'axios';
import { ForgeService } from './forge.service.js';
import { getForgeHttpServiceToken } from './tokens.js';

/** Options of `ForgeHttpModule.register()`: the service, and axios defaults for its client. */
export interface ForgeHttpModuleOptions extends CreateAxiosDefaults {
  /** A service configured in `ForgeModule`. */
  readonly service: string;
  /** Defaults to the service's `baseURL` in `ForgeModule`. */
  readonly baseURL?: string;
}

/**
 * An `HttpService` (from `@nestjs/axios`) whose axios instance is authorized
 * for one service through `@forge/axios`: tokens are added to requests to the
 * service's origin and a 401 is retried once with a fresh token. Inject it as
 * `HttpService`, or with `@InjectForgeHttpService(name)` when a module
 * registers several. Needs `ForgeModule` to be global (its default).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [ForgeHttpModule.register({ service: 'billing', baseURL: 'https://billing.example', timeout: 5_000 })],
 *   providers: [InvoicesService],
 * })
 * export class InvoicesModule {}
 *
 * @Injectable()
 * export class InvoicesService {
 *   constructor(@Inject(HttpService) private readonly http: HttpService) {}
 *   list() { return firstValueFrom(this.http.get('/invoices')); }
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
        {
          package: 'nest',
        },
      );
    }
    const { service, ...axiosConfig } = options;
    const token = getForgeHttpServiceToken(service);
    const httpService: FactoryProvider<HttpService> = {
      provide: token,
      useFactory: (forge: ForgeService) => {
        const manager = forge.manager(service);
        const baseURL = axiosConfig.baseURL ?? forge.baseURL(service);
        if (baseURL === undefined) {
          throw new ConfigurationError(
            `ForgeHttpModule.register({ service: '${service}' }).baseURL`,
            'is required when the service has no baseURL in ForgeModule',
            { package: 'nest' },
          );
        }
        const instance = axios.create({ ...axiosConfig, baseURL });
        withForge(instance, manager, { ...forge.policy(service), baseURL });
        return new HttpService(instance);
      },
      inject: [ForgeService],
    };
    return {
      module: ForgeHttpModule,
      providers: [httpService, { provide: HttpService, useExisting: token }],
      exports: [token, HttpService],
    };
  }
}
