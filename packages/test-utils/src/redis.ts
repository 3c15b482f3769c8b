import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A `redis-server` child process started by {@link startRedisServer}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, for `new Redis(url)`. */
  readonly url: string;
  readonly port: number;
  /** Shuts the server down gracefully and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL (a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after `stop` or `kill`); data is gone. */
  restart(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port to listen on; a free port by default. */
  readonly port?: number;
  /** Extra `redis-server` arguments, such as `['--cluster-enabled', 'yes']`. */
  readonly args?: readonly string[];
  /**
   * A config file, passed as the first argument (Sentinel needs one it can
   * rewrite); the command-line options above override what it sets.
   */
  readonly configFile?: string;
}

const BINARY = 'redis-server';

function findBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, BINARY);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Whether a `redis-server` binary is on the PATH. */
export const redisServerAvailable: boolean = findBinary() !== undefined;

/**
 * Whether tests that need Redis should be skipped: only locally, when the
 * binary is missing. Under `CI=true` they run (and fail), so CI never passes
 * by silently skipping them.
 *
 * @example
 * ```ts
 * describe.skipIf(skipWithoutRedis)('RedisTokenStorage', () => { … });
 * ```
 */
export const skipWithoutRedis: boolean = !redisServerAvailable && process.env.CI !== 'true';

if (skipWithoutRedis) {
  console.warn(
    '[test-utils] redis-server is not installed: tests that need Redis are skipped locally ' +
      '(install it with `apt-get install redis-server`; under CI=true they fail instead).',
  );
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts the real `redis-server` on a free loopback port without persistence
 * (`--save '' --appendonly no`) and resolves once it answers `PING`. Throws
 * when the binary is missing; pair it with {@link skipWithoutRedis}.
 *
 * @example
 * ```ts
 * const server = await startRedisServer();
 * const redis = new Redis(server.url);
 * await server.kill();    // simulate a crash
 * await server.restart(); // same port, empty
 * await server.stop();
 * ```
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServer> {
  const binary = findBinary();
  if (!binary) {
    throw new Error(
      '[test-utils] redis-server is not on the PATH: install it (`apt-get install redis-server`) to run these tests',
    );
  }
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const spawned = spawn(
      binary,
      [
        ...(options.configFile === undefined ? [] : [options.configFile]),
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        tmpdir(),
        '--loglevel',
        'warning',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = spawned;
    let stderr = '';
    spawned.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (spawned.exitCode !== null) break;
      if (await ping(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    spawned.kill('SIGKILL');
    throw new Error(`[test-utils] redis-server did not answer PING on port ${port}: ${stderr}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current) return;
    current.kill(signal);
    await exited(current);
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGKILL');
      await launch();
    },
  };
}

/** Options of {@link startRedisSentinel}. */
export interface StartRedisSentinelOptions {
  /** Port of the master the sentinel monitors (on 127.0.0.1). */
  readonly masterPort: number;
  /** The monitored master's name, for `new Redis({ sentinels, name })`; `forge` by default. */
  readonly name?: string;
  /** Port of the sentinel; a free port by default. */
  readonly port?: number;
  /** `sentinel down-after-milliseconds`; 1000 by default, so failovers take seconds. */
  readonly downAfterMs?: number;
  /** `sentinel failover-timeout`; 3000 by default. */
  readonly failoverTimeoutMs?: number;
}

/**
 * Starts a real Redis Sentinel (`redis-server <conf> --sentinel`) on a free
 * loopback port, monitoring the master on `masterPort` with a quorum of 1,
 * and resolves once it answers `PING`. Its config file lives in a temporary
 * directory that `stop` and `kill` remove; `restart` starts from the initial
 * config (what it learned, such as a failover, is gone).
 *
 * @example
 * ```ts
 * const master = await startRedisServer();
 * const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
 * const sentinel = await startRedisSentinel({ masterPort: master.port });
 * const redis = new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'forge' });
 * ```
 */
export async function startRedisSentinel(options: StartRedisSentinelOptions): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'forge-sentinel-'));
  const configFile = join(dir, 'sentinel.conf');
  const name = options.name ?? 'forge';
  const config = [
    `port ${port}`,
    'bind 127.0.0.1',
    'sentinel resolve-hostnames no',
    `sentinel monitor ${name} 127.0.0.1 ${options.masterPort} 1`,
    `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
    `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3_000}`,
    '',
  ].join('\n');
  await writeFile(configFile, config);
  let server: RedisServer;
  try {
    server = await startRedisServer({ port, configFile, args: ['--sentinel'] });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const removeConfig = () => rm(dir, { recursive: true, force: true });
  return {
    url: server.url,
    port,
    stop: async () => {
      await server.stop();
      await removeConfig();
    },
    kill: async () => {
      await server.kill();
      await removeConfig();
    },
    restart: async () => {
      await server.kill();
      await mkdir(dir, { recursive: true });
      await writeFile(configFile, config);
      await server.restart();
    },
  };
}
