import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientMetadata, Configuration, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { TestkitError } from '../shared/errors.js';
import { listenOnLoopback } from '../shared/listen.js';
import {
  type AuthorizeLogin,
  type AuthorizeOptions,
  type AuthorizeResult,
  buildAuthorizationUrl,
  driveAuthorization,
} from './authorize.js';
import { buildClients, defaultClientMetadata, type ReadyClients } from './clients.js';
import {
  claimedClientId,
  type TokenRequestFilter,
  TokenRequestLog,
  type TokenRequestRecord,
} from './counters.js';
import { applyFault, delay } from './fault-responses.js';
import { createFaultSwitch, type FaultSwitch } from './faults.js';
import { registerJwtBearerGrant } from './grants/jwt-bearer.js';
import { registerPasswordGrant } from './grants/password.js';
import { registerTokenExchangeGrant, TokenType } from './grants/token-exchange.js';
import { createInteractionHandler } from './interactions.js';
import { internals } from './internal.js';
import { serverKeys } from './keys.js';
import { MemoryStore } from './memory-adapter.js';
import { loadOidcProvider, quietly } from './oidc.js';
import {
  type AuthServerOptions,
  type ResolvedAuthServerOptions,
  resolveAuthServerOptions,
  type TestUser,
} from './options.js';
import { createTrustedIssuer, type TrustedIssuer } from './trusted-issuer.js';

/**
 * Metadata for {@link AuthServer.registerClient}: oidc-provider client metadata, snake_case.
 *
 * @example
 * ```ts
 * const metadata: ClientRegistration = { client_id: 'extra', client_secret: 'extra-secret' };
 * await auth.registerClient(metadata);
 * ```
 */
export type ClientRegistration = Partial<ClientMetadata> & { readonly client_id: string };

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
  /** The underlying oidc-provider instance, for anything the testkit does not cover. */
  readonly provider: Provider;
  /** Stops listening and drops every connection, hung requests included. Idempotent. */
  close(): Promise<void>;
}

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
  const usernames = new Set(resolved.users.map((user) => user.username));
  const at = resolved.accessTokenTtlSeconds;

  const configuration: Configuration = {
    adapter: (name: string) => store.adapterFor(name),
    clients: metadata,
    jwks: { keys: [keys.signing.privateJwk as NonNullable<Configuration['jwks']>['keys'][number]] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: (_ctx, sub) =>
      usernames.has(sub) ? { accountId: sub, claims: () => ({ sub }) } : undefined,
    scopes: ['openid', 'offline_access', ...resolved.scopes],
    claims: { openid: ['sub'] },
    clientAuthMethods: [
      'none',
      'client_secret_basic',
      'client_secret_post',
      'client_secret_jwt',
      'private_key_jwt',
    ],
    features: {
      devInteractions: { enabled: false },
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
    rotateRefreshToken: resolved.rotateRefreshTokens,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: () => false,
    clientBasedCORS: () => true,
    ttl: {
      AccessToken: at,
      ClientCredentials: at,
      IdToken: at,
      RefreshToken: resolved.refreshTokenTtlSeconds,
      Grant: resolved.refreshTokenTtlSeconds,
      AuthorizationCode: 600,
      Interaction: 3600,
      Session: 24 * 3600,
    },
  };
  let provider: Provider;
  try {
    provider = await quietly(() => new oidc.Provider(issuer, configuration));
  } catch (cause) {
    await loopback.close();
    throw new TestkitError('oidc-provider refused the configuration', undefined, { cause });
  }

  const tokenEndpoint = `${issuer}/token`;
  const audiences = () => [issuer, tokenEndpoint];
  const trustedIssuer = createTrustedIssuer(keys.trustedIssuer, issuer);
  registerPasswordGrant(provider, errors, resolved.users);
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

  provider.use(async (ctx, next) => {
    if (ctx.path !== '/token' || ctx.method !== 'POST') {
      await next();
      return;
    }
    const fault = faults.take();
    if (fault?.mode === 'delay') {
      await delay(fault.delayMs ?? 0, pending);
    } else if (fault) {
      await applyFault(ctx as KoaContextWithOIDC, fault, pending, (record) => log.add(record));
      return;
    }
    try {
      await next();
    } finally {
      const oidcCtx = ctx as KoaContextWithOIDC;
      const body = oidcCtx.oidc?.body as Record<string, unknown> | undefined;
      log.add({
        clientId: claimedClientId(ctx.get('authorization') || undefined, body),
        grantType: typeof body?.grant_type === 'string' ? body.grant_type : undefined,
        status: ctx.status,
        faulted: false,
      });
    }
  });

  const callback = provider.callback();
  const interactions = createInteractionHandler(provider, resolved.users);
  loopback.setHandler((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname === '/.well-known/oauth-authorization-server') {
      req.url = `/.well-known/openid-configuration${url.search}`;
    } else if (url.pathname.startsWith('/interaction/')) {
      interactions(req, res).catch((error: unknown) => {
        if (res.headersSent) return;
        res.statusCode = 400;
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(`interaction failed: ${error instanceof Error ? error.message : 'unknown error'}`);
      });
      return;
    } else if (url.pathname === '/callback') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Object.fromEntries(url.searchParams)));
      return;
    }
    callback(req, res);
  });

  const defaults = defaultClientMetadata(redirectUri, clientScope);
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
        await loopback.close();
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
  });
  return server;
}
