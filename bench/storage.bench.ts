// Shared storages side by side: RedisTokenStorage and PostgresTokenStorage
// (with LISTEN, and through PgBouncer in transaction mode without it), beside
// InMemoryTokenStorage. Prints figures, asserts nothing:
//   1. storage calls per getToken() in steady state (target 0);
//   2. latency of a token read at expiry: another process stored the new
//      token; this one reads it from the backend (what a manager whose token
//      expired does);
//   3. token requests per expiry for 8 processes x 200 concurrent getToken() (target 1).
// Needs redis-server, Debian's postgresql and pgbouncer; starts its own on free ports.
import { randomUUID } from 'node:crypto';
import {
  InMemoryTokenStorage,
  Token,
  TokenManager,
  type TokenProvider,
  type TokenStorage,
} from '@forge/core';
import { PostgresTokenStorage } from '@forge/storage-postgres';
import { RedisTokenStorage } from '@forge/storage-redis';
import {
  bundleFleetChild,
  type FleetEndpoint,
  startFleet,
  startPgbouncer,
  startPostgres,
  startRedisServer,
  summary,
} from '@forge/test-utils';
import { startAuthServer } from '@forge/testkit';
import { Redis } from 'ioredis';
import pg from 'pg';

const STEADY_CALLS = 100_000;
const EXPIRY_READS = 1_000;
const PROCESSES = 8;
const CONCURRENCY = 200;
const ROUNDS = 3;
const HOUR = 3_600_000;

interface Backend {
  readonly name: string;
  storage(): TokenStorage;
  close(): Promise<void>;
}

/** Counts the calls the manager makes to `storage`. */
function counted(storage: TokenStorage): { storage: TokenStorage; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(storage, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (['get', 'set', 'delete', 'has', 'lock'].includes(String(property))) calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage: wrapped, calls: () => calls };
}

let serial = 0;
/** A provider that never calls out: the benchmark is about the storage. */
function provider(clock: () => number): TokenProvider {
  return {
    serviceName: 'bench',
    fetchToken: async () =>
      new Token({ accessToken: `at-${++serial}-${randomUUID()}`, expiresAt: clock() + HOUR }),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function steadyState(backend: Backend): Promise<string> {
  const { storage, calls } = counted(backend.storage());
  const manager = new TokenManager(provider(Date.now), { storage });
  await manager.getToken();
  await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN / subscriber up
  for (let i = 0; i < 1_000; i++) await manager.getToken();
  const before = calls();
  const start = process.hrtime.bigint();
  for (let i = 0; i < STEADY_CALLS; i++) await manager.getToken();
  const ns = Number(process.hrtime.bigint() - start) / STEADY_CALLS;
  const perRequest = (calls() - before) / STEADY_CALLS;
  await manager.close();
  await storage.dispose?.();
  return `${perRequest.toFixed(4)} storage calls/request  ${ns.toFixed(0)} ns/op`;
}

/**
 * A token read at expiry: another process renewed the token and stored it;
 * this process's manager, whose token expired, reads the new one from the
 * backend (its in-process copy has none). Measured as that storage read,
 * over fresh keys, so no copy answers it.
 */
async function readAtExpiry(backend: Backend): Promise<string> {
  const writer = backend.storage();
  const reader = backend.storage();
  const latencies: number[] = [];
  for (let i = 0; i < EXPIRY_READS; i++) {
    const key = `expiry-${i}-${randomUUID()}`;
    await writer.set(
      key,
      new Token({ accessToken: `at-${i}`, expiresAt: Date.now() + HOUR }),
      HOUR,
    );
    const start = process.hrtime.bigint();
    const token = await reader.get(key);
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (token?.accessToken !== `at-${i}`)
      throw new Error(`${backend.name}: read ${token?.accessToken}`);
  }
  await writer.dispose?.();
  await reader.dispose?.();
  latencies.sort((a, b) => a - b);
  return `p50 ${percentile(latencies, 50).toFixed(3)} ms  p99 ${percentile(latencies, 99).toFixed(3)} ms`;
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const postgres = await startPostgres();
  const bouncer = await startPgbouncer(postgres.port);
  const clients: { end(): Promise<unknown> }[] = [];
  const pgPool = (url: string) => {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => {});
    clients.push(pool);
    return pool;
  };
  const backends: Backend[] = [
    {
      name: 'InMemoryTokenStorage',
      storage: () => new InMemoryTokenStorage(),
      close: async () => {},
    },
    {
      name: 'RedisTokenStorage',
      storage: () => {
        const client = new Redis(redis.url);
        clients.push({ end: () => client.quit() });
        return new RedisTokenStorage(client);
      },
      close: async () => {},
    },
    {
      name: 'PostgresTokenStorage',
      storage: () => new PostgresTokenStorage(pgPool(postgres.url)),
      close: async () => {},
    },
    {
      name: 'Postgres via PgBouncer, listen:false',
      storage: () => new PostgresTokenStorage(pgPool(bouncer.url), { listen: false }),
      close: async () => {},
    },
  ];
  try {
    console.log(`1. storage calls per getToken() in steady state (${STEADY_CALLS} awaited calls)`);
    for (const backend of backends) {
      console.log(`  ${backend.name.padEnd(38)} ${await steadyState(backend)}`);
    }
    console.log(
      `\n2. token read at expiry: the new token another instance stored, read from the backend (${EXPIRY_READS} reads)`,
    );
    for (const backend of backends.slice(1)) {
      console.log(`  ${backend.name.padEnd(38)} ${await readAtExpiry(backend)}`);
    }
    console.log(
      `\n3. token requests per expiry, ${PROCESSES} processes x ${CONCURRENCY} concurrent getToken(), ${ROUNDS} expiries (testkit server)`,
    );
    const fleets = [
      {
        name: 'RedisTokenStorage',
        child: new URL('../packages/storage-redis/test/fleet/child.ts', import.meta.url),
        external: [] as string[],
        url: redis.url,
        extra: [] as string[],
      },
      {
        name: 'PostgresTokenStorage',
        child: new URL('../packages/storage-postgres/test/fleet/child.ts', import.meta.url),
        external: ['pg'],
        url: postgres.url,
        extra: [],
      },
      {
        name: 'Postgres via PgBouncer, listen:false',
        child: new URL('../packages/storage-postgres/test/fleet/child.ts', import.meta.url),
        external: ['pg'],
        url: bouncer.url,
        extra: ['off'],
      },
    ];
    const admin = pgPool(postgres.url);
    const flush = new Redis(redis.url);
    clients.push({ end: () => flush.quit() });
    for (const { name, child, external, url, extra } of fleets) {
      // Each fleet starts cold: no token left over from the previous one.
      await flush.flushall();
      await admin.query('DELETE FROM forge_tokens').catch(() => {});
      const bundle = await bundleFleetChild(child, { external });
      const auth = await startAuthServer();
      const endpoint: FleetEndpoint = {
        kind: 'client_credentials',
        tokenEndpoint: auth.tokenEndpoint,
        clientId: auth.clients.basic.clientId,
        clientSecret: auth.clients.basic.clientSecret,
      };
      const fleet = await startFleet(
        bundle.file,
        [url, JSON.stringify(endpoint), ...extra],
        PROCESSES,
      );
      await new Promise((resolve) => setTimeout(resolve, 500)); // listeners up
      const perRound: number[] = [];
      const times: number[] = [];
      let failed = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const before = auth.tokenRequests();
        const start = performance.now();
        const result = summary(await fleet.go((round + 1) * 2 * HOUR, CONCURRENCY));
        times.push(performance.now() - start);
        failed += result.failed;
        perRound.push(auth.tokenRequests() - before);
      }
      await fleet.exit();
      await auth.close();
      await bundle.remove();
      console.log(
        `  ${name.padEnd(38)} ${perRound.join(', ')} token request(s) per expiry  ${failed} failed  ${times.map((t) => t.toFixed(0)).join(', ')} ms per round`,
      );
    }
  } finally {
    for (const client of clients) await client.end().catch(() => {});
    await bouncer.stop();
    await postgres.stop();
    await redis.stop();
  }
}

await main();
