import { pathToFileURL } from 'node:url';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import { axiosAdapter } from './adapters/axios.js';
import { dpopAdapter } from './adapters/dpop.js';
import { expressAdapter } from './adapters/express.js';
import { gotAdapter } from './adapters/got.js';
import { kyAdapter } from './adapters/ky.js';
import { nestAdapter } from './adapters/nest.js';
import { oauth1Adapter } from './adapters/oauth1.js';
import { postgresAdapter } from './adapters/postgres.js';
import { redisAdapter } from './adapters/redis.js';
import type { DemoAdapter } from './adapters/types.js';
import { unstorageAdapter } from './adapters/unstorage.js';
import { percentile, runLoad } from './load.js';
import { obtainPostgres } from './postgres.js';
import { type DemoRow, exitCodeFor, formatTable } from './table.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Requests per adapter. Default 200. */
  readonly requests?: number;
  /** Requests in flight per adapter. Default 20. */
  readonly concurrency?: number;
  /** Also run axios on RedisTokenStorage against this Redis. */
  readonly redisUrl?: string | undefined;
  /** Also run axios on PostgresTokenStorage against this PostgreSQL. */
  readonly postgresUrl?: string | undefined;
}

/** What the demo measured, and the exit code it implies. */
export interface DemoResult {
  readonly rows: readonly DemoRow[];
  readonly exitCode: number;
  readonly errors: readonly string[];
}

/**
 * Starts the testkit authorization server and protected API in-process, runs
 * every adapter against them in turn (a fresh token manager each, the API
 * revoking every token halfway through), and closes everything.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const requests = options.requests ?? 200;
  const concurrency = options.concurrency ?? 20;
  const adapters: DemoAdapter[] = [
    axiosAdapter,
    gotAdapter,
    kyAdapter,
    nestAdapter,
    expressAdapter,
    oauth1Adapter,
    unstorageAdapter,
    dpopAdapter,
  ];
  if (options.redisUrl) adapters.push(redisAdapter(options.redisUrl));
  if (options.postgresUrl) adapters.push(postgresAdapter(options.postgresUrl));

  // DPoP on: clients that send a proof get DPoP-bound tokens, the others Bearer tokens.
  const auth = await startAuthServer({ dpop: true });
  const api = await startResourceServer({ auth });
  const rows: DemoRow[] = [];
  const errors: string[] = [];
  try {
    for (const adapter of adapters) {
      auth.resetCounters();
      let running: Awaited<ReturnType<DemoAdapter['start']>> | undefined;
      try {
        running = await adapter.start({ auth, api });
        const result = await runLoad({
          requests,
          concurrency,
          call: running.call,
          halfway: () => api.revokeAll(),
        });
        rows.push({
          adapter: adapter.name,
          requests,
          tokenRequests: auth.tokenRequests(),
          failures: result.failures,
          p50Ms: percentile(result.latenciesMs, 50),
          p99Ms: percentile(result.latenciesMs, 99),
        });
        errors.push(...result.errors.slice(0, 5).map((error) => `${adapter.name}: ${error}`));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        rows.push({
          adapter: adapter.name,
          requests,
          tokenRequests: auth.tokenRequests(),
          failures: requests,
          p50Ms: 0,
          p99Ms: 0,
          error: message,
        });
        errors.push(`${adapter.name}: ${message}`);
      } finally {
        await running?.close();
      }
    }
  } finally {
    await api.close();
    await auth.close();
  }
  return { rows, exitCode: exitCodeFor(rows), errors };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const redisUrl = process.env.REDIS_URL;
  console.log(
    `Forge demo: each adapter sends 200 requests (20 at a time) to a local protected API; the API revokes every token halfway.${
      redisUrl ? '' : ' Set REDIS_URL to add axios on RedisTokenStorage.'
    }\n`,
  );
  const postgres = await obtainPostgres(process.env);
  console.log(`${postgres.note}\n`);
  let result: DemoResult;
  try {
    result = await runDemo({ redisUrl, postgresUrl: postgres.url });
  } finally {
    await postgres.stop();
  }
  console.log(formatTable(result.rows));
  for (const error of result.errors) console.error(error);
  console.log(result.exitCode === 0 ? '\nEvery adapter succeeded.' : '\nSome adapters failed.');
  process.exitCode = result.exitCode;
}
