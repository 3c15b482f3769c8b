import { ConfigurationError } from '../errors.js';
import type { TokenManagerEvents, TokenManagerListener } from '../manager/events.js';
import { redact } from '../redact.js';
import { isLogger, type LoggerLike, type LogLevel, logSink } from './logger.js';

/** What {@link logEvents} needs of a token manager: its `on`. */
export interface TokenEventSource {
  on<E extends keyof TokenManagerEvents>(event: E, listener: TokenManagerListener<E>): () => void;
}

/**
 * The events {@link logEvents} writes. The others (`started`, `attempt`,
 * `reused`, `closed`) describe every flight and cache hit, for metrics and
 * traces (`@forge/opentelemetry`), not for a log.
 */
export type LoggedTokenEvent = 'fetched' | 'refreshed' | 'invalidated' | 'storageError' | 'failed';

/** The level of each manager event in {@link logEvents}; `false` leaves an event out. */
export type TokenEventLevels = {
  readonly [E in LoggedTokenEvent]?: LogLevel | false;
};

/**
 * A token obtained while none was usable is news (`info`); a routine renewal
 * ahead of expiry is not (`debug`); a token dropped after a 401 is (`info`);
 * a storage falling back to a miss is degraded service (`warn`); a token that
 * could not be obtained fails requests (`error`).
 */
const DEFAULT_LEVELS: Readonly<Record<LoggedTokenEvent, LogLevel>> = {
  fetched: 'info',
  refreshed: 'debug',
  invalidated: 'info',
  storageError: 'warn',
  failed: 'error',
};

function errorFields(error: {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly status?: number | undefined;
  readonly error?: unknown;
}) {
  return {
    name: error.name,
    code: error.code,
    ...(typeof error.status === 'number' ? { status: error.status } : {}),
    // The OAuth `error` code of a token endpoint's answer (`invalid_client`, …).
    ...(typeof error.error === 'string' ? { oauthError: error.error } : {}),
    // Events carry redacted errors already; this is the last line of defence.
    message: redact(error.message),
  };
}

/**
 * Writes a token manager's events to a logger (pino, bunyan, `console`,
 * Nest's `Logger`): `fetched` and `invalidated` at `info`, `refreshed` at
 * `debug`, `storageError` at `warn`, `failed` at `error`, unless `levels`
 * says otherwise. Lines carry the service, key, duration, expiry and the
 * error's class and code; never a token. Returns a function that stops it.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { logEvents, TokenManager } from '@forge/core';
 *
 * const manager = new TokenManager(provider);
 * const stop = logEvents(manager, pino(), { refreshed: 'info' });
 * // later
 * stop();
 * ```
 */
export function logEvents(
  manager: TokenEventSource,
  logger: LoggerLike,
  levels: TokenEventLevels = {},
): () => void {
  if (typeof manager !== 'object' || manager === null || typeof manager.on !== 'function') {
    throw new ConfigurationError(
      'manager',
      'must be a TokenManager (an object with on(event, listener))',
    );
  }
  if (!isLogger(logger)) {
    throw new ConfigurationError(
      'logger',
      "must be a logger with info/debug/warn/error(fields, message) (pino, bunyan, console) or Nest's Logger (log/warn/error)",
    );
  }
  if (typeof levels !== 'object' || levels === null) {
    throw new ConfigurationError('levels', "must map events to levels, e.g. { refreshed: 'info' }");
  }
  const sink = logSink(logger);
  const level = (event: LoggedTokenEvent): LogLevel | false => {
    const chosen = levels[event];
    return chosen === undefined ? DEFAULT_LEVELS[event] : chosen;
  };
  const stops: (() => void)[] = [];
  const listen = <E extends LoggedTokenEvent>(
    event: E,
    line: (payload: TokenManagerEvents[E]) => [Record<string, unknown>, string],
  ) => {
    const at = level(event);
    if (at === false) return;
    stops.push(
      manager.on(event, (payload) => {
        if (!sink.enabled(at)) return;
        const [fields, message] = line(payload);
        sink.write(
          at,
          { event, serviceName: payload.serviceName, key: payload.key, ...fields },
          message,
        );
      }),
    );
  };
  const obtained = (verb: string) => (payload: TokenManagerEvents['fetched']) =>
    [
      { durationMs: payload.durationMs, expiresAt: payload.expiresAt?.toISOString() },
      `token ${verb} for ${payload.serviceName} (${payload.durationMs} ms)`,
    ] as [Record<string, unknown>, string];
  listen('fetched', obtained('fetched'));
  listen('refreshed', obtained('refreshed'));
  listen('invalidated', (payload) => [{}, `token invalidated for ${payload.serviceName}`]);
  listen('storageError', (payload) => [
    { operation: payload.operation, error: errorFields(payload.error) },
    `token storage ${payload.operation} failed for ${payload.serviceName}: ${redact(payload.error.message)}`,
  ]);
  listen('failed', (payload) => [
    { durationMs: payload.durationMs, error: errorFields(payload.error) },
    `token request failed for ${payload.serviceName}: ${redact(payload.error.message)}`,
  ]);
  return () => {
    for (const stop of stops.splice(0)) stop();
  };
}
