import type { ClientMetadata, Provider } from 'oidc-provider';
import { withMtls } from '../mtls/configuration.js';
import type { MtlsKit } from '../mtls/kit.js';
import { startMtlsListener } from '../mtls/start.js';
import { TestkitError } from '../shared/errors.js';
import { listenOnLoopback } from '../shared/listen.js';
import { buildAuthorizationUrl, driveAuthorization } from './authorize.js';
import { buildClients, defaultClientMetadata } from './clients.js';
import { buildConfiguration } from './configuration.js';
import { TokenRequestLog } from './counters.js';
import { createFaultSwitch } from './faults.js';
import { registerApiKeyGrant } from './grants/api-key.js';
import { registerJwtBearerGrant } from './grants/jwt-bearer.js';
import { registerPasswordGrant } from './grants/password.js';
import { registerTokenExchangeGrant } from './grants/token-exchange.js';
import { TokenType } from './grants/token-types.js';
import { internals } from './internal.js';
import { serverKeys } from './keys.js';
import { MemoryStore } from './memory-adapter.js';
import { loadOidcProvider, quietly } from './oidc.js';
import { type AuthServerOptions, resolveAuthServerOptions } from './options.js';
import { createRequestHandler } from './routes.js';
import { tokenEndpointMiddleware } from './token-endpoint.js';
import { createTrustedIssuer } from './trusted-issuer.js';
import type { AuthServer } from './types.js';

/**
 * Starts a real OAuth 2 authorization server (oidc-provider) on 127.0.0.1 on a
 * free port: client credentials, authorization code with PKCE, refresh tokens
 * (rotated by default), password, token exchange and JWT bearer, with a client
 * for every client authentication method, fault switches and counters.
 *
 * @example
 * ```ts
 * const auth = await startAuthServer({ accessTokenTtlSeconds: 60 });
 * const { clientId, clientSecret } = auth.clients.post;
 * const res = await fetch(auth.tokenEndpoint, {
 *   method: 'POST',
 *   body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
 * });
 * console.log((await res.json()).access_token);
 * await auth.close();
 * ```
 */
export async function startAuthServer(
  options: AuthServerOptions & { readonly mtls: true },
): Promise<AuthServer & { readonly mtls: MtlsKit }>;
export async function startAuthServer(options?: AuthServerOptions): Promise<AuthServer>;
export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const resolved = resolveAuthServerOptions(options);
  // Both cached per process: only the first start pays for them.
  const [keys, oidc] = await Promise.all([serverKeys(), loadOidcProvider()]);
  const { errors } = oidc;
  const loopback = await listenOnLoopback();
  const issuer = loopback.origin;
  const redirectUri = `${issuer}/callback`;
  const scope = resolved.scopes.join(' ');
  const clientScope = `openid offline_access ${scope}`;
  const store = new MemoryStore();
  const { clients, metadata } = buildClients(redirectUri, clientScope, keys.client);
  const defaults = defaultClientMetadata(redirectUri, clientScope);
  const mtls = resolved.mtls
    ? await startMtlsListener(defaults).catch(async (error: unknown) => {
        await loopback.close();
        throw error;
      })
    : undefined;

  const base = buildConfiguration({
    options: resolved,
    store,
    clients: [...metadata, ...(mtls?.metadata ?? [])],
    signingKey: keys.signing,
    scope,
    errors,
  });
  const configuration = mtls ? withMtls(base, mtls.kit.endpointAliases) : base;
  let provider: Provider;
  try {
    provider = await quietly(() => new oidc.Provider(issuer, configuration));
  } catch (cause) {
    await loopback.close();
    await mtls?.loopback.close();
    throw new TestkitError('oidc-provider refused the configuration', undefined, { cause });
  }

  const tokenEndpoint = `${issuer}/token`;
  const audiences = () => [issuer, tokenEndpoint];
  const trustedIssuer = createTrustedIssuer(keys.trustedIssuer, issuer);
  registerPasswordGrant(provider, errors, resolved.users);
  registerApiKeyGrant(provider, errors, resolved.users);
  registerJwtBearerGrant(provider, errors, keys.trustedIssuer, trustedIssuer.issuer, audiences);
  registerTokenExchangeGrant(provider, errors, keys.trustedIssuer, trustedIssuer.issuer, audiences);

  let sequence = 0;
  const issued = new Map<string, number>();
  const onIssued = (token: { jti: string }) => {
    sequence += 1;
    issued.set(token.jti, sequence);
  };
  provider.on('access_token.saved', onIssued);
  provider.on('client_credentials.saved', onIssued);

  const faults = createFaultSwitch();
  const log = new TokenRequestLog();
  const pending = new Set<() => void>();

  provider.use(tokenEndpointMiddleware(faults, log, pending));

  const handler = createRequestHandler(provider, resolved.users);
  loopback.setHandler(handler);
  mtls?.loopback.setHandler(handler);

  let closed: Promise<void> | undefined;
  const server: AuthServer = {
    issuer,
    tokenEndpoint,
    authorizationEndpoint: `${issuer}/auth`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    revocationEndpoint: `${issuer}/token/revocation`,
    jwksUri: `${issuer}/jwks`,
    redirectUri,
    clients,
    users: resolved.users,
    options: resolved,
    provider,
    mtls: mtls?.kit,
    faults,
    jwtBearer: {
      trustedIssuer,
      createAssertion: (mint) => trustedIssuer.mint(mint),
    },
    tokenExchange: {
      trustedIssuer,
      tokenTypes: TokenType,
      createSubjectToken: (mint) => trustedIssuer.mint(mint),
    },
    async registerClient(registration) {
      if (
        typeof registration !== 'object' ||
        registration === null ||
        typeof registration.client_id !== 'string' ||
        registration.client_id === ''
      ) {
        throw new TestkitError('must be a non-empty string', 'registerClient({ client_id })');
      }
      const full = { ...defaults, ...registration } as ClientMetadata;
      try {
        await provider.Client.validate(full);
      } catch (cause) {
        throw new TestkitError(
          `oidc-provider rejected the metadata: ${cause instanceof Error ? cause.message : String(cause)}`,
          'registerClient(metadata)',
          { cause },
        );
      }
      // Static clients are fixed at construction; runtime ones live in the adapter,
      // where oidc-provider looks when a client id is not a static one.
      await store.adapterFor('Client').upsert(full.client_id, full);
    },
    authorize(request, login) {
      const url =
        typeof request === 'string' || request instanceof URL
          ? new URL(request)
          : buildAuthorizationUrl(`${issuer}/auth`, request, redirectUri);
      const user =
        typeof request === 'string' || request instanceof URL ? login?.user : request.user;
      return driveAuthorization(url, issuer, resolved.users, user);
    },
    tokenRequests: (filter) => log.count(filter),
    tokenRequestsByGrantType: () => log.byGrantType(),
    tokenRequestLog: () => log.all(),
    resetCounters: () => log.reset(),
    async revokeToken(token) {
      if (typeof token !== 'string' || token === '') {
        throw new TestkitError('must be a non-empty string', 'revokeToken(token)');
      }
      const found =
        (await provider.RefreshToken.find(token, { ignoreExpiration: true })) ??
        (await provider.AccessToken.find(token, { ignoreExpiration: true })) ??
        (await provider.ClientCredentials.find(token, { ignoreExpiration: true }));
      if (!found) return false;
      await found.destroy();
      if (
        found.kind === 'RefreshToken' &&
        'grantId' in found &&
        typeof found.grantId === 'string'
      ) {
        await provider.AccessToken.revokeByGrantId(found.grantId);
      }
      return true;
    },
    close() {
      closed ??= (async () => {
        faults.clear();
        for (const release of pending) release();
        pending.clear();
        await Promise.all([loopback.close(), mtls?.loopback.close()]);
        store.clear();
        issued.clear();
      })();
      internals.delete(server);
      return closed;
    },
  };
  internals.set(server, {
    provider,
    issueSequence: (token) => issued.get(token),
    lastIssued: () => sequence,
    tls: mtls?.tls,
  });
  return server;
}
