import { ConfigurationError } from '@forge/core';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';

/**
 * Options of {@link instrumentTokenManager}.
 *
 * @example
 * ```ts
 * const options: InstrumentationOptions = { tracing: false, keyAttribute: false };
 * ```
 */
export interface InstrumentationOptions {
  /** Where instruments come from; the global provider (`metrics.getMeterProvider()`) by default. */
  readonly meterProvider?: MeterProvider | undefined;
  /** Where spans go; the global provider (`trace.getTracerProvider()`) by default. */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Record metrics (default `true`). */
  readonly metrics?: boolean | undefined;
  /** Record spans (default `true`). */
  readonly tracing?: boolean | undefined;
  /**
   * Add the cache key (`forge.token.key`) to spans and to the expiry and backoff
   * gauges (default `false`). Keys are never secrets, but per-user keys make
   * one time series per user: enable it only for a few keys (tenants, scopes).
   */
  readonly keyAttribute?: boolean | undefined;
}

export interface ResolvedInstrumentationOptions {
  readonly meterProvider: MeterProvider | undefined;
  readonly tracerProvider: TracerProvider | undefined;
  readonly metrics: boolean;
  readonly tracing: boolean;
  readonly keyAttribute: boolean;
}

function flag(
  options: InstrumentationOptions,
  name: keyof InstrumentationOptions,
  fallback: boolean,
): boolean {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new ConfigurationError(name, `must be true or false (got ${typeof value})`);
  }
  return value;
}

function provider<T>(value: unknown, name: string, method: string): T | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Record<string, unknown>)[method] !== 'function'
  ) {
    throw new ConfigurationError(
      name,
      `must be an OpenTelemetry ${name === 'meterProvider' ? 'MeterProvider' : 'TracerProvider'} (an object with ${method}()), or omitted to use the global one`,
    );
  }
  return value as T;
}

export function resolveOptions(options: unknown): ResolvedInstrumentationOptions {
  if (options === undefined) {
    return {
      meterProvider: undefined,
      tracerProvider: undefined,
      metrics: true,
      tracing: true,
      keyAttribute: false,
    };
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(
      'options',
      'must be an object such as { meterProvider, tracerProvider }, or omitted',
    );
  }
  const input = options as InstrumentationOptions;
  return {
    meterProvider: provider<MeterProvider>(input.meterProvider, 'meterProvider', 'getMeter'),
    tracerProvider: provider<TracerProvider>(input.tracerProvider, 'tracerProvider', 'getTracer'),
    metrics: flag(input, 'metrics', true),
    tracing: flag(input, 'tracing', true),
    keyAttribute: flag(input, 'keyAttribute', false),
  };
}
