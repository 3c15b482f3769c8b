// The fleet case: 8 processes of one service share a token endpoint (and, for
// Forge, a Redis); each sends 200 concurrent requests when it starts and again
// once the 6 s token has expired. The figure is the token requests the second
// burst causes: one per expiry for the whole fleet is the target.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '@forge/test-utils';
import type { Library } from './clients.js';
import { registerClient, startServers, until } from './harness.js';
import { FLEET_TTL_SECONDS, MARGIN_MS } from './scenarios.js';

export interface FleetRow {
  readonly library: string;
  readonly processes: number;
  readonly storage: string;
  readonly coldTokenRequests: number;
  readonly tokenRequestsPerExpiry: number;
  readonly failures: number;
  /** 401 answers of the resource server during the run (a token sent after the server expired it). */
  readonly unauthorized: number;
}

const CHILD = fileURLToPath(new URL('./fleet-child.ts', import.meta.url));

function waitFor<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null) => reject(new Error(`fleet child exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function round(children: readonly ChildProcess[], count: number): Promise<number> {
  const done = children.map((child) => waitFor<{ failures: number }>(child, 'done'));
  for (const child of children) child.send({ type: 'go', count });
  return (await Promise.all(done)).reduce((sum, { failures }) => sum + failures, 0);
}

export async function fleet(
  libraries: readonly Library[],
  processes = 8,
  count = 200,
): Promise<FleetRow[]> {
  const servers = await startServers(FLEET_TTL_SECONDS);
  const redis = await startRedisServer();
  const rows: FleetRow[] = [];
  try {
    for (const library of libraries) {
      const shared = library.name === 'forge';
      const env = await registerClient(servers, library, MARGIN_MS, shared ? redis.url : undefined);
      const children = Array.from({ length: processes }, () =>
        fork(CHILD, [library.name, JSON.stringify(env)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      try {
        await Promise.all(children.map((child) => waitFor(child, 'ready')));
        servers.api.resetCounters();
        let failures = await round(children, count);
        const firstDone = performance.now();
        const cold = servers.auth.tokenRequests(env.clientId);
        await until(firstDone + FLEET_TTL_SECONDS * 1_000 + 100);
        failures += await round(children, count);
        rows.push({
          library: library.name,
          processes,
          storage: shared ? 'RedisTokenStorage' : 'process memory',
          coldTokenRequests: cold,
          tokenRequestsPerExpiry: servers.auth.tokenRequests(env.clientId) - cold,
          failures,
          unauthorized: servers.api.requests({ status: 401 }),
        });
      } finally {
        await Promise.all(
          children.map(
            (child) =>
              new Promise<void>((resolve) => {
                if (child.exitCode !== null) return resolve();
                child.once('exit', () => resolve());
                child.send({ type: 'exit' });
                setTimeout(() => child.kill(), 5_000).unref();
              }),
          ),
        );
      }
    }
  } finally {
    await redis.stop();
    await servers.close();
  }
  return rows;
}
