// One client per library, each set up the way its own README shows for the
// client-credentials grant. Every client exposes the same `get(path)`, which
// resolves to the final HTTP status (0 when the request threw without one), so
// the scenarios treat every library alike.

import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client';
import { withForge } from '@forge/axios';
import { ClientCredentialsTokenProvider, TokenManager, type TokenStorage } from '@forge/core';
import { RedisTokenStorage } from '@forge/storage-redis';
import axios, { type AxiosInstance } from 'axios';
import { createAuthRefresh } from 'axios-auth-refresh';
import { clientCredentials } from 'axios-oauth-client';
import { Redis } from 'ioredis';
import * as openid from 'openid-client';
import { type AccessToken, ClientCredentials } from 'simple-oauth2';

/** Where a client sends its requests and who it is. */
export interface ClientEnv {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A cached token counts as expired this long before its expiry (Forge's `skewMs`). */
  readonly marginMs: number;
  /** Forge only: share tokens through this Redis instead of process memory. */
  readonly redisUrl?: string;
}

export interface BenchClient {
  get(path: string): Promise<number>;
  close(): Promise<void>;
}

export type LibraryName =
  | 'static header'
  | 'forge'
  | 'axios-auth-refresh'
  | 'axios-oauth-client'
  | 'simple-oauth2'
  | '@badgateway/oauth2-client'
  | 'openid-client';

export interface Library {
  readonly name: LibraryName;
  /** How the library authenticates the client by default (the bench registers a client for it). */
  readonly authMethod: 'client_secret_basic' | 'client_secret_post';
  /** Whether it sends requests through axios (the hot path compares those on the same client). */
  readonly axios: boolean;
  create(env: ClientEnv): Promise<BenchClient>;
}

/** The final status of a GET through axios; 0 when it threw without a response. */
export async function axiosStatus(api: AxiosInstance, path: string): Promise<number> {
  try {
    return (await api.get(path)).status;
  } catch (error) {
    return (error as { response?: { status?: number } }).response?.status ?? 0;
  }
}

async function fetchStatus(send: () => Promise<Response>): Promise<number> {
  try {
    const response = await send();
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return (error as { status?: number }).status ?? 0;
  }
}

async function postForToken(env: ClientEnv): Promise<string> {
  const response = await axios.post<{ access_token: string }>(
    env.tokenEndpoint,
    new URLSearchParams({ grant_type: 'client_credentials' }),
    { auth: { username: env.clientId, password: env.clientSecret } },
  );
  return response.data.access_token;
}

const staticHeader: Library = {
  name: 'static header',
  authMethod: 'client_secret_basic',
  axios: true,
  async create(env) {
    const token = await postForToken(env);
    const api = axios.create({
      baseURL: env.apiUrl,
      headers: { authorization: `Bearer ${token}` },
    });
    return { get: (path) => axiosStatus(api, path), close: async () => {} };
  },
};

const forge: Library = {
  name: 'forge',
  authMethod: 'client_secret_basic',
  axios: true,
  async create(env) {
    const redis = env.redisUrl === undefined ? undefined : new Redis(env.redisUrl);
    const storage: TokenStorage | undefined = redis ? new RedisTokenStorage(redis) : undefined;
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'bench',
        clientId: env.clientId,
        clientSecret: env.clientSecret,
        tokenEndpoint: env.tokenEndpoint,
      }),
      { skewMs: env.marginMs, ...(storage ? { storage } : {}) },
    );
    const api = withForge(axios.create({ baseURL: env.apiUrl }), manager);
    return {
      get: (path) => axiosStatus(api, path),
      async close() {
        await manager.close();
        await storage?.dispose?.();
        redis?.disconnect();
      },
    };
  },
};

// README: a request interceptor sends the stored token; createAuthRefresh fetches a new one after a 401.
const axiosAuthRefresh: Library = {
  name: 'axios-auth-refresh',
  authMethod: 'client_secret_basic',
  axios: true,
  async create(env) {
    let token: string | undefined;
    const api = axios.create({ baseURL: env.apiUrl });
    api.interceptors.request.use((request) => {
      request.headers.Authorization = `Bearer ${token}`;
      return request;
    });
    // Its typings name the CommonJS axios; the instance is the same at run time.
    createAuthRefresh(
      api as unknown as Parameters<typeof createAuthRefresh>[0],
      (failed: { response: { config: { headers: Record<string, string> } } }) =>
        postForToken(env).then((fresh) => {
          token = fresh;
          failed.response.config.headers.Authorization = `Bearer ${fresh}`;
        }),
    );
    return { get: (path) => axiosStatus(api, path), close: async () => {} };
  },
};

// README: clientCredentials() returns a function that fetches a token. It keeps no cache, so
// the caller's interceptor keeps the last token until it is within the margin of its expiry.
const axiosOAuthClient: Library = {
  name: 'axios-oauth-client',
  authMethod: 'client_secret_post',
  axios: true,
  async create(env) {
    const getClientCredentials = clientCredentials(
      // Its typings name the CommonJS axios; the instance is the same at run time.
      axios.create() as unknown as Parameters<typeof clientCredentials>[0],
      env.tokenEndpoint,
      env.clientId,
      env.clientSecret,
    ) as (scope?: string) => Promise<{ access_token: string; expires_in: number }>;
    let auth: { access_token: string; expires_in: number } | undefined;
    let expiresAt = 0;
    const api = axios.create({ baseURL: env.apiUrl });
    api.interceptors.request.use(async (request) => {
      if (auth === undefined || Date.now() >= expiresAt - env.marginMs) {
        auth = await getClientCredentials();
        expiresAt = Date.now() + auth.expires_in * 1_000;
      }
      request.headers.Authorization = `Bearer ${auth.access_token}`;
      return request;
    });
    return { get: (path) => axiosStatus(api, path), close: async () => {} };
  },
};

// README: client.getToken(); fetch a new token when accessToken.expired(EXPIRATION_WINDOW_IN_SECONDS).
const simpleOAuth2: Library = {
  name: 'simple-oauth2',
  authMethod: 'client_secret_basic',
  axios: true,
  async create(env) {
    const client = new ClientCredentials({
      client: { id: env.clientId, secret: env.clientSecret },
      auth: { tokenHost: env.issuer, tokenPath: '/token' },
    });
    let accessToken: AccessToken | undefined;
    const api = axios.create({ baseURL: env.apiUrl });
    api.interceptors.request.use(async (request) => {
      if (accessToken === undefined || accessToken.expired(env.marginMs / 1_000)) {
        accessToken = await client.getToken({});
      }
      request.headers.Authorization = `Bearer ${accessToken.token.access_token as string}`;
      return request;
    });
    return { get: (path) => axiosStatus(api, path), close: async () => {} };
  },
};

// README: OAuth2Fetch with getNewToken: () => client.clientCredentials(); it adds the bearer
// header, refreshes ahead of expiry and retries once after a 401.
const badgateway: Library = {
  name: '@badgateway/oauth2-client',
  authMethod: 'client_secret_basic',
  axios: false,
  async create(env) {
    const client = new OAuth2Client({
      server: env.issuer,
      clientId: env.clientId,
      clientSecret: env.clientSecret,
      tokenEndpoint: '/token',
      authenticationMethod: 'client_secret_basic',
    });
    const wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() });
    return {
      get: (path) => fetchStatus(() => wrapper.fetch(new URL(path, env.apiUrl).href)),
      async close() {
        // Stops its refresh timer, so the process can exit.
        const timer = (wrapper as unknown as { refreshTimer: NodeJS.Timeout | null }).refreshTimer;
        if (timer) clearTimeout(timer);
      },
    };
  },
};

// README: discovery(), clientCredentialsGrant(), fetchProtectedResource(); the library keeps no
// cache, so the caller keeps the last response until expiresIn() runs out (minus the margin).
const openidClient: Library = {
  name: 'openid-client',
  authMethod: 'client_secret_post',
  axios: false,
  async create(env) {
    const config = await openid.discovery(
      new URL(env.issuer),
      env.clientId,
      env.clientSecret,
      undefined,
      { execute: [openid.allowInsecureRequests] },
    );
    let accessToken: string | undefined;
    let expiresAt = 0;
    return {
      get: (path) =>
        fetchStatus(async () => {
          if (accessToken === undefined || Date.now() >= expiresAt - env.marginMs) {
            const tokens = await openid.clientCredentialsGrant(config);
            accessToken = tokens.access_token;
            expiresAt = Date.now() + (tokens.expiresIn() ?? 0) * 1_000;
          }
          return openid.fetchProtectedResource(
            config,
            accessToken,
            new URL(path, env.apiUrl),
            'GET',
          );
        }),
      close: async () => {},
    };
  },
};

/** Forge first, then the peers, then the static-header baseline. */
export const LIBRARIES: readonly Library[] = [
  forge,
  axiosAuthRefresh,
  axiosOAuthClient,
  simpleOAuth2,
  badgateway,
  openidClient,
];

export const BASELINE: Library = staticHeader;

export function libraryByName(name: string): Library {
  const found = [...LIBRARIES, BASELINE].find((library) => library.name === name);
  if (!found) throw new Error(`unknown library ${name}`);
  return found;
}
