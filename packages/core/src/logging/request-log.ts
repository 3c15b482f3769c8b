import type { Sent } from '../adapter/create-adapter.js';
import { type HeaderSource, headerRecord } from '../adapter/headers.js';
import { ConfigurationError } from '../errors.js';
import { createRedactor, isTextType, type Redactor } from '../redact.js';
import { isLogger, type LoggerLike, type LogLevel, type LogSink, logSink } from './logger.js';

/**
 * Request logging of an adapter (`ForgeOptions.log`): one line per request
 * sent, with method, redacted URL, status, duration and attempt.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 *
 * const log: RequestLogOptions = {
 *   logger: pino(),
 *   headers: true, // default false
 *   sensitiveKeys: ['x-session-id'], // added to SENSITIVE_KEYS
 * };
 * const api = withForge(client, manager, { log });
 * ```
 */
export interface RequestLogOptions {
  /** pino, bunyan, `console`, Nest's `Logger`: any {@link LoggerLike}. */
  readonly logger: LoggerLike;
  /** Log request and response headers, sensitive ones redacted. Default `false`. */
  readonly headers?: boolean | undefined;
  /**
   * Log request and response bodies (JSON and forms with sensitive properties
   * redacted, other text redacted as text, cut at 4 KiB; streams are named,
   * not read). Default `false`.
   */
  readonly bodies?: boolean | undefined;
  /** Names redacted in headers, query strings and bodies, besides `SENSITIVE_KEYS`. */
  readonly sensitiveKeys?: readonly string[] | undefined;
  /**
   * The level of a request answered below 400; 4xx are `warn`, 5xx and
   * failures to send are `error`. Default `info`.
   */
  readonly level?: LogLevel | undefined;
}

/** One request as an adapter logs it, once it was answered or failed. */
export interface LoggedExchange {
  /** From {@link RequestLog.start}, taken just before the request was sent. */
  readonly startedAt: number;
  readonly method: string;
  readonly url: string;
  /** What Forge authorized the request with: its attempt, and the header values to keep out. */
  readonly sent?: Sent | undefined;
  readonly requestHeaders?: HeaderSource;
  readonly requestBody?: unknown;
  readonly status?: number | undefined;
  readonly responseHeaders?: HeaderSource;
  /**
   * The response body as the client holds it (text, bytes, parsed JSON), or
   * a fetch `Response`, whose clone is read (at most 4 KiB) when bodies are
   * logged, delaying the line and not the caller.
   */
  readonly responseBody?: unknown;
}

/**
 * The request log of one installed client (`ForgeAdapter.log`), `undefined`
 * when no logger was set: adapters test it once and pay nothing more.
 */
export interface RequestLog {
  /** Whether bodies are logged: read a response body for {@link LoggedExchange} only then. */
  readonly bodies: boolean;
  /** A start time for {@link LoggedExchange.startedAt}. */
  start(): number;
  /** Logs a request that got an answer (`status`), or failed without one (`error`). */
  exchange(exchange: LoggedExchange, error?: unknown): void;
}

const LEVELS = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);
const OPTIONS = new Set(['logger', 'headers', 'bodies', 'sensitiveKeys', 'level']);
const SCHEME = /^[A-Za-z][A-Za-z0-9-]*\s+/;

/** Validates `ForgeOptions.log` (or a service's `log`); `option` names it in errors. */
export function checkLogOptions(
  value: unknown,
  pkg: string,
  option = 'log',
): RequestLogOptions | undefined {
  if (value === undefined) return undefined;
  const fail = (at: string, problem: string) =>
    new ConfigurationError(at, problem, { package: pkg });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(option, 'must be request log options, e.g. { logger: pino(), headers: false }');
  }
  for (const name of Object.keys(value)) {
    if (!OPTIONS.has(name)) {
      throw fail(
        `${option}.${name}`,
        'is not a log option; the options are logger, headers, bodies, sensitiveKeys and level',
      );
    }
  }
  const { logger, headers, bodies, sensitiveKeys, level } = value as RequestLogOptions;
  if (!isLogger(logger)) {
    throw fail(
      `${option}.logger`,
      "must be a logger with info/debug/warn/error(fields, message) (pino, bunyan, console) or Nest's Logger (log/warn/error)",
    );
  }
  for (const [name, flag] of [
    ['headers', headers],
    ['bodies', bodies],
  ] as const) {
    if (flag !== undefined && typeof flag !== 'boolean') {
      throw fail(`${option}.${name}`, 'must be true or false');
    }
  }
  if (
    sensitiveKeys !== undefined &&
    (!Array.isArray(sensitiveKeys) ||
      !sensitiveKeys.every((key) => typeof key === 'string' && key !== ''))
  ) {
    throw fail(`${option}.sensitiveKeys`, "must be an array of names, e.g. ['x-session-id']");
  }
  if (level !== undefined && !LEVELS.has(level)) {
    throw fail(`${option}.level`, "must be 'debug', 'info', 'warn' or 'error'");
  }
  return value as RequestLogOptions;
}

// The values an authorization put on the request, and the credential inside
// each (`Bearer abc` → `abc`): kept out of whatever else is logged.
function secretsOf(sent: Sent | undefined): string[] {
  if (sent === undefined) return [];
  const secrets: string[] = [];
  for (const value of Object.values(sent.authorization.headers)) {
    secrets.push(value, value.replace(SCHEME, ''));
  }
  return secrets;
}

function isFetchResponse(value: unknown): value is Response {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Response).clone === 'function' &&
    typeof (value as Response).bodyUsed === 'boolean'
  );
}

const READ_LIMIT = 4096;

// At most READ_LIMIT bytes of a clone: the caller's body is left whole.
async function readClone(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  if (response.body === null || response.bodyUsed) return undefined;
  if (!isTextType(type)) return '[not text]';
  const reader = (response.clone().body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size <= READ_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

function errorFields(error: unknown, redactor: Redactor, secrets: string[]) {
  const failure = error as { name?: unknown; code?: unknown; message?: unknown } | null;
  return {
    name: typeof failure?.name === 'string' ? failure.name : 'Error',
    ...(typeof failure?.code === 'string' ? { code: failure.code } : {}),
    message: redactor.text(String(failure?.message ?? error), secrets),
  };
}

/**
 * The {@link RequestLog} for `options`, or `undefined` for none.
 *
 * @example
 * ```ts
 * const log = createRequestLog({ logger: pino() }, 'my-client');
 * const startedAt = log?.start();
 * // … send, then:
 * log?.exchange({ startedAt, method: 'GET', url, status: response.status, sent });
 * ```
 */
export function createRequestLog(
  options: RequestLogOptions | undefined,
  client: string,
): RequestLog | undefined {
  if (options === undefined) return undefined;
  const sink: LogSink = logSink(options.logger);
  const redactor = createRedactor(options.sensitiveKeys);
  const success = options.level ?? 'info';
  const headers = options.headers === true;
  const bodies = options.bodies === true;

  const write = (
    exchange: LoggedExchange,
    error: unknown,
    responseBody: unknown,
    endedAt: number,
  ) => {
    const { status, sent } = exchange;
    const level: LogLevel =
      error !== undefined || status === undefined || status >= 500
        ? 'error'
        : status >= 400
          ? 'warn'
          : success;
    if (!sink.enabled(level)) return;
    const durationMs = Math.round((endedAt - exchange.startedAt) * 1000) / 1000;
    const method = exchange.method.toUpperCase();
    const url = redactor.url(exchange.url);
    const fields: Record<string, unknown> = {
      client,
      method,
      url,
      status,
      durationMs,
      attempt: sent?.request.attempt ?? 0,
      authorized: sent !== undefined,
    };
    // The values Forge set are kept out of every other header and body.
    const secrets = headers || bodies || error !== undefined ? secretsOf(sent) : [];
    if (headers) {
      fields.requestHeaders = redactor.headers(headerRecord(exchange.requestHeaders), secrets);
      if (exchange.responseHeaders !== undefined) {
        fields.responseHeaders = redactor.headers(headerRecord(exchange.responseHeaders), secrets);
      }
    }
    if (bodies) {
      const sentType = headerRecord(exchange.requestHeaders)['content-type'];
      const receivedType = headerRecord(exchange.responseHeaders)['content-type'];
      const requestBody = redactor.body(exchange.requestBody, sentType, secrets);
      if (requestBody !== undefined) fields.requestBody = requestBody;
      const received = redactor.body(responseBody, receivedType, secrets);
      if (received !== undefined) fields.responseBody = received;
    }
    let message: string;
    if (error !== undefined) {
      const failure = errorFields(error, redactor, secrets);
      fields.error = failure;
      message = `${method} ${url} failed: ${failure.message}`;
    } else {
      message = `${method} ${url} ${status} (${durationMs} ms)`;
    }
    sink.write(level, fields, message);
  };

  return {
    bodies,
    start: () => performance.now(),
    exchange(exchange, error) {
      const endedAt = performance.now();
      const { responseBody } = exchange;
      if (bodies && isFetchResponse(responseBody)) {
        // The line waits for the copy of the body; the caller does not.
        readClone(responseBody).then(
          (body) => write(exchange, error, body, endedAt),
          () => write(exchange, error, '[unreadable]', endedAt),
        );
        return;
      }
      write(exchange, error, bodies ? responseBody : undefined, endedAt);
    },
  };
}
