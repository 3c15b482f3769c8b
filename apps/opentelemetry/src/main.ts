import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, logEvents, TokenManager } from '@forge/core';
import { createForge } from '@forge/express';
import { instrumentTokenManager } from '@forge/opentelemetry';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import pino from 'pino';
import { createApp } from './app.js';
import { startTelemetry } from './telemetry.js';

/** What one run of the example observed. */
export interface OpenTelemetryExampleResult {
  readonly statuses: readonly number[];
  readonly ready: { status: number; body: unknown };
  /** Each span as `name <- parent name` (`<- root` for a root span). */
  readonly spans: readonly string[];
  readonly metrics: Record<string, { attributes: object; value: unknown }[]>;
  /** What pino wrote: Forge's request lines and the token manager's events. */
  readonly log: readonly Record<string, unknown>[];
}

/**
 * Starts a local authorization server and API, the OpenTelemetry SDK and the
 * app; calls the route three times (the first waits for a token, the second
 * finds it cached, the third follows a 401 after the token was revoked), then
 * the readiness probe, and reports the spans and metrics recorded.
 */
export async function main(): Promise<OpenTelemetryExampleResult> {
  const telemetry = startTelemetry();
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  const manager = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      tokenEndpoint: auth.tokenEndpoint,
    }),
  );
  // The global providers registered by startTelemetry(): no options needed.
  const instrumentation = instrumentTokenManager(manager);
  // pino beside OpenTelemetry: a line per outbound request and per token
  // event, never a token. A real service hands pino its own destination.
  const log: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => log.push(JSON.parse(line)) });
  const stopLogging = logEvents(manager, logger);
  const forge = createForge({
    services: { orders: { manager, baseURL: api.url } },
    log: { logger },
  });
  const server = createApp(forge).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const statuses: number[] = [];
    for (const id of [1, 2]) statuses.push((await fetch(`${url}/orders/${id}`)).status);
    await auth.revokeToken((await manager.getToken()).accessToken);
    statuses.push((await fetch(`${url}/orders/3`)).status);
    const probe = await fetch(`${url}/ready`);
    const ready = { status: probe.status, body: await probe.json() };

    const finished = telemetry.spans.getFinishedSpans();
    const nameOf = new Map(finished.map((span) => [span.spanContext().spanId, span.name]));
    const spans = finished.map(
      (span) =>
        `${span.name} <- ${span.parentSpanContext ? nameOf.get(span.parentSpanContext.spanId) : 'root'}`,
    );
    return { statuses, ready, spans, metrics: await telemetry.metrics(), log };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    instrumentation.dispose();
    stopLogging();
    await manager.close();
    await api.close();
    await auth.close();
    await telemetry.shutdown();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main();
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.statuses.every((status) => status === 200) ? 0 : 1;
}
