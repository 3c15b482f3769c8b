import { randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { ClientAuthMethod, ClientMetadata } from 'oidc-provider';
import { JWT_BEARER_GRANT } from './grants/jwt-bearer.js';
import { PASSWORD_GRANT } from './grants/password.js';
import { TOKEN_EXCHANGE_GRANT } from './grants/token-exchange.js';
import type { TestKeyPair } from './keys.js';

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

/** Every grant type the server supports. */
export const ALL_GRANTS: readonly string[] = [
  'authorization_code',
  'client_credentials',
  'refresh_token',
  PASSWORD_GRANT,
  TOKEN_EXCHANGE_GRANT,
  JWT_BEARER_GRANT,
];

/** A secret that breaks any client that forgets to form-urlencode it. */
export function awkwardSecret(): string {
  return `s3cr:t/+%&x= ${randomBytes(12).toString('base64url')}`;
}

export function defaultClientMetadata(redirectUri: string, scope: string): ClientMetadata {
  return {
    client_id: '',
    grant_types: [...ALL_GRANTS],
    response_types: ['code'],
    redirect_uris: [redirectUri],
    scope,
    token_endpoint_auth_method: 'client_secret_basic',
  };
}

export function buildClients(
  redirectUri: string,
  scope: string,
  key: TestKeyPair,
): { clients: ReadyClients; metadata: ClientMetadata[] } {
  const base = defaultClientMetadata(redirectUri, scope);
  const secret = (
    clientId: string,
    method: ClientAuthMethod,
    extra: Partial<ClientMetadata> = {},
  ) => {
    const clientSecret = awkwardSecret();
    return {
      client: { clientId, clientSecret, redirectUri },
      metadata: {
        ...base,
        ...extra,
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: method,
      } satisfies ClientMetadata,
    };
  };
  const basic = secret('basic-client', 'client_secret_basic');
  const post = secret('post-client', 'client_secret_post');
  const secretJwt = secret('secret-jwt-client', 'client_secret_jwt', {
    token_endpoint_auth_signing_alg: 'HS256',
  });
  const confidential = secret('web-app', 'client_secret_basic');
  const privateKeyJwt: PrivateKeyJwtClient = {
    clientId: 'private-key-jwt-client',
    privateKeyPem: key.privateKeyPem,
    privateJwk: key.privateJwk,
    kid: key.kid,
    alg: key.alg,
    redirectUri,
  };
  const publicClient: PublicClient = { clientId: 'public-client', redirectUri };
  return {
    clients: {
      basic: basic.client,
      post: post.client,
      secretJwt: secretJwt.client,
      privateKeyJwt,
      public: publicClient,
      confidential: confidential.client,
    },
    metadata: [
      basic.metadata,
      post.metadata,
      secretJwt.metadata,
      confidential.metadata,
      {
        ...base,
        client_id: privateKeyJwt.clientId,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [key.publicJwk] },
      },
      {
        ...base,
        client_id: publicClient.clientId,
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
      },
    ],
  };
}
