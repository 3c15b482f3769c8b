import type { MaybePromise } from '../types.js';

/**
 * The client authentication methods of RFC 6749, RFC 7523, OpenID Connect and
 * RFC 8705 (mutual TLS).
 * @example
 * ```ts
 * const method: ClientAuthMethod = 'private_key_jwt';
 * new ClientCredentialsTokenProvider({ clientId: 'svc', privateKey: pem, clientAuth: method, issuer });
 * ```
 */
export type ClientAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'client_secret_jwt'
  | 'private_key_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'
  | 'none';

/**
 * The token request a {@link ClientAuth} adds its credentials to.
 * @example
 * ```ts
 * const mtls: ClientAuth = {
 *   method: 'none',
 *   clientId: 'svc',
 *   apply: ({ body }: ClientAuthRequest) => body.set('client_id', 'svc'),
 * };
 * ```
 */
export interface ClientAuthRequest {
  /** The form body; add parameters here (`client_id`, `client_assertion`, …). */
  readonly body: URLSearchParams;
  /** Request headers, names in lower case; add `authorization` here. */
  readonly headers: Record<string, string>;
  /** The token endpoint the request goes to (the default JWT audience). */
  readonly tokenEndpoint: string;
  /** The issuer, when the provider was configured with one. */
  readonly issuer?: string | undefined;
}

/**
 * How a client proves its identity at the token endpoint. Make one with
 * {@link clientSecretBasic}, {@link clientSecretPost}, {@link clientSecretJwt},
 * {@link privateKeyJwt}, {@link tlsClientAuth}, {@link selfSignedTlsClientAuth}
 * or {@link none}; the secret stays inside it and never
 * shows in `util.inspect`, `JSON.stringify` or an error.
 *
 * @example
 * ```ts
 * const auth: ClientAuth = clientSecretPost('my-client', process.env.CLIENT_SECRET!);
 * new ClientCredentialsTokenProvider({ clientAuth: auth, tokenEndpoint: 'https://auth.example/token' });
 * ```
 */
export interface ClientAuth {
  readonly method: ClientAuthMethod;
  readonly clientId: string;
  /** Adds the client's credentials to a token request. */
  apply(request: ClientAuthRequest): MaybePromise<void>;
}
