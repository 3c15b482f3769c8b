import {
  type Authorizer,
  bearer,
  ConfigurationError,
  createRequestPolicy,
  type RequestPolicy,
  TokenManager,
} from '@forge/core';
import type {
  ForgeExchangeServiceOptions,
  ForgeOptions,
  ForgeServiceOptions,
  ForgeServicePolicy,
  ForgeTokenServiceOptions,
  SubjectTokenInput,
} from './types.js';

const PACKAGE = { package: 'express' } as const;

interface ServiceBase {
  readonly name: string;
  readonly baseURL: string;
  /** Compiled once, with the service's base URL as the default origin. */
  readonly policy: RequestPolicy;
  /** Whether Forge created the manager and must close it. */
  readonly owned: boolean;
}

/** A service called with the application's own token. */
export interface TokenService extends ServiceBase {
  readonly kind: 'token';
  readonly manager: TokenManager<undefined>;
  readonly authorizer: Authorizer;
}

/** A service called with a token exchanged for the caller's. */
export interface ExchangeService extends ServiceBase {
  readonly kind: 'exchange';
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
  return typeof value === 'object' && value !== null;
}

function isManager(value: unknown): boolean {
  return isObject(value) && typeof value.getToken === 'function';
}

function isProvider(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.fetchToken === 'function' &&
    typeof value.serviceName === 'string'
  );
}

function validateBaseURL(name: string, baseURL: unknown): string {
  const option = `services.${name}.baseURL`;
  if (typeof baseURL !== 'string' || baseURL.length === 0) {
    throw new ConfigurationError(option, 'must be an absolute http(s) URL string', PACKAGE);
  }
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new ConfigurationError(
      option,
      'must be an absolute http(s) URL, e.g. "https://api.example.com/v1"',
      PACKAGE,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(option, `must use http or https, not "${url.protocol}"`, PACKAGE);
  }
  if (url.username || url.password) {
    throw new ConfigurationError(
      option,
      'must not contain credentials; configure a provider instead',
      PACKAGE,
    );
  }
  return baseURL;
}

function compilePolicy(
  name: string,
  baseURL: string,
  policy: ForgeServicePolicy | undefined,
): RequestPolicy {
  try {
    return policyFor(baseURL, policy);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new ConfigurationError(
      `services.${name}.policy.${error.option}`,
      error.message.replace(/^.*?: /, ''),
      {
        ...PACKAGE,
        cause: error,
      },
    );
  }
}

function policyFor(baseURL: string, policy: ForgeServicePolicy | undefined): RequestPolicy {
  return createRequestPolicy({ ...policy, baseURL });
}

function tokenService(
  name: string,
  options: ForgeTokenServiceOptions,
  baseURL: string,
): TokenService {
  const { manager, provider } = options;
  if (manager !== undefined && provider !== undefined) {
    throw new ConfigurationError(
      `services.${name}`,
      'set either `manager` or `provider`, not both',
      PACKAGE,
    );
  }
  if (manager !== undefined && !isManager(manager)) {
    throw new ConfigurationError(
      `services.${name}.manager`,
      'must be a TokenManager from @forge/core',
      PACKAGE,
    );
  }
  if (provider !== undefined && !isProvider(provider)) {
    throw new ConfigurationError(
      `services.${name}.provider`,
      'must be a TokenProvider (an object with `serviceName` and `fetchToken()`)',
      PACKAGE,
    );
  }
  if (manager === undefined && provider === undefined) {
    throw new ConfigurationError(
      `services.${name}`,
      'needs a `manager` (new TokenManager(provider)), a `provider`, or an `exchange` for on-behalf-of calls',
      PACKAGE,
    );
  }
  const policy = compilePolicy(name, baseURL, options.policy);
  const resolved = manager ?? new TokenManager(provider!);
  return {
    kind: 'token',
    name,
    baseURL,
    policy,
    owned: manager === undefined,
    manager: resolved,
    authorizer: bearer(resolved, policy),
  };
}

function exchangeService(
  name: string,
  options: ForgeExchangeServiceOptions,
  baseURL: string,
): ExchangeService {
  const { exchange, audience, scope } = options;
  const option = `services.${name}.exchange`;
  if (!isManager(exchange) && !isProvider(exchange)) {
    throw new ConfigurationError(
      option,
      'must be a TokenManager over a TokenExchangeProvider, or the TokenExchangeProvider itself',
      PACKAGE,
    );
  }
  const policy = compilePolicy(name, baseURL, options.policy);
  const owned = !isManager(exchange);
  const manager = owned
    ? new TokenManager(exchange as ConstructorParameters<typeof TokenManager<SubjectTokenInput>>[0])
    : (exchange as TokenManager<SubjectTokenInput>);
  return {
    kind: 'exchange',
    name,
    baseURL,
    policy,
    owned,
    manager,
    input: (subjectToken) => ({
      subjectToken,
      ...(audience === undefined ? {} : { audience }),
      ...(scope === undefined ? {} : { scope }),
    }),
  };
}

/** Validates `forge()` options and builds each service's manager and authorizer. */
export function createServiceRegistry(options: ForgeOptions): ServiceRegistry {
  if (!isObject(options) || !isObject(options.services)) {
    throw new ConfigurationError(
      'services',
      'must be an object of named services, e.g. { billing: { provider, baseURL } }',
      PACKAGE,
    );
  }
  const services = new Map<string, Service>();
  for (const [name, service] of Object.entries(options.services) as [
    string,
    ForgeServiceOptions,
  ][]) {
    if (typeof service !== 'object' || service === null) {
      throw new ConfigurationError(
        `services.${name}`,
        'must be an object with a `baseURL` and a `manager` or `provider`',
        PACKAGE,
      );
    }
    const baseURL = validateBaseURL(name, service.baseURL);
    services.set(
      name,
      'exchange' in service
        ? exchangeService(name, service, baseURL)
        : tokenService(name, service, baseURL),
    );
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
    async close() {
      await Promise.all(
        [...services.values()]
          .filter((service) => service.owned)
          .map((service) => service.manager.close()),
      );
    },
  };
}
