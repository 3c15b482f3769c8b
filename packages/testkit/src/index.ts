export type { AuthorizeLogin, AuthorizeOptions, AuthorizeResult } from './auth-server/authorize.js';
export type {
  PrivateKeyJwtClient,
  PublicClient,
  ReadyClients,
  SecretClient,
} from './auth-server/client-types.js';
export type { TokenRequestFilter, TokenRequestRecord } from './auth-server/counters.js';
export type { FaultMode, FaultOptions, FaultSwitch } from './auth-server/faults.js';
export { TokenType } from './auth-server/grants/token-types.js';
export type { TestKeyPair } from './auth-server/keys.js';
export type {
  AuthServerOptions,
  ResolvedAuthServerOptions,
  TestUser,
} from './auth-server/options.js';
export { DEFAULT_USERS } from './auth-server/options.js';
export { startAuthServer } from './auth-server/start-auth-server.js';
export type { MintJwtOptions, TrustedIssuer } from './auth-server/trusted-issuer.js';
export type {
  AuthServer,
  ClientRegistration,
  JwtBearerKit,
  TokenExchangeKit,
} from './auth-server/types.js';
export type { TestCertificate } from './mtls/certificates.js';
export type { MtlsClient, MtlsClients, MtlsKit } from './mtls/kit.js';
export type { ResourceRequestFilter, ResourceRequestRecord } from './resource-server/counters.js';
export type {
  ResourceRequest,
  ResourceResponse,
  ResourceRoute,
  ResourceServerOptions,
  TokenInfo,
} from './resource-server/options.js';
export {
  type ResourceServer,
  startResourceServer,
} from './resource-server/start-resource-server.js';
export { TestkitError } from './shared/errors.js';
