import { randomBytes } from 'node:crypto';
import type { ClientMetadata, Configuration } from 'oidc-provider';
import type { TestKeyPair } from './keys.js';
import type { MemoryStore } from './memory-adapter.js';
import type { OidcErrors } from './oidc.js';
import type { ResolvedAuthServerOptions } from './options.js';

export interface ConfigurationInput {
  readonly options: ResolvedAuthServerOptions;
  readonly store: MemoryStore;
  readonly clients: ClientMetadata[];
  readonly signingKey: TestKeyPair;
  /** The server's own scopes, space-separated (besides `openid` and `offline_access`). */
  readonly scope: string;
  readonly errors: OidcErrors;
}

/**
 * oidc-provider configured for testing OAuth clients: every client
 * authentication method, refresh tokens for any client allowed the grant (no
 * `offline_access` dance), opaque tokens, and every default that would print a
 * development notice replaced by an explicit choice.
 */
export function buildConfiguration({
  options,
  store,
  clients,
  signingKey,
  scope,
  errors,
}: ConfigurationInput): Configuration {
  const usernames = new Set(options.users.map((user) => user.username));
  const at = options.accessTokenTtlSeconds;
  return {
    adapter: (name: string) => store.adapterFor(name),
    clients,
    jwks: { keys: [signingKey.privateJwk as NonNullable<Configuration['jwks']>['keys'][number]] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx, sub) =>
      usernames.has(sub) ? { accountId: sub, claims: () => ({ sub }) } : undefined,
    scopes: ['openid', 'offline_access', ...options.scopes],
    claims: { openid: ['sub'] },
    enabledJWA: { dPoPSigningAlgValues: ['ES256', 'PS256', 'EdDSA', 'Ed25519'] },
    clientAuthMethods: [
      'none',
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
    ],
    features: {
      devInteractions: { enabled: false },
      dPoP: options.dpop
        ? {
            enabled: true,
            nonceSecret: randomBytes(32),
            requireNonce: () => options.dpop !== false && options.dpop.nonce,
          }
        : { enabled: false },
      clientCredentials: { enabled: true },
      // Any confidential client may introspect (it stands in for a resource server);
      // only a token's own client may revoke it. Same rules as oidc-provider's
      // defaults, written out so it does not print a notice about them.
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope,
          audience: resource,
          accessTokenFormat: 'opaque',
          accessTokenTTL: at,
        }),
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    rotateRefreshToken: options.rotateRefreshTokens,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: () => false,
    clientBasedCORS: () => true,
    ttl: {
      AccessToken: at,
      ClientCredentials: at,
      IdToken: at,
      RefreshToken: options.refreshTokenTtlSeconds,
      Grant: options.refreshTokenTtlSeconds,
      AuthorizationCode: 600,
      Interaction: 3600,
      Session: 24 * 3600,
    },
  };
}
