// What request logging costs per request: each adapter with `withForge`
// and no logger beside the same with pino at `info`, headers and bodies off
// (`{ log: { logger } }`), over a transport that answers at once (no socket,
// no server), in rotating rounds, in fresh processes. pino writes to /dev/null
// through its own asynchronous destination, as in production. Also the
// events logger: the cost of one `fetched` line. Prints figures, asserts nothing.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { withForge as withForgeAxios } from '@forge/axios';
import { type ForgeOptions, logEvents, Token, TokenManager } from '@forge/core';
import { withForge as withForgeFetch } from '@forge/fetch';
import { withForge as withForgeGot } from '@forge/got';
import { withForge as withForgeKy } from '@forge/ky';
import axios from 'axios';
import got, { type BeforeRequestHook } from 'got';
import ky from 'ky';
import pino from 'pino';

const ROUNDS = 11;
const PROCESSES = 3;
const REQUESTS = 3_000;
const TARGET_US = 5;
const BASE = 'http://127.0.0.1:9';

const token = new Token({ accessToken: 'bench-access-token', expiresAt: Date.now() + 3_600_000 });
const manager = new TokenManager({ serviceName: 'bench', fetchToken: async () => token });
// Batched writes (pino's advice for throughput): a write per line would measure the kernel.
const destination = pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 });
await once(destination, 'ready');
const logger = pino({ level: 'info' }, destination);
const LOGGED: ForgeOptions = { log: { logger } };
// A logger that drops every line: what Forge itself spends building one.
const ignore = () => undefined;
const NOOP: ForgeOptions = {
  log: { logger: { debug: ignore, info: ignore, warn: ignore, error: ignore } },
};

/** One request through a client; resolves to the status. */
type Send = () => Promise<number>;
type Make = (options: ForgeOptions) => Send;

const axiosClient: Make = (options) => {
  const client = withForgeAxios(
    axios.create({
      baseURL: BASE,
      adapter: async (config) => ({ data: '', status: 200, statusText: 'OK', headers: {}, config }),
    }),
    manager,
    options,
  );
  return async () => (await client.get('/orders')).status;
};

// A last beforeRequest hook that hands got a response: got sends nothing.
const respondAtOnce: BeforeRequestHook = (options) =>
  Object.assign(Readable.from([Buffer.alloc(0)]), {
    statusCode: 200,
    statusMessage: 'OK',
    headers: {},
    rawHeaders: [],
    httpVersion: '1.1',
    url: String(options.url),
  }) as unknown as ReturnType<BeforeRequestHook>;

const gotClient: Make = (options) => {
  const client = withForgeGot(
    got.extend({ prefixUrl: BASE, retry: { limit: 0 } }),
    manager,
    options,
  ).extend({ hooks: { beforeRequest: [respondAtOnce] } });
  return async () => (await client.get('orders')).statusCode;
};

const kyClient: Make = (options) => {
  const client = withForgeKy(
    ky.create({ prefix: BASE, retry: 0, fetch: async () => new Response('', { status: 200 }) }),
    manager,
    options,
  );
  return async () => (await client.get('orders')).status;
};

const answer: typeof fetch = async () => new Response('', { status: 200 });
const fetchClient: Make = (options) => {
  const client = withForgeFetch(answer, manager, {
    policy: { baseURL: BASE },
    ...options,
  });
  return async () => (await client(`${BASE}/orders`)).status;
};

/** CPU time (user + system) per request, µs: what other processes on a busy machine disturb least. */
async function cpuPerRequest(send: Send): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) {
    if ((await send()) !== 200) throw new Error('the transport did not answer 200');
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / REQUESTS;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const cell = (value: number) => value.toFixed(2).padStart(6);

/** One process's medians for one client, CPU µs per request. */
interface Measured {
  readonly plain: number;
  readonly own: number;
  readonly logged: number;
  readonly added: number;
}

async function measure(make: Make): Promise<Measured> {
  const variants = [make({}), make(NOOP), make(LOGGED)] as const;
  const costs: number[][] = [[], [], []];
  // Round -1 warms all up; the order rotates so none always runs first.
  for (let round = -1; round < ROUNDS; round++) {
    for (let i = 0; i < variants.length; i++) {
      const index = (i + Math.max(round, 0)) % variants.length;
      const cost = await cpuPerRequest(variants[index] as Send);
      if (round >= 0) costs[index]?.push(cost);
    }
  }
  const [plain, noop, logged] = costs.map(median) as [number, number, number];
  return { plain, own: noop - plain, logged, added: logged - plain };
}

// pino alone, writing a line like Forge's: the part of the figures below that is the logger's.
const line = {
  client: 'axios',
  method: 'GET',
  url: `${BASE}/orders`,
  status: 200,
  durationMs: 0.123,
  attempt: 0,
  authorized: true,
};
const pinoAlone = async () => {
  logger.info(line, `GET ${BASE}/orders 200 (0.123 ms)`);
  return 200;
};
const CLIENTS: Record<string, Make> = {
  axios: axiosClient,
  got: gotClient,
  ky: kyClient,
  fetch: fetchClient,
};

const child = process.argv[2] === '--child' ? process.argv[3] : undefined;
if (child === 'pino') {
  const pinoRuns: number[] = [];
  for (let run = -1; run < 5; run++) {
    const cost = await cpuPerRequest(pinoAlone);
    if (run >= 0) pinoRuns.push(cost);
  }
  process.stdout.write(JSON.stringify(median(pinoRuns)));
} else if (child === 'events') {
  // The events logger: one `fetched` line per token, which a manager emits once per expiry.
  const events = new TokenManager({ serviceName: 'bench-events', fetchToken: async () => token });
  const stop = logEvents(events, logger);
  const EVENTS = 20_000;
  const start = process.cpuUsage();
  for (let i = 0; i < EVENTS; i++) await events.forceRefresh();
  const used = process.cpuUsage(start);
  stop();
  await events.close();
  process.stdout.write(JSON.stringify((used.user + used.system) / EVENTS));
} else if (child !== undefined) {
  const make = CLIENTS[child];
  if (make === undefined) throw new Error(`no client named ${child}`);
  process.stdout.write(JSON.stringify(await measure(make)));
} else {
  // Fresh processes with V8's allocation-site pretenuring off, for the reason
  // adapter-overhead.bench.ts gives (its per-process decisions move these
  // clients' own cost by more than the figure measured here).
  const run = (name: string): unknown =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--no-allocation-site-pretenuring',
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--child',
          name,
        ],
        { encoding: 'utf8' },
      ),
    );
  console.log(
    `Request logging, CPU µs per request (median of ${PROCESSES} processes, each the median of ${ROUNDS} rotating rounds x ${REQUESTS.toLocaleString('en-US')} sequential requests; pino at info to /dev/null, headers and bodies off; target: logging adds under ${TARGET_US} µs)\n`,
  );
  console.log(
    "| client | withForge | Forge's own part (no-op logger) | withForge + pino | added with pino (each process) | met |",
  );
  console.log(
    '| ------ | --------- | ------------------------------- | ---------------- | ------------------------------ | --- |',
  );
  for (const name of Object.keys(CLIENTS)) {
    const runs = Array.from({ length: PROCESSES }, () => run(name) as Measured);
    const pick = (field: keyof Measured) => median(runs.map((one) => one[field]));
    const added = pick('added');
    const each = runs.map((one) => one.added.toFixed(2)).join(', ');
    console.log(
      `| ${name.padEnd(6)} | ${cell(pick('plain'))} | ${cell(pick('own'))} | ${cell(pick('logged'))} | ${cell(added)} (${each}) | ${added <= TARGET_US ? 'yes' : '**no**'} |`,
    );
  }
  const pinoCost = median(Array.from({ length: PROCESSES }, () => run('pino') as number));
  const eventsCost = median(Array.from({ length: PROCESSES }, () => run('events') as number));
  console.log(`\npino alone, one such line: ${pinoCost.toFixed(2)} µs CPU`);
  console.log(
    `forceRefresh with logEvents: ${eventsCost.toFixed(2)} µs CPU per refreshed token (the line itself included)`,
  );
}
await manager.close();
destination.flushSync();
