import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A Redis to talk to, and how to let go of it. */
export interface RedisHandle {
  readonly url: string;
  /** Whether this example started the server (and stops it). */
  readonly started: boolean;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * `REDIS_URL` when it is set; otherwise a throwaway `redis-server` on a free
 * loopback port (no persistence). Rejects with an explanation when neither
 * is available.
 */
export async function obtainRedisForTest(
  env: NodeJS.ProcessEnv = process.env,
): Promise<RedisHandle> {
  if (env.REDIS_URL) {
    return { url: env.REDIS_URL, started: false, stop: () => Promise.resolve() };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.once('error', (error) =>
      reject(
        new Error(
          `REDIS_URL is not set and redis-server could not be started (${error.message}). Install Redis (e.g. apt-get install redis-server) or set REDIS_URL=redis://host:6379.`,
        ),
      ),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited with code ${code}: ${output}`)),
    );
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    started: true,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
