import type { AuthServer } from '../auth-server/types.js';

/**
 * What a request to the resource server carried, handed to custom routes.
 *
 * @example
 * ```ts
 * const route: ResourceRoute = (request: ResourceRequest) => ({ body: { path: request.path } });
 * ```
 */
export interface ResourceRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON or form body, the raw text otherwise, `undefined` when empty. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The validated token's facts (never the token itself); `undefined` on public routes. */
  readonly token: TokenInfo | undefined;
}

/**
 * What the resource server learned from a valid access token.
 *
 * @example
 * ```ts
 * const route: ResourceRoute = ({ token }) => ({ body: { sub: token?.subject } });
 * ```
 */
export interface TokenInfo {
  readonly clientId: string | undefined;
  /** `sub` of a user token (code flow, password, token exchange, JWT bearer); `undefined` for client credentials. */
  readonly subject: string | undefined;
  readonly scope: string | undefined;
  readonly audience: string | readonly string[] | undefined;
  /** Grant type the token came from, such as `client_credentials`. */
  readonly grantType: string | undefined;
  /** `cnf.x5t#S256` of a certificate-bound token (RFC 8705), `undefined` for a plain bearer token. */
  readonly certificateThumbprint: string | undefined;
  /** Thumbprint of the key a DPoP-bound token is bound to (`cnf.jkt`); `undefined` for a bearer token. */
  readonly jkt?: string | undefined;
}

/**
 * What a custom route answers.
 *
 * @example
 * ```ts
 * const teapot: ResourceResponse = { status: 418, headers: { 'x-kind': 'teapot' }, body: 'short and stout' };
 * ```
 */
export interface ResourceResponse {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON unless it is a string. */
  readonly body?: unknown;
}

/**
 * A custom route handler.
 *
 * @example
 * ```ts
 * const api = await startResourceServer({ auth, routes: { 'GET /me': ({ token }) => ({ body: token }) } });
 * ```
 */
export type ResourceRoute = (
  request: ResourceRequest,
) => ResourceResponse | Promise<ResourceResponse>;

/**
 * Options of `startResourceServer`.
 *
 * @example
 * ```ts
 * const options: ResourceServerOptions = { auth, audience: 'https://api.example' };
 * const api = await startResourceServer(options);
 * ```
 */
export interface ResourceServerOptions {
  /** The authorization server whose access tokens are accepted. */
  readonly auth: AuthServer;
  /** When set, a token must carry this audience (`aud`, from `resource` or `audience`) to be accepted. */
  readonly audience?: string;
  /**
   * Extra routes, keyed `"METHOD /path"` or `"/path"` (any method), matched
   * exactly before the built-in echo. They require a valid token unless the path
   * starts with `/public/`.
   */
  readonly routes?: Readonly<Record<string, ResourceRoute>>;
  /**
   * Serve HTTPS and ask each client for a certificate (mutual TLS): the
   * server certificate is issued by `auth.mtls.ca`, so `auth` must have been
   * started with `{ mtls: true }`. On either listener a certificate-bound token
   * is accepted only with the certificate it is bound to. Default `false`.
   */
  readonly mtls?: boolean;
  /**
   * DPoP-bound tokens are always checked with their proof (signature, `typ`,
   * `htm`, `htu`, `iat`, `ath`, `jti` replay, the key's thumbprint against
   * `cnf.jkt`), and refused as Bearer. These switches add resource-server
   * nonces (`nonce: true`: one nonce until `api.rotateDpopNonce()`;
   * `'every-request'`: each nonce is good once, the next one comes on every
   * answer) and a server clock `clockOffsetSeconds` away from the real one.
   */
  readonly dpop?: {
    readonly nonce?: boolean | 'every-request';
    readonly clockOffsetSeconds?: number;
  };
}
