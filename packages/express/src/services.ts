import { ConfigurationError, type RequestLogOptions, TokenManager } from '@forge/core';
import {
  type BuiltService,
  checkLogOptions,
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
  /** Request logging of the calls made with exchanged tokens. */
  readonly log: RequestLogOptions | undefined;
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

const EXCHANGE_OPTIONS = new Set(['baseURL', 'policy', 'exchange', 'audience', 'scope', 'log']);

function exchangeService(
  name: string,
  options: Record<string, unknown>,
  log: RequestLogOptions | undefined,
): ExchangeService {
  for (const option of Object.keys(options)) {
    if (EXCHANGE_OPTIONS.has(option)) continue;
    throw new ConfigurationError(
      `services.${name}.${option}`,
      'is not an option of an exchange service; the options are baseURL, policy, exchange, audience, scope and log',
      PACKAGE,
    );
  }
  const { exchange, audience, scope } = options as Partial<ForgeExchangeServiceOptions>;
  const target = serviceTarget(name, options, PACKAGE);
  const ownLog = checkLogOptions(options.log, 'express', `services.${name}.log`);
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
    log: ownLog ?? log,
    input: (subjectToken) => ({
      subjectToken,
      ...(audience === undefined ? {} : { audience }),
      ...(scope === undefined ? {} : { scope }),
    }),
  };
}

function tokenService(
  name: string,
  config: unknown,
  log: RequestLogOptions | undefined,
): TokenService {
  const service = createService(name, config, { ...PACKAGE, log });
  return {
    ...service,
    kind: 'token',
    adapter: createAdapter(
      service.authorizer,
      { key: service.key, log: service.log },
      { ...PACKAGE, baseURL: service.baseURL },
    ),
    fetch: serviceFetch(service.authorizer, service.key, service.log),
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
  checkLogOptions(options.log, 'express');
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
          ? exchangeService(name, config, options.log)
          : tokenService(name, config, options.log),
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
