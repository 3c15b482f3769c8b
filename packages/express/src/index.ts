export { forgeErrorHandler } from './error-handler.js';
export type { ForgeFetchInit } from './fetch.js';
export { createForge, type ForgeMiddleware, forge } from './forge.js';
export {
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  type ProblemKind,
  ServiceAuthorizationError,
} from './problem.js';
export type { ForgeProxyOptions } from './proxy.js';
export { type ForgeReadinessOptions, forgeReadiness } from './readiness.js';
export { forgeRequest } from './request.js';
export type {
  ForgeExchangeServiceOptions,
  ForgeMiddlewareOptions,
  ForgeRequestContext,
  ForgeServiceOptions,
  SubjectTokenInput,
} from './types.js';
