import { randomBytes } from 'node:crypto';
import type { ClientAuthMethod, ClientMetadata } from 'oidc-provider';
import type { PrivateKeyJwtClient, PublicClient, ReadyClients } from './client-types.js';
import { API_KEY_GRANT } from './grants/api-key.js';
import { JWT_BEARER_GRANT } from './grants/jwt-bearer.js';
import { PASSWORD_GRANT } from './grants/password.js';
import { TOKEN_EXCHANGE_GRANT } from './grants/token-exchange.js';
import type { TestKeyPair } from './keys.js';

/** Every grant type the server supports. */
export const ALL_GRANTS: readonly string[] = [
  'authorization_code',
  'client_credentials',
  'refresh_token',
  PASSWORD_GRANT,
  TOKEN_EXCHANGE_GRANT,
  JWT_BEARER_GRANT,
  API_KEY_GRANT,
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
