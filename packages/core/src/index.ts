export type { ForgeOptions, ForgeRequestOptions } from './adapter/options.js';
export {
  type BearerAuthorizer,
  type BearerOptions,
  type BearerTokenSource,
  bearer,
} from './auth/bearer.js';
export {
  RequestAuthorizationError,
  type RequestAuthorizationErrorOptions,
  type RequestDescription,
} from './auth/request-error.js';
export type {
  Authorization,
  AuthorizationRequest,
  Authorizer,
  ResponseHeaderLookup,
  RetryDecision,
  UnauthorizedResponse,
} from './authorizer.js';
export {
  type ClientSecretJwtOptions,
  clientSecretJwt,
  type JwtClientAuthOptions,
  type PrivateKeyJwtOptions,
  privateKeyJwt,
} from './client-auth/jwt-methods.js';
export type { AsymmetricAlgorithm, SigningKey } from './client-auth/keys.js';
export { clientSecretBasic, clientSecretPost, none } from './client-auth/secret-methods.js';
export { selfSignedTlsClientAuth, tlsClientAuth } from './client-auth/tls-methods.js';
export type { ClientAuth, ClientAuthMethod, ClientAuthRequest } from './client-auth/types.js';
export {
  DPoP,
  type DPoPOptions,
  type DPoPProofRequest,
  type DPoPResponseHeaders,
} from './dpop/dpop.js';
export {
  type DPoPAlgorithm,
  type DPoPJwk,
  type DPoPKeyInput,
  generateDPoPKeyPair,
  jwkThumbprint,
} from './dpop/key.js';
export {
  AuthenticationError,
  type AuthenticationErrorDetails,
  ConfigurationError,
  ForgeError,
  ForgeErrorCode,
  type ForgeErrorOptions,
  isForgeError,
  StorageError,
  TokenEndpointError,
  type TokenEndpointErrorDetails,
} from './errors.js';
export {
  type LoggedTokenEvent,
  logEvents,
  type TokenEventLevels,
  type TokenEventSource,
} from './logging/log-events.js';
export type {
  ForgeLogger,
  LoggerLike,
  LogLevel,
  MessageFirstLogger,
} from './logging/logger.js';
export type { RequestLogOptions } from './logging/request-log.js';
export type {
  StorageErrorEvent,
  TokenFailedEvent,
  TokenInvalidatedEvent,
  TokenManagerClosedEvent,
  TokenManagerEvents,
  TokenManagerListener,
  TokenObtainedEvent,
  TokenRequestAttemptEvent,
  TokenRequestReason,
  TokenRequestStartedEvent,
  TokenReusedEvent,
} from './manager/events.js';
export type {
  BackoffOptions,
  RefreshAheadOptions,
  TokenManagerOptions,
} from './manager/options.js';
export {
  checkReadiness,
  type Readiness,
  type ServiceReadiness,
  type StatusSource,
} from './manager/readiness.js';
export type { KeyStatus, TokenManagerStatus } from './manager/status.js';
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
  type ExponentialAuthRetryOptions,
  ExponentialAuthRetryStrategy,
  isAuthRetryStrategy,
  type SimpleAuthRetryOptions,
  SimpleAuthRetryStrategy,
} from './policy/retry.js';
export {
  type AuthorizationServerMetadata,
  DiscoveryCache,
  type DiscoveryOptions,
  discoverAuthorizationServer,
} from './protocol/discovery.js';
export {
  type ParseOptions,
  type PreviousGrant,
  parseTokenResponse,
  type RawTokenResponse,
} from './protocol/token-response.js';
export type { TokenProvider, TokenRequestAttempt, TokenRequestContext } from './provider.js';
export {
  AuthorizationCodeFlow,
  type AuthorizationCodeOptions,
  type AuthorizationRequestState,
  type AuthorizationUrlParams,
  type CodeExchangeParams,
  type UserTokenManager,
} from './providers/authorization-code.js';
export {
  type ClientCredentialsInput,
  type ClientCredentialsOptions,
  ClientCredentialsTokenProvider,
} from './providers/client-credentials.js';
export { type GrantTypeOptions, GrantTypeTokenProvider } from './providers/grant-type.js';
export {
  type AssertionContext,
  type AssertionSigner,
  type JwtBearerOptions,
  JwtBearerTokenProvider,
} from './providers/jwt-bearer.js';
export { type GrantParams, OAuth2TokenProvider } from './providers/oauth2-provider.js';
export type { OAuthClientOptions, ParamValue } from './providers/options.js';
export { type PasswordGrantOptions, PasswordGrantTokenProvider } from './providers/password.js';
export { createPkce } from './providers/pkce.js';
export { type RefreshTokenOptions, RefreshTokenProvider } from './providers/refresh.js';
export {
  type TokenExchangeInput,
  type TokenExchangeOptions,
  TokenExchangeProvider,
  TokenTypeUri,
} from './providers/token-exchange.js';
export {
  createRedactor,
  REDACTED,
  type Redactor,
  redact,
  redactUrl,
  SENSITIVE_KEYS,
} from './redact.js';
export type {
  ClientCredentialsProviderConfig,
  ForgeServiceConfig,
  ForgeServicePolicy,
} from './service/config.js';
export {
  InMemoryTokenStorage,
  type InMemoryTokenStorageOptions,
} from './storage/in-memory-storage.js';
export {
  type StorageCapabilities,
  storageCapabilities,
  type TokenLock,
  type TokenStorage,
} from './storage.js';
export { isToken, Token, type TokenInit, type TokenJSON } from './token.js';
export type { Dispatcher } from './transport/dispatcher.js';
export type { RetryOptions, TransportOptions } from './transport/options.js';
export type { MaybePromise } from './types.js';
