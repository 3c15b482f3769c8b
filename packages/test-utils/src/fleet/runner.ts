import { type ChildProcess, spawn } from 'node:child_process';
import type { ResultMessage } from './child-kit.js';

/** A running fleet of child processes, see {@link startFleet}. */
export interface Fleet {
  /** Every process fires its `concurrency` getToken() calls with the clock moved by `offsetMs`. */
  go(offsetMs: number, concurrency: number): Promise<ResultMessage[]>;
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

/**
 * Starts `processes` copies of a bundled fleet child (`node <file> ...args`)
 * and resolves once each reported `ready`.
 *
 * @example
 * ```ts
 * const fleet = await startFleet(bundle.file, [server.url, JSON.stringify(endpoint)], 8);
 * const results = await fleet.go(0, 200);
 * ```
 */
export async function startFleet(
  file: string,
  args: readonly string[],
  processes: number,
): Promise<Fleet> {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [file, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(children.map((spawned) => once(spawned, 'ready')));
  return {
    go: (offsetMs, concurrency) => {
      const results = children.map((spawned) => once<ResultMessage>(spawned, 'result'));
      for (const spawned of children) spawned.send({ type: 'go', offsetMs, concurrency });
      return Promise.all(results);
    },
    exit: async () => {
      await Promise.all(
        children.map((spawned) => {
          if (spawned.exitCode !== null || spawned.signalCode !== null) return undefined;
          const exited = new Promise((resolve) => spawned.once('exit', resolve));
          if (spawned.connected) spawned.send({ type: 'exit' });
          const timer = setTimeout(() => spawned.kill('SIGKILL'), 5_000);
          return exited.finally(() => clearTimeout(timer));
        }),
      );
    },
  };
}

/** What a round of the fleet did, summed over its processes. */
export function summary(results: readonly ResultMessage[]) {
  return {
    ok: results.reduce((sum, result) => sum + result.ok, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    accessTokens: new Set(results.flatMap((result) => result.accessTokens)),
    errors: results.flatMap((result) => result.errors),
  };
}
