import type { AuthServer } from '../auth-server/start-auth-server.js';

/** What an authenticated request to the resource server carried, handed to custom routes. */
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

/** What the resource server learned from a valid access token. */
export interface TokenInfo {
  readonly clientId: string | undefined;
  /** `sub` of a user token (code flow, password, token exchange, JWT bearer); `undefined` for client credentials. */
  readonly subject: string | undefined;
  readonly scope: string | undefined;
  readonly audience: string | readonly string[] | undefined;
  /** Grant type the token came from, such as `client_credentials`. */
  readonly grantType: string | undefined;
}

/** What a custom route answers. */
export interface ResourceResponse {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON unless it is a string. */
  readonly body?: unknown;
}

/** A custom route handler. */
export type ResourceRoute = (
  request: ResourceRequest,
) => ResourceResponse | Promise<ResourceResponse>;

/** Options of {@link startResourceServer}. */
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
}
