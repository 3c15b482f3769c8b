// The scenarios. Each runs every library in turn against the same testkit
// servers, with a client id of its own, and returns one row per library.
import type { BenchClient, Library } from './clients.js';
import {
  burst,
  loop,
  median,
  percentile,
  registerClient,
  type Servers,
  startServers,
  until,
} from './harness.js';

/** Short-lived tokens for the expiry and fleet scenarios, so a run stays short. */
export const SHORT_TTL_SECONDS = 3;
/** Token lifetime in the outage scenario: long enough that the outage ends well before expiry. */
export const OUTAGE_TTL_SECONDS = 6;
/** Every library treats a token as expired this long before its expiry (Forge: `skewMs`). */
export const MARGIN_MS = 500;

export interface StampedeRow {
  readonly library: string;
  readonly tokenRequests: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface RevocationRow {
  readonly library: string;
  readonly tokenRequests: number;
  readonly failures: number;
  readonly resourceRequests: number;
}

export interface OutageRow {
  readonly library: string;
  readonly requests: number;
  readonly failures: number;
  readonly tokenRequests: number;
}

async function withClient<T>(
  servers: Servers,
  library: Library,
  run: (client: BenchClient, clientId: string) => Promise<T>,
): Promise<T> {
  const env = await registerClient(servers, library, MARGIN_MS);
  const client = await library.create(env);
  try {
    return await run(client, env.clientId);
  } finally {
    await client.close();
  }
}

/** 1,000 concurrent requests from a client that has no token yet. */
export async function coldStampede(
  libraries: readonly Library[],
  count = 1_000,
): Promise<StampedeRow[]> {
  const servers = await startServers(3_600);
  const rows: StampedeRow[] = [];
  try {
    for (const library of libraries) {
      rows.push(
        await withClient(servers, library, async (client, clientId) => {
          const { failures, latencies } = await burst(client, count);
          return {
            library: library.name,
            tokenRequests: servers.auth.tokenRequests(clientId),
            failures,
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
          };
        }),
      );
    }
  } finally {
    await servers.close();
  }
  return rows;
}

/**
 * One request fetches a token; once it has expired (server side too), 1,000
 * concurrent requests. Token requests are counted from after the first one,
 * so a library's background refreshes count as well.
 */
export async function expiryStampede(
  libraries: readonly Library[],
  count = 1_000,
): Promise<StampedeRow[]> {
  const servers = await startServers(SHORT_TTL_SECONDS);
  const rows: StampedeRow[] = [];
  try {
    for (const library of libraries) {
      rows.push(
        await withClient(servers, library, async (client, clientId) => {
          await client.get('/orders');
          const fetchedAt = performance.now();
          const before = servers.auth.tokenRequests(clientId);
          await until(fetchedAt + SHORT_TTL_SECONDS * 1_000 + 100);
          const { failures, latencies } = await burst(client, count);
          return {
            library: library.name,
            tokenRequests: servers.auth.tokenRequests(clientId) - before,
            failures,
            p50Ms: percentile(latencies, 50),
            p99Ms: percentile(latencies, 99),
          };
        }),
      );
    }
  } finally {
    await servers.close();
  }
  return rows;
}

/** The resource server revokes every token it knows of; then 200 concurrent requests. */
export async function revocation(
  libraries: readonly Library[],
  count = 200,
): Promise<RevocationRow[]> {
  const servers = await startServers(3_600);
  const rows: RevocationRow[] = [];
  try {
    for (const library of libraries) {
      rows.push(
        await withClient(servers, library, async (client, clientId) => {
          await client.get('/orders');
          servers.api.revokeAll();
          servers.api.resetCounters();
          const before = servers.auth.tokenRequests(clientId);
          const { failures } = await burst(client, count);
          return {
            library: library.name,
            tokenRequests: servers.auth.tokenRequests(clientId) - before,
            failures,
            resourceRequests: servers.api.requests(),
          };
        }),
      );
    }
  } finally {
    await servers.close();
  }
  return rows;
}

/**
 * The token endpoint answers 503 from the middle of the cached token's life
 * (inside Forge's refresh-ahead window) until 2 s before it expires: a client
 * holding that still-valid token should not fail a single request. 32
 * concurrent workers send requests for the whole outage.
 */
export async function outage(libraries: readonly Library[]): Promise<OutageRow[]> {
  const servers = await startServers(OUTAGE_TTL_SECONDS);
  const lifetime = OUTAGE_TTL_SECONDS * 1_000;
  const rows: OutageRow[] = [];
  try {
    for (const library of libraries) {
      rows.push(
        await withClient(servers, library, async (client, clientId) => {
          // Measured before the first request, so the token was issued after this instant.
          const start = performance.now();
          await client.get('/orders');
          await until(start + lifetime / 2);
          const before = servers.auth.tokenRequests(clientId);
          servers.auth.faults.set({ mode: 'status503' });
          try {
            const result = await loop(client, 32, 50_000, start + lifetime - 2_000);
            return {
              library: library.name,
              requests: result.requests,
              failures: result.failures,
              tokenRequests: servers.auth.tokenRequests(clientId) - before,
            };
          } finally {
            servers.auth.faults.clear();
          }
        }),
      );
    }
  } finally {
    await servers.close();
  }
  return rows;
}

export interface HotPathRow {
  readonly library: string;
  /** Median milliseconds for the whole run. */
  readonly medianMs: number;
  /** Median time divided by the median of the static-header baseline on the same client. */
  readonly ratio: number;
  /** (median - baseline median) / requests, in microseconds. */
  readonly overheadUs: number;
  readonly failures: number;
  readonly baseline: string;
}

/** A static bearer header on `fetch`, the baseline of the fetch-based peers. */
function staticFetch(apiUrl: string, token: string): BenchClient {
  return {
    async get(path) {
      const response = await fetch(new URL(path, apiUrl), {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      return response.status;
    },
    close: async () => {},
  };
}

/**
 * `requests` requests at concurrency 32 per run; the libraries take turns
 * (baseline, Forge, peers, baseline, …) for `rounds` rounds, and each is
 * compared by its median run to the median run of the static-header client
 * that uses the same HTTP client (axios, or fetch for the fetch-based peers).
 */
export async function hotPath(
  libraries: readonly Library[],
  baseline: Library,
  rounds: number,
  requests = 20_000,
): Promise<HotPathRow[]> {
  const servers = await startServers(3_600);
  const clients: { name: string; client: BenchClient; base: string }[] = [];
  try {
    const baseEnv = await registerClient(servers, baseline, MARGIN_MS);
    const axiosBase = await baseline.create(baseEnv);
    clients.push({
      name: 'static header (axios)',
      client: axiosBase,
      base: 'static header (axios)',
    });
    if (libraries.some((library) => !library.axios)) {
      const response = await fetch(servers.auth.tokenEndpoint, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${baseEnv.clientId}:${baseEnv.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const { access_token } = (await response.json()) as { access_token: string };
      clients.push({
        name: 'static header (fetch)',
        client: staticFetch(servers.api.url, access_token),
        base: 'static header (fetch)',
      });
    }
    for (const library of libraries) {
      const env = await registerClient(servers, library, MARGIN_MS);
      clients.push({
        name: library.name,
        client: await library.create(env),
        base: library.axios ? 'static header (axios)' : 'static header (fetch)',
      });
    }
    for (const { client } of clients) await loop(client, 32, 2_000); // warm-up
    const times = new Map<string, number[]>();
    const failures = new Map<string, number>();
    for (let round = 0; round < rounds; round++) {
      for (const { name, client } of clients) {
        const result = await loop(client, 32, requests);
        times.set(name, [...(times.get(name) ?? []), result.elapsedMs]);
        failures.set(name, (failures.get(name) ?? 0) + result.failures);
      }
    }
    return clients.map(({ name, base }) => {
      const mine = median(times.get(name) ?? []);
      const theirs = median(times.get(base) ?? []);
      return {
        library: name,
        medianMs: mine,
        ratio: mine / theirs,
        overheadUs: ((mine - theirs) * 1_000) / requests,
        failures: failures.get(name) ?? 0,
        baseline: base,
      };
    });
  } finally {
    for (const { client } of clients) await client.close();
    await servers.close();
  }
}
