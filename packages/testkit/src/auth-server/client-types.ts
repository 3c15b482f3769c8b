import type { JWK } from 'jose';

/**
 * A client that authenticates with a shared secret.
 *
 * @example
 * ```ts
 * const { clientId, clientSecret }: SecretClient = auth.clients.post;
 * ```
 */
export interface SecretClient {
  readonly clientId: string;
  /** Contains `:`, `/`, `+`, `%`, `&`, `=` and a space, so any form-urlencoding mistake fails authentication. */
  readonly clientSecret: string;
  /** A registered redirect URI, for the code flow. */
  readonly redirectUri: string;
}

/**
 * The `private_key_jwt` client: its public key is registered, the private half is here.
 *
 * @example
 * ```ts
 * const { clientId, privateKeyPem, alg, kid } = auth.clients.privateKeyJwt;
 * const key = await importPKCS8(privateKeyPem, alg); // from jose
 * ```
 */
export interface PrivateKeyJwtClient {
  readonly clientId: string;
  /** PKCS#8 PEM of the ES256 private key. */
  readonly privateKeyPem: string;
  /** The same private key as a JWK (carries `kid` and `alg`). */
  readonly privateJwk: JWK;
  readonly kid: string;
  /** `ES256`. */
  readonly alg: string;
  readonly redirectUri: string;
}

/**
 * The public client (`token_endpoint_auth_method: none`): authorization code with PKCE, and refresh.
 *
 * @example
 * ```ts
 * const { clientId, redirectUri } = auth.clients.public;
 * const { code } = await auth.authorize({ clientId, redirectUri, codeChallenge });
 * ```
 */
export interface PublicClient {
  readonly clientId: string;
  readonly redirectUri: string;
}

/**
 * The ready-made clients of a server, one per client authentication method.
 *
 * @example
 * ```ts
 * for (const client of [auth.clients.basic, auth.clients.post, auth.clients.secretJwt]) {
 *   console.log(client.clientId);
 * }
 * ```
 */
export interface ReadyClients {
  /** `client_secret_basic`; every grant. */
  readonly basic: SecretClient;
  /** `client_secret_post`; every grant. */
  readonly post: SecretClient;
  /** `client_secret_jwt` with HS256; every grant. */
  readonly secretJwt: SecretClient;
  /** `private_key_jwt` with ES256; every grant. */
  readonly privateKeyJwt: PrivateKeyJwtClient;
  /** `none`: authorization code (PKCE required) and refresh token only. */
  readonly public: PublicClient;
  /**
   * A confidential web app (`client_secret_basic`) for the code flow; also allows
   * every other grant. Same shape as `basic`, a different client.
   */
  readonly confidential: SecretClient;
}
