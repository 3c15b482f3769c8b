export {
  type AuthorizerOrManager,
  authorizeRequest,
  isReplayableBody,
  mayForwardCredentials,
  resolveAuthorizer,
  retryAfterUnauthorized,
} from './auth/adapter-kit.js';
export { type BearerAuthorizer, type BearerTokenSource, bearer } from './auth/bearer.js';
export {
  RequestAuthorizationError,
  type RequestAuthorizationErrorOptions,
  type RequestDescription,
  requestError,
} from './auth/request-error.js';
export type {
  Authorization,
  AuthorizationRequest,
  Authorizer,
  RetryDecision,
  UnauthorizedResponse,
} from './authorizer.js';
export {
  AuthenticationError,
  type AuthenticationErrorDetails,
  ConfigurationError,
  ForgeError,
  ForgeErrorCode,
  type ForgeErrorOptions,
  StorageError,
  TokenEndpointError,
  type TokenEndpointErrorDetails,
} from './errors.js';
export type {
  StorageErrorEvent,
  TokenFailedEvent,
  TokenInvalidatedEvent,
  TokenManagerEvents,
  TokenManagerListener,
  TokenObtainedEvent,
} from './manager/events.js';
export type {
  BackoffOptions,
  RefreshAheadOptions,
  TokenManagerOptions,
} from './manager/options.js';
export { TokenManager } from './manager/token-manager.js';
export { compilePathGlob } from './policy/glob.js';
export {
  createRequestPolicy,
  isRequestPolicy,
  type RequestPolicy,
  type RequestPolicyOptions,
} from './policy/request-policy.js';
export {
  type AuthRetryStrategy,
  ExponentialAuthRetryStrategy,
  type ExponentialAuthRetryOptions,
  isAuthRetryStrategy,
  SimpleAuthRetryStrategy,
} from './policy/retry.js';
export type { TokenProvider, TokenRequestContext } from './provider.js';
export { REDACTED, redact, redactUrl } from './redact.js';
export type { TokenLock, TokenStorage } from './storage.js';
export {
  InMemoryTokenStorage,
  type InMemoryTokenStorageOptions,
} from './storage/in-memory-storage.js';
export { isToken, Token, type TokenInit, type TokenJSON } from './token.js';
export type { MaybePromise } from './types.js';
