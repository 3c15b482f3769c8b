import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * The SDK as a user would set it up, with in-memory exporters: spans as they
 * end, metrics on demand. The AsyncLocalStorage context manager is what Node
 * SDKs register, so the active span follows the request across awaits.
 */
export function telemetry() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });

  /** Collects now and returns every metric by name. */
  async function collect(): Promise<Map<string, MetricData>> {
    exporter.reset();
    await reader.forceFlush();
    const byName = new Map<string, MetricData>();
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
    }
    return byName;
  }

  return {
    tracerProvider,
    meterProvider,
    spans: (): ReadableSpan[] => spans.getFinishedSpans(),
    collect,
    reset: () => spans.reset(),
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      context.disable();
    },
  };
}

/** The data points of a metric whose attributes include `match`. */
export function points(
  metric: MetricData | undefined,
  match: Record<string, unknown> = {},
): DataPoint<unknown>[] {
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<unknown>[]).filter((point) =>
    Object.entries(match).every(([name, value]) => point.attributes[name] === value),
  );
}

/** The sum of a counter's points whose attributes include `match`. */
export function total(metric: MetricData | undefined, match: Record<string, unknown> = {}): number {
  return points(metric, match).reduce((sum, point) => sum + (point.value as number), 0);
}
