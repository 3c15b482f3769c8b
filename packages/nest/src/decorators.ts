import { ConfigurationError } from '@forge/core';
import { Inject } from '@nestjs/common';
import {
  getAuthorizerToken,
  getForgeHttpServiceToken,
  getTokenManagerToken,
  recordRequested,
} from './tokens.js';

function checkName(decorator: string, service: unknown): string {
  if (typeof service !== 'string' || service.length === 0) {
    throw new ConfigurationError(`${decorator}(service)`, 'must be a non-empty service name', {
      package: 'nest',
    });
  }
  return service;
}

/**
 * Injects the `TokenManager` of a service configured in `ForgeModule`. An
 * unknown name fails the application's bootstrap with the configured names.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class BillingClient {
 *   constructor(@InjectTokenManager('billing') private readonly manager: TokenManager) {}
 * }
 * ```
 */
export function InjectTokenManager(service: string): PropertyDecorator & ParameterDecorator {
  const name = checkName('InjectTokenManager', service);
  recordRequested('manager', name);
  return Inject(getTokenManagerToken(name));
}

/**
 * Injects the `Authorizer` of a configured service (core's `bearer(manager, policy)`),
 * for clients other than axios.
 *
 * @example
 * ```ts
 * constructor(@InjectAuthorizer('billing') private readonly authorizer: Authorizer) {}
 * ```
 */
export function InjectAuthorizer(service: string): PropertyDecorator & ParameterDecorator {
  const name = checkName('InjectAuthorizer', service);
  recordRequested('authorizer', name);
  return Inject(getAuthorizerToken(name));
}

/**
 * Injects the authorized `HttpService` of `ForgeHttpModule.register({ service })`,
 * when one module registers several services (a plain `HttpService` injection
 * gets the last one registered).
 *
 * @example
 * ```ts
 * constructor(@InjectForgeHttpService('billing') private readonly billing: HttpService) {}
 * ```
 */
export function InjectForgeHttpService(service: string): PropertyDecorator & ParameterDecorator {
  const name = checkName('InjectForgeHttpService', service);
  recordRequested('http', name);
  return Inject(getForgeHttpServiceToken(name));
}
