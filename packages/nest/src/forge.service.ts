import {
  type Authorizer,
  bearer,
  ClientCredentialsTokenProvider,
  ConfigurationError,
  type RequestPolicyOptions,
  TokenManager,
  type TokenProvider,
} from '@forge/core';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { ForgeModuleOptions, ForgeServiceConfig } from './options.js';

const PACKAGE = { package: 'nest' } as const;

// Services differ in provider input types; `unknown` accepts each of them.
type AnyTokenManager = TokenManager<unknown>;

interface Service {
  readonly manager: AnyTokenManager;
  readonly policy: RequestPolicyOptions;
  readonly baseURL: string | undefined;
  authorizer?: Authorizer;
}

function reword(option: string, error: unknown): unknown {
  if (!(error instanceof ConfigurationError)) return error;
  return new ConfigurationError(`${option}.${error.option}`, error.message.replace(/^.*?: /, ''), {
    ...PACKAGE,
    cause: error,
  });
}

function isProvider(value: unknown): value is TokenProvider<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TokenProvider<unknown>).fetchToken === 'function' &&
    typeof (value as TokenProvider<unknown>).serviceName === 'string'
  );
}

function createProvider(name: string, config: ForgeServiceConfig): TokenProvider<unknown> {
  const option = `services.${name}.provider`;
  const { provider } = config;
  if (isProvider(provider)) return provider;
  if (typeof provider !== 'object' || provider === null) {
    throw new ConfigurationError(
      option,
      "is required: a TokenProvider, or { type: 'client_credentials', clientId, clientSecret, tokenEndpoint | issuer }",
      PACKAGE,
    );
  }
  if (provider.type !== 'client_credentials') {
    throw new ConfigurationError(
      `${option}.type`,
      `must be 'client_credentials' (got ${JSON.stringify(provider.type)}); for other grants pass a provider instance`,
      PACKAGE,
    );
  }
  const { type: _type, ...options } = provider;
  try {
    return new ClientCredentialsTokenProvider({ serviceName: name, ...options });
  } catch (error) {
    throw reword(option, error);
  }
}

function createService(name: string, config: unknown, options: ForgeModuleOptions): Service {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigurationError(
      `services.${name}`,
      'must be an object with a `provider`',
      PACKAGE,
    );
  }
  const service = config as ForgeServiceConfig;
  if (
    service.baseURL !== undefined &&
    (typeof service.baseURL !== 'string' || !URL.canParse(service.baseURL))
  ) {
    throw new ConfigurationError(
      `services.${name}.baseURL`,
      'must be an absolute http(s) URL',
      PACKAGE,
    );
  }
  const provider = createProvider(name, service);
  let manager: AnyTokenManager;
  try {
    manager = new TokenManager(provider, {
      ...service.manager,
      ...((service.storage ?? options.storage)
        ? { storage: service.storage ?? options.storage }
        : {}),
    });
  } catch (error) {
    throw reword(`services.${name}`, error);
  }
  return {
    manager,
    baseURL: service.baseURL,
    policy: { ...service.policy, baseURL: service.baseURL },
  };
}

/**
 * The services configured in `ForgeModule`: their token managers and
 * authorizers by name. Closes every manager on application shutdown.
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
  readonly #services = new Map<string, Service>();

  /** Validates every service and creates its manager; throws a `ConfigurationError` naming the service. */
  constructor(options: ForgeModuleOptions) {
    if (
      typeof options !== 'object' ||
      options === null ||
      typeof options.services !== 'object' ||
      options.services === null
    ) {
      throw new ConfigurationError(
        'services',
        "must be an object of named services, e.g. { billing: { provider: { type: 'client_credentials', … } } }",
        PACKAGE,
      );
    }
    try {
      for (const [name, config] of Object.entries(options.services)) {
        this.#services.set(name, createService(name, config, options));
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

  #get(name: string): Service {
    const service = this.#services.get(name);
    if (service) return service;
    throw new ConfigurationError(
      'service',
      `"${name}" is not configured in ForgeModule; configured services: ${[...this.#services.keys()].join(', ')}. Add it to ForgeModule.forRoot({ services }).`,
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
  manager(name: TNames): AnyTokenManager {
    return this.#get(name).manager;
  }

  /**
   * The service's `Authorizer` (core's `bearer(manager, policy)`), for any HTTP client.
   * Needs the service's `baseURL` or `policy.origins`, so that the token only goes there.
   *
   * @example
   * ```ts
   * const auth = await forge.authorizer('billing').authorize({ method: 'GET', url, headers: {}, attempt: 0 });
   * ```
   */
  authorizer(name: TNames): Authorizer {
    const service = this.#get(name);
    if (!service.authorizer) {
      try {
        service.authorizer = bearer(service.manager, service.policy);
      } catch (error) {
        throw reword(`services.${name}.policy`, error);
      }
    }
    return service.authorizer;
  }

  /**
   * The request policy options of a service with its `baseURL` filled in
   * (what `ForgeHttpModule` hands `withForge`).
   *
   * @example
   * ```ts
   * withForge(axios.create({ baseURL }), forge.manager('billing'), forge.policy('billing'));
   * ```
   */
  policy(name: TNames): RequestPolicyOptions {
    return this.#get(name).policy;
  }

  /** The configured `baseURL` of a service, if any. */
  baseURL(name: TNames): string | undefined {
    return this.#get(name).baseURL;
  }

  /** Closes every manager: stops background work and releases storage listeners. */
  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.#services.values()].map((service) => service.manager.close()),
    );
  }

  /** Called by Nest on `app.close()`. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
