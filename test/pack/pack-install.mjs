// The packages as a stranger gets them: packs every published package (pnpm
// rewrites `workspace:` ranges), installs the tarballs with npm in a scratch
// project outside the workspace, type-checks code that imports every package
// (ESM `nodenext`, CommonJS, and `bundler` resolution, `skipLibCheck: false`,
// beside Express 5's types), and runs the root README's quick start against
// the testkit server. Run by the root `test` script after the build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'forge-pack-'));
const tarballs = join(scratch, 'tarballs');
const app = join(scratch, 'app');
mkdirSync(tarballs);
mkdirSync(app);

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function step(name, action) {
  const started = performance.now();
  try {
    action();
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    console.error(`pack-install: ${name} failed\n${output || error.message}`);
    process.exitCode = 1;
    throw error;
  }
  console.log(`pack-install: ${name} (${Math.round(performance.now() - started)} ms)`);
}

const published = readdirSync(join(root, 'packages')).filter((name) => {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  return manifest.private !== true;
});

try {
  step(`pack ${published.length} packages`, () => {
    for (const name of published) {
      run(
        'npx',
        ['-y', 'pnpm@10', 'pack', '--pack-destination', tarballs],
        join(root, 'packages', name),
      );
    }
  });

  const dependencies = Object.fromEntries(
    readdirSync(tarballs).map((file) => [
      `@forge/${file.replace(/^forge-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`,
      `file:../tarballs/${file}`,
    ]),
  );
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'stranger-app',
        private: true,
        type: 'module',
        dependencies: {
          ...dependencies,
          axios: '^1.21.1',
          got: '^16.1.0',
          ky: '^2.1.0',
          express: '^5.2.1',
          ioredis: '^6.0.0',
          pg: '^8.11.0',
          '@nestjs/common': '^12.0.0',
          '@nestjs/core': '^12.0.0',
          '@nestjs/axios': '^12.0.0',
          rxjs: '^7.8.2',
          'reflect-metadata': '^0.2.2',
          '@opentelemetry/api': '^1.9.0',
        },
        devDependencies: {
          typescript: '~5.9.3',
          '@types/node': '^24.0.0',
          '@types/express': '^5.0.0',
          '@types/pg': '^8.11.0',
        },
      },
      null,
      2,
    ),
  );

  step('npm install the tarballs', () => {
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
  });

  // Every package's main entry, used the way its README shows.
  const everything = `import axios from 'axios';
import express from 'express';
import got from 'got';
import ky from 'ky';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { withForge } from '@forge/axios';
import { ClientCredentialsTokenProvider, isForgeError, TokenManager } from '@forge/core';
import { forge, forgeErrorHandler } from '@forge/express';
import { withForge as fetchWithForge } from '@forge/fetch';
import { withForge as gotWithForge } from '@forge/got';
import { withForge as kyWithForge } from '@forge/ky';
import { ForgeModule } from '@forge/nest';
import { oauth1Authorizer } from '@forge/oauth1';
import { PostgresTokenStorage } from '@forge/storage-postgres';
import { instrumentTokenManager } from '@forge/opentelemetry';
import { RedisTokenStorage } from '@forge/storage-redis';
import { startAuthServer } from '@forge/testkit';

export async function wire(): Promise<void> {
  const auth = await startAuthServer();
  const provider = new ClientCredentialsTokenProvider({
    serviceName: 'billing',
    issuer: auth.issuer,
    clientId: auth.clients.basic.clientId,
    clientSecret: auth.clients.basic.clientSecret,
  });
  const manager = new TokenManager(provider, {
    storage: new RedisTokenStorage(new Redis({ lazyConnect: true })),
  });
  // Constructing it connects nothing until the first call (listen: false: no LISTEN connection).
  const postgres = new PostgresTokenStorage(new Pool({ connectionString: 'postgres://localhost/app' }), {
    listen: false,
  });
  await postgres.dispose();
  const api = withForge(axios.create({ baseURL: 'https://api.example.com' }), manager);
  await api.get('/invoices', { forge: { key: { scope: 'invoices:read' } } });
  gotWithForge(got.extend({ prefixUrl: 'https://api.example.com' }), manager);
  kyWithForge(ky.create({ prefix: 'https://api.example.com' }), manager);
  fetchWithForge(fetch, manager, { policy: { baseURL: 'https://api.example.com' } });
  const app = express();
  app.use(forge({ services: { billing: { manager, baseURL: 'https://api.example.com' } } }));
  app.use(forgeErrorHandler());
  ForgeModule.forRoot({ services: { billing: { provider, baseURL: 'https://api.example.com' } } });
  withForge(
    axios.create({ baseURL: 'https://api.example.com' }),
    oauth1Authorizer({
      consumerKey: 'key',
      consumerSecret: 'secret',
      policy: { origins: ['https://api.example.com'] },
    }),
  );
  console.log(isForgeError(new Error('x')));
  instrumentTokenManager(manager).dispose();
  await manager.close();
  await auth.close();
}
`;
  writeFileSync(join(app, 'everything.ts'), everything);
  writeFileSync(
    join(app, 'everything.cts'),
    everything.replace('export async function', 'async function').concat('export = wire;\n'),
  );

  // The root README's quick start, against the testkit server instead of a real one.
  writeFileSync(
    join(app, 'quickstart.ts'),
    `import axios from 'axios';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { withForge } from '@forge/axios';
import { startAuthServer, startResourceServer } from '@forge/testkit';

const auth = await startAuthServer();
const api = await startResourceServer({ auth });
const provider = new ClientCredentialsTokenProvider({
  serviceName: 'billing',
  issuer: auth.issuer,
  clientId: auth.clients.basic.clientId,
  clientSecret: auth.clients.basic.clientSecret,
  scope: 'read',
});
const manager = new TokenManager(provider);
// A new axios instance made from yours: the one you pass stays as it was.
const billing = withForge(axios.create({ baseURL: api.url }), manager);
const { data } = await billing.get('/invoices');
const tokens = auth.tokenRequests(auth.clients.basic.clientId);
await manager.close();
await api.close();
await auth.close();
if ((data as { ok?: unknown }).ok !== true || tokens !== 1) {
  throw new Error(\`quick start: expected an authorized answer and 1 token request, got \${tokens}\`);
}
`,
  );

  const compilerOptions = {
    strict: true,
    target: 'es2022',
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  };
  const configs = {
    'nodenext (ESM)': {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      files: ['everything.ts', 'quickstart.ts'],
    },
    'nodenext (CommonJS)': {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      files: ['everything.cts'],
    },
    bundler: {
      module: 'esnext',
      moduleResolution: 'bundler',
      files: ['everything.ts', 'quickstart.ts'],
    },
  };
  for (const [name, { files, ...options }] of Object.entries(configs)) {
    const file = `tsconfig.${name.replace(/\W+/g, '-')}.json`;
    writeFileSync(
      join(app, file),
      JSON.stringify({ compilerOptions: { ...compilerOptions, ...options }, files }),
    );
    step(`type-check, ${name}, skipLibCheck false`, () => {
      run(
        process.execPath,
        [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', file],
        app,
      );
    });
  }

  step('run the README quick start against the testkit server', () => {
    run(process.execPath, ['quickstart.ts'], app);
  });

  // The `forge` executable as a stranger runs it: `npx forge` from the installed tarball.
  writeFileSync(
    join(app, 'cli.mjs'),
    `import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startAuthServer } from '@forge/testkit';

const auth = await startAuthServer();
try {
  const { stdout } = await promisify(execFile)(
    'npx',
    ['--no-install', 'forge', 'token', '--issuer', auth.issuer, '--client-id', auth.clients.basic.clientId, '--json'],
    { env: { ...process.env, FORGE_CLIENT_SECRET: auth.clients.basic.clientSecret } },
  );
  const summary = JSON.parse(stdout);
  if (summary.tokenType !== 'Bearer' || 'accessToken' in summary) {
    throw new Error(\`forge token: expected a Bearer summary without the token, got \${stdout}\`);
  }
} finally {
  await auth.close();
}
`,
  );
  step('run `npx forge token` against the testkit server', () => {
    run(process.execPath, ['cli.mjs'], app);
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
