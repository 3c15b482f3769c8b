import { ConfigurationError } from '@forge/core';
import { Inject } from '@nestjs/common';
import { getAuthorizerToken, getForgeHttpServiceToken, getTokenManagerToken } from './tokens.js';

function checkName(decorator: string, service: unknown): string {
  if (typeof service !== 'string' || service.length === 0) {
    throw new ConfigurationError(`${decorator}(service)`, 'must be a non-empty service name', {
      package: 'nest',
    });
  }
  return service;
}

/**
 * Injects the `TokenManager` of a service configured in `ForgeModule`:
 * `ForgeModule.forRoot` provides every service it configures, and
 * `ForgeModule.forFeature([names])` provides the names a module uses (needed
 * with `forRootAsync`), failing the bootstrap for a name that is not configured.
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
  return Inject(getTokenManagerToken(checkName('InjectTokenManager', service)));
}

/**
 * Injects the `Authorizer` of a configured service (core's `bearer(manager, { policy })`),
 * for clients other than axios. Provided like {@link InjectTokenManager}'s manager.
 *
 * @example
 * ```ts
 * constructor(@InjectAuthorizer('billing') private readonly authorizer: Authorizer) {}
 * ```
 */
export function InjectAuthorizer(service: string): PropertyDecorator & ParameterDecorator {
  return Inject(getAuthorizerToken(checkName('InjectAuthorizer', service)));
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
  return Inject(getForgeHttpServiceToken(checkName('InjectForgeHttpService', service)));
}
