import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { RedisTokenStorage } from '@forge/storage-redis';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import { Redis } from 'ioredis';
import { obtainRedis } from './redis.js';

/** What one run of the example observed. */
export interface RedisExampleResult {
  readonly instances: number;
  readonly calls: number;
  readonly statuses: readonly number[];
  /** Token requests the authorization server saw for the whole "fleet". */
  readonly tokenRequests: number;
  readonly redisStarted: boolean;
}

/**
 * Simulates a fleet: three "instances" (each its own TokenManager and Redis
 * connection, as separate processes would have) share tokens through
 * RedisTokenStorage. All of them calling at once cost one token request.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<RedisExampleResult> {
  const redis = await obtainRedis(env);
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  const prefix = `forge-example:${process.pid}:${Date.now()}:`;
  const instances = [1, 2, 3].map(() => {
    const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const storage = new RedisTokenStorage(connection, { prefix });
    const manager = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'orders',
        clientId: auth.clients.basic.clientId,
        clientSecret: auth.clients.basic.clientSecret,
        tokenEndpoint: auth.tokenEndpoint,
      }),
      { storage },
    );
    return { connection, storage, manager };
  });
  try {
    const calls = instances.flatMap(({ manager }) =>
      Array.from({ length: 5 }, async (_, i) => {
        const token = await manager.getToken();
        const response = await fetch(`${api.url}/orders/${i}`, {
          headers: { authorization: token.authorizationHeader },
        });
        await response.body?.cancel();
        return response.status;
      }),
    );
    const statuses = await Promise.all(calls);
    return {
      instances: instances.length,
      calls: statuses.length,
      statuses,
      tokenRequests: auth.tokenRequests(),
      redisStarted: redis.started,
    };
  } finally {
    for (const { manager, storage, connection } of instances) {
      await manager.close();
      // The storage is ours (we passed it in), so we dispose it: it releases its subscriber connection.
      await storage.dispose();
      connection.disconnect();
    }
    await api.close();
    await auth.close();
    await redis.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const result = await main();
    console.log(
      `${result.instances} instances made ${result.calls} calls (statuses ${[...new Set(result.statuses)].join(', ')}) with ${result.tokenRequests} token request(s) between them${result.redisStarted ? ' (on a redis-server started for this run)' : ''}.`,
    );
    process.exitCode = result.statuses.every((status) => status === 200) ? 0 : 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
