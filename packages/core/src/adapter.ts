// What adapter authors import (`@forge/core/adapter`): the one kit every
// adapter uses. What users call stays on the main entry.
export {
  type AdapterRedirectOptions,
  type AdapterRequest,
  type AuthorizerOrManager,
  type CreateAdapterOptions,
  createAdapter,
  type FollowedRequest,
  type ForgeAdapter,
  type Sent,
} from './adapter/create-adapter.js';
export type { HeaderSource, HeaderTarget } from './adapter/headers.js';
export type { ForgeOptions, ForgeRequestOptions } from './adapter/options.js';
export type { RedirectChain, RedirectHop } from './adapter/redirects.js';
export { checkLogOptions, type LoggedExchange, type RequestLog } from './logging/request-log.js';
export {
  type BuiltService,
  type CreateServiceOptions,
  createService,
  type ServiceTarget,
  serviceTarget,
} from './service/create-service.js';
