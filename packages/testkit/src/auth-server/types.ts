import type { MtlsKit } from '../mtls/kit.js';
import type { AuthorizeLogin, AuthorizeOptions, AuthorizeResult } from './authorize.js';
import type { ReadyClients } from './client-types.js';
import type { TokenRequestFilter, TokenRequestRecord } from './counters.js';
import type { FaultSwitch } from './faults.js';
import type { TokenType } from './grants/token-types.js';
import type { ResolvedAuthServerOptions, TestUser } from './options.js';
import type { TrustedIssuer } from './trusted-issuer.js';

/**
 * Metadata for {@link AuthServer.registerClient}: oidc-provider client metadata,
 * snake_case (`client_secret`, `grant_types`, `token_endpoint_auth_method`, …);
 * oidc-provider validates it. Typed loosely on purpose: oidc-provider's own types
 * pull in Koa's, which clash with Express 5's in a strict project.
 *
 * @example
 * ```ts
 * const metadata: ClientRegistration = { client_id: 'extra', client_secret: 'extra-secret' };
 * await auth.registerClient(metadata);
 * ```
 */
export interface ClientRegistration {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly grant_types?: readonly string[];
  readonly token_endpoint_auth_method?: string;
  readonly [field: string]: unknown;
}

/**
 * The token-exchange side of the server: what a test needs to exchange a subject token.
 *
 * @example
 * ```ts
 * const subjectToken = await auth.tokenExchange.createSubjectToken({ subject: 'user-42' });
 * ```
 */
export interface TokenExchangeKit {
  /** RFC 8693 token type identifiers accepted as `subject_token_type`. */
  readonly tokenTypes: typeof TokenType;
  /** Mints a JWT subject token (type `urn:ietf:params:oauth:token-type:jwt`) the server accepts. */
  createSubjectToken(options: Parameters<TrustedIssuer['mint']>[0]): Promise<string>;
  /** The external issuer whose JWTs are accepted as subject tokens. */
  readonly trustedIssuer: TrustedIssuer;
}

/**
 * The JWT bearer (RFC 7523) side of the server.
 *
 * @example
 * ```ts
 * const assertion = await auth.jwtBearer.createAssertion({ subject: 'service-7' });
 * ```
 */
export interface JwtBearerKit {
  /** Mints an assertion the server accepts for `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`. */
  createAssertion(options: Parameters<TrustedIssuer['mint']>[0]): Promise<string>;
  /** The external issuer whose assertions are accepted (`iss`, key pair). */
  readonly trustedIssuer: TrustedIssuer;
}

/**
 * A running authorization server. See {@link startAuthServer}.
 *
 * @example
 * ```ts
 * const auth: AuthServer = await startAuthServer();
 * console.log(auth.issuer, auth.tokenEndpoint);
 * await auth.close();
 * ```
 */
export interface AuthServer {
  /** `http://127.0.0.1:PORT`; discovery at `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly authorizationEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly revocationEndpoint: string;
  readonly jwksUri: string;
  /** The redirect URI registered on every ready-made client; it answers with the query as JSON. */
  readonly redirectUri: string;
  /** One ready-made client per client authentication method. */
  readonly clients: ReadyClients;
  readonly users: readonly TestUser[];
  /** The options in force, defaults applied. */
  readonly options: ResolvedAuthServerOptions;
  /** Registers another client at runtime; unset metadata defaults to the ready-made clients' (every grant, the shared redirect URI). */
  registerClient(metadata: ClientRegistration): Promise<void>;
  readonly jwtBearer: JwtBearerKit;
  readonly tokenExchange: TokenExchangeKit;
  /** Runs the authorization endpoint headlessly (sign-in and consent included) and returns the code it redirects with. */
  authorize(
    request: AuthorizeOptions | string | URL,
    login?: AuthorizeLogin,
  ): Promise<AuthorizeResult>;
  /** The mutual-TLS listener, certificates and clients, when started with `{ mtls: true }`; otherwise `undefined`. */
  readonly mtls: MtlsKit | undefined;
  /** Fault switch on the token endpoint. */
  readonly faults: FaultSwitch;
  /** Token-endpoint requests so far (faulted ones included), optionally for one client id or matching a filter. */
  tokenRequests(filter?: string | TokenRequestFilter): number;
  /** Token-endpoint requests so far per `grant_type`. */
  tokenRequestsByGrantType(): Record<string, number>;
  /** Every token-endpoint request so far, oldest first. Holds no secret or token. */
  tokenRequestLog(): readonly TokenRequestRecord[];
  /** Zeroes every counter. */
  resetCounters(): void;
  /**
   * Revokes an access or refresh token as the server's revocation endpoint would, without
   * client authentication; revoking a refresh token also revokes the access tokens of its grant.
   * Resolves `true` when the token was found.
   */
  revokeToken(token: string): Promise<boolean>;
  /**
   * The underlying oidc-provider instance, for anything the testkit does not
   * cover. Typed `unknown` so the testkit's types need none of oidc-provider's
   * (see {@link ClientRegistration}): cast it to `import('oidc-provider').Provider`.
   */
  readonly provider: unknown;
  /** Stops listening and drops every connection, hung requests included. Idempotent. */
  close(): Promise<void>;
}
