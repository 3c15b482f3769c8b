import type { ErrorRequestHandler } from 'express';
import { PROBLEM_CONTENT_TYPE, ServiceAuthorizationError } from './problem.js';

/**
 * Express error middleware answering `ServiceAuthorizationError`s with their
 * status and an `application/problem+json` body that names the service and
 * carries no secret. Other errors go on to the next error handler. Mount it
 * after your routes.
 *
 * @example
 * ```ts
 * app.use(forgeErrorHandler());
 * ```
 */
export function forgeErrorHandler(): ErrorRequestHandler {
  return (error, _req, res, next) => {
    if (!(error instanceof ServiceAuthorizationError) || res.headersSent) {
      next(error);
      return;
    }
    res.status(error.status);
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
    res.end(JSON.stringify(error.problem));
  };
}
