import { ConfigurationError } from '../errors.js';
import { checkDispatcher, type Dispatcher, withDispatcher } from './dispatcher.js';

/**
 * How failed token requests are retried: network errors, timeouts, 5xx and
 * 429 answers, with exponential backoff and full jitter, honouring
 * `Retry-After`. OAuth errors (4xx) are never retried.
 * @example
 * ```ts
 * new ClientCredentialsTokenProvider({ ...options, retry: { maxAttempts: 5, baseDelayMs: 100, maxTotalMs: 10_000 } });
 * ```
 */
export interface RetryOptions {
  /** Attempts in total, the first one included. Default 3. */
  readonly maxAttempts?: number;
  /** The first backoff ceiling; it doubles with each retry. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** The largest backoff ceiling. Default 5 000 ms. */
  readonly maxDelayMs?: number;
  /**
   * The budget for all attempts and waits together. A retry that could not
   * start within it is not made, and a `Retry-After` longer than what is left
   * ends the request at once. Default 30 000 ms.
   */
  readonly maxTotalMs?: number;
}

/**
 * How a provider talks to the token endpoint.
 *
 * @example
 * ```ts
 * new ClientCredentialsTokenProvider({
 *   clientId: 'svc', clientSecret: secret, tokenEndpoint: 'https://auth.example/token',
 *   timeoutMs: 5_000,
 *   retry: { maxAttempts: 4, baseDelayMs: 100, maxTotalMs: 15_000 },
 *   maxResponseBytes: 262_144,
 *   maxRetryAfterMs: 30_000,
 * });
 * ```
 */
export interface TransportOptions {
  /** Timeout of one attempt, body included. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Retry policy, or `false` for a single attempt. */
  readonly retry?: RetryOptions | false;
  /** The `fetch` to use (a proxy-aware one, or an instrumented one). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
  /**
   * An undici dispatcher every request of this provider goes through (Node
   * only): an `Agent` with `connect: { cert, key }` presents a TLS client
   * certificate, for `tls_client_auth` and certificate-bound tokens. On a
   * runtime whose `fetch` ignores dispatchers it is a `ConfigurationError`.
   */
  readonly dispatcher?: Dispatcher;
  /**
   * The largest response body read from the token endpoint (and, for a
   * provider with `issuer`, from the discovery document), in bytes. Enforced
   * while the body streams in; a larger body is a `TokenEndpointError` with
   * reason `'malformed'`. Default 1 MiB (1 048 576): a token response is a
   * few kilobytes even with an ID token in it.
   */
  readonly maxResponseBytes?: number;
  /**
   * The longest `Retry-After` honoured, in milliseconds: a longer one (or an
   * HTTP date further away) counts as this long, both for the transport's
   * own wait and for `TokenEndpointError.retryAfterMs`, which the token
   * manager waits on before its next request. Default 60 000 (one minute), so
   * one response cannot lock a service out until it restarts.
   */
  readonly maxRetryAfterMs?: number;
}

/** {@link TransportOptions} with every default applied. */
export interface ResolvedTransport {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxTotalMs: number;
  readonly fetch: typeof fetch | undefined;
  /** The `dispatcher` option; `fetch` already sends through it. */
  readonly dispatcher: Dispatcher | undefined;
  readonly maxResponseBytes: number;
  readonly maxRetryAfterMs: number;
}

/** Default of `maxResponseBytes`: 1 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
/** Default of `maxRetryAfterMs`: one minute. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/**
 * Validates a body size limit (`maxResponseBytes`): a positive whole number
 * of bytes, or `fallback` when absent.
 */
export function byteLimit(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(
      option,
      `must be a positive whole number of bytes, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

function positive(value: number | undefined, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(option, `must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}

/** Validates transport options and applies the defaults. */
export function resolveTransport(options: TransportOptions = {}): ResolvedTransport {
  const retry = options.retry === false ? { maxAttempts: 1 } : (options.retry ?? {});
  if (typeof retry !== 'object' || retry === null) {
    throw new ConfigurationError('retry', 'must be an object or `false`');
  }
  const maxAttempts = retry.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) {
    throw new ConfigurationError('retry.maxAttempts', 'must be an integer from 1 to 20');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new ConfigurationError('fetch', 'must be a fetch function');
  }
  const dispatcher = checkDispatcher(options.dispatcher);
  return {
    timeoutMs: positive(options.timeoutMs, 10_000, 'timeoutMs'),
    maxAttempts,
    baseDelayMs: positive(retry.baseDelayMs, 200, 'retry.baseDelayMs'),
    maxDelayMs: positive(retry.maxDelayMs, 5_000, 'retry.maxDelayMs'),
    maxTotalMs: positive(retry.maxTotalMs, 30_000, 'retry.maxTotalMs'),
    fetch: dispatcher ? withDispatcher(options.fetch, dispatcher) : options.fetch,
    dispatcher,
    maxResponseBytes: byteLimit(
      options.maxResponseBytes,
      DEFAULT_MAX_RESPONSE_BYTES,
      'maxResponseBytes',
    ),
    maxRetryAfterMs: positive(
      options.maxRetryAfterMs,
      DEFAULT_MAX_RETRY_AFTER_MS,
      'maxRetryAfterMs',
    ),
  };
}
