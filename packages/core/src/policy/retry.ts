import type { RetryDecision } from '../authorizer.js';
import { ConfigurationError } from '../errors.js';

/**
 * Decides whether a request that got a 401 is sent again, and after how long.
 * `attempt` is how many retries after a 401 this request already had (0 after
 * the first send), so a strategy bounds the total and can never loop.
 *
 * @example
 * ```ts
 * const never: AuthRetryStrategy = { decide: () => ({ retry: false, delayMs: 0 }) };
 * ```
 */
export interface AuthRetryStrategy {
  decide(attempt: number): RetryDecision;
}

const RETRY_NOW: RetryDecision = Object.freeze({ retry: true, delayMs: 0 });
const GIVE_UP: RetryDecision = Object.freeze({ retry: false, delayMs: 0 });

/** Options of {@link SimpleAuthRetryStrategy}. */
export interface SimpleAuthRetryOptions {
  /** Retries after a 401 before the 401 goes to the caller. Default 1. */
  readonly maxRetries?: number;
  /** The same wait before every retry, in milliseconds. Default 0. */
  readonly delayMs?: number;
}

/**
 * Retries `maxRetries` times (default once), each after the same `delayMs`
 * (default at once): the default strategy. The 401 after the last retry goes
 * back to the caller.
 *
 * @example
 * ```ts
 * bearer(manager, { policy: { baseURL, retry: new SimpleAuthRetryStrategy() } });
 * bearer(manager, { policy: { baseURL, retry: new SimpleAuthRetryStrategy({ maxRetries: 2, delayMs: 250 }) } });
 * ```
 */
export class SimpleAuthRetryStrategy implements AuthRetryStrategy {
  readonly maxRetries: number;
  readonly delayMs: number;
  readonly #retry: RetryDecision;

  constructor(options: SimpleAuthRetryOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError('retry', 'must be an options object { maxRetries, delayMs }');
    }
    this.maxRetries = nonNegative(options.maxRetries, 1, 'retry.maxRetries', true);
    this.delayMs = nonNegative(options.delayMs, 0, 'retry.delayMs');
    this.#retry =
      this.delayMs === 0 ? RETRY_NOW : Object.freeze({ retry: true, delayMs: this.delayMs });
  }

  decide(attempt: number): RetryDecision {
    return attempt < this.maxRetries ? this.#retry : GIVE_UP;
  }
}

/** Options of {@link ExponentialAuthRetryStrategy}. */
export interface ExponentialAuthRetryOptions {
  /** Retries after a 401 before the 401 goes to the caller. Default 3. */
  readonly maxRetries?: number;
  /** Delay before the first retry, before jitter. Default 100 ms. */
  readonly baseDelayMs?: number;
  /** Upper bound of any delay. Default 5 000 ms. */
  readonly maxDelayMs?: number;
  /** Growth factor per retry. Default 2. */
  readonly multiplier?: number;
  /**
   * `full` (default) waits a random time in `[0, delay)`, `equal` in
   * `[delay / 2, delay)`, `none` exactly `delay`.
   */
  readonly jitter?: 'full' | 'equal' | 'none';
  /** Source of randomness in `[0, 1)`, for tests. Default `Math.random`. */
  readonly random?: () => number;
}

function nonNegative(value: unknown, fallback: number, option: string, integer = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ConfigurationError(
      option,
      `must be a finite ${integer ? 'integer' : 'number'} >= 0, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Retries up to `maxRetries` times with exponentially growing, jittered delays
 * (`min(maxDelayMs, baseDelayMs * multiplier ** attempt)`), for servers that
 * take a moment to accept a freshly issued token.
 *
 * @example
 * ```ts
 * const retry = new ExponentialAuthRetryStrategy({ maxRetries: 2, baseDelayMs: 200 });
 * bearer(manager, { policy: { baseURL: 'https://api.example.com', retry } });
 * ```
 */
export class ExponentialAuthRetryStrategy implements AuthRetryStrategy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: 'full' | 'equal' | 'none';
  readonly #random: () => number;

  constructor(options: ExponentialAuthRetryOptions = {}) {
    this.maxRetries = nonNegative(options.maxRetries, 3, 'retry.maxRetries', true);
    this.baseDelayMs = nonNegative(options.baseDelayMs, 100, 'retry.baseDelayMs');
    this.maxDelayMs = nonNegative(options.maxDelayMs, 5_000, 'retry.maxDelayMs');
    this.multiplier = nonNegative(options.multiplier, 2, 'retry.multiplier');
    if (this.multiplier < 1) {
      throw new ConfigurationError('retry.multiplier', 'must be >= 1 so delays never shrink');
    }
    const jitter = options.jitter ?? 'full';
    if (jitter !== 'full' && jitter !== 'equal' && jitter !== 'none') {
      throw new ConfigurationError('retry.jitter', 'must be "full", "equal" or "none"');
    }
    this.jitter = jitter;
    if (options.random !== undefined && typeof options.random !== 'function') {
      throw new ConfigurationError('retry.random', 'must be a function returning [0, 1)');
    }
    this.#random = options.random ?? Math.random;
  }

  decide(attempt: number): RetryDecision {
    if (attempt >= this.maxRetries) return GIVE_UP;
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * this.multiplier ** attempt);
    let delayMs = cap;
    if (this.jitter === 'full') delayMs = this.#random() * cap;
    else if (this.jitter === 'equal') delayMs = cap / 2 + (this.#random() * cap) / 2;
    return { retry: true, delayMs: Math.floor(delayMs) };
  }
}

/** Whether a value can serve as an {@link AuthRetryStrategy}. */
export function isAuthRetryStrategy(value: unknown): value is AuthRetryStrategy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AuthRetryStrategy).decide === 'function'
  );
}
