import { inspect } from 'node:util';
import type { TokenManager } from '@forge/core';
import { instrumentTokenManager } from '@forge/opentelemetry';
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
 * The OpenTelemetry SDK with in-memory exporters, for the leak check: every
 * manager it instruments records spans and metrics, and `text()` renders all
 * of them (names, attributes, statuses, links, data points) for the search.
 */
export function leakTelemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    instrument(manager: TokenManager<never>): void {
      instrumentTokenManager(manager, { meterProvider, tracerProvider, keyAttribute: true });
    },
    /** Every span and metric recorded so far, as text; and how many spans there were. */
    async text(): Promise<{ text: string; spans: number; points: number }> {
      await reader.forceFlush();
      const finished = spans.getFinishedSpans();
      const parts = finished.map((span) =>
        inspect(
          {
            name: span.name,
            attributes: span.attributes,
            status: span.status,
            events: span.events,
            links: span.links,
          },
          { depth: 8 },
        ),
      );
      let points = 0;
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            points += metric.dataPoints.length;
            parts.push(inspect(metric, { depth: 8 }));
          }
        }
      }
      return { text: parts.join('\n'), spans: finished.length, points };
    },
    async shutdown(): Promise<void> {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}
