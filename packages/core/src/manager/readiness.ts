import { ConfigurationError } from '../errors.js';
import type { KeyStatus, TokenManagerStatus } from './status.js';

/** Anything with a `status()` snapshot: a `TokenManager`. */
export interface StatusSource {
  status(): TokenManagerStatus;
}

/**
 * One service in a {@link Readiness} report: counts and the last error's
 * class, never a token. `keys` lists each key's status only with `details`.
 *
 * @example
 * ```ts
 * const { failing, lastError }: ServiceReadiness = checkReadiness({ billing: manager }).services.billing!;
 * ```
 */
export interface ServiceReadiness {
  readonly ready: boolean;
  readonly closed: boolean;
  /** Keys held in process. */
  readonly held: number;
  /** Keys with a usable token. */
  readonly usable: number;
  /** Keys without a usable token whose last request failed. */
  readonly failing: number;
  /** Keys whose token requests are backing off. */
  readonly backingOff: number;
  /** The most recent error among the keys, until they recover. */
  readonly lastError: KeyStatus['lastError'];
  /** Milliseconds until the soonest usable token expires, if any expires. */
  readonly expiresInMs: number | undefined;
  readonly keys?: readonly KeyStatus[];
}

/**
 * What {@link checkReadiness} returns: ready when every service is.
 *
 * @example
 * ```ts
 * const report: Readiness = checkReadiness({ billing: manager });
 * ```
 */
export interface Readiness {
  readonly ready: boolean;
  readonly services: Readonly<Record<string, ServiceReadiness>>;
}

/**
 * Judges readiness from each manager's `status()` snapshot: a service is
 * ready while it is open and none of its keys is failing without a usable
 * token (a key never asked for does not count). Cheap: no I/O, no token
 * request. One judgement for every framework's health check.
 *
 * @example
 * ```ts
 * const { ready, services } = checkReadiness({ billing: billingManager, crm: crmManager });
 * response.status(ready ? 200 : 503).json({ ready, services });
 * ```
 */
export function checkReadiness(
  managers: Readonly<Record<string, StatusSource>>,
  options: { readonly details?: boolean } = {},
): Readiness {
  if (typeof managers !== 'object' || managers === null) {
    throw new ConfigurationError('managers', 'must be an object of token managers by service name');
  }
  let ready = true;
  const services: Record<string, ServiceReadiness> = {};
  for (const [name, manager] of Object.entries(managers)) {
    if (typeof manager?.status !== 'function') {
      throw new ConfigurationError(
        `managers.${name}`,
        'must be a TokenManager (an object with status())',
      );
    }
    const service = summarize(manager.status(), options.details === true);
    services[name] = service;
    ready &&= service.ready;
  }
  return { ready, services };
}

function summarize(status: TokenManagerStatus, details: boolean): ServiceReadiness {
  let usable = 0;
  let failing = 0;
  let backingOff = 0;
  let lastError: KeyStatus['lastError'];
  let expiresInMs: number | undefined;
  for (const key of status.keys) {
    if (key.usable) {
      usable++;
      if (key.expiresInMs !== undefined)
        expiresInMs = Math.min(expiresInMs ?? Infinity, key.expiresInMs);
    } else if (key.lastError !== undefined) {
      failing++;
    }
    if (key.backingOffUntil !== undefined) backingOff++;
    if (
      key.lastError !== undefined &&
      (lastError === undefined || key.lastError.at > lastError.at)
    ) {
      lastError = key.lastError;
    }
  }
  return {
    ready: status.ready,
    closed: status.closed,
    held: status.keys.length,
    usable,
    failing,
    backingOff,
    lastError,
    expiresInMs,
    ...(details ? { keys: status.keys } : {}),
  };
}
