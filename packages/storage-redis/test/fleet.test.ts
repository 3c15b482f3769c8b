import { type ChildProcess, spawn } from 'node:child_process';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '@forge/test-utils';
import { startAuthServer } from '@forge/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStorage } from '../src/index.js';
import { bundleFleetChild, type FleetBundle } from './fleet/bundle.js';
import type { FleetEndpoint, ResultMessage } from './fleet/child.js';
import { client, subscribers } from './helpers.js';

const PROCESSES = 8;
const CONCURRENCY = 200;
const HOUR = 3_600_000;

interface Fleet {
  go(offsetMs: number): Promise<ResultMessage[]>;
  exit(): Promise<void>;
}

function once<T>(process: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      process.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`fleet process exited with ${code} before sending ${type}`));
    process.on('message', onMessage);
    process.once('exit', onExit);
  });
}

async function startFleet(
  child: string,
  redisUrl: string,
  endpoint: FleetEndpoint,
): Promise<Fleet> {
  const processes = Array.from({ length: PROCESSES }, () =>
    spawn(process.execPath, [child, redisUrl, JSON.stringify(endpoint)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(processes.map((spawned) => once(spawned, 'ready')));
  return {
    go: (offsetMs) => {
      const results = processes.map((spawned) => once<ResultMessage>(spawned, 'result'));
      for (const spawned of processes) {
        spawned.send({ type: 'go', offsetMs, concurrency: CONCURRENCY });
      }
      return Promise.all(results);
    },
    exit: async () => {
      await Promise.all(
        processes.map((spawned) => {
          const exited = new Promise((resolve) => spawned.once('exit', resolve));
          if (spawned.connected) spawned.send({ type: 'exit' });
          const timer = setTimeout(() => spawned.kill('SIGKILL'), 5_000);
          return exited.finally(() => clearTimeout(timer));
        }),
      );
    },
  };
}

function summary(results: ResultMessage[]) {
  return {
    ok: results.reduce((sum, result) => sum + result.ok, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    accessTokens: new Set(results.flatMap((result) => result.accessTokens)),
    errors: results.flatMap((result) => result.errors),
  };
}

describe.skipIf(skipWithoutRedis)(`a fleet of ${PROCESSES} processes on one Redis`, () => {
  let server: RedisServer;
  let redis: Redis;
  let fleet: Fleet | undefined;
  let bundle: FleetBundle;

  beforeAll(async () => {
    bundle = await bundleFleetChild();
    server = await startRedisServer();
    redis = client(server.url);
  });
  afterEach(async () => {
    await fleet?.exit();
    fleet = undefined;
    await redis.flushall();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
    await bundle.remove();
  });

  it(`makes exactly one token request per expiry for ${PROCESSES} x ${CONCURRENCY} concurrent getToken() (testkit server)`, async () => {
    const auth = await startAuthServer();
    try {
      const client = auth.clients.basic;
      fleet = await startFleet(bundle.file, server.url, {
        kind: 'client_credentials',
        tokenEndpoint: auth.tokenEndpoint,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
      });
      await subscribers(redis, PROCESSES);

      const cold = summary(await fleet.go(0));
      expect(cold.errors).toEqual([]);
      expect(cold.ok).toBe(PROCESSES * CONCURRENCY);
      expect(cold.accessTokens.size).toBe(1);
      expect(auth.tokenRequests()).toBe(1);

      // Every process's clock moves past the token's expiry at once.
      const expired = summary(await fleet.go(2 * HOUR));
      expect(expired.errors).toEqual([]);
      expect(expired.ok).toBe(PROCESSES * CONCURRENCY);
      expect(expired.accessTokens.size).toBe(1);
      expect([...expired.accessTokens][0]).not.toBe([...cold.accessTokens][0]);
      expect(auth.tokenRequests({ grantType: 'client_credentials', status: 200 })).toBe(2);
      expect(auth.tokenRequests()).toBe(2);
    } finally {
      await fleet?.exit();
      fleet = undefined;
      await auth.close();
    }
  });

  it('never uses a rotated refresh token twice and keeps the newest one (testkit server)', async () => {
    const auth = await startAuthServer();
    try {
      const client = auth.clients.post;
      const user = auth.users[0]!;
      fleet = await startFleet(bundle.file, server.url, {
        kind: 'password',
        tokenEndpoint: auth.tokenEndpoint,
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        username: user.username,
        password: user.password,
      });
      await subscribers(redis, PROCESSES);
      const rounds = 4;
      for (let round = 0; round < rounds; round++) {
        const result = summary(await fleet.go(round * 2 * HOUR));
        expect(result.errors).toEqual([]);
        expect(result.ok).toBe(PROCESSES * CONCURRENCY);
        expect(result.accessTokens.size).toBe(1);
      }
      expect(auth.tokenRequests({ grantType: 'password' })).toBe(1);
      expect(auth.tokenRequests({ grantType: 'refresh_token' })).toBe(rounds - 1);
      expect(auth.tokenRequests({ status: 400 })).toBe(0);
      expect(auth.tokenRequests()).toBe(rounds);

      // The stored refresh token is the newest: rotation revokes the whole grant when an
      // older one is used, so only the newest can still be refreshed.
      const reader = new RedisTokenStorage(redis, { localTier: false });
      const stored = await reader.get('fleet');
      await reader.dispose();
      const response = await fetch(auth.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: stored?.refreshToken ?? '',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }).toString(),
      });
      expect(response.status).toBe(200);
    } finally {
      await fleet?.exit();
      fleet = undefined;
      await auth.close();
    }
  });
});
