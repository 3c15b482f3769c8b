// Shared set-up of the failure suite: the testkit servers, a Forge client
// (manager + axios) for one of their clients, and a request loop bounded in
// count and in time.
import { withForge } from '@forge/axios';
import {
  type ClientCredentialsOptions,
  ClientCredentialsTokenProvider,
  TokenManager,
  type TokenManagerOptions,
} from '@forge/core';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import axios, { type AxiosInstance } from 'axios';

export interface Servers {
  readonly auth: AuthServer;
  readonly api: ResourceServer;
  close(): Promise<void>;
}

export async function startServers(accessTokenTtlSeconds = 3_600): Promise<Servers> {
  const auth = await startAuthServer({ accessTokenTtlSeconds });
  const api = await startResourceServer({ auth });
  return {
    auth,
    api,
    async close() {
      await api.close();
      await auth.close();
    },
  };
}

export interface ForgeClient {
  readonly manager: TokenManager<ClientCredentialsOptions | undefined>;
  readonly http: AxiosInstance;
  /** The client id whose token requests `auth.tokenRequests(clientId)` counts. */
  readonly clientId: string;
}

/**
 * A manager for the server's `basic` client behind an axios instance with
 * `withForge`. `provider` and `manager` override the defaults (short timeouts,
 * so a failing endpoint fails fast).
 */
export function forgeClient(
  servers: Servers,
  provider: Partial<ClientCredentialsOptions> = {},
  manager: TokenManagerOptions = {},
): ForgeClient {
  const { clientId, clientSecret } = servers.auth.clients.basic;
  const tokens = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId,
      clientSecret,
      tokenEndpoint: servers.auth.tokenEndpoint,
      // Short enough that a hung endpoint fails fast, long enough for a busy CI machine.
      timeoutMs: 1_000,
      retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50, maxTotalMs: 2_000 },
      ...provider,
    }),
    manager,
  );
  const http = withForge(axios.create({ baseURL: servers.api.url }), tokens);
  return { manager: tokens, http, clientId };
}

export interface LoopResult {
  readonly requests: number;
  readonly failures: number;
  readonly errors: readonly unknown[];
}

/**
 * Runs `send` from `workers` concurrent workers until `durationMs` has passed
 * or `maxRequests` were started, whichever comes first.
 */
export async function requestLoop(
  send: () => Promise<unknown>,
  { workers = 16, durationMs = 1_000, maxRequests = 5_000 } = {},
): Promise<LoopResult> {
  const deadline = performance.now() + durationMs;
  let requests = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (requests < maxRequests && performance.now() < deadline) {
      requests += 1;
      try {
        await send();
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return { requests, failures: errors.length, errors };
}
