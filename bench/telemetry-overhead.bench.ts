// What @forge/opentelemetry adds: the same requests through `withForge(fetch)`
// over a transport that answers at once, with the manager instrumented (the
// real OpenTelemetry SDK's MeterProvider and tracer provider, spans kept in
// memory) and not, in alternating rounds of one run. Also the cost per token
// request (a flight: `started`, one `attempt`, `refreshed`), where spans and
// counters are recorded. Prints figures and asserts nothing.
import { Token, TokenManager, type TokenProvider } from '@forge/core';
import { withForge } from '@forge/fetch';
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

const ROUNDS = 15;
const REQUESTS = 20_000;
const FLIGHTS = 2_000;
const TARGET_US = 1;
const BASE = 'http://127.0.0.1:9';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
});
// A reader, so instruments aggregate as in a real service; it exports only when asked.
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });

/** A provider that answers at once and reports one HTTP attempt, as built-in providers do. */
function provider(): TokenProvider {
  let n = 0;
  return {
    serviceName: 'bench',
    async fetchToken(_input, context) {
      const startedAt = Date.now();
      context.onAttempt?.({
        grantType: 'client_credentials',
        origin: 'https://auth.example.com',
        attempt: 1,
        status: 200,
        errorReason: undefined,
        startedAt,
        durationMs: 0,
      });
      return new Token({ accessToken: `bench-${++n}`, expiresAt: Date.now() + 3_600_000 });
    },
  };
}

const answer: typeof fetch = async () => new Response(null, { status: 200 });

function client(instrumented: boolean) {
  const manager = new TokenManager(provider());
  if (instrumented) instrumentTokenManager(manager, { meterProvider, tracerProvider });
  return { manager, send: withForge(answer, manager, { policy: { baseURL: BASE } }) };
}

interface Cost {
  readonly wall: number;
  readonly cpu: number;
}

async function cost(run: () => Promise<unknown>, count: number): Promise<Cost> {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run();
  const wall = Number(process.hrtime.bigint() - start) / 1_000 / count;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / count };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const cell = (value: number) => value.toFixed(2).padStart(7);

async function measure(
  label: string,
  off: () => Promise<unknown>,
  on: () => Promise<unknown>,
  count: number,
  target: number | undefined,
): Promise<void> {
  const plain: Cost[] = [];
  const instrumented: Cost[] = [];
  // Round -1 warms both up; the order alternates so neither always runs first.
  for (let round = -1; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const enabled of order) {
      const measured = await cost(enabled ? on : off, count);
      if (round >= 0) (enabled ? instrumented : plain).push(measured);
    }
    spans.reset();
  }
  const cpu = (costs: Cost[]) => median(costs.map((c) => c.cpu));
  const wall = (costs: Cost[]) => median(costs.map((c) => c.wall));
  const added = cpu(instrumented) - cpu(plain);
  const met = target === undefined ? '—' : added <= target ? 'yes' : '**no**';
  console.log(
    `| ${label} | ${cell(cpu(plain))} | ${cell(cpu(instrumented))} | ${cell(added)} | ${cell(wall(instrumented) - wall(plain))} | ${met} |`,
  );
}

const off = client(false);
const on = client(true);
await off.send(`${BASE}/orders`);
await on.send(`${BASE}/orders`);

console.log(
  `Cost of @forge/opentelemetry, µs (median of ${ROUNDS} alternating rounds; target: under ${TARGET_US} µs added per request)\n`,
);
console.log('| what | metrics off CPU | metrics on CPU | added CPU | added wall | met |');
console.log('| ---- | --------------- | -------------- | --------- | ---------- | --- |');
await measure(
  `request through withForge(fetch), cached token (x${REQUESTS.toLocaleString('en-US')})`,
  () => off.send(`${BASE}/orders`),
  () => on.send(`${BASE}/orders`),
  REQUESTS,
  TARGET_US,
);
await measure(
  `manager.getToken(), cached token (x${REQUESTS.toLocaleString('en-US')})`,
  () => off.manager.getToken(),
  () => on.manager.getToken(),
  REQUESTS,
  TARGET_US,
);
await measure(
  `token request: forceRefresh(), span + attempt span + counters (x${FLIGHTS.toLocaleString('en-US')})`,
  () => off.manager.forceRefresh(),
  () => on.manager.forceRefresh(),
  FLIGHTS,
  undefined,
);
// A collection, as an exporter's interval runs it: the observable instruments read status().
const COLLECTIONS = 200;
await reader.collect();
const collectCpu = process.cpuUsage();
const collectStart = process.hrtime.bigint();
for (let i = 0; i < COLLECTIONS; i++) await reader.collect();
const perCollection = Number(process.hrtime.bigint() - collectStart) / 1_000 / COLLECTIONS;
const collectUsage = process.cpuUsage(collectCpu);
const collectCpuUs = (collectUsage.user + collectUsage.system) / COLLECTIONS;
console.log(
  `\nOne metrics collection (reader.collect(), mean of ${COLLECTIONS}): ${collectCpuUs.toFixed(0)} µs CPU, ${perCollection.toFixed(0)} µs wall`,
);
await off.manager.close();
await on.manager.close();
await meterProvider.shutdown();
await tracerProvider.shutdown();
