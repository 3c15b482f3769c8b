import { ConfigurationError, checkReadiness, type StatusSource } from '@forge/core';
import type { RequestHandler } from 'express';

const PACKAGE = { package: 'express' } as const;

/**
 * Options of {@link forgeReadiness} and `forge.readiness()`.
 *
 * @example
 * ```ts
 * const options: ForgeReadinessOptions = { details: true };
 * ```
 */
export interface ForgeReadinessOptions {
  /**
   * Add each key's status (cache key, expiry, last error class, backoff) to
   * the body (default `false`: counts only). Keys are never secrets, but can
   * name tenants or users: keep detailed probes off public routes.
   */
  readonly details?: boolean;
}

/**
 * A readiness probe for token managers: answers `200 {"status":"ready"}` when
 * every manager can authorize calls, `503 {"status":"unavailable"}` when one
 * is failing without a usable token (or is closed), with a per-service
 * summary from `status()`. Costs no I/O and no token request, so probes can
 * run as often as the orchestrator likes.
 *
 * @example
 * ```ts
 * app.get('/ready', forgeReadiness({ billing: billingManager }));
 * ```
 */
export function forgeReadiness(
  managers: Readonly<Record<string, StatusSource>>,
  options: ForgeReadinessOptions = {},
): RequestHandler {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('options', 'must be an object such as { details: true }', PACKAGE);
  }
  if (options.details !== undefined && typeof options.details !== 'boolean') {
    throw new ConfigurationError('details', 'must be true or false', PACKAGE);
  }
  const details = options.details === true;
  // Validates the managers now rather than on the first probe.
  checkReadiness(managers);
  return (_req, res) => {
    const { ready, services } = checkReadiness(managers, { details });
    res
      .status(ready ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ status: ready ? 'ready' : 'unavailable', services });
  };
}
