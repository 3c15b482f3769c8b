/** The levels Forge logs at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * An object-first logger: `logger.info({ status: 200 }, 'message')`, as
 * pino, bunyan and `console` take it. `isLevelEnabled` (pino's) lets Forge
 * skip building a line the logger would drop.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger: ForgeLogger = pino();
 * const plain: ForgeLogger = console;
 * ```
 */
export interface ForgeLogger {
  debug(fields: Record<string, unknown>, message: string): unknown;
  info(fields: Record<string, unknown>, message: string): unknown;
  warn(fields: Record<string, unknown>, message: string): unknown;
  error(fields: Record<string, unknown>, message: string): unknown;
  isLevelEnabled?(level: string): boolean;
}

/**
 * A message-first logger, as Nest's `Logger` and `LoggerService` are:
 * `log` for info, the message first and the fields after it. Told from a
 * {@link ForgeLogger} by having `log` and no `info`.
 *
 * @example
 * ```ts
 * import { Logger } from '@nestjs/common';
 * const logger: MessageFirstLogger = new Logger('Forge');
 * ```
 */
export interface MessageFirstLogger {
  log(message: unknown, ...params: unknown[]): unknown;
  warn(message: unknown, ...params: unknown[]): unknown;
  error(message: unknown, ...params: unknown[]): unknown;
  debug?(message: unknown, ...params: unknown[]): unknown;
  verbose?(message: unknown, ...params: unknown[]): unknown;
}

/** Any logger Forge writes to: pino, bunyan, `console`, Nest's `Logger`. */
export type LoggerLike = ForgeLogger | MessageFirstLogger;

/** One logger, as Forge writes to it whatever its shape. */
export interface LogSink {
  /** Whether a line at `level` would be kept (always `true` unless the logger says). */
  enabled(level: LogLevel): boolean;
  write(level: LogLevel, fields: Record<string, unknown>, message: string): void;
}

/** Whether `value` can be written to: an object-first or a message-first logger. */
export function isLogger(value: unknown): value is LoggerLike {
  if (typeof value !== 'object' || value === null) return false;
  const logger = value as Partial<ForgeLogger & MessageFirstLogger>;
  const common = typeof logger.warn === 'function' && typeof logger.error === 'function';
  return (
    common &&
    ((typeof logger.info === 'function' && typeof logger.debug === 'function') ||
      typeof logger.log === 'function')
  );
}

/**
 * The {@link LogSink} of a logger. A logger that throws never fails the
 * request or the event that was being logged.
 *
 * @example
 * ```ts
 * logSink(console).write('info', { status: 200 }, 'GET /orders 200');
 * ```
 */
export function logSink(logger: LoggerLike): LogSink {
  const objectFirst = typeof (logger as Partial<ForgeLogger>).info === 'function';
  if (objectFirst) {
    const target = logger as ForgeLogger;
    const check = target.isLevelEnabled;
    return {
      enabled: typeof check === 'function' ? (level) => check.call(target, level) : () => true,
      write(level, fields, message) {
        try {
          target[level](fields, message);
        } catch {
          // A broken logger must not break the call being logged.
        }
      },
    };
  }
  const target = logger as MessageFirstLogger;
  // Nest's Logger has no `info`: `log` is its info; `debug` may be missing from a LoggerService.
  const method = (level: LogLevel) =>
    level === 'info'
      ? target.log
      : level === 'debug'
        ? (target.debug ?? target.verbose ?? target.log)
        : target[level];
  return {
    enabled: () => true,
    write(level, fields, message) {
      try {
        method(level).call(target, message, fields);
      } catch {
        // A broken logger must not break the call being logged.
      }
    },
  };
}
