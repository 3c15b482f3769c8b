import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * The OpenTelemetry SDK, registered globally as an application would at
 * start-up. The exporters keep everything in memory so the example can show
 * what was recorded; a real service swaps them for OTLP exporters
 * (`@opentelemetry/exporter-trace-otlp-http`, `…-metrics-otlp-http`) or uses
 * `@opentelemetry/sdk-node`. `@forge/opentelemetry` needs none of this: it
 * talks to `@opentelemetry/api` only.
 */
export function startTelemetry() {
  // Node SDKs register this context manager: the active span follows each request across awaits.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 60_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    /** Collects now and returns the data points of every metric, by name. */
    async metrics(): Promise<Record<string, { attributes: object; value: unknown }[]>> {
      metricExporter.reset();
      await reader.forceFlush();
      const byName: Record<string, { attributes: object; value: unknown }[]> = {};
      for (const resource of metricExporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            byName[metric.descriptor.name] = metric.dataPoints.map(({ attributes, value }) => ({
              attributes,
              value,
            }));
          }
        }
      }
      return byName;
    },
    async shutdown(): Promise<void> {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
