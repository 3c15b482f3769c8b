// The pieces every scenario shares: the testkit servers, one registered client per
// library and scenario (so the token endpoint counts each library's requests
// apart), and bounded ways of sending requests.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuthServer,
  type ResourceServer,
  startAuthServer,
  startResourceServer,
} from '@forge/testkit';
import type { BenchClient, ClientEnv, Library } from './clients.js';

export { sleep };

export interface Servers {
  readonly auth: AuthServer;
  readonly api: ResourceServer;
  close(): Promise<void>;
}

export async function startServers(accessTokenTtlSeconds: number): Promise<Servers> {
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

let registered = 0;

/** Registers a client for `library` with a plain secret (every peer encodes that correctly). */
export async function registerClient(
  servers: Servers,
  library: Library,
  marginMs: number,
  redisUrl?: string,
): Promise<ClientEnv> {
  registered += 1;
  const clientId = `bench-${registered}-${library.name.replace(/[^a-z0-9]+/gi, '-')}`;
  const clientSecret = randomBytes(24).toString('hex');
  await servers.auth.registerClient({
    client_id: clientId,
    client_secret: clientSecret,
    token_endpoint_auth_method: library.authMethod,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
  });
  return {
    issuer: servers.auth.issuer,
    tokenEndpoint: servers.auth.tokenEndpoint,
    apiUrl: servers.api.url,
    clientId,
    clientSecret,
    marginMs,
    ...(redisUrl === undefined ? {} : { redisUrl }),
  };
}

export interface Burst {
  readonly failures: number;
  /** Milliseconds from the burst's start to each request's end, sorted. */
  readonly latencies: readonly number[];
}

/** `count` requests at once; a request fails unless it ends with 200. */
export async function burst(client: BenchClient, count: number, path = '/orders'): Promise<Burst> {
  const start = performance.now();
  const latencies: number[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      const status = await client.get(path);
      latencies.push(performance.now() - start);
      if (status !== 200) failures += 1;
    }),
  );
  latencies.sort((a, b) => a - b);
  return { failures, latencies };
}

export interface Loop {
  readonly requests: number;
  readonly failures: number;
  readonly elapsedMs: number;
}

/**
 * Sends up to `total` requests, `concurrency` at a time, and stops early at
 * `deadline` (a `performance.now()` instant): bounded in count and in time.
 */
export async function loop(
  client: BenchClient,
  concurrency: number,
  total: number,
  deadline = Number.POSITIVE_INFINITY,
  path = '/orders',
): Promise<Loop> {
  const start = performance.now();
  let started = 0;
  let failures = 0;
  const worker = async () => {
    while (started < total && performance.now() < deadline) {
      started += 1;
      if ((await client.get(path)) !== 200) failures += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests: started, failures, elapsedMs: performance.now() - start };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Sleeps until `at` (a `performance.now()` instant). */
export async function until(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await sleep(wait);
}
