import {
  bundleFleetChild,
  type Fleet,
  type FleetBundle,
  type FleetEndpoint,
  type RedisServer,
  skipWithoutRedis,
  startFleet as start,
  startRedisServer,
  summary,
} from '@forge/test-utils';
import { startAuthServer } from '@forge/testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisTokenStorage } from '../src/index.js';
import { client, subscribers } from './helpers.js';

const PROCESSES = 8;
const CONCURRENCY = 200;
const HOUR = 3_600_000;

async function startFleet(
  child: string,
  redisUrl: string,
  endpoint: FleetEndpoint,
): Promise<Fleet> {
  return start(child, [redisUrl, JSON.stringify(endpoint)], PROCESSES);
}

describe.skipIf(skipWithoutRedis)(`a fleet of ${PROCESSES} processes on one Redis`, () => {
  let server: RedisServer;
  let redis: Redis;
  let fleet: Fleet | undefined;
  let bundle: FleetBundle;

  beforeAll(async () => {
    bundle = await bundleFleetChild(new URL('./fleet/child.ts', import.meta.url));
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

      const cold = summary(await fleet.go(0, CONCURRENCY));
      expect(cold.errors).toEqual([]);
      expect(cold.ok).toBe(PROCESSES * CONCURRENCY);
      expect(cold.accessTokens.size).toBe(1);
      expect(auth.tokenRequests()).toBe(1);

      // Every process's clock moves past the token's expiry at once.
      const expired = summary(await fleet.go(2 * HOUR, CONCURRENCY));
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
        const result = summary(await fleet.go(round * 2 * HOUR, CONCURRENCY));
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
