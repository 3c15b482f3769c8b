import { ConfigurationError, checkReadiness, type ServiceReadiness } from '@forge/core';
import type { ForgeService } from './forge.service.js';

/**
 * What {@link ForgeHealthIndicator.isHealthy} resolves to: the shape of
 * `@nestjs/terminus`'s `HealthIndicatorResult`, so it goes straight into
 * `HealthCheckService.check([...])`.
 *
 * @example
 * ```ts
 * const result: ForgeHealthIndicatorResult = await indicator.isHealthy('forge');
 * ```
 */
export type ForgeHealthIndicatorResult<TKey extends string = string> = Record<
  TKey,
  {
    readonly status: 'up' | 'down';
    readonly services: Readonly<Record<string, ServiceReadiness>>;
  }
>;

/**
 * Options of {@link ForgeHealthIndicator.isHealthy}.
 *
 * @example
 * ```ts
 * await indicator.isHealthy('billing-token', { services: ['billing'] });
 * ```
 */
export interface ForgeHealthOptions {
  /** The services to judge; all configured ones by default. */
  readonly services?: readonly string[];
  /** Add each key's status (expiry, last error class, backoff) to the details (default `false`). */
  readonly details?: boolean;
}

/**
 * A health indicator for `@nestjs/terminus`, provided by `ForgeModule`: `up`
 * while every service's token manager can authorize calls, `down` when one is
 * failing without a usable token (the details name it and its last error
 * class). It reads the managers' `status()` snapshots: no I/O and no token
 * request per probe. Terminus is only needed to serve the result; nothing
 * here imports it.
 *
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     @Inject(HealthCheckService) private readonly health: HealthCheckService,
 *     @Inject(ForgeHealthIndicator) private readonly forge: ForgeHealthIndicator,
 *   ) {}
 *
 *   @Get() @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.forge.isHealthy('forge')]);
 *   }
 * }
 * ```
 */
export class ForgeHealthIndicator {
  readonly #forge: ForgeService;

  constructor(forge: ForgeService) {
    this.#forge = forge;
  }

  /** Judges the services' readiness under `key` (default `'forge'`). */
  async isHealthy<TKey extends string = 'forge'>(
    key?: TKey,
    options: ForgeHealthOptions = {},
  ): Promise<ForgeHealthIndicatorResult<TKey>> {
    const name = key ?? 'forge';
    if (typeof name !== 'string' || name.length === 0) {
      throw new ConfigurationError('key', 'must be a non-empty string naming the check', {
        package: 'nest',
      });
    }
    const names = options.services ?? this.#forge.names;
    if (!Array.isArray(names)) {
      throw new ConfigurationError('services', 'must be an array of configured service names', {
        package: 'nest',
      });
    }
    // forge.manager() throws a ConfigurationError naming the configured services for an unknown name.
    const managers = Object.fromEntries(
      names.map((service) => [service, this.#forge.manager(service)]),
    );
    const { ready, services } = checkReadiness(managers, { details: options.details === true });
    return {
      [name]: { status: ready ? 'up' : 'down', services },
    } as ForgeHealthIndicatorResult<TKey>;
  }
}
