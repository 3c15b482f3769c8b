// Forge beside the libraries users would otherwise pick, in one run, against the
// @forge/testkit servers on 127.0.0.1. Prints the tables and writes RESULTS.md.
//   node … side-by-side.bench.ts            full run (about 3 minutes)
//   node … side-by-side.bench.ts --quick    smaller counts, for trying changes; writes nothing
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LIBRARIES } from './side-by-side/clients.js';
import { type FleetRow, fleet } from './side-by-side/fleet.js';
import {
  type ClientOverheadRow,
  clientOverhead,
  coldStampede,
  expiryStampede,
  FLEET_TTL_SECONDS,
  type HotPathRow,
  hotPath,
  MARGIN_MS,
  OUTAGE_TTL_SECONDS,
  type OutageRow,
  outage,
  type RevocationRow,
  revocation,
  SHORT_TTL_SECONDS,
  type StampedeRow,
} from './side-by-side/scenarios.js';

const quick = process.argv.includes('--quick');
const STAMPEDE = quick ? 200 : 1_000;
const REVOCATION = 200;
const HOT_REQUESTS = quick ? 2_000 : 20_000;
const HOT_ROUNDS = 3;
const FLEET_PROCESSES = 8;

type Cell = string | number;
type Counted = { library: string; tokenRequests: number; failures: number };

function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map(String));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...text.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(headers),
    `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`,
    ...text.map(line),
  ].join('\n');
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : 'n/a');

function version(name: string): string {
  const path = fileURLToPath(new URL(`./node_modules/${name}/package.json`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

function section(title: string, body: string): string {
  console.log(`\n${title}\n${body}`);
  return `### ${title}\n\n${body}\n`;
}

const started = performance.now();
const libraries = LIBRARIES;
const parts: string[] = [];

console.log(`side-by-side benchmark${quick ? ' (quick)' : ''}: ${libraries.length} libraries`);

const cold: StampedeRow[] = await coldStampede(libraries, STAMPEDE);
parts.push(
  section(
    `Cold stampede: ${STAMPEDE.toLocaleString('en-US')} concurrent requests, no token yet`,
    table(
      ['library', 'token requests', 'failures', 'p50 ms', 'p99 ms'],
      cold.map((r) => [r.library, r.tokenRequests, r.failures, ms(r.p50Ms), ms(r.p99Ms)]),
    ),
  ),
);

const expiry: StampedeRow[] = await expiryStampede(libraries, STAMPEDE);
parts.push(
  section(
    `Expiry stampede: ${STAMPEDE.toLocaleString('en-US')} concurrent requests once the token expired (${SHORT_TTL_SECONDS} s tokens)`,
    table(
      ['library', 'token requests', 'failures', 'p50 ms', 'p99 ms'],
      expiry.map((r) => [r.library, r.tokenRequests, r.failures, ms(r.p50Ms), ms(r.p99Ms)]),
    ),
  ),
);

const revoked: RevocationRow[] = await revocation(libraries, REVOCATION);
parts.push(
  section(
    `Server-side revocation: every token revoked, then ${REVOCATION} concurrent requests`,
    table(
      ['library', 'token requests', 'failures', 'resource requests'],
      revoked.map((r) => [r.library, r.tokenRequests, r.failures, r.resourceRequests]),
    ),
  ),
);

const down: OutageRow[] = await outage(libraries);
parts.push(
  section(
    'Token endpoint outage (503) while the cached token is still valid: 32 workers for the outage',
    table(
      ['library', 'requests', 'failures', 'token requests during outage'],
      down.map((r) => [r.library, r.requests, r.failures, r.tokenRequests]),
    ),
  ),
);

const hot: HotPathRow[] = await hotPath(HOT_ROUNDS, HOT_REQUESTS);
parts.push(
  section(
    `Hot path: ${HOT_REQUESTS.toLocaleString('en-US')} requests at concurrency 32 on one axios instance and server, median of ${HOT_ROUNDS} alternating runs`,
    table(
      [
        'client',
        'median ms',
        'min-max ms',
        'ratio',
        'overhead µs/request',
        'CPU ms',
        'CPU ratio',
        'failures',
      ],
      hot.map((r) => [
        r.client,
        ms(r.medianMs),
        `${ms(r.minMs)}-${ms(r.maxMs)}`,
        r.ratio.toFixed(3),
        r.overheadUs.toFixed(1),
        ms(r.cpuMs),
        r.cpuRatio.toFixed(3),
        r.failures,
      ]),
    ),
  ),
);

const overhead: ClientOverheadRow[] = await clientOverhead(HOT_ROUNDS, HOT_REQUESTS);
const baseUs = overhead[0]?.usPerRequest ?? Number.NaN;
parts.push(
  section(
    `Client side alone: the same ${HOT_REQUESTS.toLocaleString('en-US')} requests through an axios adapter that answers at once (no socket, no server), median of ${HOT_ROUNDS} alternating runs`,
    table(
      ['client', 'µs/request', 'min-max µs', 'Forge adds µs/request'],
      overhead.map((r) => [
        r.client,
        r.usPerRequest.toFixed(1),
        `${r.minUs.toFixed(1)}-${r.maxUs.toFixed(1)}`,
        (r.usPerRequest - baseUs).toFixed(1),
      ]),
    ),
  ),
);

const fleetRows: FleetRow[] = await fleet(libraries, FLEET_PROCESSES, 200);
parts.push(
  section(
    `Fleet: ${FLEET_PROCESSES} processes x 200 concurrent requests, at start and once the token expired (${FLEET_TTL_SECONDS} s tokens)`,
    table(
      [
        'library',
        'storage',
        'token requests at start',
        'token requests per expiry',
        'failures',
        '401s from the API',
      ],
      fleetRows.map((r) => [
        r.library,
        r.storage,
        r.coldTokenRequests,
        r.tokenRequestsPerExpiry,
        r.failures,
        r.unauthorized,
      ]),
    ),
  ),
);

const elapsedS = (performance.now() - started) / 1_000;
console.log(`\ndone in ${elapsedS.toFixed(0)} s`);

const forge = (rows: readonly { library: string }[]) => rows.find((r) => r.library === 'forge');
const peersOf = <T extends { library: string }>(rows: readonly T[]) =>
  rows.filter((r) => r.library !== 'forge' && !r.library.startsWith('static'));
const hotForge = hot.find((r) => r.client.startsWith('forge')) as HotPathRow;
const checks: [string, boolean][] = [
  [
    'hot path within 3% of the static-header baseline (median wall time and median CPU time)',
    hotForge.ratio <= 1.03 && hotForge.cpuRatio <= 1.03,
  ],
  [
    '1 token request per stampede (cold, expiry, revocation, fleet)',
    (forge(cold) as StampedeRow).tokenRequests === 1 &&
      (forge(expiry) as StampedeRow).tokenRequests === 1 &&
      (forge(revoked) as RevocationRow).tokenRequests === 1 &&
      (forge(fleetRows) as FleetRow).tokenRequestsPerExpiry === 1,
  ],
  [
    '0 failures in every scenario',
    hot.every((r) => r.failures === 0) &&
      [cold, expiry, revoked, down, fleetRows].every(
        (rows: readonly { library: string; failures: number }[]) =>
          rows.find((r) => r.library === 'forge')?.failures === 0,
      ),
  ],
  [
    'no more failures than any peer, in every scenario',
    (
      [cold, expiry, revoked, down, fleetRows] as readonly (readonly {
        library: string;
        failures: number;
      }[])[]
    ).every((rows) =>
      peersOf(rows).every(
        (peer) => (rows.find((r) => r.library === 'forge')?.failures ?? 1) <= peer.failures,
      ),
    ),
  ],
  [
    'no more token requests than any peer that failed no request (cold, expiry, revocation, fleet)',
    ([cold, expiry, revoked] as readonly (readonly Counted[])[]).every((rows) =>
      peersOf(rows)
        .filter((peer) => peer.failures === 0)
        .every((peer) => (forge(rows) as Counted).tokenRequests <= peer.tokenRequests),
    ) &&
      peersOf(fleetRows)
        .filter((peer) => peer.failures === 0)
        .every(
          (peer) =>
            (forge(fleetRows) as FleetRow).tokenRequestsPerExpiry <= peer.tokenRequestsPerExpiry,
        ),
  ],
  [
    'no more token requests than any peer, whatever its failures (cold, expiry, revocation, fleet)',
    ([cold, expiry, revoked] as readonly (readonly Counted[])[]).every((rows) =>
      peersOf(rows).every((peer) => (forge(rows) as Counted).tokenRequests <= peer.tokenRequests),
    ) &&
      peersOf(fleetRows).every(
        (peer) =>
          (forge(fleetRows) as FleetRow).tokenRequestsPerExpiry <= peer.tokenRequestsPerExpiry,
      ),
  ],
];
const targets = table(
  ['target', 'met'],
  checks.map(([name, met]) => [name, met ? 'yes' : '**no**']),
);
console.log(`\nTargets\n${targets}`);

if (!quick) {
  const cpu = cpus();
  const peers = [
    'axios',
    'axios-auth-refresh',
    'axios-oauth-client',
    'simple-oauth2',
    '@badgateway/oauth2-client',
    'openid-client',
    'ioredis',
  ];
  const document = `# Side-by-side results

Written by \`side-by-side.bench.ts\` from one real run (${new Date().toISOString()}, ${elapsedS.toFixed(0)} s).
Re-run with \`npx -y pnpm@10 bench\` from the repository root; see README.md for what each scenario does.

## Machine

- CPU: ${cpu[0]?.model ?? 'unknown'}, ${cpu.length} cores
- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB
- Node ${process.version} on ${process.platform} ${process.arch}

## Versions

${peers.map((name) => `- ${name} ${version(name)}`).join('\n')}
- @forge/* from this repository (sources, commit of this file)
- servers: @forge/testkit (oidc-provider authorization server, resource server), redis-server for the fleet

Every library uses a client registered for it alone (so the token endpoint counts its requests
apart), a token lifetime of 1 hour (cold, revocation, hot path), ${SHORT_TTL_SECONDS} s (expiry) or
${OUTAGE_TTL_SECONDS} s (outage, fleet), and treats a token as expired ${MARGIN_MS} ms before its expiry (Forge's \`skewMs\`).

## Targets (Forge)

${targets}

## Figures

${parts.join('\n')}`;
  writeFileSync(new URL('./RESULTS.md', import.meta.url), document);
  console.log('\nwrote bench/RESULTS.md');
}
process.exit(0);
