// RedisTokenStorage beside InMemoryTokenStorage. Prints figures, asserts nothing:
//   1. Redis commands per getToken() in steady state (target 0), and ns/op;
//   2. token requests per expiry for N processes x 200 concurrent getToken() (target 1).
// Needs `redis-server` on the PATH; starts its own on a free port.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InMemoryTokenStorage,
  Token,
  TokenManager,
  type TokenProvider,
  type TokenStorage,
} from '@forge/core';
import { RedisTokenStorage } from '@forge/storage-redis';
import { startRedisServer } from '@forge/test-utils';
import { Redis } from 'ioredis';

const STEADY_CALLS = 1_000_000;
const FLEET_SIZES = [1, 2, 4, 8];
const CONCURRENCY = 200;
const HOUR = 3_600_000;

function provider(url: string, clock: () => number): TokenProvider {
  return {
    serviceName: 'bench',
    async fetchToken() {
      const response = await fetch(url, { method: 'POST', body: 'grant_type=client_credentials' });
      const body = (await response.json()) as { access_token: string; expires_in: number };
      return new Token({
        accessToken: body.access_token,
        expiresAt: clock() + body.expires_in * 1_000,
      });
    },
  };
}

async function child(redisUrl: string, tokenUrl: string): Promise<void> {
  let offsetMs = 0;
  const clock = (): number => Date.now() + offsetMs;
  const redis = redisUrl === 'memory' ? undefined : new Redis(redisUrl);
  const storage: TokenStorage = redis ? new RedisTokenStorage(redis) : new InMemoryTokenStorage();
  const manager = new TokenManager(provider(tokenUrl, clock), {
    storage,
    clock,
    refreshAhead: false,
    skewMs: 0,
  });
  process.on('message', (message: { type: 'go'; offsetMs: number } | { type: 'exit' }) => {
    if (message.type === 'go') {
      offsetMs = message.offsetMs;
      void Promise.all(Array.from({ length: CONCURRENCY }, () => manager.getToken())).then(() =>
        process.send?.({ type: 'done' }),
      );
    } else {
      void manager.close().then(async () => {
        await storage.dispose?.();
        await redis?.quit();
        process.disconnect();
      });
    }
  });
  process.send?.({ type: 'ready' });
}

async function tokenEndpoint() {
  let requests = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests++;
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({ access_token: `at-${requests}`, token_type: 'Bearer', expires_in: 3_600 }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function commandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

async function steadyState(redisUrl: string, tokenUrl: string): Promise<void> {
  const admin = new Redis(redisUrl);
  console.log('getToken() in steady state (one process, token cached)');
  for (const name of ['InMemoryTokenStorage', 'RedisTokenStorage']) {
    const redis = new Redis(redisUrl);
    const storage: TokenStorage =
      name === 'RedisTokenStorage' ? new RedisTokenStorage(redis) : new InMemoryTokenStorage();
    const manager = new TokenManager(provider(tokenUrl, Date.now), { storage });
    await manager.getToken();
    for (let i = 0; i < STEADY_CALLS; i++) await manager.getToken(); // warm-up
    const before = await commandCount(admin);
    const start = process.hrtime.bigint();
    for (let i = 0; i < STEADY_CALLS; i++) await manager.getToken();
    const ns = Number(process.hrtime.bigint() - start) / STEADY_CALLS;
    // The INFO call that reads the counter counts itself once.
    const commands = (await commandCount(admin)) - before - 1;
    console.log(
      `  ${name.padEnd(22)} ${(commands / STEADY_CALLS).toFixed(6)} Redis commands/request  ${ns.toFixed(1)} ns/op (awaited)`,
    );
    await manager.close();
    await storage.dispose?.();
    await redis.quit();
  }
  await admin.quit();
}

function once(process: ChildProcess, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }): void => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

/**
 * Bundles this file for the child processes: compiling the TypeScript sources
 * in every child would cost seconds each; one bundle takes a fraction of one.
 */
async function bundleSelf(): Promise<{ file: string; remove(): Promise<void> }> {
  const { build } = await import('tsdown');
  const outDir = await mkdtemp(join(tmpdir(), 'forge-bench-'));
  await build({
    config: false,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    entry: { child: fileURLToPath(import.meta.url) },
    outDir,
    format: ['esm'],
    platform: 'node',
    dts: false,
    clean: false,
    logLevel: 'error',
    deps: { alwaysBundle: (id: string) => id !== 'tsdown' },
    inputOptions: { resolve: { conditionNames: ['@forge/source', 'import', 'node', 'default'] } },
  });
  return {
    file: join(outDir, 'child.mjs'),
    remove: () => rm(outDir, { recursive: true, force: true }),
  };
}

async function fleet(redisUrl: string): Promise<void> {
  const admin = new Redis(redisUrl);
  const bundle = await bundleSelf();
  console.log(`token requests per expiry, N processes x ${CONCURRENCY} concurrent getToken()`);
  for (const backend of ['memory', redisUrl]) {
    const name = backend === 'memory' ? 'InMemoryTokenStorage' : 'RedisTokenStorage';
    const figures: string[] = [];
    for (const size of FLEET_SIZES) {
      // Each fleet starts cold: no token left over from the previous one.
      await admin.flushall();
      const endpoint = await tokenEndpoint();
      const processes = Array.from({ length: size }, () =>
        spawn(process.execPath, [bundle.file, 'child', backend, endpoint.url], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      await Promise.all(processes.map((spawned) => once(spawned, 'ready')));
      // Let every subscriber connection come up before the first expiry.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rounds = 3;
      for (let round = 0; round < rounds; round++) {
        const done = processes.map((spawned) => once(spawned, 'done'));
        for (const spawned of processes) spawned.send({ type: 'go', offsetMs: round * 2 * HOUR });
        await Promise.all(done);
      }
      figures.push(`N=${size}: ${(endpoint.requests() / rounds).toFixed(2)}`);
      await Promise.all(
        processes.map((spawned) => {
          spawned.send({ type: 'exit' });
          return new Promise((resolve) => spawned.once('exit', resolve));
        }),
      );
      await endpoint.close();
    }
    console.log(`  ${name.padEnd(22)} ${figures.join('  ')}`);
  }
  await admin.quit();
  await bundle.remove();
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const endpoint = await tokenEndpoint();
  try {
    await steadyState(server.url, endpoint.url);
    await fleet(server.url);
  } finally {
    await endpoint.close();
    await server.stop();
  }
}

if (process.argv[2] === 'child') {
  await child(process.argv[3] ?? 'memory', process.argv[4] ?? '');
} else {
  await main();
}
