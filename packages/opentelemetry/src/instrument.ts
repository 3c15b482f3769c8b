import { ConfigurationError } from '@forge/core';
import { metrics, trace } from '@opentelemetry/api';
import { recordMetrics } from './metrics.js';
import { type InstrumentationOptions, resolveOptions } from './options.js';
import { recordSpans } from './spans.js';
import type { ObservedManager } from './types.js';

const SCOPE = '@forge/opentelemetry';

/**
 * What {@link instrumentTokenManager} returns: call `dispose()` to stop
 * recording (open spans end, observable callbacks are removed).
 *
 * @example
 * ```ts
 * const instrumentation: Instrumentation = instrumentTokenManager(manager);
 * instrumentation.dispose();
 * ```
 */
export interface Instrumentation {
  dispose(): void;
}

/**
 * Records metrics and spans for one token manager through
 * `@opentelemetry/api`: the SDK is yours to set up (or pass providers in
 * `options`). Without an SDK every call is a no-op. Instrument each manager
 * once; nothing recorded ever holds a token, a secret or a URL query.
 *
 * @example
 * ```ts
 * const manager = new TokenManager(provider);
 * const instrumentation = instrumentTokenManager(manager);
 * // …on shutdown:
 * instrumentation.dispose();
 * await manager.close();
 * ```
 */
export function instrumentTokenManager(
  manager: ObservedManager,
  options?: InstrumentationOptions,
): Instrumentation {
  if (
    typeof manager !== 'object' ||
    manager === null ||
    typeof manager.on !== 'function' ||
    typeof manager.status !== 'function'
  ) {
    throw new ConfigurationError(
      'manager',
      'must be a TokenManager from @forge/core (an object with on() and status())',
    );
  }
  const resolved = resolveOptions(options);
  const stops: (() => void)[] = [];
  if (resolved.metrics) {
    const meter = (resolved.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
    stops.push(recordMetrics(manager, meter, resolved));
  }
  if (resolved.tracing) {
    const tracer = (resolved.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
    stops.push(recordSpans(manager, tracer, resolved));
  }
  let disposed = false;
  return {
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const stop of stops) stop();
    },
  };
}
