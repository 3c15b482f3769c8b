// The scenarios. Each runs every library in turn against the same testkit
// servers, with a client id of its own, and returns one row per library.
import { withForge } from '@forge/axios';
import { ClientCredentialsTokenProvider, Token, TokenManager } from '@forge/core';
import axios from 'axios';
import { axiosStatus, type BenchClient, LIBRARIES, type Library } from './clients.js';
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
/**
 * Token lifetime in the outage and fleet scenarios: long enough that a busy
 * machine finishes a burst (or the outage) well before the token expires.
 */
export const OUTAGE_TTL_SECONDS = 6;
export const FLEET_TTL_SECONDS = 6;
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
  readonly client: string;
  /** Median wall-clock milliseconds of one run. */
  readonly medianMs: number;
  /** Fastest and slowest run, to show the run-to-run spread. */
  readonly minMs: number;
  readonly maxMs: number;
  /** Median wall time divided by the static-header median. */
  readonly ratio: number;
  /** (median - static-header median) / requests, in microseconds. */
  readonly overheadUs: number;
  /** Median CPU milliseconds (user + system) of this process for one run: client and servers. */
  readonly cpuMs: number;
  readonly cpuRatio: number;
  readonly failures: number;
}

/**
 * The per-request cost of Forge on one axios instance against one server:
 * `requests` requests at concurrency 32 per run, with the token as a static
 * default header, then through `withForge(api, manager)` instead (made from it, same
 * token, same sockets), alternating for `rounds` rounds (odd rounds start with
 * Forge). Each is summarized by its median run.
 */
export async function hotPath(rounds: number, requests = 20_000): Promise<HotPathRow[]> {
  const servers = await startServers(3_600);
  const env = await registerClient(servers, LIBRARIES[0] as Library, MARGIN_MS);
  const manager = new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'bench',
      clientId: env.clientId,
      clientSecret: env.clientSecret,
      tokenEndpoint: env.tokenEndpoint,
    }),
    { skewMs: MARGIN_MS },
  );
  try {
    const token = await manager.getToken();
    const api = axios.create({ baseURL: servers.api.url });
    // withForge returns a new instance; the static header runs on `api` itself.
    let sending = api;
    const client: BenchClient = {
      get: (path) => axiosStatus(sending, path),
      close: async () => {},
    };
    const modes: readonly { name: string; install(): () => void }[] = [
      {
        name: 'static header (axios)',
        install() {
          api.defaults.headers.common.Authorization = token.authorizationHeader;
          return () => {
            delete api.defaults.headers.common.Authorization;
          };
        },
      },
      {
        name: 'forge (axios + withForge)',
        install() {
          sending = withForge(api, manager);
          return () => {
            sending = api;
          };
        },
      },
    ];
    const run = async (mode: (typeof modes)[number], count: number) => {
      const uninstall = mode.install();
      try {
        const cpu = process.cpuUsage();
        const result = await loop(client, 32, count);
        const used = process.cpuUsage(cpu);
        return { ...result, cpuMs: (used.user + used.system) / 1_000 };
      } finally {
        uninstall();
      }
    };
    for (const mode of modes) await run(mode, 2_000); // warm-up
    const wall = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    const failures = new Map<string, number>();
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        const result = await run(mode, requests);
        wall.set(mode.name, [...(wall.get(mode.name) ?? []), result.elapsedMs]);
        cpu.set(mode.name, [...(cpu.get(mode.name) ?? []), result.cpuMs]);
        failures.set(mode.name, (failures.get(mode.name) ?? 0) + result.failures);
      }
    }
    const baseWall = median(wall.get(modes[0]?.name ?? '') ?? []);
    const baseCpu = median(cpu.get(modes[0]?.name ?? '') ?? []);
    return modes.map(({ name }) => {
      const mine = median(wall.get(name) ?? []);
      const mineCpu = median(cpu.get(name) ?? []);
      return {
        client: name,
        medianMs: mine,
        minMs: Math.min(...(wall.get(name) ?? [])),
        maxMs: Math.max(...(wall.get(name) ?? [])),
        ratio: mine / baseWall,
        overheadUs: ((mine - baseWall) * 1_000) / requests,
        cpuMs: mineCpu,
        cpuRatio: mineCpu / baseCpu,
        failures: failures.get(name) ?? 0,
      };
    });
  } finally {
    await manager.close();
    await servers.close();
  }
}

export interface ClientOverheadRow {
  readonly client: string;
  /** Median microseconds per request through axios with an adapter that answers at once. */
  readonly usPerRequest: number;
  readonly minUs: number;
  readonly maxUs: number;
}

/**
 * The client side alone: the same comparison as {@link hotPath}, but through an
 * axios adapter that answers 200 at once, so no socket, server or other process
 * adds its noise. `rounds` alternating runs of `requests` at concurrency 32.
 */
export async function clientOverhead(
  rounds: number,
  requests = 20_000,
): Promise<ClientOverheadRow[]> {
  const token = new Token({ accessToken: 'bench-access-token', expiresAt: Date.now() + 3_600_000 });
  const manager = new TokenManager({ serviceName: 'bench', fetchToken: async () => token });
  const api = axios.create({
    baseURL: 'http://127.0.0.1:9',
    adapter: async (config) => ({ data: '', status: 200, statusText: 'OK', headers: {}, config }),
  });
  // withForge returns a new instance; the static header runs on `api` itself.
  let sending = api;
  const client: BenchClient = { get: (path) => axiosStatus(sending, path), close: async () => {} };
  const modes: readonly { name: string; install(): () => void }[] = [
    {
      name: 'static header (axios)',
      install() {
        api.defaults.headers.common.Authorization = token.authorizationHeader;
        return () => {
          delete api.defaults.headers.common.Authorization;
        };
      },
    },
    {
      name: 'forge (axios + withForge)',
      install() {
        sending = withForge(api, manager);
        return () => {
          sending = api;
        };
      },
    },
  ];
  try {
    const perRequest = new Map<string, number[]>();
    for (let round = -1; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        const uninstall = mode.install();
        try {
          const result = await loop(client, 32, requests);
          // Round -1 is the warm-up.
          if (round >= 0) {
            perRequest.set(mode.name, [
              ...(perRequest.get(mode.name) ?? []),
              (result.elapsedMs * 1_000) / requests,
            ]);
          }
        } finally {
          uninstall();
        }
      }
    }
    return modes.map(({ name }) => {
      const values = perRequest.get(name) ?? [];
      return {
        client: name,
        usPerRequest: median(values),
        minUs: Math.min(...values),
        maxUs: Math.max(...values),
      };
    });
  } finally {
    await manager.close();
  }
}
