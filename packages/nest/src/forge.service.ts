import {
  type Authorizer,
  ConfigurationError,
  type ForgeOptions,
  type TokenManager,
} from '@forge/core';
import { type BuiltService, createService } from '@forge/core/adapter';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { ForgeModuleOptions } from './options.js';

const PACKAGE = { package: 'nest' } as const;

/**
 * The services configured in `ForgeModule`: their token managers,
 * authorizers and client options by name. Closes the managers it created
 * (from `provider`) on application shutdown; managers you passed are yours.
 * `TNames` narrows the accepted names when you declare them.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class Reports {
 *   constructor(@Inject(ForgeService) private readonly forge: ForgeService<'billing' | 'crm'>) {}
 *   token() { return this.forge.manager('billing').getToken(); }
 * }
 * ```
 */
export class ForgeService<TNames extends string = string> implements OnApplicationShutdown {
  readonly #services = new Map<string, BuiltService>();

  /**
   * Validates every service and creates the managers Forge owns; throws a
   * `ConfigurationError` naming `services.<name>.<option>`.
   */
  constructor(options: ForgeModuleOptions) {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.services !== 'object' ||
      options.services === null
    ) {
      throw new ConfigurationError(
        'services',
        "must be an object of named services, e.g. { billing: { baseURL, provider: { type: 'client_credentials', … } } }",
        PACKAGE,
      );
    }
    const managerDefaults = options.storage === undefined ? {} : { storage: options.storage };
    try {
      for (const [name, config] of Object.entries(options.services)) {
        this.#services.set(
          name,
          createService(name, config, { ...PACKAGE, managerDefaults, log: options.log }),
        );
      }
    } catch (error) {
      void this.close();
      throw error;
    }
    if (this.#services.size === 0) {
      throw new ConfigurationError('services', 'must name at least one service', PACKAGE);
    }
  }

  /** The configured service names. */
  get names(): readonly TNames[] {
    return [...this.#services.keys()] as TNames[];
  }

  #get(name: string): BuiltService {
    const service = this.#services.get(name);
    if (service) return service;
    throw new ConfigurationError(
      'service',
      `"${name}" is not configured in ForgeModule; configured services: ${[...this.#services.keys()].join(', ')}. Add it to ForgeModule's services.`,
      PACKAGE,
    );
  }

  /**
   * The token manager of a service.
   *
   * @example
   * ```ts
   * const token = await forge.manager('billing').getToken();
   * ```
   */
  manager(name: TNames): TokenManager<unknown> {
    return this.#get(name).manager;
  }

  /**
   * The service's `Authorizer` (core's `bearer(manager, { policy })`), for any
   * HTTP client: credentials only for the service's `baseURL` origin and
   * `policy.origins`.
   *
   * @example
   * ```ts
   * const auth = await forge.authorizer('billing').authorize({ method: 'GET', url, headers: {}, attempt: 0 });
   * ```
   */
  authorizer(name: TNames): Authorizer {
    return this.#get(name).authorizer;
  }

  /**
   * The service's adapter options, `{ policy, key, log }` (its compiled
   * policy, key function and request logging): what `ForgeHttpModule` hands
   * `withForge`, for your own clients.
   *
   * @example
   * ```ts
   * const api = withForge(got.extend({ prefixUrl: forge.baseURL('billing') }), forge.manager('billing'), forge.options('billing'));
   * ```
   */
  options(name: TNames): ForgeOptions {
    const { policy, key, log } = this.#get(name);
    return log === undefined ? { policy, key } : { policy, key, log };
  }

  /** The configured `baseURL` of a service. */
  baseURL(name: TNames): string {
    return this.#get(name).baseURL;
  }

  /** Closes the managers Forge created: stops background work and releases storage listeners. */
  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.#services.values()]
        .filter((service) => service.owned)
        .map((service) => service.manager.close()),
    );
  }

  /** Called by Nest on `app.close()`. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
