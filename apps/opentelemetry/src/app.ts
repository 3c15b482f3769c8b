import type { ForgeMiddleware } from '@forge/express';
import { forgeErrorHandler } from '@forge/express';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type Express, type RequestHandler } from 'express';

/**
 * A server span per request, active while the handler runs. In a real
 * service `@opentelemetry/instrumentation-http` and `-express` do this; it is
 * written out here so the example has no auto-instrumentation to set up.
 */
const serverSpans: RequestHandler = (req, res, next) => {
  const tracer = trace.getTracer('app-opentelemetry');
  tracer.startActiveSpan(
    `${req.method} ${req.path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
    (span) => {
      res.once('finish', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      next();
    },
  );
};

/** The service: one route calling the orders API, and a readiness probe. */
export function createApp(forge: ForgeMiddleware): Express {
  const app = express();
  app.get('/ready', forge.readiness());
  app.use(serverSpans, forge);
  app.get('/orders/:id', async (req, res) => {
    // The token request (when one is needed) becomes a child of this request's span.
    const response = await req.forge.fetch('orders', `/orders/${req.params.id}`);
    res.status(response.status).json(await response.json());
  });
  app.use(forgeErrorHandler());
  return app;
}
