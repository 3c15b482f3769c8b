import { ConfigurationError, TokenManager } from '@forge/core';
import {
  type BuiltService,
  createAdapter,
  createService,
  type ForgeAdapter,
  type ServiceTarget,
  serviceTarget,
} from '@forge/core/adapter';
import type { ForgeFetch } from '@forge/fetch';
import { serviceFetch } from './fetch.js';
import type {
  ForgeExchangeServiceOptions,
  ForgeMiddlewareOptions,
  SubjectTokenInput,
} from './types.js';

const PACKAGE = { package: 'express' } as const;

/** A service called with the application's own token (core's service configuration). */
export interface TokenService extends BuiltService {
  readonly kind: 'token';
  /** The kit for the proxy: the service's authorizer and key function. */
  readonly adapter: ForgeAdapter;
  /** What `req.forge.fetch` sends with: the same authorizer and key function. */
  readonly fetch: ForgeFetch;
}

/** A service called with a token exchanged for the caller's. */
export interface ExchangeService extends ServiceTarget {
  readonly kind: 'exchange';
  readonly name: string;
  readonly owned: boolean;
  readonly manager: TokenManager<SubjectTokenInput>;
  readonly input: (subjectToken: string) => SubjectTokenInput;
}

/** A validated, ready service. */
export type Service = TokenService | ExchangeService;

/** The validated services of one `forge()` call. */
export interface ServiceRegistry {
  readonly names: readonly string[];
  get(name: string, option?: string): Service;
  close(): Promise<void>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const EXCHANGE_OPTIONS = new Set(['baseURL', 'policy', 'exchange', 'audience', 'scope']);

function exchangeService(name: string, options: Record<string, unknown>): ExchangeService {
  for (const option of Object.keys(options)) {
    if (EXCHANGE_OPTIONS.has(option)) continue;
    throw new ConfigurationError(
      `services.${name}.${option}`,
      'is not an option of an exchange service; the options are baseURL, policy, exchange, audience and scope',
      PACKAGE,
    );
  }
  const { exchange, audience, scope } = options as Partial<ForgeExchangeServiceOptions>;
  const target = serviceTarget(name, options, PACKAGE);
  const isManager = isObject(exchange) && typeof exchange.getToken === 'function';
  const isProvider = isObject(exchange) && typeof exchange.fetchToken === 'function';
  if (!isManager && !isProvider) {
    throw new ConfigurationError(
      `services.${name}.exchange`,
      'must be a TokenManager over a TokenExchangeProvider, or the TokenExchangeProvider itself',
      PACKAGE,
    );
  }
  const manager = isManager
    ? (exchange as TokenManager<SubjectTokenInput>)
    : new TokenManager(
        exchange as ConstructorParameters<typeof TokenManager<SubjectTokenInput>>[0],
      );
  return {
    kind: 'exchange',
    name,
    ...target,
    owned: !isManager,
    manager,
    input: (subjectToken) => ({
      subjectToken,
      ...(audience === undefined ? {} : { audience }),
      ...(scope === undefined ? {} : { scope }),
    }),
  };
}

function tokenService(name: string, config: unknown): TokenService {
  const service = createService(name, config, PACKAGE);
  return {
    ...service,
    kind: 'token',
    adapter: createAdapter(
      service.authorizer,
      { key: service.key },
      { ...PACKAGE, baseURL: service.baseURL },
    ),
    fetch: serviceFetch(service.authorizer, service.key),
  };
}

/** Validates `forge()` options and builds each service's manager and authorizer. */
export function createServiceRegistry(options: ForgeMiddlewareOptions): ServiceRegistry {
  if (!isObject(options) || !isObject(options.services)) {
    throw new ConfigurationError(
      'services',
      'must be an object of named services, e.g. { billing: { provider, baseURL } }',
      PACKAGE,
    );
  }
  const services = new Map<string, Service>();
  const close = () =>
    Promise.all(
      [...services.values()]
        .filter((service) => service.owned)
        .map((service) => service.manager.close()),
    ).then(() => undefined);
  try {
    for (const [name, config] of Object.entries(options.services)) {
      services.set(
        name,
        isObject(config) && 'exchange' in config
          ? exchangeService(name, config)
          : tokenService(name, config),
      );
    }
  } catch (error) {
    // The managers of the services before the faulty one would otherwise leak.
    void close();
    throw error;
  }
  if (services.size === 0) {
    throw new ConfigurationError('services', 'must name at least one service', PACKAGE);
  }
  const names = Object.freeze([...services.keys()]);
  return {
    names,
    get(name, option = 'service') {
      const service = services.get(name);
      if (service) return service;
      throw new ConfigurationError(
        option,
        `"${String(name)}" is not a configured service; configured services: ${names.join(', ')}. Add it to forge({ services }).`,
        PACKAGE,
      );
    },
    close,
  };
}
